"""Journey: leaving, step 5 of the five things, on a 360 px phone (JOURNEYS engineer 2 step 5;
R17, R21, R24). The customer won't sign, so the reason is recorded; the commitment card is
handed over on the survey page; the leave form asks about a complaint on site and refuses a
"yes" without what about, then the engineer leaves and step 5 shows done."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dispatch.models import Notification
from tests.e2e.conftest import PHONE
from tests.factories import open_ticket
from tests.visits.factories import at_work, book, measured
from visits import services
from visits.models import VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 361


def test_r21_r24_r17_the_engineer_walks_the_leave_form(
    new_page, dispatcher, engineer, supervisor, shot
):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
    visit = book(dispatcher, open_ticket(dispatcher), engineer, start)
    measured(at_work(visit))
    measured(visit, phase="after", rsrp_dbm="-88", sinr_db="14", call_result="ok")
    services.record_outcome(actor=engineer, visit=visit, resolved=True, summary="调整天线后恢复")

    page = new_page(engineer, PHONE)
    page.goto(f"/visits/{visit.pk}/#step-5")
    leave = page.locator("#leave")
    expect(leave).to_be_visible()
    expect(page.locator("ul.leave-needs li.todo")).to_have_count(2)
    fits_the_phone(page)
    shot(page, "01-leave-needs")

    # R24: leaving is refused before the survey (or its reason) and the card.
    leave.get_by_label("否").check()
    leave.get_by_role("button", name="离开").tap()
    expect(page.locator("#leave")).to_contain_text("离开前请客户签署调查表和工单")
    shot(page, "02-refused-without-survey")

    # The customer won't sign: the reason is recorded instead.
    page.get_by_text("客户不签名").click()
    page.locator("#no-survey").get_by_label("客户拒绝签名").check()
    page.locator("#no-survey").get_by_role("button", name="登记原因").tap()
    expect(page.get_by_text("已登记未签调查表的原因。")).to_be_visible()

    # The commitment card, on the survey page.
    page.get_by_role("link", name="客户服务监督调查表").tap()
    page.get_by_role("radio", name="服务承诺卡").check()
    page.get_by_role("button", name="已递交承诺卡，发送结束短信").tap()
    expect(page.get_by_text("已向客户发送含 10000 热线的结束短信。")).to_be_visible()
    page.goto(f"/visits/{visit.pk}/#step-5")
    expect(page.locator("ul.leave-needs li.done")).to_have_count(2)
    fits_the_phone(page)
    shot(page, "03-ready-to-leave")

    # R17: "yes" needs what the customer complained about, said next to the field.
    leave = page.locator("#leave")
    leave.get_by_label("是").check()
    leave.get_by_role("button", name="离开").tap()
    leave = page.locator("#leave")
    expect(leave.locator(".has-error")).to_contain_text("客户投诉的内容")
    shot(page, "04-complaint-needs-a-note")
    leave.get_by_label("是").check()
    leave.get_by_label("客户投诉的内容").fill("上次维修后仍掉线，等待太久")
    leave.get_by_role("button", name="离开").tap()
    expect(page.get_by_text("已离开，此次上门结束。")).to_be_visible()
    expect(page.locator("ol.steps li").nth(4)).to_have_class("done")
    fits_the_phone(page)
    shot(page, "05-left")

    visit.refresh_from_db()
    assert visit.status == VisitStatus.RESOLVED and visit.left_at is not None
    assert visit.complaint_on_site and "等待太久" in visit.complaint_note
    assert Notification.objects.filter(recipient=supervisor, template="visit_complaint_staff")
