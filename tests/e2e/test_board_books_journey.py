"""Journeys: the board books (issue 15, item 8), at 1280 px for the desk. The dispatcher picks a
ticket waiting for a visit beside the board, clicks a free hour, confirms the filled-in form and
sees the visit on the board (R7, R26); a time taken in the meantime is refused in words on the
same form, no error page (R7); today's board has a "now" line and says what every colour means;
the home page's "due within the hour" agrees with the table beside it. In zh-Hans the pages
show no English, no raw key and no rule id."""

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from dispatch.people import display_name
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import open_ticket
from tests.visits.factories import book
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)

RULE_ID = re.compile(r"\bR\d{1,2}\b")
ENGLISH = re.compile(r"\b(?!TS\b)[A-Za-z]{3,}\b")


def says_it_in_chinese(page) -> None:
    words = re.sub(r"TS-\d{8}-\d{4}", "", page.locator("main").inner_text())
    assert not RULE_ID.search(words), RULE_ID.findall(words)
    assert not ENGLISH.search(words), ENGLISH.findall(words)


@pytest.fixture
def morning():
    """Tomorrow 10:14 at the centre, the clock running: the day board's window holds "now"."""
    day = timezone.localdate() + timedelta(days=1)
    with time_machine.travel(timezone.make_aware(datetime.combine(day, time(10, 14))), tick=True):
        yield day


def at(day, hour: int):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_pick_a_waiting_ticket_click_a_free_hour_booked(
    morning, new_page, dispatcher, engineer, engineer2, shot
):
    book(dispatcher, open_ticket(dispatcher, customer_name="孙先生"), engineer, at(morning, 14))
    ticket = open_ticket(dispatcher, customer_name="钱女士", phone="13900139002")
    open_ticket(dispatcher, customer_name="周先生", location_detail="")  # R1: not bookable yet

    page = new_page(dispatcher, DESKTOP)
    page.goto("/visits/board/")
    waiting = page.locator("section.waiting")
    assert "待预约上门" in waiting.inner_text()
    assert "钱女士" in waiting.inner_text() and "周先生" in waiting.inner_text()
    assert "孙先生" not in waiting.inner_text()  # booked already
    # Today's "now" line, where the clock is, and a legend of every colour.
    assert page.locator(".now-label").inner_text() == "现在 10:14"
    assert page.locator(".now-line").count() == 2  # one per engineer's row
    legend = page.get_by_label("颜色说明").inner_text()
    for words in ("已预约", "已解决", "未解决", "空闲", "现在"):
        assert words in legend
    says_it_in_chinese(page)
    shot(page, "01-board-with-waiting-tickets")

    waiting.locator("li", has_text="周先生").get_by_role("link", name="补全工单信息").wait_for()
    waiting.locator("li", has_text="钱女士").get_by_role("link", name="选择时间").click()
    page.wait_for_url(f"**ticket={ticket.number}")
    assert "已选中" in waiting.locator("li.is-picked").inner_text()
    assert "点击空闲时段即可预约" in page.get_by_label("颜色说明").inner_text()
    says_it_in_chinese(page)
    shot(page, "02-ticket-picked-free-hours")

    name = display_name(engineer)
    page.get_by_role("link", name=f"预约 {name} 11:00–12:00").click()
    page.wait_for_url(f"**/visits/book/{ticket.number}/?**")
    assert page.get_by_label("开始时间").input_value() == "11:00"
    assert page.get_by_label("客服支撑工程师").input_value() == str(engineer.pk)
    page.get_by_text("工程师此时段空闲").wait_for()
    says_it_in_chinese(page)
    shot(page, "03-form-filled-in")
    page.get_by_role("button", name="预约并发送短信").click()
    page.wait_for_url("**/visits/*/")
    visit = Visit.objects.get(ticket=ticket)
    assert timezone.localtime(visit.start).hour == 11 and visit.engineer == engineer

    page.goto(f"/visits/board/?day={morning:%Y-%m-%d}&view=day")
    block = page.locator(".slot.busy", has_text="钱女士")
    assert block.inner_text().startswith("11:00")
    assert "钱女士" not in page.locator("section.waiting").inner_text()
    says_it_in_chinese(page)
    shot(page, "04-booked-on-the-board")

    page.get_by_role("link", name="按周查看").click()
    page.get_by_role("link", name="钱女士", exact=False).first.wait_for()
    assert "今天" in page.get_by_label("颜色说明").inner_text()
    says_it_in_chinese(page)
    shot(page, "05-week")


def test_a_free_hour_taken_meanwhile_is_refused_in_words(
    morning, new_page, dispatcher, dispatcher2, engineer, shot
):
    ticket = open_ticket(dispatcher, customer_name="钱女士", phone="13900139002")
    page = new_page(dispatcher, DESKTOP)
    page.goto(f"/visits/board/?ticket={ticket.number}")
    page.get_by_role("link", name=f"预约 {display_name(engineer)} 16:00–17:00").click()
    page.get_by_text("工程师此时段空闲").wait_for()
    # Meanwhile a colleague books the engineer at 16:30 for another customer (R7).
    other = open_ticket(dispatcher2, customer_name="吴先生")
    taken = book(dispatcher2, other, engineer, at(morning, 16) + timedelta(minutes=30))
    page.get_by_role("button", name="预约并发送短信").click()
    error = page.locator(".errorlist").first
    error.wait_for()
    assert other.number in error.inner_text() and "请选择其他时间或其他工程师" in error.inner_text()
    assert page.get_by_role("heading", name="预约上门测试").is_visible()  # the form, not an error
    assert not Visit.objects.filter(ticket=ticket).exists()
    assert Visit.objects.filter(engineer=engineer).get() == taken
    says_it_in_chinese(page)
    shot(page, "01-clash-in-words")


def test_home_due_within_the_hour_agrees_with_the_table(
    morning, new_page, dispatcher, engineer, shot
):
    # R8: the engineer re-confirms a visit at 11:30 by 10:30, on the dispatcher's ticket.
    ticket = open_ticket(dispatcher, customer_name="钱女士", complexity="complex")
    book(dispatcher, ticket, engineer, at(morning, 11) + timedelta(minutes=30))
    page = new_page(dispatcher, DESKTOP)
    page.goto("/")
    soon = page.locator("section", has=page.locator("#soon"))
    assert ticket.number in soon.inner_text() and "再次确认" in soon.inner_text()
    assert display_name(engineer) in soon.inner_text()
    assert "未来一小时内没有到期事项" not in soon.inner_text()
    row = page.locator("tr", has_text=ticket.number)
    assert "10:30" in row.inner_text()
    says_it_in_chinese(page)
    shot(page, "01-home-due-soon")


def test_the_waiting_list_fits_a_phone(morning, new_page, dispatcher, engineer, shot):
    ticket = open_ticket(dispatcher, customer_name="钱女士")
    page = new_page(dispatcher, PHONE)
    page.goto(f"/visits/board/?ticket={ticket.number}")
    page.get_by_role("heading", name="待预约上门").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    shot(page, "01-board-360")
