"""Pages of the centre's desk. Views read through selectors and change state through services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .events import event_label
from .forms import (
    CloseForm,
    ContactForm,
    TicketDetailsForm,
    TicketFilterForm,
    TicketForm,
    TransferForm,
    run_service,
)
from .language import find_banned_phrases, find_sensitive_topics
from .models import Ticket
from .notifications import template_label
from .pagination import CappedPaginator
from .permissions import DESK, role_required
from .roles import has_role


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


@role_required(*DESK)
def ticket_create(request):
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = run_service(
            form, lambda: services.open_ticket(actor=request.user, **form.cleaned_data)
        )
        if ticket is not None:
            messages.success(request, _("Complaint %(number)s taken.") % {"number": ticket.number})
            return redirect("dispatch:ticket_detail", number=ticket.number)
    return render(request, "dispatch/ticket_form.html", {"form": form})


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
        messages.success(request, _("Ticket handed over."))
        return redirect("dispatch:ticket_detail", number=number)
    return _detail(request, ticket, transfer_form=form)


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
    return _detail(request, ticket, close_form=form)


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
