"""Forms only collect input; visits.services decides (run_service shows its refusals)."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dispatch.dates import DayField, MomentField, local_moment
from dispatch.forms import BannedPhraseCheck, OneTimeCodeForm
from dispatch.people import display_name

from . import selectors
from .models import DoorCheck, Measurement, NoSurveyReason, Phase
from .services.work import MEASUREMENT_FIELDS, MEASUREMENT_LIMITS

DURATIONS = [
    (30, _("30 minutes")),
    (60, _("1 hour")),
    (90, _("1½ hours")),
    (120, _("2 hours")),
    (180, _("3 hours")),
    (240, _("4 hours")),
]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


def aware(day, clock) -> datetime:
    return local_moment(day, clock)


class SlotForm(forms.Form):
    """Engineer, day, start and length: the time agreed with the customer (R7)."""

    # Where the services' complaints about the time show (dispatch.forms.add_violations).
    rule_fields = {"start": "start_time", "end": "duration"}

    engineer = UserChoiceField(label=_("Engineer"), queryset=selectors.engineers())
    day = DayField(label=_("Date"), widget=DATE)
    start_time = forms.TimeField(label=_("Start"), widget=TIME)
    duration = forms.TypedChoiceField(label=_("Length"), choices=DURATIONS, coerce=int, initial=60)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engineer"].queryset = selectors.engineers()

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("start_time") and data.get("duration"):
            data["start"] = aware(data["day"], data["start_time"])
            data["end"] = data["start"] + timedelta(minutes=data["duration"])
        return data


class BookingForm(SlotForm):
    pass


class RescheduleForm(BannedPhraseCheck, SlotForm):
    # R27: the reason is in the customer's apology SMS.
    banned_phrase_fields = ("reason",)

    reason = forms.CharField(
        label=_("Reason for the change"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Told to the customer with an apology, e.g. “the typhoon”."),
    )
    customer_agreed = forms.BooleanField(
        label=_("I apologised and the customer agreed to the new time"), required=False
    )
    force_majeure = forms.BooleanField(
        label=_("Force majeure (typhoon, road closed…): ask a supervisor to approve"),
        required=False,
    )


class CancelForm(BannedPhraseCheck, forms.Form):
    # R27: the reason is in the customer's apology SMS.
    banned_phrase_fields = ("reason",)

    reason = forms.CharField(
        label=_("Reason for cancelling"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Told to the customer with an apology, e.g. “the typhoon”."),
    )
    customer_agreed = forms.BooleanField(
        label=_("I apologised, gave the reason, and the customer agreed"), required=False
    )
    force_majeure = forms.BooleanField(
        label=_("Force majeure (typhoon, road closed…): ask a supervisor to approve"),
        required=False,
    )


class LateNoticeForm(BannedPhraseCheck, forms.Form):
    # R27: the reason is in the customer's SMS.
    banned_phrase_fields = ("reason",)

    new_arrival_time = forms.TimeField(label=_("New arrival time"), widget=TIME)
    reason = forms.CharField(label=_("Reason"), help_text=_("e.g. a traffic jam"), max_length=100)

    def __init__(self, *args, visit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.visit = visit

    def clean(self):
        data = super().clean()
        if self.visit is not None and data.get("new_arrival_time"):
            day = timezone.localdate(self.visit.start)
            data["new_arrival_at"] = aware(day, data["new_arrival_time"])
        return data


class ArrivalForm(forms.Form):
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput)


class DoorChecksForm(forms.Form):
    door_checks = forms.MultipleChoiceField(
        label=_("Tick each one"),
        choices=DoorCheck.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class VisitNoteForm(forms.Form):
    customer_surname = forms.CharField(label=_("Customer's surname"), max_length=20)
    arrived_at = MomentField(label=_("Arrival time"), widget=DATETIME)
    departed_at = MomentField(label=_("Departure time"), widget=DATETIME)
    engineer_name = forms.CharField(label=_("Visitor (engineer)"), max_length=100)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    photo = forms.FileField(
        label=_("Photo of the card left (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class MeasurementForm(forms.Form):
    """A network test, with the model's fields. A plain form, not a ModelForm: a ModelForm
    checks the model's constraints and shows their raw names ("约束 measurement_rsrp_range 是
    无效的") above the form. The ranges are checked here, field by field, in words and all at
    once, from the limits the service checks too (visits.services.work.MEASUREMENT_LIMITS); the
    constraints stay the database's guarantee (issue 15)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Measurement,
                fields=MEASUREMENT_FIELDS,
                widgets={
                    "phase": forms.RadioSelect,
                    "network": forms.RadioSelect,
                    "call_result": forms.RadioSelect,
                },
            )
        )
        for name, (low, high) in MEASUREMENT_LIMITS.items():
            self.fields[name].validators.append(InRange(low, high))
        # Numbers on a phone: the decimal keypad, with the sign where values go negative.
        for name in ("rsrp_dbm", "sinr_db"):
            self.fields[name].widget.attrs.update(inputmode="text", step="0.1")
        for name in ("download_mbps", "upload_mbps"):
            self.fields[name].widget.attrs.update(inputmode="decimal", step="0.01")
        self.fields["latency_ms"].widget.attrs.update(inputmode="numeric")
        for name in ("network", "call_result"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
        self.fields["rsrp_dbm"].help_text = _("−156 to −31")
        self.fields["sinr_db"].help_text = _("−30 to 50")


class InRange:
    """A value within [low, high], said as the service says it."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def __call__(self, value):
        if value is not None and not self.low <= value <= self.high:
            raise forms.ValidationError(
                _("Must be between %(low)s and %(high)s."),
                code="out_of_range",
                params={"low": self.low, "high": self.high},
            )


class MeasurementLogForm(forms.Form):
    """Issue 18: a test log from the phone (our CSV template, CellMapper, G-NetTrack). Used with
    prefix "log": its place and phase sit on the page next to the typed test's."""

    file = forms.FileField(
        label=_("Test log file"),
        help_text=_("CSV or text export of CellMapper or G-NetTrack, or our CSV template."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.log,text/csv,text/plain"}),
    )
    phase = forms.ChoiceField(
        label=_("Taken"),
        choices=Phase.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("For an app's log; our template says it per line."),
    )
    place = forms.CharField(
        label=_("Place in the premises"),
        max_length=100,
        required=False,
        help_text=_("For an app's log, e.g. living room; our template says it per line."),
    )


class OutcomeForm(forms.Form):
    resolved = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("yes", _("Resolved on site")), ("no", _("Not resolved: promise a reply"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    summary = forms.CharField(
        label=_("What was found and done"), widget=forms.Textarea(attrs={"rows": 3})
    )
    promised_reply_at = MomentField(
        label=_("Promised reply time"),
        required=False,
        widget=DATETIME,
        help_text=_("If not resolved: agreed with the customer."),
    )
    test_ended_at = forms.DateTimeField(
        label=_("Test ended at"),
        required=False,
        widget=DATETIME,
        help_text=_("Leave empty if the test ended with the last network test."),
    )
    customer_tried = forms.BooleanField(
        label=_("The customer tried the service after the fix"),
        required=False,
        help_text=_("Resolved needs this, or a network test after the fix."),
    )


class ReplyForm(BannedPhraseCheck, forms.Form):
    """R15 reply to the customer; R27/R28 warnings live while the engineer writes."""

    banned_phrase_fields = ("message",)
    message = forms.CharField(
        label=_("What the customer was told"), widget=forms.Textarea(attrs={"rows": 3})
    )
    by_sms = forms.BooleanField(label=_("Also send it to the customer by SMS"), required=False)


class HandoverForm(BannedPhraseCheck, SlotForm):
    """R16: to whom, when the colleague will be there (agreed with the customer), why (told to the
    customer, R27) and a note for the colleague. The customer agrees with the SMS code."""

    banned_phrase_fields = ("reason",)

    reason = forms.CharField(
        label=_("Why a colleague takes over"),
        max_length=100,
        help_text=_("Told to the customer in the SMS, e.g. “the antenna needs a climbing crew”."),
    )
    note = forms.CharField(
        label=_("Handover note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Everything the next engineer needs, so the customer never repeats it."),
    )

    def __init__(self, *args, visit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engineer"].label = _("Hand the visit to")
        if visit is not None:
            self.fields["engineer"].queryset = selectors.engineers().exclude(pk=visit.engineer_id)


# R16: the customer types the code their phone received.
HandoverCodeForm = OneTimeCodeForm


class ComplaintForm(forms.Form):
    note = forms.CharField(
        label=_("What the customer complained about"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoSurveyForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why there is no signed survey"),
        choices=NoSurveyReason.choices,
        widget=forms.RadioSelect,
    )


class LeaveForm(forms.Form):
    complained = forms.TypedChoiceField(
        label=_("Did the customer complain about the service?"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    complaint_note = forms.CharField(
        label=_("What the customer complained about"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("If yes: the supervisor hears of it."),
    )


class FollowUpForm(forms.Form):
    note = forms.CharField(
        label=_("Follow-up"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class BoardForm(forms.Form):
    day = DayField(label=_("Date"), widget=DATE, required=False)
    view = forms.ChoiceField(
        label=pgettext_lazy("board", "View"),
        choices=[("day", _("Day")), ("week", _("Week"))],
        required=False,
    )
