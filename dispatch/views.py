"""Pages of the centre's desk. Views read through selectors and change state through services."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services, transfers, waivers
from .events import event_label
from .forms import (
    CloseForm,
    ContactForm,
    DecisionForm,
    IntakeForm,
    TicketDetailsForm,
    TicketFilterForm,
    TransferForm,
    WaiverRequestForm,
    run_service,
)
from .language import find_banned_phrases, find_sensitive_topics
from .models import Ticket, TransferRequest, WaiverRequest
from .notifications import template_label
from .pagination import CappedPaginator
from .permissions import DESK, role_required
from .redirects import back_to
from .roles import Role, has_role


@login_required
def home(request):
    """A person's start page: settings.HOME_PAGES by role, else the desk's tickets."""
    user = request.user
    target = next((name for role, name in settings.HOME_PAGES if has_role(user, role)), None)
    if target:
        return redirect(target)
    return render(
        request,
        "dispatch/home.html",
        {
            "my_tickets": selectors.my_open_tickets(user)[:50],
            "due_soon": selectors.due_within(user, minutes=60)[:50],
        },
    )


@role_required(*DESK)
def ticket_list(request):
    form = TicketFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    tickets = selectors.ticket_list(request.user, **filters)
    page = CappedPaginator(tickets, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dispatch/ticket_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


# The same complaint sent again from the intake form this soon is the form resent (the back
# button and submit again), not a second call.
RESUBMIT_WINDOW = timedelta(minutes=15)


@role_required(*DESK)
def ticket_create(request):
    """Intake (受理). The form carries a key that takes the call once (issue 15): sent again,
    it shows what the first submit made instead of a second ticket."""
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = run_service(
            form,
            lambda: services.open_ticket(
                actor=request.user,
                intake_key=form.cleaned_data["intake_key"],
                resubmit_window=RESUBMIT_WINDOW,
                **form.ticket_fields(),
            ),
        )
        if ticket is not None:
            _say_taken(request, ticket)
            return redirect("dispatch:ticket_detail", number=ticket.number)
    return render(request, "dispatch/ticket_form.html", _intake_context(request, form))


def _intake_context(request, form) -> dict:
    phone = form["phone"].value() if form.is_bound else ""
    return {"form": form, **_caller_context(request, phone)}


def _caller_context(request, phone) -> dict:
    tickets = selectors.caller_tickets(request.user, phone)
    return {"caller_tickets": tickets, "caller_phone": selectors.e164(phone)}


def _say_taken(request, ticket) -> None:
    if ticket.intake_replay is None:
        messages.success(request, _("Complaint %(number)s taken.") % {"number": ticket.number})
    elif getattr(ticket, "intake_contact", None):
        messages.info(
            request,
            _("This form was sent already: the call was recorded on %(number)s then.")
            % {"number": ticket.number},
        )
    else:
        messages.info(
            request,
            _(
                "This form was sent already: complaint %(number)s was taken then, no second "
                "ticket. Correct its details here if needed."
            )
            % {"number": ticket.number},
        )


@require_GET
@role_required(*DESK)
def caller(request):
    """htmx partial of the intake form: the caller's open tickets and recent visits, by the
    phone typed so far (issue 15)."""
    return render(
        request, "dispatch/_caller.html", _caller_context(request, request.GET.get("phone", ""))
    )


@require_POST
@role_required(*DESK)
def repeat_call(request, number):
    """The intake form sent to record the call on the caller's open ticket instead (issue 15):
    a customer contact (R6) with what the customer said, taken once per form."""
    ticket = _get_ticket(request, number)
    form = IntakeForm(request.POST)
    form.is_valid()
    key = form.cleaned_data.get("intake_key", "")
    on = run_service(
        form,
        lambda: services.record_repeat_call(
            actor=request.user, ticket=ticket, progress=form.call_summary(), intake_key=key
        ),
    )
    if on is None:
        return render(
            request, "dispatch/ticket_form.html", _intake_context(request, form), status=400
        )
    if on.intake_replay is None:
        messages.success(
            request,
            _("The call was recorded on %(number)s as a contact with the customer.")
            % {"number": on.number},
        )
    else:
        _say_taken(request, on)
    return redirect("dispatch:ticket_detail", number=on.number)


def _get_ticket(request, number: str) -> Ticket:
    try:
        return selectors.ticket_detail(request.user, number)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def _detail(request, ticket, **forms):
    context = {
        "ticket": ticket,
        "timeline": [(event, event_label(event.kind)) for event in ticket.events.all()],
        "transfer_form": forms.get("transfer_form") or TransferForm(ticket=ticket),
        "contact_form": forms.get("contact_form") or ContactForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "failed_sms": [
            (n, template_label(n.template)) for n in selectors.failed_customer_sms(ticket)[:10]
        ],
        "details_form": forms.get("details_form") or TicketDetailsForm(ticket=ticket),
        "may_update": services.owner_or_supervisor(request.user, ticket),
        # R4: after one transfer, the owner asks a supervisor instead of transferring.
        "transfer_needs_approval": ticket.transfer_count >= 1
        and not has_role(request.user, Role.SUPERVISOR),
        "is_supervisor": has_role(request.user, Role.SUPERVISOR),
        "decision_form": DecisionForm(),
        # R6, R13, R15: offered when a close was refused for a promise owed (not to a
        # supervisor, who waives it when closing).
        "waiver_form": forms.get("waiver_form"),
        "same_caller": selectors.caller_tickets(request.user, ticket.phone, exclude=ticket),
    }
    status = 400 if forms else 200
    return render(request, "dispatch/ticket_detail.html", context, status=status)


@role_required(*DESK)
def ticket_detail(request, number):
    return _detail(request, _get_ticket(request, number))


@require_POST
@role_required(*DESK)
def ticket_transfer(request, number):
    ticket = _get_ticket(request, number)
    form = TransferForm(request.POST, ticket=ticket)
    if form.is_valid() and run_service(
        form,
        lambda: services.transfer_ticket(
            actor=request.user,
            ticket=ticket,
            to_user=form.cleaned_data["to_user"],
            note=form.cleaned_data["note"],
        ),
    ):
        messages.success(request, _("Ticket transferred."))
        return redirect("dispatch:ticket_detail", number=number)
    return _detail(request, ticket, transfer_form=form)


@require_POST
@role_required(*DESK)
def ticket_transfer_request(request, number):
    """R4: the owner of a ticket transferred once asks a supervisor for a second transfer."""
    ticket = _get_ticket(request, number)
    form = TransferForm(request.POST, ticket=ticket)
    if form.is_valid() and run_service(
        form,
        lambda: transfers.request_second_transfer(
            actor=request.user,
            ticket=ticket,
            to_user=form.cleaned_data["to_user"],
            note=form.cleaned_data["note"],
        ),
    ):
        messages.success(
            request,
            _("Second transfer sent to a supervisor; the ticket stays yours until it is approved."),
        )
        return redirect("dispatch:ticket_detail", number=number)
    return _detail(request, ticket, transfer_form=form)


def _decide(request, *, ticket_number: str, call, approved: str, refused: str):
    """A supervisor's decision on a request (R4 second transfer; R6, R13, R15 waiver), from
    the ticket page or the approvals inbox: back where it came from, the outcome in words."""
    ticket_url = reverse("dispatch:ticket_detail", args=[ticket_number])
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["approve"]
        if run_service(form, lambda: call(approve, form.cleaned_data.get("note", ""))):
            if approve:
                messages.success(request, approved)
            else:
                messages.info(request, refused)
            return redirect(back_to(request, ticket_url))
    for error in form.non_field_errors():
        messages.error(request, error)
    for errors in (form.errors.get(name) for name in form.fields):
        for error in errors or ():
            messages.error(request, error)
    return redirect(back_to(request, ticket_url))


@require_POST
@role_required(Role.SUPERVISOR)
def transfer_decide(request, pk):
    """R4: a supervisor approves or refuses a second transfer, on the ticket page or in the
    approvals inbox (whose form names itself as `next`)."""
    transfer_request = get_object_or_404(TransferRequest.objects.select_related("ticket"), pk=pk)
    return _decide(
        request,
        ticket_number=transfer_request.ticket.number,
        call=lambda approve, note: transfers.decide_transfer_request(
            actor=request.user, request=transfer_request, approve=approve, note=note
        ),
        approved=_("Second transfer approved; the ticket was handed over."),
        refused=_("Second transfer refused; the ticket stays with its owner."),
    )


@require_POST
@role_required(*DESK)
def ticket_contact(request, number):
    ticket = _get_ticket(request, number)
    form = ContactForm(request.POST)
    if form.is_valid() and run_service(
        form,
        lambda: services.record_contact(actor=request.user, ticket=ticket, **form.cleaned_data),
    ):
        messages.success(request, _("Contact recorded."))
        return redirect("dispatch:ticket_detail", number=number)
    return _detail(request, ticket, contact_form=form)


@require_POST
@role_required(*DESK)
def ticket_close(request, number):
    ticket = _get_ticket(request, number)
    form = CloseForm(request.POST)
    if form.is_valid() and run_service(
        form,
        lambda: services.close_ticket(actor=request.user, ticket=ticket, **form.cleaned_data),
    ):
        messages.success(request, _("Ticket closed."))
        return redirect("dispatch:ticket_detail", number=number)
    extra = {}
    if form.has_error("waive_reason", "promises_owed") and not has_role(
        request.user, Role.SUPERVISOR
    ):
        # R6, R13, R15: refused for a promise owed; the owner may ask a supervisor instead.
        extra["waiver_form"] = WaiverRequestForm(
            initial={"resolution": form.cleaned_data.get("resolution", "")}
        )
    return _detail(request, ticket, close_form=form, **extra)


@require_POST
@role_required(*DESK)
def ticket_waiver_request(request, number):
    """R6, R13, R15: the owner asks a supervisor to waive a promise owed and close the ticket."""
    ticket = _get_ticket(request, number)
    form = WaiverRequestForm(request.POST)
    if form.is_valid() and run_service(
        form,
        lambda: waivers.request_waiver(actor=request.user, ticket=ticket, **form.cleaned_data),
    ):
        messages.success(
            request,
            _("Waiver sent to a supervisor; the ticket stays open until it is approved."),
        )
        return redirect("dispatch:ticket_detail", number=number)
    return _detail(request, ticket, waiver_form=form)


@require_POST
@role_required(Role.SUPERVISOR)
def waiver_decide(request, pk):
    """R6, R13, R15: a supervisor approves (the ticket closes) or refuses a waiver, on the
    ticket page or in the approvals inbox (whose form names itself as `next`)."""
    waiver_request = get_object_or_404(WaiverRequest.objects.select_related("ticket"), pk=pk)
    return _decide(
        request,
        ticket_number=waiver_request.ticket.number,
        call=lambda approve, note: waivers.decide_waiver_request(
            actor=request.user, request=waiver_request, approve=approve, note=note
        ),
        approved=_("Waiver approved; the ticket was closed."),
        refused=_("Waiver refused; the ticket stays open."),
    )


@require_POST
@login_required
def language_check(request):
    """R27 and R28: banned phrases and tariff/price topics in the posted text, as a fragment for
    htmx to show under the field."""
    text = "\n".join(v for k, v in request.POST.items() if k != "csrfmiddlewaretoken")
    return render(
        request,
        "dispatch/banned_phrases.html",
        {"found": find_banned_phrases(text), "sensitive": find_sensitive_topics(text)},
    )


@require_POST
@role_required(*DESK)
def ticket_update(request, number):
    """Complete or correct the ticket's details (issue 15): every error of the submit at once,
    each next to its field; update_ticket decides who may (R3) and what may change."""
    ticket = _get_ticket(request, number)
    form = TicketDetailsForm(request.POST, ticket=ticket)
    if form.is_valid():
        if run_service(
            form,
            lambda: services.update_ticket(
                actor=request.user, ticket=ticket, changes=form.changes()
            ),
        ):
            messages.success(request, _("Ticket details saved."))
            return redirect("dispatch:ticket_detail", number=number)
    else:
        # The form found some errors: the service checks what it could read, so the rest
        # shows now too, not after the next submit.
        run_service(
            form,
            lambda: services.check_ticket_update(
                actor=request.user, ticket=ticket, changes=form.changes()
            ),
        )
    return _detail(request, ticket, details_form=form)
