"""Read queries of the pre-visit check, scoped by user, with their prefetching
(docs/design.md#reads)."""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from dispatch.periods import Period
from dispatch.rules import self_check_window
from visits.models import INACTIVE_STATUSES, Visit
from visits.selectors import visits_for

from .models import ChecklistItem, ChecklistItemChange, ItemGroup, KitRun, KitRunItem

User = get_user_model()

GROUP_ORDER = [ItemGroup.KIT, ItemGroup.SELF_CHECK, ItemGroup.DECLARATION]
_GROUP_RANK = Case(
    *(When(group=group, then=Value(rank)) for rank, group in enumerate(GROUP_ORDER)),
    default=Value(len(GROUP_ORDER)),
    output_field=IntegerField(),
)


def items_in_use() -> QuerySet[ChecklistItem]:
    """The items a newly opened kit asks, in the order the engineer sees them."""
    return (
        ChecklistItem.objects.filter(active=True)
        .annotate(group_rank=_GROUP_RANK)
        .order_by("group_rank", "position", "id")
    )


def items_for_editing() -> QuerySet[ChecklistItem]:
    """The supervisor's list: items in use by group and position, then the retired ones."""
    return (
        ChecklistItem.objects.annotate(group_rank=_GROUP_RANK)
        .select_related("updated_by")
        .order_by("-active", "group_rank", "position", "id")
    )


def recent_item_changes(limit: int = 20) -> QuerySet[ChecklistItemChange]:
    return ChecklistItemChange.objects.select_related("item", "actor")[:limit]


def kit_visits_for(user) -> QuerySet[Visit]:
    """An engineer sees the kits of their own visits; desk staff see every kit (read only)."""
    return visits_for(user)


def kit_visit(user, pk) -> Visit:
    """One visit with its run and the run's items: the kit page and API (raises DoesNotExist)."""
    return (
        kit_visits_for(user)
        .select_related("ticket", "engineer", "kit_run")
        .prefetch_related(
            Prefetch("kit_run__items", queryset=KitRunItem.objects.order_by("position", "id"))
        )
        .get(pk=pk)
    )


def _run_of(visit: Visit) -> KitRun | None:
    try:
        return visit.kit_run
    except KitRun.DoesNotExist:
        return None


def missing_labels(run: KitRun) -> list[str]:
    """R20: the zh-Hans labels of the required items still unticked, in list order."""
    return list(
        run.items.filter(required=True, ticked_at__isnull=True)
        .order_by("position", "id")
        .values_list("label_zh", flat=True)
    )


def self_checked_at(run: KitRun):
    """R19: when the self-check was done: the oldest tick of the required self-check items
    (None when the kit asks none, or one is still unticked)."""
    rows = list(
        run.items.filter(group=ItemGroup.SELF_CHECK, required=True).values_list(
            "ticked_at", flat=True
        )
    )
    if not rows or None in rows:
        return None
    return min(rows)


def kit_missing(visit: Visit) -> list[str]:
    """What the gate names: the run's unticked required items, or, when the engineer has not
    opened the kit yet, every required item in use."""
    run = _run_of(visit)
    if run is not None:
        return missing_labels(run)
    return list(items_in_use().filter(required=True).values_list("label_zh", flat=True))


@dataclass
class KitGroup:
    group: str
    label: str
    items: list[KitRunItem]


@dataclass
class KitState:
    """The kit of one visit as a page or the API shows it."""

    visit: Visit
    run: KitRun | None
    items: list[KitRunItem] = field(default_factory=list)
    editable: bool = False  # the viewer is the visit's engineer and may still tick

    @property
    def required(self) -> list[KitRunItem]:
        return [item for item in self.items if item.required]

    @property
    def done(self) -> int:
        return sum(1 for item in self.required if item.ticked)

    @property
    def total(self) -> int:
        return len(self.required)

    @property
    def missing(self) -> list[str]:
        return [
            item.label for item in self.required if not item.ticked or getattr(item, "stale", False)
        ]

    @property
    def complete(self) -> bool:
        # R19: a self-check done too long before arrival must be done again.
        stale = any(getattr(item, "stale", False) for item in self.items)
        return self.visit.kit_completed_at is not None and not stale

    @property
    def groups(self) -> list[KitGroup]:
        labels = dict(ItemGroup.choices)
        grouped: dict[str, list[KitRunItem]] = {}
        for item in self.items:
            grouped.setdefault(item.group, []).append(item)
        order = [g for g in GROUP_ORDER if g in grouped] + [
            g for g in grouped if g not in GROUP_ORDER
        ]
        return [KitGroup(group=g, label=str(labels.get(g, g)), items=grouped[g]) for g in order]


def kit_state(visit: Visit, *, editable: bool = False) -> KitState:
    """Uses the items prefetched by `kit_visit`: no query per item."""
    run = _run_of(visit)
    items = list(run.items.all()) if run is not None else []
    # R19: before arrival, a self-check ticked longer ago than the window no longer counts: the
    # page shows it to be done again.
    now, window = timezone.now(), self_check_window()
    for item in items:
        item.stale = (
            visit.arrived_at is None
            and item.group == ItemGroup.SELF_CHECK
            and item.ticked_at is not None
            and now - item.ticked_at > window
        )
    return KitState(visit=visit, run=run, items=items, editable=editable)


def upcoming_kits(user) -> QuerySet[Visit]:
    """The engineer's visits still ahead (today on), with their kit progress in one query."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        Visit.objects.filter(engineer=user, start__gte=today, arrived_at__isnull=True)
        .exclude(status__in=INACTIVE_STATUSES)
        .select_related("ticket", "kit_run")
        .annotate(
            kit_total=Count("kit_run__items", filter=Q(kit_run__items__required=True)),
            kit_done=Count(
                "kit_run__items",
                filter=Q(kit_run__items__required=True, kit_run__items__ticked_at__isnull=False),
            ),
        )
        .order_by("start", "id")
    )


# Supervisor report: completion before arrival per engineer and period, most missing items.


def _due_visits(period: Period) -> QuerySet[Visit]:
    """Visits of the period whose appointment has come: the ones a kit was needed for."""
    since, until = period.bounds
    until = min(until, timezone.now())  # visits still to come needed no kit yet
    return Visit.objects.filter(start__gte=since, start__lt=until).exclude(
        status__in=INACTIVE_STATUSES
    )


_KIT_BEFORE_ARRIVAL = Q(arrived_at__isnull=False, kit_completed_at__lte=F("arrived_at"))


@dataclass
class EngineerKitRow:
    engineer: object
    visits: int
    arrived: int
    kit_before_arrival: int

    @property
    def kit_late(self) -> int:
        return self.arrived - self.kit_before_arrival

    @property
    def rate(self) -> float | None:
        return self.kit_before_arrival / self.arrived if self.arrived else None


def kit_completion_by_engineer(period: Period) -> list[EngineerKitRow]:
    """Per engineer: of the visits they arrived at, how many had the kit complete before
    arrival (R20). Two queries, whatever the number of engineers and visits."""
    rows = (
        _due_visits(period)
        .values("engineer")
        .annotate(
            visits=Count("id"),
            arrived=Count("id", filter=Q(arrived_at__isnull=False)),
            kit_before_arrival=Count("id", filter=_KIT_BEFORE_ARRIVAL),
        )
        .order_by()
    )
    rows = list(rows)
    engineers = User.objects.in_bulk([row["engineer"] for row in rows])
    result = [
        EngineerKitRow(
            engineer=engineers[row["engineer"]],
            visits=row["visits"],
            arrived=row["arrived"],
            kit_before_arrival=row["kit_before_arrival"],
        )
        for row in rows
    ]
    return sorted(result, key=lambda r: (r.rate if r.rate is not None else 2, r.engineer.username))


@dataclass
class WeekRow:
    engineer: object
    cells: list[tuple[int, int]]  # (kit before arrival, arrived) per week


def kit_completion_by_week(period: Period) -> tuple[list[date], list[WeekRow]]:
    """The same rate, week by week (weeks start on Monday), for the trend."""
    rows = list(
        _due_visits(period)
        .annotate(week=TruncWeek("start"))
        .values("engineer", "week")
        .annotate(
            arrived=Count("id", filter=Q(arrived_at__isnull=False)),
            kit_before_arrival=Count("id", filter=_KIT_BEFORE_ARRIVAL),
        )
        .order_by()
    )
    engineers = User.objects.in_bulk({row["engineer"] for row in rows})
    table: dict[int, dict[date, tuple[int, int]]] = {}
    for row in rows:
        week = timezone.localdate(row["week"])
        table.setdefault(row["engineer"], {})[week] = (row["kit_before_arrival"], row["arrived"])
    weeks = sorted({week for cells in table.values() for week in cells})
    result = [
        WeekRow(engineer=engineers[pk], cells=[cells.get(week, (0, 0)) for week in weeks])
        for pk, cells in table.items()
    ]
    result.sort(key=lambda r: r.engineer.username)
    return weeks, result


@dataclass
class MissingItemRow:
    item: ChecklistItem
    missing: int
    runs: int

    @property
    def share(self) -> float:
        return self.missing / self.runs if self.runs else 0.0


def most_missing_items(period: Period, limit: int = 10) -> tuple[list[MissingItemRow], int]:
    """Items not ticked by the time they were needed: at arrival, or at the appointment time
    when the engineer never arrived. Also returns the number of due visits whose kit was never
    opened. Four queries, whatever the number of visits."""
    visits = _due_visits(period)
    needed_by = Coalesce("run__visit__arrived_at", "run__visit__start")
    runs = KitRun.objects.filter(visit__in=visits).count()
    counts = list(
        KitRunItem.objects.filter(run__visit__in=visits, required=True)
        .filter(Q(ticked_at__isnull=True) | Q(ticked_at__gt=needed_by))
        .values("item")
        .annotate(missing=Count("id"))
        .order_by("-missing", "item")[:limit]
    )
    items = ChecklistItem.objects.in_bulk([row["item"] for row in counts])
    rows = [
        MissingItemRow(item=items[row["item"]], missing=row["missing"], runs=runs) for row in counts
    ]
    never_opened = visits.filter(kit_run__isnull=True).count()
    return rows, never_opened
