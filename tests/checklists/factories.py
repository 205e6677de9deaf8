"""Visits for the kit tests. The visits app's booking service is built in parallel, so the rows
are written directly; arrival is set on the row as the visits app would set it."""

from datetime import timedelta

from django.utils import timezone

from checklists import services
from checklists.models import KitRun
from visits.models import Visit, VisitStatus


def make_visit(ticket, engineer, *, start=None, status=VisitStatus.CONFIRMED, **fields) -> Visit:
    start = start or timezone.now() + timedelta(hours=2)
    return Visit.objects.create(
        ticket=ticket,
        engineer=engineer,
        start=start,
        end=start + timedelta(hours=1),
        booked_by=ticket.owner,
        status=status,
        **fields,
    )


def tick_all(visit: Visit, *, except_codes: tuple[str, ...] = ()) -> KitRun:
    """The engineer ticks every item of the visit's kit but `except_codes`."""
    run = services.open_kit(actor=visit.engineer, visit=visit)
    for row in run.items.select_related("item"):
        if row.item.code not in except_codes:
            services.tick_item(actor=visit.engineer, visit=visit, item=row.pk)
    visit.refresh_from_db()
    return run


def run_item(visit: Visit, code: str):
    return visit.kit_run.items.get(item__code=code)


def ensure_seeded_items() -> None:
    """Transactional tests (threads, browser) flush tables, data migrations included: put the
    seeded items back as migration 0002 writes them."""
    from importlib import import_module

    from django.apps import apps

    from checklists.models import ChecklistItem

    if not ChecklistItem.objects.exists():
        import_module("checklists.migrations.0002_seed_items").seed_items(apps, None)
