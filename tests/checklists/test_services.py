"""The pre-visit check as services: seeded items, ticks, the R20 gate, supervisors' edits."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from checklists import services
from checklists.models import ChangeKind, ChecklistItem, ItemGroup, KitRun, KitRunItem
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Event
from tests.checklists.factories import make_visit, run_item, tick_all
from visits.models import Visit, VisitStatus

SEVEN = [
    "badge",
    "clothing",
    "tool_bag",
    "shoe_covers",
    "mat_cloth",
    "water_bottle",
    "commitment_card",
]


def events(visit, kind):
    return list(Event.objects.filter(visit=visit, kind=kind).order_by("id"))


# Seeded items (data migration)


@pytest.mark.django_db
def test_seeded_items_are_the_seven_the_self_check_and_the_declaration():
    items = list(ChecklistItem.objects.filter(active=True).order_by("group", "position"))
    by_group = {g: [i for i in items if i.group == g] for g in ItemGroup.values}
    # R18: 七个一, in the order of seed 000 §3.1.
    assert [i.code for i in sorted(by_group["kit"], key=lambda i: i.position)] == SEVEN
    assert [i.label_zh for i in sorted(by_group["kit"], key=lambda i: i.position)][:2] == [
        "一张工作牌",
        "一套适合场合的服装（工装）",
    ]
    # R19: uniform, badge, hair. R12: no alcohol.
    (self_check,) = by_group["self_check"]
    assert all(point in self_check.label_zh for point in ("工衣", "工作牌", "头发"))
    (declaration,) = by_group["declaration"]
    assert "饮酒" in declaration.label_zh and "alcohol" in declaration.label_en
    # R18: the FAQ handbook may stand in for the commitment card, and only for it.
    card = ChecklistItem.objects.get(code="commitment_card")
    assert (card.substitute_zh, card.substitute_en) == ("FAQ 手册", "FAQ handbook")
    assert [i.code for i in items if i.substitute_zh] == ["commitment_card"]
    assert all(i.required and i.label_en for i in items)


# Opening and ticking


@pytest.mark.django_db
def test_opening_the_kit_copies_the_items_once_and_tells_the_visit_what_is_missing(visit):
    run = services.open_kit(actor=visit.engineer, visit=visit)
    again = services.open_kit(actor=visit.engineer, visit=visit)
    assert again.pk == run.pk
    assert run.items.count() == 9
    visit.refresh_from_db()
    # R20: the gate can name every missing item, in zh-Hans, in list order.
    assert visit.kit_missing[:2] == ["一张工作牌", "一套适合场合的服装（工装）"]
    assert len(visit.kit_missing) == 9
    assert visit.kit_completed_at is None


@pytest.mark.django_db
def test_ticking_every_item_stamps_the_visit_kit_complete(visit):
    moment = timezone.now() + timedelta(minutes=3)
    with time_machine.travel(moment, tick=False):
        run = tick_all(visit)
    assert visit.kit_completed_at == moment
    assert visit.kit_missing == []
    run.refresh_from_db()
    assert run.completed_at == moment
    assert len(events(visit, "kit.ticked")) == 9
    assert len(events(visit, "visit.kit_complete")) == 1
    services.require_kit_complete(visit=visit)  # R20: the gate lets it pass


@pytest.mark.django_db
def test_a_double_tap_or_replay_changes_nothing_the_second_time(visit):
    run = services.open_kit(actor=visit.engineer, visit=visit)
    row = run.items.get(item__code="badge")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        services.tick_item(actor=visit.engineer, visit=visit, item=row.pk)
        first = KitRunItem.objects.get(pk=row.pk).ticked_at
        traveller.shift(timedelta(minutes=5))  # the offline replay arrives later
        services.tick_item(actor=visit.engineer, visit=visit, item=row.pk, ticked=True)
    assert KitRunItem.objects.get(pk=row.pk).ticked_at == first
    assert len(events(visit, "kit.ticked")) == 1


@pytest.mark.django_db
def test_unticking_before_arrival_reopens_the_kit_and_the_gate_names_the_item(visit):
    tick_all(visit)
    assert visit.kit_completed_at is not None
    services.tick_item(
        actor=visit.engineer, visit=visit, item=run_item(visit, "shoe_covers").pk, ticked=False
    )
    visit.refresh_from_db()
    # R20: a stale stamp must not let the visit start without shoe covers.
    assert visit.kit_completed_at is None
    assert visit.kit_missing == ["一副鞋套"]
    assert [e.message for e in events(visit, "kit.unticked")] == ["一副鞋套"]
    assert len(events(visit, "visit.kit_reopened")) == 1
    with pytest.raises(RuleViolation) as refused:
        services.require_kit_complete(visit=visit)
    assert refused.value.status == 409 and refused.value.code == "kit_incomplete"
    assert "一副鞋套" in refused.value.message
    # Ticked again: complete again.
    services.tick_item(actor=visit.engineer, visit=visit, item=run_item(visit, "shoe_covers").pk)
    visit.refresh_from_db()
    assert visit.kit_completed_at is not None
    assert len(events(visit, "visit.kit_complete")) == 2


@pytest.mark.django_db
def test_the_gate_names_every_required_item_before_the_kit_is_opened(visit):
    with pytest.raises(RuleViolation) as refused:
        services.require_kit_complete(visit=visit)
    assert refused.value.status == 409
    assert (
        "一张工作牌" in refused.value.message and "本人声明：上门前未饮酒" in refused.value.message
    )


@pytest.mark.django_db
def test_only_the_visits_engineer_ticks(visit, engineer2, supervisor, dispatcher):
    run = services.open_kit(actor=visit.engineer, visit=visit)
    row = run.items.first()
    for someone in (engineer2, supervisor, dispatcher):
        with pytest.raises(PermissionDenied):
            services.tick_item(actor=someone, visit=visit, item=row.pk)
        with pytest.raises(PermissionDenied):
            services.open_kit(actor=someone, visit=visit)
    assert not KitRunItem.objects.filter(ticked_at__isnull=False).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status",
    [VisitStatus.ARRIVED, VisitStatus.AT_WORK, VisitStatus.CANCELLED, VisitStatus.RESCHEDULED],
)
def test_the_kit_is_closed_once_the_visit_is_on_site_or_called_off(visit, status):
    run = services.open_kit(actor=visit.engineer, visit=visit)
    Visit.objects.filter(pk=visit.pk).update(
        status=status, arrived_at=timezone.now() if status != VisitStatus.CANCELLED else None
    )
    with pytest.raises(RuleViolation) as refused:
        services.tick_item(actor=visit.engineer, visit=visit, item=run.items.first().pk)
    assert refused.value.code == "kit_closed" and refused.value.status == 409


@pytest.mark.django_db
def test_the_faq_handbook_may_stand_in_for_the_commitment_card(visit):
    tick_all(visit, except_codes=("commitment_card",))
    card = run_item(visit, "commitment_card")
    services.tick_item(actor=visit.engineer, visit=visit, item=card.pk, substitute=True)
    card.refresh_from_db()
    visit.refresh_from_db()
    assert card.ticked and card.used_substitute
    assert visit.kit_completed_at is not None  # R18: the substitute counts
    assert events(visit, "kit.ticked")[-1].message == "一张服务承诺卡（FAQ 手册）"
    # Any other item has no substitute.
    with pytest.raises(RuleViolation) as refused:
        services.tick_item(
            actor=visit.engineer, visit=visit, item=run_item(visit, "badge").pk, substitute=True
        )
    assert refused.value.code == "no_substitute"


@pytest.mark.django_db
def test_an_item_of_another_visit_is_refused(ticket, visit):
    other = make_visit(ticket, visit.engineer, start=visit.start + timedelta(hours=3))
    other_run = services.open_kit(actor=visit.engineer, visit=other)
    with pytest.raises(RuleViolation) as refused:
        services.tick_item(actor=visit.engineer, visit=visit, item=other_run.items.first().pk)
    assert refused.value.code == "unknown_item"


# Supervisors keep the items; past runs keep their wording


@pytest.mark.django_db
def test_past_runs_keep_the_wording_they_were_asked(ticket, visit, supervisor):
    services.open_kit(actor=visit.engineer, visit=visit)
    water = ChecklistItem.objects.get(code="water_bottle")
    services.update_item(actor=supervisor, item=water, label_zh="一个保温水壶")
    services.set_item_active(
        actor=supervisor, item=ChecklistItem.objects.get(code="mat_cloth"), active=False
    )

    old = run_item(visit, "water_bottle")
    assert old.label_zh == "一个水壶"
    assert visit.kit_run.items.filter(item__code="mat_cloth").exists()

    later = make_visit(ticket, visit.engineer, start=visit.start + timedelta(hours=3))
    new_run = services.open_kit(actor=later.engineer, visit=later)
    labels = list(new_run.items.values_list("label_zh", flat=True))
    assert "一个保温水壶" in labels and "一张垫布" not in labels
    assert len(labels) == 8
    changes = list(water.changes.values_list("kind", flat=True))
    assert changes == [ChangeKind.EDITED]
    assert water.changes.get().before["label_zh"] == "一个水壶"


@pytest.mark.django_db
def test_an_optional_item_is_asked_but_does_not_hold_the_gate(ticket, engineer, supervisor):
    extra = services.create_item(
        actor=supervisor,
        group=ItemGroup.KIT,
        label_zh="一个充电宝",
        label_en="A power bank",
        required=False,
    )
    assert extra.position == 8  # after the seven
    visit = make_visit(ticket, engineer)
    tick_all(visit, except_codes=(extra.code,))
    assert visit.kit_completed_at is not None
    assert run_item(visit, extra.code).ticked is False


@pytest.mark.django_db
def test_supervisors_reorder_items_and_new_kits_follow(ticket, engineer, supervisor):
    card = ChecklistItem.objects.get(code="commitment_card")
    services.move_item(actor=supervisor, item=card, offset=-1)
    services.move_item(
        actor=supervisor, item=ChecklistItem.objects.get(code="commitment_card"), offset=-1
    )
    visit = make_visit(ticket, engineer)
    run = services.open_kit(actor=engineer, visit=visit)
    codes = list(run.items.values_list("item__code", flat=True))
    assert codes[:7] == [
        "badge",
        "clothing",
        "tool_bag",
        "shoe_covers",
        "commitment_card",
        "mat_cloth",
        "water_bottle",
    ]
    assert codes[7:] == ["self_check", "no_alcohol"]  # groups keep their order
    assert (
        ChecklistItem.objects.get(code="commitment_card")
        .changes.filter(kind=ChangeKind.MOVED)
        .count()
        == 2
    )


@pytest.mark.django_db
def test_only_supervisors_change_items_and_the_last_required_item_stays(
    supervisor, engineer, dispatcher
):
    for someone in (engineer, dispatcher):
        with pytest.raises(PermissionDenied):
            services.create_item(actor=someone, group=ItemGroup.KIT, label_zh="x")
    with pytest.raises(RuleViolation) as refused:
        services.create_item(actor=supervisor, group=ItemGroup.KIT, label_zh="  ")
    assert refused.value.field == "label_zh"
    items = list(ChecklistItem.objects.filter(active=True))
    for item in items[:-1]:
        services.set_item_active(actor=supervisor, item=item, active=False)
    with pytest.raises(RuleViolation) as refused:
        services.set_item_active(actor=supervisor, item=items[-1], active=False)
    assert refused.value.code == "last_required_item"
    with pytest.raises(RuleViolation) as refused:
        services.update_item(actor=supervisor, item=items[-1], required=False)
    assert refused.value.code == "last_required_item"
    restored = services.set_item_active(actor=supervisor, item=items[0], active=True)
    assert restored.active
    assert restored.changes.first().kind == ChangeKind.RESTORED


# Concurrency: two taps from two tabs on a kit not yet opened


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_ticks_open_one_run_and_keep_both(seeded_items, ticket, engineer):
    visit = make_visit(ticket, engineer)
    items = list(ChecklistItem.objects.filter(code__in=["badge", "mat_cloth"]))
    # The run does not exist yet: each request opens it under the visit's row lock.
    barrier = threading.Barrier(2)
    errors = []

    def tap(code):
        try:
            barrier.wait()
            run = services.open_kit(actor=engineer, visit=visit)
            services.tick_item(actor=engineer, visit=visit, item=run.items.get(item__code=code).pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap, args=(item.code,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert KitRun.objects.filter(visit=visit).count() == 1
    run = KitRun.objects.get(visit=visit)
    assert run.items.count() == 9
    assert set(run.items.filter(ticked_at__isnull=False).values_list("item__code", flat=True)) == {
        "badge",
        "mat_cloth",
    }
    visit.refresh_from_db()
    assert len(visit.kit_missing) == 7


# R19: the self-check counts only in the window before arrival (SELF_CHECK_WINDOW_MINUTES).


@pytest.mark.django_db
def test_r19_a_self_check_done_hours_ahead_is_redone_before_arrival(visit):
    from visits import services as visit_services

    with time_machine.travel(timezone.now(), tick=False) as clock:
        tick_all(visit)
        clock.shift(timedelta(minutes=100))  # 20 minutes before the appointment
        with pytest.raises(RuleViolation) as refused:
            services.require_kit_complete(visit=visit)
        assert (refused.value.status, refused.value.code) == (409, "self_check_stale")
        with pytest.raises(RuleViolation) as refused:
            visit_services.record_arrival(actor=visit.engineer, visit=visit)
        assert refused.value.code == "self_check_stale"
        assert "30" in refused.value.message  # the window, said in words
        visit.refresh_from_db()
        assert visit.arrived_at is None
        # The engineer checks again at the door: the same tap now counts.
        services.tick_item(actor=visit.engineer, visit=visit, item=run_item(visit, "self_check").pk)
        assert len(events(visit, "kit.ticked")) == 10
        visit_services.record_arrival(actor=visit.engineer, visit=visit)
        visit.refresh_from_db()
        assert visit.arrived_at == timezone.now()


@pytest.mark.django_db
def test_r19_a_self_check_inside_the_window_counts(visit, settings):
    from visits import services as visit_services

    settings.SEED_RULES = {**settings.SEED_RULES, "SELF_CHECK_WINDOW_MINUTES": 5}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        tick_all(visit)
        clock.shift(timedelta(minutes=5))
        services.require_kit_complete(visit=visit)
        visit_services.record_arrival(actor=visit.engineer, visit=visit)
