"""Every state change of the pre-visit check: lock, check the rule, save, record
(docs/design.md#a-state-change).

The engineer's ticks keep the visit informed through `visits.services.update_kit_status`, which
stamps `Visit.kit_completed_at`: the R20 gate of arrival and work reads that stamp, so visits
never imports this app (docs/design.md#layers).
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from dispatch.errors import PermissionDenied, RuleViolation, require_text
from dispatch.locks import lock_kit_group, lock_kit_item, lock_visit
from dispatch.roles import Role, has_role
from dispatch.rules import self_check_window
from visits.models import Visit
from visits.next_steps import arrival_ahead
from visits.services import require_engineer, require_fresh_self_check, update_kit_status

from . import events, selectors
from .models import ChangeKind, ChecklistItem, ChecklistItemChange, ItemGroup, KitRun, KitRunItem

# The kit can be ticked until the engineer is on site; after that it is the record of the gate.

ITEM_FIELDS = ("group", "label_zh", "label_en", "substitute_zh", "substitute_en", "required")


def kit_is_editable(visit: Visit) -> bool:
    return visit.arrived_at is None and arrival_ahead(visit)


def _require_visit_engineer(actor, visit: Visit) -> None:
    # Only the engineer who goes declares what they carry and that they have not drunk (R12):
    # a field step, the same check as every other (visits.services.require_engineer).
    require_engineer(actor, visit)


def _require_editable(visit: Visit) -> None:
    if not kit_is_editable(visit):
        raise RuleViolation(
            "kit_closed",
            _("The kit check of this visit is closed: the visit is %(status)s.")
            % {"status": visit.get_status_display()},
            status=409,
        )


def _copy_items(run: KitRun) -> None:
    """Copy the items in use into the run, so later edits leave its wording alone."""
    KitRunItem.objects.bulk_create(
        KitRunItem(
            run=run,
            item=item,
            position=position,
            **{field: getattr(item, field) for field in ITEM_FIELDS},
        )
        for position, item in enumerate(selectors.items_in_use(), start=1)
    )


def _sync_visit(*, actor, visit: Visit, run: KitRun) -> None:
    """R20: tell the visit what is still missing; nothing missing stamps it kit-complete.

    The labels are in zh-Hans, the language the gate shows to engineers and dispatchers.
    """
    missing = selectors.missing_labels(run)
    completed_at = None if missing else (run.completed_at or timezone.now())
    if completed_at != run.completed_at:
        run.completed_at = completed_at
        run.save(update_fields=["completed_at"])
    update_kit_status(
        actor=actor,
        visit=visit,
        missing=missing,
        at=completed_at,
        self_checked_at=selectors.self_checked_at(run),
    )


def _open_run(*, actor, visit: Visit) -> KitRun:
    try:
        return visit.kit_run
    except KitRun.DoesNotExist:
        pass
    run = KitRun.objects.create(visit=visit)
    _copy_items(run)
    _sync_visit(actor=actor, visit=visit, run=run)
    return run


@transaction.atomic
def open_kit(*, actor, visit: Visit) -> KitRun:
    """The engineer opens the kit of a visit: the items in use are copied once (safe to repeat)."""
    visit = lock_visit(visit)
    _require_visit_engineer(actor, visit)
    _require_editable(visit)
    return _open_run(actor=actor, visit=visit)


@transaction.atomic
def tick_item(
    *, actor, visit: Visit, item: int, ticked: bool = True, substitute: bool = False
) -> KitRun:
    """One tap on the phone: set one item of the visit's kit ticked or not (R18, R19, R12).

    Sets a state rather than toggling it, so a double tap or an offline replay of the same tick
    changes nothing the second time. `item` is the id of the run's item; `substitute` says the
    allowed substitute is carried instead (R18: the FAQ handbook for the commitment card).
    """
    visit = lock_visit(visit)
    _require_visit_engineer(actor, visit)
    _require_editable(visit)
    run = _open_run(actor=actor, visit=visit)
    try:
        row = run.items.get(pk=item)
    except (KitRunItem.DoesNotExist, ValueError, TypeError) as exc:
        raise RuleViolation(
            "unknown_item", _("This item is not on this visit's kit."), field="item"
        ) from exc
    if substitute and not row.substitute_zh:
        raise RuleViolation(
            "no_substitute",
            _("“%(item)s” has no allowed substitute.") % {"item": row.label},
            field="substitute",
        )
    substitute = bool(ticked and substitute)
    now = timezone.now()
    # R19: a self-check ticked longer ago than the window is done again: the same tap counts.
    redo = ticked and row.group == ItemGroup.SELF_CHECK and row.ticked_at is not None
    redo = redo and now - row.ticked_at > self_check_window()
    if row.ticked == ticked and row.used_substitute == substitute and not redo:
        return run
    before = {"ticked": row.ticked, "substitute": row.used_substitute}
    if ticked and (row.ticked_at is None or redo):
        row.ticked_at = now
    elif not ticked:
        row.ticked_at = None
    row.used_substitute = substitute
    row.save(update_fields=["ticked_at", "used_substitute"])
    record = events.kit_ticked_event if ticked else events.kit_unticked_event
    record(visit=visit, actor=actor, row=row, before=before)
    _sync_visit(actor=actor, visit=visit, run=run)
    return run


def require_kit_complete(*, visit: Visit) -> None:
    """R20: refuse arrival or work while a required item is unticked, naming what is missing.

    Reads the stamp the visits gate reads (`kit_completed_at`), so both always agree.
    """
    if visit.kit_completed_at is not None:
        require_fresh_self_check(visit)  # R19: only a self-check just before arrival counts
        return
    missing = selectors.kit_missing(visit)
    raise RuleViolation(
        "kit_incomplete",
        _("Tick the kit and self-check first. Missing: %(items)s.")
        % {"items": "、".join(missing) or _("the kit check has not been opened")},
        status=409,
    )


# Supervisors keep the items (R20: the items are data, editable by a supervisor).


def _require_supervisor(actor) -> None:
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor changes the kit items."))


def _snapshot(item: ChecklistItem) -> dict:
    return {
        **{field: getattr(item, field) for field in ITEM_FIELDS},
        "position": item.position,
        "active": item.active,
    }


def _record_change(*, actor, item: ChecklistItem, kind: str, before: dict) -> None:
    ChecklistItemChange.objects.create(
        item=item, actor=actor, kind=kind, before=before, after=_snapshot(item)
    )


def _clean_item_fields(fields: dict) -> dict:
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"unknown item fields: {sorted(unknown)}")
    cleaned = {
        key: value.strip() if isinstance(value, str) else value for key, value in fields.items()
    }
    if "label_zh" in cleaned:
        cleaned["label_zh"] = require_text(
            cleaned["label_zh"],
            code="label_required",
            message=_("Give the item a Chinese label."),
            field="label_zh",
        )
    if "group" in cleaned and cleaned["group"] not in ItemGroup.values:
        raise RuleViolation("invalid_group", _("Choose a group."), field="group")
    return cleaned


def _keep_a_required_item(item: ChecklistItem) -> None:
    """R20 needs something to gate on: the last required item in use can't be let go."""
    others = ChecklistItem.objects.filter(active=True, required=True).exclude(pk=item.pk)
    if not others.exists():
        raise RuleViolation(
            "last_required_item",
            _("The kit needs at least one required item."),
            status=409,
        )


@transaction.atomic
def create_item(
    *,
    actor,
    group: str,
    label_zh: str,
    label_en: str = "",
    substitute_zh: str = "",
    substitute_en: str = "",
    required: bool = True,
) -> ChecklistItem:
    """Add an item at the end of its group. Kits already opened keep the items they asked."""
    _require_supervisor(actor)
    data = _clean_item_fields(
        {
            "group": group,
            "label_zh": label_zh,
            "label_en": label_en,
            "substitute_zh": substitute_zh,
            "substitute_en": substitute_en,
            "required": required,
        }
    )
    last = ChecklistItem.objects.filter(group=data["group"]).aggregate(m=Max("position"))["m"]
    item = ChecklistItem.objects.create(
        code=f"{data['group']}-{get_random_string(8).lower()}",
        position=(last or 0) + 1,
        updated_by=actor,
        **data,
    )
    _record_change(actor=actor, item=item, kind=ChangeKind.CREATED, before={})
    return item


@transaction.atomic
def update_item(*, actor, item: ChecklistItem, **fields) -> ChecklistItem:
    """Reword an item or change whether it is required; past runs keep their own copy."""
    _require_supervisor(actor)
    data = _clean_item_fields(fields)
    item = lock_kit_item(item)
    before = _snapshot(item)
    changed = [field for field, value in data.items() if getattr(item, field) != value]
    if not changed:
        return item
    if "required" in changed and not data["required"] and item.active:
        _keep_a_required_item(item)
    for field in changed:
        setattr(item, field, data[field])
    if "group" in changed:
        last = ChecklistItem.objects.filter(group=item.group).aggregate(m=Max("position"))["m"]
        item.position = (last or 0) + 1
        changed.append("position")
    item.updated_by = actor
    item.save(update_fields=[*changed, "updated_by", "updated_at"])
    _record_change(actor=actor, item=item, kind=ChangeKind.EDITED, before=before)
    return item


@transaction.atomic
def move_item(*, actor, item: ChecklistItem, offset: int) -> ChecklistItem:
    """Move an item up (offset −1) or down (+1) within its group; the group is renumbered."""
    _require_supervisor(actor)
    siblings = lock_kit_group(item.group)
    index = next((i for i, other in enumerate(siblings) if other.pk == item.pk), None)
    if index is None:
        raise RuleViolation(
            "item_retired", _("Put the item back in use before moving it."), status=409
        )
    target = min(max(index + offset, 0), len(siblings) - 1)
    if target == index:
        return siblings[index]
    before = _snapshot(siblings[index])
    siblings.insert(target, siblings.pop(index))
    for position, other in enumerate(siblings, start=1):
        if other.position != position:
            other.position = position
            other.save(update_fields=["position", "updated_at"])
    moved = siblings[target]
    moved.updated_by = actor
    moved.save(update_fields=["updated_by"])
    _record_change(actor=actor, item=moved, kind=ChangeKind.MOVED, before=before)
    return moved


@transaction.atomic
def set_item_active(*, actor, item: ChecklistItem, active: bool) -> ChecklistItem:
    """Retire an item (no longer asked) or put it back in use. Items are never deleted, so the
    runs that asked them and the reports that count them stay whole."""
    _require_supervisor(actor)
    item = lock_kit_item(item)
    if item.active == active:
        return item
    if not active and item.required:
        _keep_a_required_item(item)
    before = _snapshot(item)
    item.active = active
    fields = ["active", "updated_by", "updated_at"]
    if active:
        last = ChecklistItem.objects.filter(group=item.group, active=True).aggregate(
            m=Max("position")
        )["m"]
        item.position = (last or 0) + 1
        fields.append("position")
    item.updated_by = actor
    item.save(update_fields=fields)
    _record_change(
        actor=actor,
        item=item,
        kind=ChangeKind.RESTORED if active else ChangeKind.RETIRED,
        before=before,
    )
    return item
