"""Read queries of visits, scoped by user, with their prefetching (docs/design.md#reads).

An engineer sees their own visits only; desk staff (dispatchers, supervisors) see every visit.
Pages, the API and the supervisor's dashboard share these.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.dates import local_moment
from dispatch.db import Epoch, TsTzRange
from dispatch.errors import PermissionDenied
from dispatch.links import url_format
from dispatch.models import ComplaintKind, Deadline, Event, Ticket, TicketStatus
from dispatch.roles import Role, has_role, is_staff_member

from .models import (
    INACTIVE_STATUSES,
    HandoverState,
    RequestState,
    RescheduleRequest,
    Violation,
    ViolationKind,
    Visit,
    VisitHandover,
    VisitStatus,
)

User = get_user_model()
S = VisitStatus

# Visits still to happen or under way: they block a second booking of the same ticket.
OPEN_STATUSES = frozenset({S.BOOKED, S.CONFIRMED, S.EN_ROUTE, S.ARRIVED, S.AT_WORK})
# The board's working day.
WORKDAY_START = time(8, 0)
WORKDAY_END = time(20, 0)


def visits_for(user) -> QuerySet[Visit]:
    qs = Visit.objects.all()
    if is_staff_member(user):
        return qs
    if has_role(user, Role.ENGINEER):
        return qs.filter(engineer=user)
    return qs.none()


def _list_related(qs: QuerySet[Visit]) -> QuerySet[Visit]:
    return qs.select_related("ticket", "engineer")


def visit_list(
    user,
    *,
    day_from: date | None = None,
    day_to: date | None = None,
    engineer=None,
    status: str | None = None,
    ticket: str | None = None,
) -> QuerySet[Visit]:
    """The API's list: one query for the rows, whatever their number."""
    qs = _list_related(visits_for(user))
    if day_from:
        qs = qs.filter(start__gte=day_start(day_from))
    if day_to:
        qs = qs.filter(start__lt=day_start(day_to + timedelta(days=1)))
    if engineer:
        qs = qs.filter(engineer=engineer)
    if status:
        qs = qs.filter(status=status)
    if ticket:
        qs = qs.filter(ticket__number=ticket)
    return qs.order_by("start", "id")


def visit_detail(user, pk: int) -> Visit:
    """One visit with everything its page and the API show, in a fixed number of queries."""
    return (
        visits_for(user)
        .select_related(
            "ticket",
            "ticket__owner",
            "engineer",
            "booked_by",
            "closed_by",
            "note",
            "rescheduled_from",
            "rescheduled_to",
            "rescheduled_to__engineer",
            "customer_link",  # issue 17: what the customer did on their link
            "handed_over_from",
            "handed_over_from__engineer",
            "handed_over_to",
            "handed_over_to__engineer",
        )
        .prefetch_related(
            "measurements",
            Prefetch("events", queryset=Event.objects.select_related("actor")),
            Prefetch("deadlines", queryset=Deadline.objects.select_related("responsible")),
            "violations",
            Prefetch(
                "handovers",
                queryset=VisitHandover.objects.select_related(
                    "from_engineer", "to_engineer", "consent_device_user"
                ),
            ),
            Prefetch(
                "reschedule_requests",
                queryset=RescheduleRequest.objects.select_related(
                    "requested_by", "new_engineer", "decided_by"
                ),
            ),
        )
        .get(pk=pk)
    )


def pending_handover(visit: Visit) -> VisitHandover | None:
    """R16: the handover request of the visit waiting for the customer's code, if any."""
    return (
        VisitHandover.objects.filter(visit=visit, state=HandoverState.PENDING)
        .select_related("from_engineer", "to_engineer")
        .order_by("-id")
        .first()
    )


def handover_out(visit: Visit) -> VisitHandover | None:
    """R16: the handover agreed by the customer with the code, for a visit handed over."""
    if visit.status != S.HANDED_OVER:
        return None
    return (
        VisitHandover.objects.filter(visit=visit, state=HandoverState.CONFIRMED)
        .select_related("to_engineer", "visit__handed_over_to")
        .order_by("-id")
        .first()
    )


def handover_in(visit: Visit) -> VisitHandover | None:
    """R16: the handover that gave this visit's engineer the work, with the first visit's tests
    (`handover.visit.measurements`), so the customer never tells the story twice: the one that
    booked this visit, or, on records from before consent by code, the one that changed this
    visit's engineer in place."""
    qs = VisitHandover.objects.filter(state=HandoverState.CONFIRMED).select_related(
        "from_engineer", "to_engineer", "visit"
    )
    if visit.handed_over_from_id is not None:
        qs = qs.filter(visit_id=visit.handed_over_from_id)
    else:
        qs = qs.filter(visit=visit, to_engineer_id=visit.engineer_id)
    return qs.prefetch_related("visit__measurements").order_by("-id").first()


def clashes(*, engineer, start: datetime, end: datetime, exclude=None) -> QuerySet[Visit]:
    """R7: the engineer's visits overlapping [start, end); adjacent visits don't clash.

    On PostgreSQL the overlap is asked as the exclusion constraint states it (engineer =,
    tstzrange &&, active visits), so it reads the constraint's GiST index: the few visits around
    the slot, not every earlier visit of the engineer, while booking holds the engineer's row
    (docs/benchmarks.md, "Booking")."""
    qs = Visit.objects.filter(engineer=engineer)
    if connection.vendor == "postgresql":
        qs = qs.annotate(span=TsTzRange("start", "end")).filter(
            span__overlap=DateTimeTZRange(start, end)
        )
    else:
        qs = qs.filter(start__lt=end, end__gt=start)
    qs = qs.exclude(status__in=INACTIVE_STATUSES).select_related("ticket").order_by("start")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk if isinstance(exclude, Visit) else exclude)
    return qs


def first_clash(*, engineer, start: datetime, end: datetime, exclude=None) -> Visit | None:
    """R7: the earliest visit clashing with [start, end), or None. The clashes are read whole
    (a slot overlaps a handful of visits at most): with ORDER BY start LIMIT 1, PostgreSQL
    walks the start index through the whole calendar instead of asking the GiST index."""
    found = list(clashes(engineer=engineer, start=start, end=end, exclude=exclude))
    return found[0] if found else None


def busy_times(
    viewer, *, engineer, start: datetime, end: datetime, exclude=None
) -> list[tuple[datetime, datetime]]:
    """R7 before booking: when the engineer is busy in [start, end), as time ranges only.

    Another person's calendar is free/busy, and only for the desk that books it; an engineer
    asks about their own time alone. Nothing about the visits themselves (ticket, customer,
    address) leaves here: a colleague's customers are not an engineer's business.
    """
    if not (is_staff_member(viewer) or (has_role(viewer, Role.ENGINEER) and engineer == viewer)):
        raise PermissionDenied(_("You can check only your own calendar."), code="not_your_calendar")
    return list(
        clashes(engineer=engineer, start=start, end=end, exclude=exclude)
        .select_related(None)
        .values_list("start", "end")
    )


def active_visit_of(ticket, *, exclude=None) -> Visit | None:
    qs = Visit.objects.filter(ticket=ticket, status__in=OPEN_STATUSES).select_related("engineer")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("start").first()


def caller_visits(user, phone: str, *, days: int = 90, limit: int = 5) -> list[Visit]:
    """Issue 15: a repeat caller's visits of the last `days` and those ahead, newest first, by
    the phone on their tickets (an E.164 number), for the intake's partial."""
    since = timezone.now() - timedelta(days=days)
    return list(
        _list_related(visits_for(user).filter(ticket__phone=phone, start__gte=since)).order_by(
            "-start", "-id"
        )[:limit]
    )


def ticket_visits(ticket) -> list[Visit]:
    """The visits section of the ticket page, newest first."""
    return list(
        Visit.objects.filter(ticket=ticket)
        .select_related("engineer")
        .prefetch_related(
            # R11: a late change waiting for a supervisor shows on the ticket (issue 15).
            Prefetch(
                "reschedule_requests",
                queryset=pending_requests()
                .select_related(None)
                .select_related("requested_by", "new_engineer"),
                to_attr="pending_changes",
            )
        )
        .order_by("-start", "-id")
    )


def engineers() -> QuerySet:
    return (
        User.objects.filter(is_active=True, groups__name=Role.ENGINEER)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def day_start(day: date) -> datetime:
    return local_moment(day)


def at(day: date, clock: time) -> datetime:
    return local_moment(day, clock)


class BoardVisit(NamedTuple):
    """A visit as the board shows it: read as a row, its moments as seconds since 1970
    (dispatch.db.Epoch), with its link, clock times and status label prepared once. A week is
    thousands of visits: as model instances (with their tickets) they were most of the page's
    time, and their 13,000 moments read as timestamptz a third of what was left.

    BoardDay.visits holds them as plain tuples in this order (BoardVisit._make names one):
    Python's collector stops tracking a plain tuple of strings and numbers at its first pass,
    not an instance of a class; as instances, a week's 6,720 lived through the request's young
    collections into the oldest generation and brought on a full collection every few requests
    (docs/benchmarks.md, "Board")."""

    pk: int
    engineer_id: int
    start_at: float  # seconds since 1970
    end_at: float
    status: str
    number: str  # the ticket's
    customer_name: str
    url: str
    start_hm: str  # local time, HH:MM
    end_hm: str
    status_label: str


@dataclass
class BoardDay:
    day: date
    visits: list[tuple] = field(default_factory=list)  # BoardVisit's fields, in start order
    free_at: list[tuple[float, float]] = field(default_factory=list)  # seconds since 1970

    @property
    def free(self) -> list[tuple[datetime, datetime]]:
        zone = timezone.get_current_timezone()
        return [
            (datetime.fromtimestamp(start, zone), datetime.fromtimestamp(end, zone))
            for start, end in self.free_at
        ]

    @property
    def busy_minutes(self) -> int:
        return sum(int((end - start) // 60) for _pk, _who, start, end, *_rest in self.visits)

    @property
    def busy_hours(self) -> float:
        return round(self.busy_minutes / 60, 1)

    @property
    def free_hours(self) -> float:
        return round(self.free_minutes / 60, 1)

    @property
    def free_minutes(self) -> int:
        return sum(int((end - start) // 60) for start, end in self.free_at)


@dataclass
class BoardRow:
    engineer: object
    days: list[BoardDay]


def free_time(opens: float, closes: float, visits: list[tuple]) -> list[tuple[float, float]]:
    """Free time from `opens` to `closes` (seconds since 1970) between the visits (BoardVisit
    tuples) in order of their start: the working day, less what is already in the past when
    `opens` is now."""
    cursor, gaps = opens, []
    for _pk, _who, start, end, *_rest in visits:
        if start > cursor:
            gaps.append((cursor, min(start, closes)))
        cursor = max(cursor, end)
    if cursor < closes:
        gaps.append((cursor, closes))
    return [(start, end) for start, end in gaps if end > start]


class _LocalClock(dict):
    """Seconds since 1970 → (the local day, "HH:MM"), each moment converted once: a week's
    visits share a few hundred start and end times."""

    def __init__(self, zone):
        super().__init__()
        self.zone = zone

    def __missing__(self, at: float) -> tuple[date, str]:
        moment = datetime.fromtimestamp(at, self.zone)
        self[at] = local = (moment.date(), f"{moment:%H:%M}")
        return local


_TICKET_SEPARATOR = "\x1f"  # ASCII's unit separator


def board(days: list[date], engineer_qs: QuerySet | None = None) -> list[BoardRow]:
    """The dispatcher's day/week board: per engineer and day, the active visits and the free
    time between them. Two queries, whatever the number of engineers and visits."""
    people = list(engineer_qs if engineer_qs is not None else engineers())
    if not days:
        return []
    # The ticket's number and name, one lookup per visit in a subquery, not a join: joined, a
    # week's 6,700 visits were read by a plan that follows the history (at 10k a hash of every
    # ticket; at 1m two parallel workers, 30 ms, or a parallel scan of all 1,000,000 tickets,
    # 280 ms). A subquery in the select list is never turned into a join nor run in parallel:
    # the read stays the visits shown, at any size of the history.
    # One subquery for both (two would be two lookups): the number, the separator (a ticket
    # number, made by the system, never has one), the name.
    ticket = (
        Ticket.objects.filter(pk=OuterRef("ticket_id"))
        .order_by()
        .values(
            pair=Concat(
                "number", Value(_TICKET_SEPARATOR), "customer_name", output_field=CharField()
            )
        )
    )
    rows = (
        Visit.objects.filter(
            engineer__in=people,
            start__gte=day_start(days[0]),
            start__lt=day_start(days[-1] + timedelta(days=1)),
        )
        .exclude(status__in=INACTIVE_STATUSES)
        .annotate(start_at=Epoch("start"), end_at=Epoch("end"), ticket_pair=Subquery(ticket))
        .order_by("start")
        .values_list("id", "engineer_id", "start_at", "end_at", "status", "ticket_pair")
    )
    by_key: dict[tuple[int, date], list[tuple]] = {}
    url = url_format("visits:detail")
    labels = {status: str(label) for status, label in VisitStatus.choices}  # in this language
    local = _LocalClock(timezone.get_current_timezone())
    for pk, engineer_id, start_at, end_at, status, pair in rows:
        number, customer = pair.split(_TICKET_SEPARATOR, 1)
        day, start_hm = local[start_at]
        visit = (  # a BoardVisit's fields
            pk,
            engineer_id,
            start_at,
            end_at,
            status,
            number,
            customer,
            url.format(pk),
            start_hm,
            local[end_at][1],
            labels.get(status, status),
        )
        by_key.setdefault((engineer_id, day), []).append(visit)
    # Free from the working day's start, or from now (to the minute) if that is later.
    now = timezone.now().timestamp() // 60 * 60
    hours = [
        (day, max(now, at(day, WORKDAY_START).timestamp()), at(day, WORKDAY_END).timestamp())
        for day in days
    ]
    result = []
    for person in people:
        row_days = []
        for day, opens, closes in hours:
            day_visits = by_key.get((person.pk, day), [])  # in order of start
            row_days.append(BoardDay(day, day_visits, free_time(opens, closes, day_visits)))
        result.append(BoardRow(person, row_days))
    return result


# The board's list of tickets waiting for a visit: the first WAITING_SHOWN, counted up to
# WAITING_COUNTED (issue 14: no page counts the whole history).
WAITING_SHOWN = 20
WAITING_COUNTED = 500


@dataclass(slots=True)
class WaitingTicket:
    """A ticket as the board's waiting list shows it, read as a tuple with its link and labels
    prepared once (as model instances in template nodes, fifty took 60 ms to draw)."""

    number: str
    customer_name: str
    url: str
    taken: str
    kind_label: str
    phenomenon: str
    bookable: bool  # R1, R2: the three facts and the customer's name and phone are there


@dataclass
class Waiting:
    tickets: list[WaitingTicket]
    total: int  # counted up to `counted`
    counted: int = WAITING_COUNTED

    @property
    def capped(self) -> bool:
        return self.total >= self.counted

    @property
    def hidden(self) -> int:
        return self.total - len(self.tickets)


def waiting_tickets(*, shown: int = WAITING_SHOWN, counted: int = WAITING_COUNTED) -> Waiting:
    """The tickets waiting for a visit: open, i.e. taken and no visit to come or under way.
    The services keep that status: booking puts a ticket in progress, cancelling its last visit
    opens it again (booking.cancel_visit); a visit rescheduled, handed over or finished keeps it
    in progress. The oldest complaint first: its promise (R6) is the oldest. One query, however
    many there are: the first `shown`, each with the count of them all up to `counted` (an
    InitPlan PostgreSQL runs once), both on the partial index ticket_open_created; a few
    hundred index entries read at most, at any size of the history (make bench: "Board")."""
    waiting = Ticket.objects.filter(status=TicketStatus.OPEN)
    inner, params = waiting.order_by().values("pk")[:counted].query.sql_with_params()
    total = RawSQL(f"SELECT count(*) FROM ({inner}) AS waiting", params, IntegerField())  # noqa: S611 - Django's own SQL, its params kept apart
    rows = list(
        waiting.annotate(waiting_total=total)
        .order_by("created_at", "id")
        .values_list(
            "number",
            "customer_name",
            "phone",
            "kind",
            "phenomenon",
            "location_detail",
            "customer_action",
            "created_at",
            "waiting_total",
        )[:shown]
    )
    url = url_format("dispatch:ticket_detail")
    kinds = {kind: str(label) for kind, label in ComplaintKind.choices}  # in this language
    zone = timezone.get_current_timezone()
    tickets = []
    for number, name, phone, kind, what, place, action, taken, _total in rows:
        # R1, R2 as the ticket says them (booking refuses the same).
        details = Ticket(
            customer_name=name,
            phone=phone,
            phenomenon=what,
            location_detail=place,
            customer_action=action,
        )
        tickets.append(
            WaitingTicket(
                number,
                name,
                url.format(number),
                f"{taken.astimezone(zone):%m-%d %H:%M}",
                kinds.get(kind, kind),
                what if len(what) <= 40 else what[:39] + "…",
                not (details.missing_facts or details.missing_contact),
            )
        )
    return Waiting(tickets, rows[0][-1] if rows else 0, counted)


def visits_of_day(user, day: date) -> QuerySet[Visit]:
    """An engineer's "today": their visits of the day in time order (moved ones left out)."""
    return (
        _list_related(Visit.objects.filter(engineer=user))
        .filter(start__gte=day_start(day), start__lt=day_start(day + timedelta(days=1)))
        .exclude(status=S.RESCHEDULED)
        .order_by("start", "id")
    )


def upcoming_for(user, after: date, days: int = 7) -> QuerySet[Visit]:
    start = day_start(after + timedelta(days=1))
    return (
        _list_related(Visit.objects.filter(engineer=user, status__in=OPEN_STATUSES))
        .filter(start__gte=start, start__lt=start + timedelta(days=days))
        .order_by("start", "id")
    )


def replies_due(user) -> QuerySet[Visit]:
    """R15: the engineer's unresolved visits still waiting for their promised reply."""
    return _list_related(Visit.objects.filter(engineer=user, status=S.UNRESOLVED)).order_by(
        "promised_reply_at", "id"
    )


def notes_due(user) -> QuerySet[Visit]:
    """R13: no-answer visits whose note card is not on the ticket yet."""
    return _list_related(
        Visit.objects.filter(engineer=user, status=S.NO_ANSWER, note__isnull=True)
    ).order_by("no_answer_at")


def pending_requests() -> QuerySet[RescheduleRequest]:
    """R11: late reschedules waiting for a supervisor."""
    return (
        RescheduleRequest.objects.filter(state=RequestState.PENDING)
        .select_related("visit", "visit__ticket", "visit__engineer", "requested_by", "new_engineer")
        .order_by("created_at")
    )


def engineer_visit_stats(*, since: datetime, until: datetime) -> Subquery:
    """One engineer's visits starting in [since, until): how many, arrivals, punctual ones (R9),
    kit complete before arrival (R20) and no-answer visits (R13), as a JSON object (None without
    visits). The engineer is the outer query's row (OuterRef("pk")): a list of engineers carries
    its counters in its own query, each read from the (engineer, start) index."""
    arrived = Q(arrived_at__isnull=False)
    kit_first = arrived & Q(kit_completed_at__lte=F("arrived_at"))
    # Count a column of the index (not "id"): the whole record is read from the index alone.
    counters = JSONObject(
        visits=Count("start"),
        arrived=Count("start", filter=arrived),
        punctual=Count("start", filter=Q(arrival_punctual=True)),
        kit_before_arrival=Count("start", filter=kit_first),
        no_answer=Count("start", filter=Q(no_answer_at__isnull=False)),
    )
    visits = (
        Visit.objects.filter(engineer=OuterRef("pk"), start__gte=since, start__lt=until)
        .exclude(status__in=INACTIVE_STATUSES)
        .values("engineer")
        .annotate(counters=counters)
        .values("counters")
    )
    return Subquery(visits, output_field=JSONField())


def engineer_violation_stats(*, since: datetime, until: datetime) -> Subquery:
    """One engineer's broken time rules in [since, until): late arrivals (R9), late notices (R10)
    and late reschedules (R11), as a JSON object for the outer query's engineer (see above)."""
    counters = JSONObject(
        late_arrivals=Count("id", filter=Q(kind=ViolationKind.LATE_ARRIVAL)),
        late_notices=Count("id", filter=Q(kind=ViolationKind.LATE_NOTICE)),
        late_reschedules=Count("id", filter=Q(kind=ViolationKind.LATE_RESCHEDULE)),
    )
    violations = (
        Violation.objects.filter(
            engineer=OuterRef("pk"), occurred_at__gte=since, occurred_at__lt=until
        )
        .values("engineer")
        .annotate(counters=counters)
        .values("counters")
    )
    return Subquery(violations, output_field=JSONField())


def complaints_awaiting_follow_up() -> QuerySet[Visit]:
    """R17: complaints on site whose follow-up the supervisor has not recorded yet, oldest
    first; they stay on the supervisor's dashboard until it is."""
    return (
        Visit.objects.filter(complaint_on_site=True, complaint_followed_up_at__isnull=True)
        .select_related("ticket", "engineer")
        .order_by("arrived_at", "id")
    )
