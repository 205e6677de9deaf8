"""The customer's side of their appointment, on its short link, without an account (issue 17):
confirm it, move it to a free slot, ask for a call back.

Who may act: the link's token alone, in a browser with no staff session. A staff member who
opens a customer's link sees the page but can't act in the customer's name (the desk has its
own pages for that). Every action is an event on the ticket (visits.events); the page and the
link open nothing after the visit starts (the page then shows the visit's state).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch import deadlines, notifications
from dispatch.delivery import in_quiet_hours
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import DeadlineKind, DeadlineState, Notification
from dispatch.rules import RESCHEDULE_LEAD, ack_window

from .. import events, extensions
from ..models import CustomerLink, Visit, VisitStatus
from .booking import reschedule_for_customer
from .common import minutes_between, queue_visit_sms
from .links import ACTIONABLE, find_link

# The owner's alert, as the outbox and the alerts page name it.
notifications.TEMPLATE_LABELS["visit_customer_callback_staff"] = gettext_lazy(
    "Customer asked for a call back"
)
NOTE_MAX = 200
# What the customer's own move says in the reschedule SMS (R11: "由于您的改约要求，原定…").
MOVE_REASON = "您的改约要求"
# A call back asked again within this time is the same request (a second tap).
CALLBACK_AGAIN = timedelta(minutes=30)


# --- who acts, and how often ---------------------------------------------------------------


def require_customer(actor) -> None:
    """Only the customer acts on their link: a staff session can't act in their name."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        raise PermissionDenied(
            _(
                "This page is the customer's own: staff can't confirm, move or ask for a call "
                "in the customer's name. Use the ticket's page."
            ),
            code="staff_session",
        )


def allow(key: str, *, limit: int, seconds: int = 600) -> bool:
    """A fixed window in the cache (Redis): at most `limit` hits per `seconds` for `key`
    (an address guessing tokens, a link being hammered). False when over."""
    cache_key = f"customer-link:{key}"
    cache.add(cache_key, 0, seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, seconds)
        count = 1
    return count <= limit


def rate_limits() -> dict[str, int]:
    return {
        # Pages opened, per address (a guessing client is slowed long before it finds one).
        "page": settings.CUSTOMER_LINK_PAGE_LIMIT,
        # Actions per link (confirm, move, call back).
        "action": settings.CUSTOMER_LINK_ACTION_LIMIT,
    }


def require_allowed(key: str, kind: str) -> None:
    if not allow(f"{kind}:{key}", limit=rate_limits()[kind]):
        raise RuleViolation(
            "too_many_requests",
            _("Too many tries in a short time. Please wait ten minutes, or call us."),
            status=429,
        )


# --- what the page shows ---------------------------------------------------------------------


@dataclass
class Standing:
    """Where the appointment stands for the customer."""

    link: CustomerLink
    visit: Visit
    acts: bool  # the link still acts (before the visit starts, the visit waiting)
    movable: bool  # more than two hours ahead (R11)
    moved_to: Visit | None  # the visit it was moved to, when it was


def standing(link: CustomerLink, now: datetime | None = None) -> Standing:
    now = now or timezone.now()
    visit = link.visit
    acts = link.acts(now) and visit.status in ACTIONABLE
    moved_to = None
    if visit.status == VisitStatus.RESCHEDULED:
        moved_to = Visit.objects.filter(rescheduled_from=visit).first()
    return Standing(
        link=link,
        visit=visit,
        acts=acts,
        movable=acts and now <= visit.start - RESCHEDULE_LEAD,
        moved_to=moved_to,
    )


def slots(visit: Visit, now: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """The free times the customer may move to (planning reckons them, R7/R9/R11/hours)."""
    return extensions.reckon(extensions.CUSTOMER_SLOTS, visit, now or timezone.now(), default=[])


def _require_acting(link: CustomerLink, now: datetime) -> None:
    if not (link.acts(now) and link.visit.status in ACTIONABLE):
        raise RuleViolation(
            "link_closed",
            _("This appointment can't be changed here any more. Please call us."),
            status=410,
        )


# --- the actions -----------------------------------------------------------------------------


@transaction.atomic
def confirm(*, actor, token: str) -> CustomerLink:
    """The customer confirms the appointment: shown to the desk (the ticket's events) and the
    engineer (the visit page), who still re-confirms before leaving (R8). Twice is once."""
    require_customer(actor)
    link = find_link(token, lock=True)
    now = timezone.now()
    _require_acting(link, now)
    if link.confirmed_at is None:
        link.confirmed_at = now
        link.save(update_fields=["confirmed_at"])
        events.visit_customer_confirmed_event(visit=link.visit)
    return link


@transaction.atomic
def ask_callback(*, actor, token: str, note: str = "") -> CustomerLink:
    """R6: the customer asks to be called back. The ticket's owner gets it as a contact to make
    within the simple acknowledgement window (an earlier open promise stays where it is), and an
    alert; a second tap within half an hour is the same request."""
    require_customer(actor)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise RuleViolation(
            "note_too_long",
            _("Please keep the note to %(n)d characters.") % {"n": NOTE_MAX},
            field="note",
        )
    link = find_link(token, lock=True)
    now = timezone.now()
    _require_acting(link, now)
    if link.callback_asked_at and now - link.callback_asked_at < CALLBACK_AGAIN:
        return link
    visit, ticket = link.visit, link.visit.ticket
    due = now + ack_window("simple")
    earlier = ticket.deadlines.filter(
        kind=DeadlineKind.ACKNOWLEDGE,
        state=DeadlineState.OPEN,
        visit__isnull=True,
        due_at__lte=due,
    ).first()
    if earlier is not None:
        due = earlier.due_at
    else:
        deadlines.open_deadline(
            kind=DeadlineKind.ACKNOWLEDGE, ticket=ticket, due_at=due, responsible=ticket.owner
        )
    link.callback_asked_at, link.callback_note = now, note
    link.save(update_fields=["callback_asked_at", "callback_note"])
    notifications.notify_staff(
        user=ticket.owner,
        template="visit_customer_callback_staff",
        context={"visit": visit, "note": note, "due_at": due},
        ticket=ticket,
        key=f"visit:{visit.pk}:callback:{int(now.timestamp())}",
    )
    events.visit_customer_callback_event(visit=visit, note=note, due_at=due)
    return link


@transaction.atomic
def move(*, actor, token: str, start: datetime) -> Visit:
    """The customer moves the visit to one of the offered free times (R7, R9, R11, working
    hours: planning's reckoning), through the booking service's reschedule; their action is
    the agreement. A time taken meanwhile is refused in a sentence (409 `slot_taken`), never
    an error page; the caller shows fresh times. Returns the new visit (a new link by SMS)."""
    require_customer(actor)
    link = find_link(token, lock=True)
    now = timezone.now()
    _require_acting(link, now)
    visit = link.visit
    if now > visit.start - RESCHEDULE_LEAD:
        # R11: inside two hours a change needs a person: the page says to call.
        raise RuleViolation(
            "too_late_to_move",
            _(
                "Your visit starts in %(minutes)s minutes: it can no longer be moved here. "
                "Please call us."
            )
            % {"minutes": minutes_between(now, visit.start)},
            status=409,
        )
    offered = {s for s, _e in slots(visit, now)}
    taken = RuleViolation(
        "slot_taken",
        _("Sorry, that time was just taken. Please choose one of the times below."),
        status=409,
        field="start",
    )
    if start not in offered:
        raise taken
    try:
        new = reschedule_for_customer(
            visit=visit, start=start, end=start + (visit.end - visit.start), reason=MOVE_REASON
        )
    except PermissionDenied:
        raise
    except RuleViolation as exc:
        if any(v.code == "engineer_busy" for v in exc.violations):
            raise taken from exc  # R7: booked by the desk a moment ago.
        raise
    sent = Notification.objects.filter(key=f"visit:{new.pk}:link").exists()
    events.visit_customer_moved_event(visit=visit, new_visit=new, sms_sent=sent)
    return new


# --- the departure SMS -------------------------------------------------------------------------


def coarse_arrival(visit: Visit, departed_at: datetime) -> datetime:
    """When the engineer should arrive, for the customer: the departure plus the expected
    travel, never earlier than the booked start, rounded up to ten minutes. Never a location."""
    minutes = extensions.reckon(
        extensions.TRAVEL_MINUTES,
        visit,
        default=settings.PLANNING["UNKNOWN_TRAVEL_MINUTES"],
    )
    eta = max(departed_at + timedelta(minutes=int(minutes)), visit.start)
    eta = timezone.localtime(eta).replace(second=0, microsecond=0)
    return eta + timedelta(minutes=-eta.minute % 10)


def tell_departure(visit: Visit) -> bool:
    """The engineer set out: the customer gets "工程师已出发，预计 HH:MM 到达" (a coarse time,
    never a location). Not during quiet hours (dispatch.delivery): it would arrive too late to
    mean anything. Returns whether it was queued."""
    if visit.departed_at is None or in_quiet_hours(visit.departed_at):
        return False
    eta = coarse_arrival(visit, visit.departed_at)
    return bool(queue_visit_sms(visit, "visit_departed", "departed", eta=eta))
