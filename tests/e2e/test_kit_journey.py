"""Journey: the engineer ticks the kit on a 360 px phone (JOURNEYS engineer 2, step 2; R12,
R18–R20). Every item in one tap, ticks survive a reload and a dropped network."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from checklists.models import KitRunItem
from tests.checklists.factories import ensure_seeded_items, make_visit, tick_all
from tests.e2e.conftest import DESKTOP, PHONE
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)

LABELS = [
    "一张工作牌",
    "一套适合场合的服装（工装）",
    "一个工具袋（有公司标志）",
    "一副鞋套",
    "一张垫布",
    "一个水壶",
    "一张服务承诺卡",
    "仪容自检：工衣整洁、工作牌佩戴胸前、头发整齐",
    "本人声明：上门前未饮酒",
]


@pytest.fixture
def visit(ticket, engineer):
    ensure_seeded_items()
    return make_visit(ticket, engineer, start=timezone.now() + timedelta(hours=1))


def item_button(page, label):
    return page.locator(".kit-item", has_text=label)


def gate(page, visit_pk):
    """R20 as the arrival page will ask it: the kit API's gate, with the page's session."""
    return page.request.get(f"/api/kit/visits/{visit_pk}/gate/")


def test_engineer_ticks_every_item_in_under_ten_taps_and_the_ticks_survive_a_reload(
    new_page, visit, shot
):
    page = new_page(visit.engineer, PHONE)
    page.goto(f"/kit/visit/{visit.pk}/")
    expect(page.get_by_role("heading", name="七个一与自检")).to_be_visible()
    expect(page.locator("[data-kit-gate]")).to_contain_text("以下项目勾选前不能到达签到")
    refused = gate(page, visit.pk)
    assert refused.status == 409 and len(refused.json()["missing"]) == 9
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    shot(page, "01-kit-empty")

    taps = 0
    for label in LABELS:
        button = item_button(page, label)
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 300  # a thumb's target at 360 px
        button.tap()
        taps += 1
        expect(button).to_have_attribute("aria-pressed", "true")
    assert taps <= 10
    expect(page.locator("[data-kit-sync]")).to_have_text("已保存。")
    expect(page.locator("[data-kit-done]")).to_have_text("9")
    expect(page.locator("[data-kit-gate]")).to_contain_text("七个一与自检已完成，可以到达签到。")
    shot(page, "02-kit-complete")

    assert KitRunItem.objects.filter(run__visit=visit, ticked_at__isnull=True).count() == 0
    visit.refresh_from_db()
    assert visit.kit_completed_at is not None and visit.kit_missing == []
    # R20: arrival may now be recorded.
    assert gate(page, visit.pk).status == 200

    page.reload()
    for label in LABELS:
        expect(item_button(page, label)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-kit-gate]")).to_have_attribute("data-state", "complete")
    shot(page, "03-after-reload")

    # Arrival (set by the visits app) closes the kit: read-only from then on.
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.ARRIVED, arrived_at=timezone.now())
    page.reload()
    expect(item_button(page, "一副鞋套")).to_be_disabled()


def test_a_tick_made_offline_is_kept_and_sent_when_the_network_returns(new_page, visit, shot):
    page = new_page(visit.engineer, PHONE)
    page.goto(f"/kit/visit/{visit.pk}/")
    shoe_covers = item_button(page, "一副鞋套")

    page.context.set_offline(True)
    shoe_covers.tap()
    expect(shoe_covers).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-kit-sync]")).to_contain_text("没有网络")
    expect(page.locator("[data-kit-done]")).to_have_text("1")
    shot(page, "01-offline-tick")
    pending = page.evaluate(f"localStorage.getItem('seed-kit:{visit.engineer.pk}:{visit.pk}')")
    assert pending and '"ticked":true' in pending
    assert not KitRunItem.objects.filter(run__visit=visit, ticked_at__isnull=False).exists()

    page.context.set_offline(False)
    expect(page.locator("[data-kit-sync]")).to_have_text("已保存。")
    ticked = KitRunItem.objects.filter(run__visit=visit, ticked_at__isnull=False)
    assert list(ticked.values_list("label_zh", flat=True)) == ["一副鞋套"]
    assert page.evaluate(f"localStorage.getItem('seed-kit:{visit.engineer.pk}:{visit.pk}')") is None
    page.reload()
    expect(item_button(page, "一副鞋套")).to_have_attribute("aria-pressed", "true")
    shot(page, "02-back-online")


def test_a_tick_kept_on_the_phone_is_sent_after_a_reload(new_page, visit):
    """The network drops, the engineer taps, and the page is reloaded once it is back."""
    page = new_page(visit.engineer, PHONE)
    # The page must not send on its own, as when the phone kills the tab. Its "online" listener
    # is stopped by one registered before the page's script (listeners on window run in the
    # order they were added, capture or not), and its clock stands still, so the 15 s backstop
    # never fires. Otherwise the old page's send could clear the stored tick just before the
    # reload, and the reloaded page, with nothing left to send, would never say "saved".
    page.add_init_script("window.addEventListener('online', e => e.stopImmediatePropagation())")
    page.clock.install()
    page.goto(f"/kit/visit/{visit.pk}/")
    page.clock.pause_at(timezone.now() + timedelta(minutes=1))  # nothing to send yet
    page.context.set_offline(True)
    item_button(page, "本人声明：上门前未饮酒").tap()
    expect(page.locator("[data-kit-sync]")).to_contain_text("没有网络")
    assert not KitRunItem.objects.filter(run__visit=visit, ticked_at__isnull=False).exists()
    page.context.set_offline(False)
    page.reload()
    expect(page.locator("[data-kit-sync]")).to_have_text("已保存。")
    assert KitRunItem.objects.get(run__visit=visit, item__code="no_alcohol").ticked_at is not None


def test_the_faq_handbook_stands_in_for_the_commitment_card(new_page, visit, shot):
    page = new_page(visit.engineer, PHONE)
    page.goto(f"/kit/visit/{visit.pk}/")
    page.get_by_role("button", name="以FAQ 手册代替").tap()
    expect(item_button(page, "一张服务承诺卡")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-kit-sync]")).to_have_text("已保存。")
    row = KitRunItem.objects.get(run__visit=visit, item__code="commitment_card")
    assert row.ticked and row.used_substitute
    shot(page, "substitute")


def test_another_engineer_cannot_open_the_kit(new_page, visit, engineer2):
    page = new_page(engineer2, PHONE)
    response = page.goto(f"/kit/visit/{visit.pk}/")
    assert response.status == 404


def test_supervisor_rewords_an_item_and_reads_the_report(
    new_page, ticket, visit, engineer2, supervisor, shot
):
    # Last week: engineer_a had the kit done before arriving; engineer_b arrived without the
    # shoe covers ticked.
    for n, (who, missing) in enumerate([(visit.engineer, ()), (engineer2, ("shoe_covers",))]):
        past = make_visit(ticket, who, start=timezone.now() - timedelta(days=3, hours=n))
        tick_all(past, except_codes=missing)
        Visit.objects.filter(pk=past.pk).update(
            status=VisitStatus.ARRIVED, arrived_at=timezone.now()
        )
    page = new_page(supervisor, DESKTOP)
    page.goto("/kit/items/")
    shot(page, "01-items")
    page.get_by_role("link", name="修改 一个水壶").click()
    page.get_by_label("名称（中文）").fill("一个保温水壶")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("项目已保存")).to_be_visible()
    expect(page.get_by_text("一个保温水壶").first).to_be_visible()
    page.get_by_role("button", name="下移 一张工作牌").click()
    shot(page, "02-items-edited")
    page.get_by_role("link", name="七个一统计").first.click()
    expect(page.get_by_role("heading", name="最常缺少的项目")).to_be_visible()
    expect(page.locator(".kit-missing-list li").first).to_contain_text("一副鞋套")
    expect(page.get_by_role("row", name="测试").first).to_be_visible()
    shot(page, "03-report")
