"""Reads of the dashboard. Each function runs a fixed number of queries whatever the data size,
served by indexes: open deadlines by due time (deadline_open_due), missed ones per kind
(deadline_overdue_unkept), visits per engineer and start (visit_engineer_start)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncWeek
from django.utils import timezone

from surveys import selectors as survey_selectors
from visits import selectors as visit_selectors
from visits.models import INACTIVE_STATUSES, ViolationKind, Visit

from ..models import CustomerContact, Deadline, DeadlineKind, DeadlineState
from ..periods import Period
from ..roles import Role

User = get_user_model()

# JOURNEYS, supervisor 1: overdue replies first, then acknowledgements, missing notes, arrivals.
OVERDUE_SECTIONS = [
    DeadlineKind.REPLY,  # R15
    DeadlineKind.ACKNOWLEDGE,  # R6
    DeadlineKind.VISIT_NOTE,  # R13
    DeadlineKind.ARRIVAL,  # R9
    DeadlineKind.RECONFIRM,  # R8
]
SECTION_LIMIT = 50


def _rows(qs: QuerySet[Deadline], *, engineer=None, team=None) -> QuerySet[Deadline]:
    if engineer is not None:
        qs = qs.filter(Q(responsible=engineer) | Q(visit__engineer=engineer))
    if team is not None:
        qs = qs.filter(responsible__teams=team)
    last_contact = CustomerContact.objects.filter(ticket=OuterRef("ticket_id")).order_by(
        "-created_at"
    )
    return qs.select_related("ticket", "responsible", "visit").annotate(
        last_contact_at=Subquery(last_contact.values("created_at")[:1])
    )


def overdue_sections(*, kind=None, engineer=None, team=None) -> list[tuple[str, list[Deadline]]]:
    """Missed promises not yet kept, one bounded list per kind, oldest first."""
    kinds = [kind] if kind else OVERDUE_SECTIONS
    sections = []
    for section_kind in kinds:
        qs = Deadline.objects.filter(
            state=DeadlineState.OVERDUE, met_at__isnull=True, kind=section_kind
        )
        rows = list(
            _rows(qs, engineer=engineer, team=team).order_by("due_at", "id")[:SECTION_LIMIT]
        )
        sections.append((section_kind, rows))
    return sections


def due_soon(*, within=timedelta(hours=1), kind=None, engineer=None, team=None) -> list[Deadline]:
    """Open deadlines that fall due within the hour (partial index on open deadlines)."""
    qs = Deadline.objects.filter(state=DeadlineState.OPEN, due_at__lte=timezone.now() + within)
    if kind:
        qs = qs.filter(kind=kind)
    return list(_rows(qs, engineer=engineer, team=team).order_by("due_at", "id")[:SECTION_LIMIT])


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


def engineers(*, engineer=None, team=None) -> QuerySet:
    qs = User.objects.filter(groups__name=Role.ENGINEER, is_active=True)
    if engineer is not None:
        qs = qs.filter(pk=engineer.pk)
    if team is not None:
        qs = qs.filter(teams=team)
    return qs.prefetch_related("teams").order_by("username").distinct()


def engineer_records(period: Period, *, engineer=None, team=None) -> list[EngineerRecord]:
    """Per engineer, from each app's selectors: visits and kit (visits), violations (visits),
    notes and replies kept (deadlines), satisfaction (surveys). A fixed number of queries."""
    since, until = period.bounds
    people = list(engineers(engineer=engineer, team=team))
    records = {
        person.pk: EngineerRecord(person, [t.name for t in person.teams.all()]) for person in people
    }
    for pk, row in visit_selectors.engineer_visit_stats(since=since, until=until).items():
        if pk in records:
            for name, value in row.items():
                setattr(records[pk], name, value)
    for pk, kinds in visit_selectors.violation_counts(since=since, until=until).items():
        if pk in records:
            records[pk].late_notices = kinds.get(ViolationKind.LATE_NOTICE, 0)
            records[pk].late_reschedules = kinds.get(ViolationKind.LATE_RESCHEDULE, 0)
    deadlines = (
        Deadline.objects.filter(
            responsible__in=records,
            kind__in=[DeadlineKind.REPLY, DeadlineKind.VISIT_NOTE],
            due_at__gte=since,
            due_at__lt=until,
        )
        .exclude(state=DeadlineState.CANCELLED)
        .values("responsible", "kind")
        .annotate(due=Count("id"), kept=Count("id", filter=Q(state=DeadlineState.MET)))
    )
    for row in deadlines:
        record = records[row["responsible"]]
        if row["kind"] == DeadlineKind.REPLY:
            record.replies_due, record.replies_on_time = row["due"], row["kept"]
        else:
            record.notes_due, record.notes_on_time = row["due"], row["kept"]
    _questions, survey_rows = survey_selectors.engineer_results(period)
    for row in survey_rows:
        if row.engineer.pk in records:
            records[row.engineer.pk].surveys = row.surveys
            records[row.engineer.pk].satisfaction = (
                round(row.index, 2) if row.index is not None else None
            )
    return list(records.values())


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


def weekly_trend(period: Period, *, engineer=None, team=None) -> list[dict]:
    """Punctuality and kit-before-arrival by week (1 query)."""
    qs = Visit.objects.filter(
        start__gte=period.bounds[0], start__lt=period.bounds[1], arrived_at__isnull=False
    ).exclude(status__in=INACTIVE_STATUSES)
    if engineer is not None:
        qs = qs.filter(engineer=engineer)
    if team is not None:
        qs = qs.filter(engineer__teams=team)
    rows = (
        qs.annotate(week=TruncWeek("start"))
        .values("week")
        .annotate(
            arrived=Count("id"),
            punctual=Count("id", filter=Q(arrival_punctual=True)),
            kit=Count("id", filter=Q(kit_completed_at__lte=F("arrived_at"))),
        )
        .order_by("week")
    )
    return [
        {
            "week": row["week"],
            "arrived": row["arrived"],
            "punctuality": round(100 * row["punctual"] / row["arrived"], 1),
            "kit_rate": round(100 * row["kit"] / row["arrived"], 1),
        }
        for row in rows
    ]
