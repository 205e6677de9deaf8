"""The dashboard's filters: a period form, then a scope form whose engineer and team choices are
the lists the page reads anyway (no query of their own). Both render inside one <form>."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.dates import DayField
from dispatch.models import DeadlineKind
from dispatch.people import display_name
from dispatch.periods import Period

DEFAULT_PERIOD_DAYS = 28


class PeriodForm(forms.Form):
    start = DayField(label=_("From"), required=False, widget=forms.DateInput({"type": "date"}))
    end = DayField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

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


class ObjectChoiceField(forms.TypedChoiceField):
    """A choice among objects already loaded: cleans to the object with that primary key."""

    def __init__(self, *, objects=(), label_from=str, **kwargs):
        self.objects = {str(o.pk): o for o in objects}
        choices = [("", _("All"))] + [(key, label_from(o)) for key, o in self.objects.items()]
        super().__init__(choices=choices, coerce=self.objects.get, empty_value=None, **kwargs)


class ScopeForm(forms.Form):
    def __init__(self, *args, engineers=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engineer"] = ObjectChoiceField(
            label=_("Engineer"), objects=engineers, label_from=display_name, required=False
        )
        self.fields["team"] = ObjectChoiceField(label=_("Team"), objects=teams, required=False)
        self.fields["kind"] = forms.ChoiceField(
            label=_("Deadline"), choices=[("", _("All"))] + DeadlineKind.choices, required=False
        )
