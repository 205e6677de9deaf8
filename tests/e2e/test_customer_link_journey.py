"""Issue 17, in the browser at 360 px: the customer opens the short link of the SMS their phone
received (SMS_BACKEND=file, tests/e2e/conftest.CustomerPhone) and confirms; moves the visit
(no time inside two hours is offered, R11; a time the desk took meanwhile, R7, gives a sentence
and fresh times); asks for a call back. A staff session on the link reads it, and can't act."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from playwright.sync_api import expect

from dispatch.models import Event, EventKind
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import open_ticket
from tests.visits.factories import book
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)
LINK = re.compile(r"https?://[^/\s]+(/c/[A-Za-z0-9_-]{22})")


def _tomorrow(hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _link_from_sms(customer_phone) -> str:
    """The path of the last appointment link the customer's phone received."""
    texts = [t for t in customer_phone.messages() if LINK.search(t)]
    assert texts, customer_phone.messages()
    assert "可在此确认、改约或要求回电" in texts[-1]
    return LINK.search(texts[-1]).group(1)


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 361


@pytest.fixture
def visit(dispatcher, ticket, engineer, customer_phone):
    return book(dispatcher, ticket, engineer, _tomorrow(14))


def test_the_customer_confirms_from_the_sms(new_page, visit, customer_phone, supervisor, shot):
    path = _link_from_sms(customer_phone)
    page = new_page(None, PHONE)
    page.goto(path)
    expect(page.get_by_role("heading", name="您的上门测试预约")).to_be_visible()
    expect(page.locator("header.top nav")).to_have_count(0)  # no staff navigation
    _fits(page)
    shot(page, "01-link-opened-360")
    page.get_by_role("button", name="合适，我确认").click()
    expect(page.get_by_text("谢谢，您的预约已确认。")).to_be_visible()
    expect(page.get_by_text("您已确认此预约")).to_be_visible()
    expect(page.get_by_role("button", name="合适，我确认")).to_have_count(0)
    _fits(page)
    shot(page, "02-confirmed-360")
    assert Event.objects.filter(visit=visit, kind=EventKind.VISIT_CUSTOMER_CONFIRMED).exists()

    # The engineer's visit page says so (R8: they still call); the dashboard counts it.
    field = new_page(visit.engineer, PHONE)
    field.goto(f"/visits/{visit.pk}/")
    expect(field.locator("#customer-confirmed")).to_contain_text("客户已于")
    shot(field, "03-engineer-sees-it-360")
    desk = new_page(supervisor, DESKTOP)
    desk.goto("/supervisor/")
    expect(desk.locator("#customers-today")).to_contain_text("客户通过链接确认预约: 1")
    shot(desk, "04-dashboard-customers-today-1280")


def test_the_customer_moves_and_a_time_taken_meanwhile_gives_fresh_times(
    new_page, visit, customer_phone, dispatcher, engineer, shot
):
    path = _link_from_sms(customer_phone)
    page = new_page(None, PHONE)
    page.goto(path)
    radios = page.locator("input[name=start]")
    expect(radios.first).to_be_visible()
    offered = [parse_datetime(v) for v in radios.evaluate_all("els => els.map(e => e.value)")]
    # R11: nothing inside two hours is ever offered.
    assert offered and min(offered) >= timezone.now() + timedelta(hours=2)
    _fits(page)
    shot(page, "01-times-offered-360")

    # The desk books the engineer at the last time offered, while the customer reads the page.
    taken = offered[-1]
    book(dispatcher, open_ticket(dispatcher), engineer, taken)
    page.locator("input[name=start]").last.check()
    page.get_by_role("button", name="改到这个时间").click()
    expect(page.locator("#customer-error")).to_contain_text("这个时间刚刚被约走了")
    fresh = [
        parse_datetime(v)
        for v in page.locator("input[name=start]").evaluate_all("els => els.map(e => e.value)")
    ]
    assert fresh and taken not in fresh
    _fits(page)
    shot(page, "02-time-taken-fresh-times-360")

    page.locator("input[name=start]").first.check()
    page.get_by_role("button", name="改到这个时间").click()
    expect(page.get_by_text("您的上门时间已改到")).to_be_visible()
    expect(page.locator("#state")).to_contain_text("此预约已改到")
    _fits(page)
    shot(page, "03-moved-360")
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.RESCHEDULED

    # The standard SMS and a new link: it opens the new time.
    new_path = _link_from_sms(customer_phone)
    assert new_path != path
    assert any("按与您的约定" in t for t in customer_phone.messages())
    page.goto(new_path)
    expect(page.get_by_role("button", name="合适，我确认")).to_be_visible()
    shot(page, "04-new-link-360")


def test_inside_two_hours_the_page_says_to_call(
    new_page, dispatcher, ticket, engineer, customer_phone, shot
):
    soon = timezone.now().replace(microsecond=0) + timedelta(minutes=90)
    book(dispatcher, ticket, engineer, soon)
    page = new_page(None, PHONE)
    page.goto(_link_from_sms(customer_phone))
    expect(page.locator("#too-late")).to_contain_text("距上门已不到两小时")
    expect(page.locator("input[name=start]")).to_have_count(0)
    _fits(page)
    shot(page, "01-too-late-to-move-360")


def test_the_customer_asks_for_a_call_back(new_page, visit, customer_phone, shot):
    page = new_page(None, PHONE)
    page.goto(_link_from_sms(customer_phone))
    page.get_by_label("简短留言（可不填）").fill("白天上班，请傍晚六点后来电")
    page.get_by_role("button", name="请给我回电").click()
    expect(page.get_by_text("我们会尽快给您回电。")).to_be_visible()
    expect(page.get_by_text("您已要求我们回电")).to_be_visible()
    _fits(page)
    shot(page, "01-call-back-asked-360")
    event = Event.objects.get(visit=visit, kind=EventKind.VISIT_CUSTOMER_CALLBACK)
    assert event.message == "白天上班，请傍晚六点后来电"


def test_a_staff_session_reads_the_link_and_cannot_act(
    new_page, visit, customer_phone, dispatcher, shot
):
    page = new_page(dispatcher, PHONE)
    page.goto(_link_from_sms(customer_phone))
    expect(page.locator("#staff-note")).to_contain_text("不能代客户确认、改约或要求回电")
    expect(page.get_by_role("button", name="合适，我确认")).to_have_count(0)
    expect(page.get_by_role("button", name="请给我回电")).to_have_count(0)
    _fits(page)
    shot(page, "01-staff-read-only-360")
