import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .dates import MomentField
from .errors import RuleViolation
from .language import find_banned_phrases
from .models import (
    ComplaintKind,
    ContactChannel,
    NotificationChannel,
    NotificationState,
    Ticket,
    TicketStatus,
)
from .people import display_name
from .roles import Role

User = get_user_model()


def add_violations(form: forms.Form, exc: RuleViolation) -> None:
    """Every broken rule of `exc` on the form, each next to its field (issue 15: all errors at
    once, where they belong). A form names in `rule_fields` the form field that shows a
    service's field ({"start": "start_time"}), or None for a summary it shows at the fields
    instead; a field the form doesn't have goes on top. A field the form itself found wrong
    already keeps its own message."""
    aliases = getattr(form, "rule_fields", {})
    for violation in exc.violations:
        if violation.field in aliases and aliases[violation.field] is None:
            continue  # said at the fields it names, by the violations that follow it
        field = aliases.get(violation.field, violation.field)
        field = field if field in form.fields else None
        if field is not None and field in form.errors:
            continue
        if violation.message in form.errors.get(field or NON_FIELD_ERRORS, []):
            continue
        # The rule's code kept, so a view may ask `form.has_error(field, code)`.
        form.add_error(field, forms.ValidationError(violation.message, code=violation.code))


def run_service(form: forms.Form, call):
    """Call a service; each broken rule becomes an error on the form, on its field if it names
    one."""
    try:
        return call()
    except RuleViolation as exc:
        add_violations(form, exc)
        return None


class OneTimeCodeForm(forms.Form):
    """The one-time code a customer's phone received (the survey's R23, the handover's R16),
    typed in by the customer."""

    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


def staff_choices():
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.DISPATCHER, Role.SUPERVISOR])
        .distinct()
        .order_by("username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class BannedPhraseCheck:
    """R27: warn the writer when free text for a customer contains banned phrases (服务禁语).

    Name the checked fields in `banned_phrase_fields`. Each shows a live warning below it while
    the writer types (htmx posts the field to dispatch:language_check; templates/field.html
    holds the slot). With `banned_phrase_confirm` (text that is sent to the customer), a
    submitted text containing banned phrases brings up a "send anyway" box. The service decides:
    it refuses the text once, naming the phrases (run_service shows that under the field), and
    sends it only when the view passes `wording_confirmed()` on.
    """

    banned_phrase_fields: tuple[str, ...] = ()
    banned_phrase_confirm = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        url = reverse("dispatch:language_check")
        for name in self.banned_phrase_fields:
            field = self.fields[name]
            field.banned_phrase_check = True
            field.widget.attrs.update(
                {
                    "hx-post": url,
                    "hx-trigger": "input changed delay:400ms",
                    "hx-params": self.add_prefix(name),
                    "hx-target": f"#{self[name].auto_id}_banned",
                    "hx-swap": "innerHTML",
                }
            )
        if self.banned_phrase_confirm and self.is_bound and self._found_in(self.data):
            self.fields["send_anyway"] = forms.BooleanField(
                label=_("I have reread it: send it anyway"), required=False
            )

    def _found_in(self, values, prefixed: bool = True) -> dict[str, list]:
        found = {}
        for name in self.banned_phrase_fields:
            text = values.get(self.add_prefix(name) if prefixed else name) or ""
            phrases = find_banned_phrases(str(text))
            if phrases:
                found[name] = phrases
        return found

    def banned_phrases(self) -> dict[str, list]:
        """{field name: [BannedPhrase]} in the cleaned text."""
        return self._found_in(getattr(self, "cleaned_data", {}), prefixed=False)

    def wording_confirmed(self) -> bool:
        """R27: the writer ticked "send anyway" (the service records it in its event)."""
        return bool(getattr(self, "cleaned_data", {}).get("send_anyway"))


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autofocus=True)
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


class TicketForm(forms.ModelForm):
    """Intake (受理). Only collects input: dispatch.services.open_ticket decides."""

    class Meta:
        model = Ticket
        fields = [
            "customer_name",
            "contact_person",
            "phone",
            "address",
            "phenomenon",
            "location_detail",
            "customer_action",
            "kind",
            "complexity",
            "grid",
            "latitude",
            "longitude",
        ]
        widgets = {
            "phenomenon": forms.Textarea(attrs={"rows": 2}),
            "customer_action": forms.Textarea(attrs={"rows": 2}),
            "kind": forms.RadioSelect,
            "complexity": forms.RadioSelect,
        }
        help_texts = {
            "phone": _("Mobile or landline in China, e.g. 138 0013 8000."),
            "customer_name": _("The customer may refuse; a visit can't be booked without it."),
            "complexity": _("Simple: reply within 2 hours. Complex: within 24 hours."),
            "grid": _("Optional: the centre's grid of the address, for suggesting an engineer."),
            "latitude": _("Optional, with the longitude: a pin of the address."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")
        # Radio buttons need no empty "---------" choice.
        self.fields["kind"].choices = ComplaintKind.choices
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update(inputmode="decimal", step="any")


class IntakeForm(TicketForm):
    """The intake form: the ticket's fields and the key that makes it take the call once,
    however often it is sent (issue 15; dispatch.services.open_ticket)."""

    intake_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("intake_key", uuid.uuid4().hex)
        # The caller's open tickets and visits show as the phone is typed
        # (dispatch:caller, an htmx partial into #caller).
        self.fields["phone"].widget.attrs.update(
            {
                "hx-get": reverse("dispatch:caller"),
                "hx-trigger": "input changed delay:500ms, change",
                "hx-target": "#caller",
                "hx-swap": "innerHTML",
            }
        )

    def clean_intake_key(self) -> str:
        return self.cleaned_data["intake_key"][:64]

    def ticket_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def call_summary(self) -> str:
        """What a repeat caller said, from the intake fields, as the contact's text."""
        data = self.data
        parts = [
            f"{self.fields[name].label}：{data.get(name, '').strip()}"
            for name in ("phenomenon", "location_detail", "customer_action")
            if data.get(name, "").strip()
        ]
        return "；".join([str(_("The customer called again")), *parts])


class TicketDetailsForm(TicketForm):
    """Completing or correcting a ticket (issue 15), the intake's fields filled with the ticket's
    details. Only collects input: dispatch.services.update_ticket decides."""

    def __init__(self, *args, ticket=None, **kwargs):
        if ticket is not None:
            kwargs.setdefault(
                "initial",
                {name: getattr(ticket, name) for name in self._meta.fields},
            )
        super().__init__(*args, **kwargs)
        self.fields["customer_name"].help_text = _("Needed to book a visit.")

    def changes(self) -> dict:
        """The details the form could read (all of them when it is valid)."""
        return {
            name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data
        }


class TransferForm(forms.Form):
    to_user = UserChoiceField(label=_("Transfer to"), queryset=User.objects.none())
    note = forms.CharField(
        label=_("Handover note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Everything the next owner needs, so the customer never repeats the story."),
    )

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = staff_choices()
        if ticket is not None:
            qs = qs.exclude(pk=ticket.owner_id)
        self.fields["to_user"].queryset = qs


class DecisionForm(forms.Form):
    """R4, R11: a supervisor's decision is the button pressed, approve or reject; a post that
    names neither (or both) decides nothing."""

    note = forms.CharField(label=_("Note"), required=False)
    approve = forms.BooleanField(required=False)
    reject = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("approve")) == bool(data.get("reject")):
            raise forms.ValidationError(
                _("Choose to approve or to reject the request."), code="no_decision"
            )
        return data


class ContactForm(BannedPhraseCheck, forms.Form):
    # R27: what the customer was told is checked as it is typed; it was said already, so the
    # record is never refused.
    banned_phrase_fields = ("progress",)
    banned_phrase_confirm = False

    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    progress = forms.CharField(
        label=_("What the customer was told"), widget=forms.Textarea(attrs={"rows": 3})
    )
    answered = forms.BooleanField(label=_("The customer got a definite answer"), required=False)
    new_promised_at = MomentField(
        label=_("New promised reply time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("If no answer yet: when the customer will hear from us."),
    )


class CloseForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 2}))
    customer_told = forms.BooleanField(
        label=_("The customer was given this answer"),
        required=False,
        help_text=_("Recorded as a contact; it keeps the promised acknowledgement."),
    )
    waive_reason = forms.CharField(
        label=_("Supervisor: waive the promises still owed, because"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only if a promise can no longer be kept; the reason stays on the record."),
    )


class WaiverRequestForm(forms.Form):
    """R6, R13, R15: the owner asks a supervisor to waive a promise owed, to close the ticket."""

    prefix = "waiver"
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(
        label=_("Why the promise can't be kept"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "A supervisor reads it; once approved, the ticket closes and it stays on the record."
        ),
    )


class TicketFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Phone, name, address or ticket number")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + TicketStatus.choices, required=False
    )
    owner = UserChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All"))] + ComplaintKind.choices, required=False
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_choices()


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All"))] + NotificationState.choices, required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All"))] + NotificationChannel.choices, required=False
    )
    search = forms.CharField(label=_("Ticket, phone or text"), required=False, max_length=50)
