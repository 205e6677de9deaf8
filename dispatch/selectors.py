"""Read queries of the centre, scoped by user, with their prefetching (docs/design.md#reads)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from phonenumber_field.phonenumber import to_python

from .models import (
    Deadline,
    DeadlineState,
    Event,
    Notification,
    NotificationChannel,
    NotificationState,
    Ticket,
    TicketStatus,
    TransferRequest,
    TransferRequestState,
    WaiverRequest,
    WaiverRequestState,
)
from .roles import Role, has_role, is_staff_member
from .search import search


def active_supervisors() -> QuerySet:
    """Every supervisor who can still sign in, once each, in a steady order: who hears of a
    missed deadline (R3), a late change to approve (R11), a complaint (R17) or a provider's
    refusal."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.SUPERVISOR)
        .distinct()
        .order_by("pk")
    )


def tickets_for(user) -> QuerySet[Ticket]:
    """Desk staff see every ticket; an engineer sees the tickets of their own visits."""
    qs = Ticket.objects.all()
    if is_staff_member(user):
        return qs
    if has_role(user, Role.ENGINEER):
        return qs.filter(visits__engineer=user).distinct()
    return qs.none()


def _with_deadline_summary(
    qs: QuerySet[Ticket], open_deadlines: QuerySet[Deadline] | None = None
) -> QuerySet[Ticket]:
    """Next due time and the overdue flag, each a lookup per row of the page chosen. The flag is
    a scalar subquery on the partial index deadline_ticket_overdue_unkept: as an EXISTS,
    PostgreSQL hashed every missed, unkept deadline of the history before picking the page
    (docs/benchmarks.md, "Ticket list"). `open_deadlines`: the open deadlines that count
    (every one of the ticket's by default)."""
    if open_deadlines is None:
        open_deadlines = Deadline.objects.filter(state=DeadlineState.OPEN)
    open_deadlines = open_deadlines.filter(ticket=OuterRef("pk"))
    missed = Deadline.objects.filter(
        ticket=OuterRef("pk"), state=DeadlineState.OVERDUE, met_at__isnull=True
    )
    return qs.annotate(
        next_due_at=Subquery(open_deadlines.order_by("due_at").values("due_at")[:1]),
        is_overdue=Coalesce(
            Subquery(missed.order_by().values(flag=Value(True))[:1], output_field=BooleanField()),
            Value(False),
        ),
    )


def ticket_list(
    user, *, status=None, owner=None, kind=None, overdue=None, q=None
) -> QuerySet[Ticket]:
    """The ticket list page and API: one query for the rows, whatever their number. `q` finds
    a caller by phone, name, address or ticket number (dispatch.search)."""
    qs = tickets_for(user).select_related("owner", "grid")
    if q:
        qs = search(qs, q)
    if status:
        qs = qs.filter(status=status)
    if owner:
        qs = qs.filter(owner=owner)
    if kind:
        qs = qs.filter(kind=kind)
    qs = _with_deadline_summary(qs)
    if overdue:
        qs = qs.filter(is_overdue=True)
    return qs.order_by("-created_at", "-id")


def e164(phone) -> str:
    """A phone as typed ("138 0013 8000") as stored (+8613800138000), or "" if it isn't one."""
    number = to_python(phone, region="CN") if phone else None
    return number.as_e164 if number is not None and number.is_valid() else ""


def caller_tickets(user, phone, *, exclude=None, limit: int = 5) -> list[Ticket]:
    """Issue 15: a repeat caller's tickets still open, by the phone they call from, newest
    first (the intake's partial, the ticket page). `phone` as typed; nothing for a number that
    isn't one."""
    number = e164(phone)
    if not number:
        return []
    qs = tickets_for(user).filter(phone=number).exclude(status=TicketStatus.CLOSED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs.select_related("owner").order_by("-created_at", "-id")[:limit])


def my_deadlines(user) -> QuerySet[Deadline]:
    """R3: the open promises a person answers for: those of the tickets they own (the
    engineer's re-confirmation and arrival of their visits included: the owner sees the ticket
    through) and those they are responsible for themselves. The home page's table ("next due")
    and its "due within the hour" panel both read this, so they can't disagree (issue 15)."""
    return Deadline.objects.filter(
        Q(ticket__owner=user) | Q(responsible=user), state=DeadlineState.OPEN
    )


def my_open_tickets(user) -> QuerySet[Ticket]:
    """R3: the tickets a person owns and must see through, soonest deadline first."""
    qs = Ticket.objects.filter(owner=user).exclude(status=TicketStatus.CLOSED)
    summary = _with_deadline_summary(qs.select_related("owner"), my_deadlines(user))
    return summary.order_by("next_due_at", "id")


def ticket_detail(user, number: str) -> Ticket:
    """One ticket with its timeline, deadlines and contacts, for the detail page and API; with
    the deadline summary of the list (next due, overdue), which the API's detail shows too."""
    return (
        _with_deadline_summary(tickets_for(user))
        .select_related("owner", "created_by", "grid")
        .prefetch_related(
            Prefetch("events", queryset=Event.objects.select_related("actor", "visit")),
            Prefetch("deadlines", queryset=Deadline.objects.select_related("responsible", "visit")),
            "contacts__actor",
            # R4: a second transfer waiting for a supervisor, shown on the ticket in words.
            Prefetch(
                "transfer_requests",
                queryset=pending_transfer_requests()
                .select_related(None)
                .select_related("requested_by", "to_user"),
                to_attr="pending_transfers",
            ),
            # R6, R13, R15: a waiver of a promise owed waiting for a supervisor, likewise.
            Prefetch(
                "waiver_requests",
                queryset=pending_waiver_requests().select_related(None).select_related("asked_by"),
                to_attr="pending_waivers",
            ),
        )
        .get(number=number)
    )


def pending_transfer_requests() -> QuerySet[TransferRequest]:
    """R4: second transfers waiting for a supervisor, oldest first (the approvals inbox)."""
    return (
        TransferRequest.objects.filter(state=TransferRequestState.PENDING)
        .select_related("ticket", "ticket__owner", "requested_by", "to_user")
        .order_by("created_at", "id")
    )


def pending_waiver_requests() -> QuerySet[WaiverRequest]:
    """R6, R13, R15: waivers of a promise owed waiting for a supervisor, oldest first (the
    approvals inbox)."""
    return (
        WaiverRequest.objects.filter(state=WaiverRequestState.PENDING)
        .select_related("ticket", "ticket__owner", "asked_by")
        .order_by("created_at", "id")
    )


def overdue_count(user) -> int:
    """The badge on every page: the person's missed promises not yet kept."""
    if not user.is_authenticated:
        return 0
    return Deadline.objects.filter(
        responsible=user, state=DeadlineState.OVERDUE, met_at__isnull=True
    ).count()


def due_within(user, minutes: int = 60, *, now=None) -> QuerySet[Deadline]:
    """The home page's "due within the hour": `my_deadlines` due by now + `minutes` (those
    already past but not yet swept included), soonest first."""
    horizon = (now or timezone.now()) + timedelta(minutes=minutes)
    return (
        my_deadlines(user)
        .filter(due_at__lte=horizon)
        .select_related("ticket", "visit", "responsible")
        .order_by("due_at", "id")
    )


def overdue_items(user) -> QuerySet[Deadline]:
    """What the badge counts, item by item: the person's missed promises not yet kept."""
    return (
        Deadline.objects.filter(responsible=user, state=DeadlineState.OVERDUE, met_at__isnull=True)
        .select_related("ticket", "visit")
        .order_by("due_at", "id")
    )


# The alerts page lists this many of the person's overdue items, the oldest first; the badge
# beside them counts them all.
OVERDUE_SHOWN = 50


def alerts_for(user) -> QuerySet[Notification]:
    """The person's in-app alerts, newest first, with what the alerts page shows of each."""
    return (
        Notification.objects.filter(recipient=user, channel=NotificationChannel.IN_APP)
        .select_related("ticket", "deadline__visit", "deadline__responsible")
        .order_by("-created_at", "-id")
    )


def outbox(*, state=None, channel=None, search=None) -> QuerySet[Notification]:
    """Every message of the centre for the supervisors' outbox page, newest first."""
    qs = Notification.objects.select_related("recipient", "ticket")
    if state:
        qs = qs.filter(state=state)
    if channel:
        qs = qs.filter(channel=channel)
    if search:
        qs = qs.filter(
            Q(ticket__number__icontains=search)
            | Q(to_phone__contains=search)
            | Q(body__icontains=search)
        )
    return qs.order_by("-created_at", "-id")


# The outbox counts each state's messages up to this many, shown as "1,000+" past it: the
# history (sent, delivered; failed SMS stay until sent again) is not counted to its end.
OUTBOX_COUNT_CAP = 1_000


def outbox_counts(cap: int | None = None) -> dict[str, tuple[int, bool]]:
    """Each state's number of messages for the outbox, and whether it was cut at `cap`: one
    query, each state an index-only range of notification_state_created read up to cap + 1
    entries, never the whole outbox."""
    cap = OUTBOX_COUNT_CAP if cap is None else cap
    table = connection.ops.quote_name(Notification._meta.db_table)
    part = f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE state = %s LIMIT %s) s)"
    states = NotificationState.values
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join([part] * len(states)),
            [value for state in states for value in (state, cap + 1)],
        )
        row = cursor.fetchone()
    return {state: (min(n, cap), n > cap) for state, n in zip(states, row, strict=True)}


def failed_customer_sms(ticket=None) -> QuerySet[Notification]:
    """Customer SMS that failed (an invalid number, the carrier's refusal, the provider's):
    shown on their ticket and on the dashboard until sent again (issue 16)."""
    qs = Notification.objects.filter(
        channel=NotificationChannel.SMS, state=NotificationState.FAILED
    ).select_related("ticket")
    if ticket is not None:
        qs = qs.filter(ticket=ticket)
    return qs.order_by("-created_at", "-id")
