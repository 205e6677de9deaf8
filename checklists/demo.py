"""Demo data for the kit checks: three weeks of runs behind the visits, most complete before
arrival, some finished on the doorstep or never opened, and today's kits still being ticked.

Kits still ahead go through the services, as the engineer's phone would. Past kits are written
with their past timestamps directly (a demo loader's privilege, as dispatch.demo moves tickets
into the past): the services stamp "now" and refuse a kit once the visit has started.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from visits.models import INACTIVE_STATUSES, Visit, VisitStatus

from . import selectors, services
from .models import ChecklistItem, ChecklistItemChange, ItemGroup, KitRun, KitRunItem
from .services import ITEM_FIELDS

# Items engineers forget most, and how often (weights), for believable reports.
OFTEN_FORGOTTEN = [
    ("shoe_covers", 5),
    ("mat_cloth", 4),
    ("commitment_card", 3),
    ("water_bottle", 2),
    ("self_check", 1),
]


def seed(demo) -> None:
    visits = list(
        Visit.objects.filter(ticket__in=demo.tickets)
        .exclude(status__in=INACTIVE_STATUSES)
        .select_related("ticket", "engineer")
        .order_by("start")
    )
    if not visits:
        visits = _book_visits(demo)
    now = timezone.now()
    past = [v for v in visits if v.arrived_at is not None or v.start <= now]
    ahead = [v for v in visits if v not in past]
    # The supervisor added an optional power bank ten days ago: older kits never asked it.
    cut = now - timedelta(days=10)
    for n, visit in enumerate(past):
        if visit.start >= cut:
            break
        _past_kit(demo, visit, n)
    _add_power_bank(demo, at=cut)
    for n, visit in enumerate(past):
        if visit.start >= cut:
            _past_kit(demo, visit, n)
    _kits_ahead(demo, ahead)


def _book_visits(demo) -> list[Visit]:
    """Without the visits app's demo, book one visit per ticket so every page has history.

    One engineer a slot: slots are 2 h apart from 09:00, so no two visits overlap (R7)."""
    engineers = [demo.staff[name] for name in ("engineer1", "engineer2", "engineer3")]
    dispatcher = demo.staff["dispatcher"]
    now = timezone.now()
    tz = timezone.get_current_timezone()
    taken: set[tuple[int, datetime]] = set()
    visits = []
    for i, ticket in enumerate(demo.tickets):
        engineer = engineers[i % len(engineers)]
        day = timezone.localdate(ticket.created_at) + timedelta(days=1)
        slot = 0
        while True:
            start = datetime.combine(day, time(9), tzinfo=tz) + timedelta(hours=2 * (slot % 5))
            start += timedelta(days=slot // 5)
            if (engineer.pk, start) not in taken:
                break
            slot += 1
        ahead = len(demo.tickets) - i
        if ahead <= 4:
            # The newest tickets are visited in the next hours, two of them by engineer1.
            engineer = engineers[0] if ahead % 2 else engineers[1 + ahead % 4 // 2]
            soon = (now + timedelta(hours=1 + 2 * (ahead // 2))).replace(second=0, microsecond=0)
            start = soon.replace(minute=30 if soon.minute >= 30 else 0)
        taken.add((engineer.pk, start))
        visit = Visit(
            ticket=ticket,
            engineer=engineer,
            start=start,
            end=start + timedelta(hours=1),
            booked_by=dispatcher,
            status=VisitStatus.CONFIRMED,
        )
        if start < now:
            # R9: most arrive five minutes early or more; a few are late.
            early = demo.rng.choice([25, 15, 12, 10, 8, 6, 5, -4, -10])
            visit.arrived_at = start - timedelta(minutes=early)
            visit.arrival_punctual = early >= 5
            visit.status = VisitStatus.RESOLVED
        visit.save()
        visits.append(visit)
    return visits


def _weighted(rng, count: int) -> list[str]:
    codes = [code for code, weight in OFTEN_FORGOTTEN for _ in range(weight)]
    chosen: list[str] = []
    while len(chosen) < count:
        code = rng.choice(codes)
        if code not in chosen:
            chosen.append(code)
    return chosen


def _past_kit(demo, visit: Visit, n: int) -> None:
    """A finished visit's kit: done before arrival (most), finished late, or never opened."""
    if hasattr(visit, "kit_run") or KitRun.objects.filter(visit=visit).exists():
        return
    rng = demo.rng
    needed_by = visit.arrived_at or visit.start
    stamped = visit.kit_completed_at  # the visits app's demo may have stamped it already
    if stamped is None and n % 13 == 6:
        Visit.objects.filter(pk=visit.pk).update(
            kit_missing=list(
                selectors.items_in_use().filter(required=True).values_list("label_zh", flat=True)
            )
        )
        return  # never opened
    late = [] if stamped is not None or n % 4 != 1 else _weighted(rng, rng.choice([1, 1, 2]))
    items = list(selectors.items_in_use())
    finish = stamped or needed_by - timedelta(minutes=rng.randint(8, 40))
    first = finish - timedelta(minutes=rng.randint(3, 30))
    run = KitRun.objects.create(visit=visit)
    rows = []
    for position, item in enumerate(items, start=1):
        at = first + (finish - first) * position / len(items)
        if item.code in late:
            # Ticked at the door, or not at all.
            at = needed_by + timedelta(minutes=rng.randint(1, 12)) if rng.random() < 0.7 else None
        if not item.required and rng.random() < 0.5:
            at = None
        rows.append(
            KitRunItem(
                run=run,
                item=item,
                position=position,
                ticked_at=at,
                used_substitute=bool(at and item.substitute_zh and rng.random() < 0.35),
                **{field: getattr(item, field) for field in ITEM_FIELDS},
            )
        )
    KitRunItem.objects.bulk_create(rows)
    missing = [row.label_zh for row in rows if row.required and row.ticked_at is None]
    completed = None if missing else max(r.ticked_at for r in rows if r.ticked_at)
    KitRun.objects.filter(pk=run.pk).update(completed_at=completed, created_at=first)
    if stamped is None:
        Visit.objects.filter(pk=visit.pk).update(kit_completed_at=completed, kit_missing=missing)


def _add_power_bank(demo, *, at) -> None:
    supervisor = demo.staff["supervisor"]
    if ChecklistItem.objects.filter(label_zh="一个充电宝").exists():
        return
    item = services.create_item(
        actor=supervisor,
        group=ItemGroup.KIT,
        label_zh="一个充电宝",
        label_en="A power bank",
        required=False,
    )
    ChecklistItemChange.objects.filter(item=item).update(created_at=at)


def _kits_ahead(demo, visits: list[Visit]) -> None:
    """Today's and tomorrow's kits: one half ticked on engineer1's phone, one complete, the rest
    not opened yet, so the engineer's pages show every state."""
    for n, visit in enumerate(visits):
        if not services.kit_is_editable(visit):
            continue
        engineer = visit.engineer
        if n % 3 == 2:
            continue  # not opened yet
        run = services.open_kit(actor=engineer, visit=visit)
        rows = list(run.items.filter(required=True))
        upto = len(rows) if n % 3 == 1 else len(rows) // 2
        for row in rows[:upto]:
            services.tick_item(
                actor=engineer,
                visit=visit,
                item=row.pk,
                substitute=bool(row.substitute_zh and n % 2),
            )
