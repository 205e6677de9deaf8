from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from dispatch.models import Team
from visits.forms import DATE, DURATIONS, DayField
from visits.models import Visit

from .suggestions import POLICIES, default_policy


class SuggestForm(forms.Form):
    """What the desk asks for: how long, how to rank, how many days ahead."""

    # Not "Length": the booking form beside it has that label already.
    duration = forms.TypedChoiceField(
        label=_("Time needed"), choices=DURATIONS, coerce=int, initial=60, required=False
    )
    policy = forms.ChoiceField(label=_("Rank by"), choices=list(POLICIES.items()), required=False)
    days = forms.TypedChoiceField(
        label=_("Days ahead"),
        choices=[(n, str(n)) for n in (1, 2, 3, 5, 7)],
        coerce=int,
        required=False,
    )

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "duration_minutes": data.get("duration") or 60,
            "policy": data.get("policy") or default_policy(),
            "days": data.get("days") or settings.PLANNING["HORIZON_DAYS"],
        }


class OptimizeForm(forms.Form):
    day = DayField(label=_("Date"), widget=DATE, required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("All")
    )


class AcceptMoveForm(forms.Form):
    """One move of the optimized plan: this visit to that engineer, at the same time."""

    visit = forms.ModelChoiceField(queryset=Visit.objects.all(), widget=forms.HiddenInput)
    engineer = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), widget=forms.HiddenInput
    )
