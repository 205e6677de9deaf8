"""The customer's page of their appointment, on the short link of the SMS (issue 17): no
account, no staff navigation, zh-Hans first, built for a 360 px phone.

Here because the move offers free slots, which planning reckons (R7, R9, R11, working hours);
every action goes through visits.services.customer, which decides who may act (the customer,
never a staff session) and writes the event. The page itself is plain forms (it works without
script); a refused move re-renders the page with the sentence and fresh times.
"""

from datetime import datetime
from itertools import groupby

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.middleware import gzip_exempt
from dispatch.people import display_name
from visits.services import customer
from visits.services.links import find_link, hash_token

from .calendar import visit_calendar


def _headers(response):
    # The token is in the URL: never cached, never sent elsewhere as a referrer, never indexed
    # (as the survey's customer page).
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _refused(request, exc: RuleViolation):
    return _headers(
        render(
            request, "planning/customer_closed.html", {"message": exc.message}, status=exc.status
        )
    )


def _slot_days(slots: list[tuple[datetime, datetime]]):
    local = [(timezone.localtime(s), timezone.localtime(e)) for s, e in slots]
    return [(day, list(group)) for day, group in groupby(local, key=lambda se: se[0].date())]


def _page(request, link, *, status=200, error: str = ""):
    now = timezone.now()
    standing = customer.standing(link, now)
    staff = request.user.is_authenticated
    slots = customer.slots(link.visit, now) if standing.movable else []
    context = {
        "standing": standing,
        "visit": link.visit,
        "engineer_name": display_name(link.visit.engineer),
        "staff": staff,
        "slot_days": _slot_days(slots),
        "error": error,
        "note_max": customer.NOTE_MAX,
    }
    return _headers(render(request, "planning/customer_page.html", context, status=status))


def _act(request, token, link):
    action = request.POST.get("action")
    if action == "confirm":
        customer.confirm(actor=request.user, token=token)
        messages.success(request, _("Thank you: your appointment is confirmed."))
    elif action == "callback":
        customer.ask_callback(actor=request.user, token=token, note=request.POST.get("note", ""))
        messages.success(request, _("We will call you back soon."))
    elif action == "move":
        start = parse_datetime(request.POST.get("start", "") or "")
        if start is None:
            raise RuleViolation("start_required", _("Please choose a new time."), field="start")
        new = customer.move(actor=request.user, token=token, start=start)
        messages.success(
            request,
            _("Your visit is moved to %(start)s. A new link was sent to you by SMS.")
            % {"start": dateformat.format(timezone.localtime(new.start), _("n/j H:i"))},
        )
    else:
        raise RuleViolation("unknown_action", _("Please choose what to do."))


def _open(request, token):
    """The link of `token`, counted against the address's page limit (a guessing client is
    slowed long before it finds one). Raises RuleViolation (404, 429) in words."""
    customer.require_allowed(request.META.get("REMOTE_ADDR") or "-", "page")
    return find_link(token)


@never_cache
@gzip_exempt
def page(request, token):
    try:
        link = _open(request, token)
    except RuleViolation as exc:
        return _refused(request, exc)
    if request.method != "POST":
        return _page(request, link)
    try:
        customer.require_customer(request.user)  # a staff session: refused whatever it sends
        customer.require_allowed(hash_token(token), "action")
        _act(request, token, link)
    except PermissionDenied as exc:
        # A staff session on a customer's link: the page, read-only, with why.
        return _page(request, link, status=403, error=exc.message)
    except RuleViolation as exc:
        if exc.status == 429:
            return _refused(request, exc)
        link.refresh_from_db()
        link.visit.refresh_from_db()
        # A time taken meanwhile, a visit too near: the sentence, and fresh times.
        return _page(request, link, status=exc.status, error=exc.message)
    return redirect(request.path)


@require_GET
@never_cache
def calendar(request, token):
    """The appointment as an .ics file for the phone's calendar (RFC 5545)."""
    try:
        link = _open(request, token)
    except RuleViolation as exc:
        return _refused(request, exc)
    response = HttpResponse(visit_calendar(link.visit), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="visit.ics"'
    return _headers(response)
