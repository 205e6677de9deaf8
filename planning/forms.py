from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
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


class TeamField(forms.ModelChoiceField):
    """A team by its id; an unknown one is refused with a code of its own (the API's 400 says
    which team, not just "invalid")."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(_("There is no such team."), code="team_not_found") from exc


class OptimizeForm(forms.Form):
    day = DayField(label=_("Date"), widget=DATE, required=False)
    team = TeamField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("All")
    )

    def values(self) -> dict:
        """The day (tomorrow unless given) and the team (everyone unless given)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "day": data.get("day") or timezone.localdate() + timedelta(days=1),
            "team": data.get("team"),
        }


class AcceptMoveForm(forms.Form):
    """One move of the optimized plan: this visit to that engineer, at the same time."""

    visit = forms.ModelChoiceField(queryset=Visit.objects.all(), widget=forms.HiddenInput)
    engineer = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), widget=forms.HiddenInput
    )
