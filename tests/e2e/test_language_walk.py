"""Issue 15, item 6: a walk over the main pages in zh-Hans, the desk and the supervisor at
1280 px, the engineer on a 360 px phone, the error pages on both: no English word of the
interface (tests.html keeps the allow-list of units and names), no rule id, no raw key.
Screenshots under test-artifacts/<test>/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dispatch.sweep import sweep_deadlines
from tests.e2e.conftest import DESKTOP, PHONE, no_english
from tests.factories import open_ticket
from tests.visits.factories import book, confirmed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def day(dispatcher, engineer):
    """A ticket with a confirmed visit (booking and re-confirmation SMS in the outbox), a bare
    ticket, and an overdue first contact (an alert)."""
    ticket = open_ticket(dispatcher, customer_name="钱女士")
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=3)
    visit = confirmed(book(dispatcher, ticket, engineer, start))
    late = open_ticket(dispatcher, customer_name="孙先生", phone="13900139002")
    sweep_deadlines(now=timezone.now() + timedelta(days=2))
    return {"ticket": ticket, "visit": visit, "late": late}


def walk(page, shot, paths: list[str], prefix: str) -> None:
    for i, path in enumerate(paths, 1):
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
        no_english(page)
        shot(page, f"{prefix}-{i:02d}-{path.strip('/').replace('/', '-') or 'home'}")


def test_the_desk_at_1280(new_page, dispatcher, day, shot):
    number, visit = day["ticket"].number, day["visit"]
    page = new_page(dispatcher, DESKTOP)
    walk(
        page,
        shot,
        [
            "/tickets/",
            "/tickets/new/",
            f"/tickets/{number}/",
            f"/tickets/{day['late'].number}/",
            "/visits/board/",
            f"/visits/book/{day['late'].number}/",
            f"/visits/{visit.pk}/",
            f"/visits/{visit.pk}/reschedule/",
            "/planning/optimize/",
            "/alerts/",
            "/no-such-page/",
            "/outbox/",  # not the desk's: the 403 page
        ],
        "desk",
    )


def test_the_supervisor_at_1280(new_page, supervisor, day, shot):
    page = new_page(supervisor, DESKTOP)
    walk(
        page,
        shot,
        [
            "/supervisor/",
            "/outbox/",
            "/alerts/",
            "/supervisor/network-tests/",
            "/survey/results/",
            "/survey/questions/",
            "/kit/items/",
            "/kit/report/",
            "/visits/grading/",
        ],
        "supervisor",
    )
    page.goto("/outbox/")
    expect(page.get_by_role("columnheader", name="收件人")).to_be_visible()
    expect(page.get_by_text("已预约上门").first).to_be_visible()


def test_the_engineer_on_a_phone(new_page, engineer, day, shot):
    visit = day["visit"]
    page = new_page(engineer, PHONE)
    walk(
        page,
        shot,
        [
            "/visits/today/",
            f"/visits/{visit.pk}/",
            "/kit/",
            f"/kit/visit/{visit.pk}/",
            "/survey/visits/",
            "/alerts/",
            "/no-such-page/",
            "/outbox/",
        ],
        "engineer",
    )
