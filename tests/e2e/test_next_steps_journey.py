"""The engineer's visit page offers only what may come next (docs/design.md#state-maps,
docs/rules.md R21): on a 360 px phone, from booked to the door, each button appears or is
enabled when the visit's transition map and the rules allow it; the same page at 1280 px."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_visit_journeys import fits_the_phone
from tests.factories import open_ticket
from tests.visits.factories import book, kit_done

pytestmark = pytest.mark.django_db(transaction=True)


def test_r21_the_page_offers_each_step_when_it_may_be_taken(new_page, dispatcher, engineer, shot):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=40)
    visit = book(dispatcher, open_ticket(dispatcher), engineer, start)
    page = new_page(engineer, PHONE)
    page.goto(f"/visits/{visit.pk}/")
    arrive = page.get_by_role("button", name="已到达")
    # Booked: the call comes first (R8); arriving waits for it and for the kit (R20).
    assert page.get_by_role("button", name="已与客户再次确认时间").is_visible()
    assert arrive.is_disabled()
    assert page.get_by_role("button", name="出发").count() == 0
    fits_the_phone(page)
    shot(page, "01-booked")

    page.get_by_role("button", name="已与客户再次确认时间").click()
    page.get_by_text("已再次确认，客户将收到确认短信。").wait_for()
    kit_done(visit)
    page.reload()
    assert page.get_by_role("button", name="已与客户再次确认时间").count() == 0
    assert page.get_by_role("button", name="出发").is_enabled() and arrive.is_enabled()
    shot(page, "02-confirmed")

    arrive.click()
    page.get_by_text("已登记到达。").wait_for()
    # At the door (R13): knock first; the call from the door and "no answer" wait for it.
    call = page.get_by_role("button", name="电话无人接听")
    assert call.is_disabled() and page.locator("#no-answer-btn").is_disabled()
    assert page.get_by_role("button", name="开始作业").is_enabled()
    assert page.get_by_text("会迟到？告知客户").count() == 0
    fits_the_phone(page)
    shot(page, "03-at-the-door")

    page.get_by_role("button", name="已敲门（开始计时）").click()
    page.get_by_text("已登记敲门，开始计时。").wait_for()
    assert call.is_enabled() and page.locator("#no-answer-btn").is_disabled()
    shot(page, "04-knocked")

    desk = new_page(engineer, DESKTOP)
    desk.goto(f"/visits/{visit.pk}/")
    assert desk.get_by_role("button", name="电话无人接听").is_enabled()
    shot(desk, "05-desktop")
