"""Journey: the dispatcher takes a complaint in Chinese (JOURNEYS, dispatcher 1–2; R1, R2, R6)."""

import pytest

from dispatch.models import Deadline, Ticket
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def test_dispatcher_takes_a_complaint_in_chinese(new_page, dispatcher, shot):
    page = new_page(dispatcher, DESKTOP)
    shot(page, "01-home")
    page.get_by_role("link", name="受理投诉").first.click()
    assert page.locator("h1").inner_text() == "受理投诉"
    page.get_by_label("客户姓名").fill("钱女士")
    page.get_by_label("联系电话").fill("12345")
    page.get_by_label("故障现象").fill("室内 4G 信号弱，通话断续")
    page.get_by_label("具体位置").fill("主卧靠窗")
    page.get_by_label("客户如何操作").fill("晚上在卧室打电话时")
    page.get_by_label("解决问题型").check()
    page.get_by_role("button", name="受理投诉").click()
    # R2: an invalid number is refused with a sentence, and nothing is saved.
    assert page.get_by_text("合法的电话号码").is_visible()
    assert not Ticket.objects.exists()
    shot(page, "02-invalid-phone")

    page.get_by_label("联系电话").fill("13900139002")
    page.get_by_role("button", name="受理投诉").click()
    page.wait_for_url("**/tickets/TS-*/")
    ticket = Ticket.objects.get()
    assert ticket.customer_name == "钱女士"
    assert page.get_by_role("heading", name=ticket.number).is_visible()
    # R6: the acknowledgement due time is on the page.
    assert Deadline.objects.filter(ticket=ticket, kind="acknowledge").exists()
    assert page.get_by_text("受理回复").first.is_visible()
    shot(page, "03-ticket")


def test_ticket_list_fits_a_phone(new_page, dispatcher, ticket, shot):
    page = new_page(dispatcher, PHONE)
    page.goto("/tickets/")
    assert page.get_by_role("link", name=ticket.number).is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360 + 1
    shot(page, "ticket-list-360")
