"""The supervisor's approvals inbox (issue 15): every decision waiting for a supervisor in one
place, oldest first — late changes of a visit (R11), second transfers of a ticket (R4) and
waivers of a promise owed to the customer (R6, R13, R15). It is
a page of its own and a region of the dashboard; each decision goes through its app's service
(visits.services.decide_reschedule_request, dispatch.transfers.decide_transfer_request,
dispatch.waivers.decide_waiver_request), which
checks the supervisor's role."""

from django.conf import settings
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from dispatch.forms import DecisionForm
from dispatch.permissions import role_required
from dispatch.roles import Role
from dispatch.selectors import pending_transfer_requests, pending_waiver_requests
from visits.selectors import pending_requests

# Each kind shows its oldest waiting requests; the page says when there are more.
INBOX_LIMIT = 50


def inbox(request, back: str) -> dict:
    """The inbox's context: one query per kind, whatever the number of rows."""
    late_changes = list(pending_requests()[: INBOX_LIMIT + 1])
    transfers = list(pending_transfer_requests()[: INBOX_LIMIT + 1])
    waivers = list(pending_waiver_requests()[: INBOX_LIMIT + 1])
    kinds = (late_changes, transfers, waivers)
    return {
        "late_changes": late_changes[:INBOX_LIMIT],
        "transfers": transfers[:INBOX_LIMIT],
        "waivers": waivers[:INBOX_LIMIT],
        "more": any(len(rows) > INBOX_LIMIT for rows in kinds),
        "waiting": sum(len(rows[:INBOX_LIMIT]) for rows in kinds),
        "decision_form": DecisionForm(),
        "back": back,
        "refresh_seconds": settings.DASHBOARD_REFRESH_SECONDS,
    }


@require_GET
@role_required(Role.SUPERVISOR)
def approvals(request):
    """The inbox page; its region alone for the dashboard's refresh (htmx), which names the page
    a decision returns to (`back`)."""
    back = request.GET.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = request.path
    context = inbox(request, back)
    if request.headers.get("HX-Request"):
        return render(request, "supervision/approvals/list.html", context)
    return render(request, "supervision/approvals/page.html", context)
