"""The desk's planning pages: suggestions on the booking page (htmx) and the day optimizer."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dispatch.errors import RuleViolation
from dispatch.models import Ticket
from dispatch.permissions import DESK, role_required
from dispatch.selectors import tickets_for
from visits.selectors import active_visit_of

from .forms import SuggestForm
from .suggestions import suggest


def _ticket(request, number: str) -> Ticket:
    try:
        return tickets_for(request.user).select_related("grid").get(number=number)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
@role_required(*DESK)
def suggestions(request, number):
    """htmx: the best few (engineer, slot) pairs for the ticket, each with its reasons; one click
    books it through the booking page (the booking service checks again)."""
    ticket = _ticket(request, number)
    form = SuggestForm(request.GET or None)
    values = form.values()
    context = {"ticket": ticket, "form": form, "values": values, "problem": None}
    try:
        context["suggestions"] = suggest(user=request.user, ticket=ticket, **values)
    except RuleViolation as exc:
        context["suggestions"], context["problem"] = [], exc.message
    context["moving"] = active_visit_of(ticket)
    context["now"] = timezone.now()
    return render(request, "planning/_suggestions.html", context)
