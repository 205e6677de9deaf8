"""Reads of the dashboard. Each function runs one query whatever the data size, served by
indexes: open deadlines by due time (deadline_open_due), missed ones per kind
(deadline_overdue_unkept), visits per engineer and start (visit_engineer_start), deadlines per
person, kind and due time (deadline_resp_kind_due). The whole page is eight queries with the
session, the user and the navigation's badge (make bench)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import JSONObject, TruncWeek
from django.utils import timezone

from dispatch.dates import local_moment
from dispatch.models import (
    CustomerContact,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    EventKind,
    Team,
)
from dispatch.periods import Period
from dispatch.roles import Role
from surveys import selectors as survey_selectors
from visits import selectors as visit_selectors
from visits.models import INACTIVE_STATUSES, Visit

User = get_user_model()

# JOURNEYS, supervisor 1: overdue replies first, then acknowledgements, missing notes, arrivals.
OVERDUE_SECTIONS = [
    DeadlineKind.REPLY,  # R15
    DeadlineKind.ACKNOWLEDGE,  # R6
    DeadlineKind.VISIT_NOTE,  # R13
    DeadlineKind.ARRIVAL,  # R9
    DeadlineKind.RECONFIRM,  # R8
]
# Rows per section: the oldest, the ones to act on first; the ticket list shows every overdue one.
SECTION_LIMIT = 20


SOON = "soon"  # the group of the deadlines due within the hour, beside the overdue kinds


@dataclass
class Watchlist:
    sections: list[tuple[str, list[Deadline]]]  # one per overdue kind, in OVERDUE_SECTIONS order
    soon: list[Deadline]


def watchlist(*, kind=None, engineer=None, team=None, within=timedelta(hours=1)) -> Watchlist:
    """Missed promises not yet kept, the oldest SECTION_LIMIT of each kind, and the open
    deadlines falling due within the hour, in one query. Each group is its own LIMITed scan in
    due order (the partial indexes deadline_overdue_unkept per kind, deadline_open_due), the
    groups a UNION ALL: the work is a few hundred index entries however many promises were
    missed over the years (docs/benchmarks.md, "Dashboard")."""
    kinds = [kind] if kind else OVERDUE_SECTIONS
    scope = Deadline.objects.all()
    if engineer is not None:
        scope = scope.filter(Q(responsible=engineer) | Q(visit__engineer=engineer))
    if team is not None:
        scope = scope.filter(responsible__teams=team)

    def first(condition):
        return scope.filter(condition).order_by("due_at", "id").values("pk")[:SECTION_LIMIT]

    groups = [first(Q(state=DeadlineState.OVERDUE, met_at__isnull=True, kind=k)) for k in kinds]
    soon = Q(state=DeadlineState.OPEN, due_at__lte=timezone.now() + within)
    groups.append(first(soon & Q(kind=kind) if kind else soon))
    group = Case(When(state=DeadlineState.OPEN, then=Value(SOON)), default=F("kind"))
    last_contact = CustomerContact.objects.filter(ticket=OuterRef("ticket_id")).order_by(
        "-created_at"
    )
    rows = (
        Deadline.objects.filter(pk__in=groups[0].union(*groups[1:], all=True))
        .select_related("ticket", "responsible")
        .annotate(group=group, last_contact_at=Subquery(last_contact.values("created_at")[:1]))
        .order_by("due_at", "id")
    )
    grouped: dict[str, list[Deadline]] = defaultdict(list)
    for row in rows:
        grouped[row.group].append(row)
    return Watchlist([(k, grouped[k]) for k in kinds], grouped[SOON])


@dataclass
class EngineerRecord:
    """One engineer's rule record over a period."""

    engineer: object
    teams: list[str] = field(default_factory=list)
    visits: int = 0
    arrived: int = 0
    punctual: int = 0  # R9
    kit_before_arrival: int = 0  # R20
    late_notices: int = 0  # R10: notices given less than 15 min ahead
    late_reschedules: int = 0  # R11: reschedules with less than 2 h notice
    no_answer: int = 0  # R13
    notes_due: int = 0
    notes_on_time: int = 0  # R13
    replies_due: int = 0
    replies_on_time: int = 0  # R15
    surveys: int = 0  # R22
    satisfaction: float | None = None  # R25: importance-weighted, 1–5

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def punctuality(self):
        return self._rate(self.punctual, self.arrived)

    @property
    def kit_rate(self):
        return self._rate(self.kit_before_arrival, self.arrived)

    @property
    def notes_rate(self):
        return self._rate(self.notes_on_time, self.notes_due)

    @property
    def replies_rate(self):
        return self._rate(self.replies_on_time, self.replies_due)


# Counters summed per team; satisfaction is averaged over the team's surveys instead.
SUMMED = (
    "visits", "arrived", "punctual", "kit_before_arrival", "late_notices", "late_reschedules",
    "no_answer", "notes_due", "notes_on_time", "replies_due", "replies_on_time", "surveys",
)  # fmt: skip


def teams() -> list[Team]:
    """Every team by name, each with `member_ids`, in one query (a row per membership)."""
    found: dict[int, Team] = {}
    for row in Team.objects.annotate(member_id=F("members")).order_by("name", "pk"):
        if row.pk not in found:
            found[row.pk] = row
            row.member_ids = set()
        if row.member_id is not None:
            found[row.pk].member_ids.add(row.member_id)
    return list(found.values())


def engineer_records(period: Period, teams: list[Team]) -> list[EngineerRecord]:
    """Every active engineer's rule record over the period, in two queries: the engineers, each
    with counters from each app's selectors (visits and kit, violations, surveys) and from the
    deadlines (notes and replies kept); then satisfaction per engineer (R25)."""
    since, until = period.bounds
    # Counting due_at, not id, lets PostgreSQL read the counters from deadline_resp_kind_due.
    met = Q(state=DeadlineState.MET)
    deadlines = (
        Deadline.objects.filter(
            responsible=OuterRef("pk"),
            kind__in=[DeadlineKind.REPLY, DeadlineKind.VISIT_NOTE],
            due_at__gte=since,
            due_at__lt=until,
        )
        .exclude(state=DeadlineState.CANCELLED)
        .values("responsible")
        .annotate(
            counters=JSONObject(
                notes_due=Count("due_at", filter=Q(kind=DeadlineKind.VISIT_NOTE)),
                notes_on_time=Count("due_at", filter=Q(kind=DeadlineKind.VISIT_NOTE) & met),
                replies_due=Count("due_at", filter=Q(kind=DeadlineKind.REPLY)),
                replies_on_time=Count("due_at", filter=Q(kind=DeadlineKind.REPLY) & met),
            )
        )
        .values("counters")
    )
    people = (
        User.objects.filter(groups__name=Role.ENGINEER, is_active=True)
        .annotate(
            visit_stats=visit_selectors.engineer_visit_stats(since=since, until=until),
            violation_stats=visit_selectors.engineer_violation_stats(since=since, until=until),
            deadline_stats=Subquery(deadlines, output_field=JSONField()),
            survey_count=survey_selectors.engineer_survey_count(period),
        )
        .order_by("username")
    )
    satisfaction = survey_selectors.satisfaction_by_engineer(period)
    records = []
    for person in people:
        record = EngineerRecord(
            person,
            [team.name for team in teams if person.pk in team.member_ids],
            surveys=person.survey_count,
            satisfaction=_round(satisfaction.get(person.pk)),
        )
        counters = {
            **(person.visit_stats or {}),
            **(person.violation_stats or {}),
            **(person.deadline_stats or {}),
        }
        for name, value in counters.items():
            if hasattr(record, name):  # late arrivals show as punctuality instead
                setattr(record, name, value)
        records.append(record)
    return records


def in_scope(records: list[EngineerRecord], *, engineer=None, team=None) -> list[EngineerRecord]:
    """The records the filters ask for: one engineer's, or a team's members'."""
    if engineer is not None:
        records = [r for r in records if r.engineer.pk == engineer.pk]
    if team is not None:
        records = [r for r in records if r.engineer.pk in team.member_ids]
    return records


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def team_records(records: list[EngineerRecord]) -> list[EngineerRecord]:
    """The same record summed per team (an engineer in two teams counts in both)."""
    teams: dict[str, EngineerRecord] = {}
    weighted: dict[str, float] = defaultdict(float)
    for record in records:
        for name in record.teams or ["—"]:
            team = teams.setdefault(name, EngineerRecord(name))
            for counter in SUMMED:
                setattr(team, counter, getattr(team, counter) + getattr(record, counter))
            if record.satisfaction is not None:
                weighted[name] += record.satisfaction * record.surveys
    for name, team in teams.items():
        if team.surveys:
            team.satisfaction = round(weighted[name] / team.surveys, 2)
    return [teams[name] for name in sorted(teams)]


def _weeks(period: Period) -> list:
    """The local Mondays (as moments) of the weeks the period touches, the first on or before
    its first day."""
    first = period.start - timedelta(days=period.start.weekday())
    count = (period.end - first).days // 7 + 1
    return [local_moment(first + timedelta(weeks=i)) for i in range(count)]


def _week_of_start(mondays: list):
    """Each visit's week, by its start. PostgreSQL: `width_bucket` of the start among the
    period's Mondays (a binary search of plain comparisons), mapped back to the Monday after
    the query: converting each of the ~25,000 starts of four weeks into local time to
    truncate it (TruncWeek) was most of the query's time (make bench, docs/benchmarks.md).
    Elsewhere (SQLite, `make run`): TruncWeek."""
    if connection.vendor != "postgresql":
        return TruncWeek("start"), None
    bucket = Func(
        F("start"),
        Value(mondays, output_field=ArrayField(DateTimeField())),
        function="width_bucket",
        output_field=IntegerField(),
    )
    return bucket, lambda index: mondays[index - 1]


def weekly_trend(period: Period, *, engineer=None, team=None) -> list[dict]:
    """Punctuality and kit-before-arrival by week (1 query)."""
    qs = Visit.objects.filter(
        start__gte=period.bounds[0], start__lt=period.bounds[1], arrived_at__isnull=False
    ).exclude(status__in=INACTIVE_STATUSES)
    if engineer is not None:
        qs = qs.filter(engineer=engineer)
    if team is not None:
        qs = qs.filter(engineer__teams=team)
    week, monday = _week_of_start(_weeks(period))
    rows = (
        qs.annotate(week=week)
        .values("week")
        .annotate(
            arrived=Count("start"),
            punctual=Count("start", filter=Q(arrival_punctual=True)),
            kit=Count("start", filter=Q(kit_completed_at__lte=F("arrived_at"))),
        )
        .order_by("week")
    )
    if monday is not None:
        rows = [{**row, "week": monday(row["week"])} for row in rows]
    return [
        {
            "week": row["week"],
            "arrived": row["arrived"],
            "punctuality": round(100 * row["punctual"] / row["arrived"], 1),
            "kit_rate": round(100 * row["kit"] / row["arrived"], 1),
        }
        for row in rows
    ]


# Issue 17: what customers did on their appointment links today (confirmed, moved, asked for a
# call back): the counts and the latest few, one query.
CUSTOMER_KINDS = [
    EventKind.VISIT_CUSTOMER_CONFIRMED,
    EventKind.VISIT_CUSTOMER_MOVED,
    EventKind.VISIT_CUSTOMER_CALLBACK,
]


@dataclass
class CustomersToday:
    counts: dict[str, int]
    latest: list  # Events, newest first, with their tickets

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rows(self):
        return [(EventKind(kind).label, kind, self.counts.get(kind, 0)) for kind in CUSTOMER_KINDS]


def customers_today(now=None, limit: int = 10) -> CustomersToday:
    """Two queries whatever the day brought: the counts per kind, and the latest few with
    their tickets (events by creation time: the index on created_at)."""
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = Event.objects.filter(kind__in=CUSTOMER_KINDS, created_at__gte=start)
    counts = today.aggregate(
        **{kind.name: Count("id", filter=Q(kind=kind)) for kind in CUSTOMER_KINDS}
    )
    latest = list(today.select_related("ticket").order_by("-created_at", "-id")[:limit])
    return CustomersToday(
        counts={kind: counts[kind.name] for kind in CUSTOMER_KINDS}, latest=latest
    )
