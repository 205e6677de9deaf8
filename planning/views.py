"""The desk's planning pages: suggestions on the booking page (htmx) and the day optimizer."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dispatch.errors import RuleViolation
from dispatch.models import Ticket
from dispatch.people import display_name
from dispatch.permissions import DESK, role_required
from dispatch.selectors import tickets_for
from visits import services as visit_services
from visits.selectors import active_visit_of

from .forms import AcceptMoveForm, OptimizeForm, SuggestForm
from .optimizer import optimize_day
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


@require_GET
@role_required(*DESK)
def optimize(request):
    """A team's day (tomorrow by default) re-planned: the travel saved and each move, to accept
    one by one. No customer's time changes."""
    form = OptimizeForm(request.GET or None)
    values = form.values()
    plan = optimize_day(user=request.user, **values)
    context = {"form": form, "day": values["day"], "plan": plan, "routes": plan.engineer_routes()}
    return render(request, "planning/optimize.html", context)


@require_POST
@role_required(*DESK)
def accept_move(request):
    """One move of the plan, through the visit service (R7, R11; the customer's SMS names the new
    engineer)."""
    form = AcceptMoveForm(request.POST)
    back = request.POST.get("next") or ""
    if not back.startswith("/planning/optimize/"):
        back = "/planning/optimize/"
    if not form.is_valid():
        messages.error(request, _("This move is no longer in the plan. Here is the plan again."))
        return redirect(back)
    visit, engineer = form.cleaned_data["visit"], form.cleaned_data["engineer"]
    try:
        new = visit_services.reassign_visit(
            actor=request.user, visit=visit, engineer=engineer, reason=_("Day plan optimised")
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(engineer)s now has the visit at %(start)s; the customer gets the SMS.")
            % {
                "engineer": display_name(new.engineer),
                "start": timezone.localtime(new.start).strftime("%m-%d %H:%M"),
            },
        )
    return redirect(back)
