"""Journey: the supervisor logs in and sees an overdue reply first (JOURNEYS supervisor 1; R15)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import Deadline, DeadlineKind, DeadlineState, Team
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import open_ticket
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def overdue_reply(dispatcher, engineer):
    ticket = open_ticket(dispatcher, customer_name="周女士")
    start = timezone.now() - timedelta(hours=7)
    visit = Visit.objects.create(
        ticket=ticket,
        engineer=engineer,
        booked_by=dispatcher,
        start=start,
        end=start + timedelta(hours=1),
        status="unresolved",
        arrived_at=start - timedelta(minutes=7),
        arrival_punctual=True,
        kit_completed_at=start - timedelta(minutes=40),
    )
    Team.objects.create(name="天河一组").members.add(engineer)
    return Deadline.objects.create(
        ticket=ticket,
        visit=visit,
        kind=DeadlineKind.REPLY,
        responsible=engineer,
        due_at=timezone.now() - timedelta(hours=2),
        state=DeadlineState.OVERDUE,
        overdue_at=timezone.now() - timedelta(hours=2),
    )


def test_supervisor_sees_the_overdue_reply_first(new_page, supervisor, overdue_reply, shot):
    page = new_page(supervisor, DESKTOP)
    assert page.url.endswith("/supervisor/")
    first_section = (
        page.locator("section#late, section[aria-labelledby=late]").locator(".card").first
    )
    assert "约定回复" in first_section.locator("h3").inner_text()
    assert first_section.get_by_text("周女士").is_visible()
    shot(page, "dashboard-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    shot(page, "dashboard-360")


def test_supervisor_records_a_contact_in_place(new_page, supervisor, overdue_reply, shot):
    page = new_page(supervisor, PHONE)
    row = page.locator(f"#deadline-{overdue_reply.pk}")
    row.get_by_text("处理").click()
    row.get_by_label("告知客户的内容").fill("已致电客户，测试结果明天答复")
    with page.expect_response(lambda r: "/contact/" in r.url) as response:
        row.get_by_role("button", name="保存联系记录").click()
    assert response.value.status == 204
    shot(page, "after-contact")
    assert overdue_reply.ticket.contacts.count() == 1


def test_supervisor_follows_up_a_complaint_and_comes_back_to_the_dashboard(
    new_page, supervisor, overdue_reply, shot
):
    """R17: a complaint on site waits on the dashboard; the follow-up is recorded there and the
    page comes back without it (the visits app handles the POST, the dashboard says where to
    return)."""
    visit = overdue_reply.visit
    Visit.objects.filter(pk=visit.pk).update(
        complaint_on_site=True, complaint_note="工程师迟到", left_at=timezone.now()
    )
    page = new_page(supervisor, PHONE)
    card = page.locator(f"#complaint-{visit.pk}")
    assert card.get_by_text("工程师迟到").is_visible()
    card.get_by_label("跟进情况").fill("已致电客户道歉")
    shot(page, "complaint-360")
    card.get_by_role("button", name="登记跟进").click()
    page.wait_for_url("**/supervisor/#complaints")
    assert page.get_by_text("已登记跟进情况。").is_visible()
    assert page.locator(f"#complaint-{visit.pk}").count() == 0
    shot(page, "followed-up-360")
