from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.dates import DayField
from dispatch.periods import Period

from .models import ChecklistItem, ItemGroup

_YES_NO = [("1", _("Yes")), ("0", _("No"))]


def _yes(value) -> bool:
    return value in ("1", "true", "on", True)


class TickForm(forms.Form):
    """One tap on the kit page without JavaScript; the script uses the API instead."""

    item = forms.IntegerField(widget=forms.HiddenInput)
    ticked = forms.TypedChoiceField(choices=_YES_NO, coerce=_yes, empty_value=True, required=False)
    substitute = forms.TypedChoiceField(
        choices=_YES_NO, coerce=_yes, empty_value=False, required=False
    )


class ItemForm(forms.ModelForm):
    """Only collects input: checklists.services.create_item / update_item decide."""

    class Meta:
        model = ChecklistItem
        fields = ["group", "label_zh", "label_en", "substitute_zh", "substitute_en", "required"]
        help_texts = {
            "substitute_zh": _("Something the centre allows in its place, e.g. FAQ 手册."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Three groups, no empty "---------" choice; new items are usually kit items.
        self.fields["group"].choices = ItemGroup.choices
        self.fields["group"].initial = ItemGroup.KIT


class PeriodForm(forms.Form):
    start = DayField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = DayField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if end - start > timedelta(days=366):
                raise forms.ValidationError(_("Choose a period of a year at most."))
        return data

    def period(self) -> Period:
        if self.is_bound and self.is_valid():
            return Period(start=self.cleaned_data["start"], end=self.cleaned_data["end"])
        return Period.last_weeks(4)
