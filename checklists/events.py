"""The kit's events, one helper per kind (docs/design.md#events); the kinds and their labels are
listed once, in dispatch.models.EventKind. The kit's completion is the visit's own event
(visits.events.visit_kit_complete_event), written when the visit's stamp changes."""

from dispatch.events import record_visit_event
from dispatch.models import Event, EventKind

from .models import KitRunItem


def _item_event(visit, actor, kind: EventKind, row: KitRunItem, before: dict) -> Event:
    message = row.label_zh
    if row.used_substitute:
        message = f"{row.label_zh}（{row.substitute_zh}）"
    return record_visit_event(
        visit,
        actor,
        kind,
        message,
        before=before,
        item=row.item_id,
        ticked=row.ticked,
        substitute=row.used_substitute,
    )


def kit_ticked_event(*, visit, actor, row: KitRunItem, before: dict) -> Event:
    """R18, R19: an item ticked, with the substitute used, if any."""
    return _item_event(visit, actor, EventKind.KIT_TICKED, row, before)


def kit_unticked_event(*, visit, actor, row: KitRunItem, before: dict) -> Event:
    return _item_event(visit, actor, EventKind.KIT_UNTICKED, row, before)
