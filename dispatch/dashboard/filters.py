from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..forms import UserChoiceField
from ..models import DeadlineKind, Team
from ..periods import Period
from ..roles import Role

User = get_user_model()
DEFAULT_PERIOD_DAYS = 28


class DashboardFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    engineer = UserChoiceField(
        label=_("Engineer"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All")
    )
    kind = forms.ChoiceField(
        label=_("Deadline"), choices=[("", _("All"))] + DeadlineKind.choices, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engineer"].queryset = User.objects.filter(
            groups__name=Role.ENGINEER, is_active=True
        ).order_by("username")
        self.fields["team"].queryset = Team.objects.order_by("name")

    @staticmethod
    def defaults() -> dict[str, str]:
        today = timezone.localdate()
        start = today - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return {"start": start.isoformat(), "end": today.isoformat()}

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if data["start"] > data["end"]:
            raise forms.ValidationError(_("The period starts after it ends."))
        return data

    def period(self) -> Period:
        data = self.cleaned_data
        return Period(data["start"], data["end"])
