"""Journeys of issue 15, items 3 and 4, in Chromium: the desk at 1280 px asks for a second
transfer (R4) and sees it waiting; the supervisor finds it with a late reschedule (R11) in one
approvals inbox on the dashboard and approves it there, and at 360 px on the inbox's own page;
the engineer's phone at 360 px says a late change of the visit is waiting; the dashboard's
refresh reloads the data while never wiping a half-typed form. Screenshots under
test-artifacts/<test>/."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dispatch import services as desk
from dispatch import transfers
from dispatch.models import (
    Deadline,
    DeadlineKind,
    DeadlineState,
    TicketStatus,
    TransferRequest,
    WaiverRequest,
)
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import make_user, open_ticket
from visits.models import RescheduleRequest, Visit

pytestmark = pytest.mark.django_db(transaction=True)


def no_english(page) -> None:
    """zh-Hans: no English word of the interface and no rule id in the page's visible text."""
    text = page.locator("main").inner_text()
    words = set(re.findall(r"[A-Za-z]{4,}", text)) - {"XLSX"}  # the export file format
    assert not words, words
    assert not re.search(r"\bR\d{1,2}\b", text), "a rule id on the page"


@pytest.fixture
def desk_people(dispatcher, dispatcher2):
    return dispatcher, dispatcher2, make_user("dispatcher", username="dispatcher_night")


@pytest.fixture
def late_change(dispatcher, engineer):
    """A visit 90 minutes away that the desk asked a supervisor to move (R11)."""
    ticket = open_ticket(dispatcher, customer_name="钱女士", phone="13900139000")
    start = (timezone.now() + timedelta(minutes=90)).replace(second=0, microsecond=0)
    visit = Visit.objects.create(
        ticket=ticket, engineer=engineer, booked_by=dispatcher, start=start,
        end=start + timedelta(hours=1),
    )  # fmt: skip
    return RescheduleRequest.objects.create(
        visit=visit,
        requested_by=dispatcher,
        reason="台风预警，道路封闭",
        new_start=start + timedelta(days=1),
        new_end=start + timedelta(days=1, hours=1),
        new_engineer=engineer,
    )


def test_a_second_transfer_is_asked_for_and_approved_in_the_inbox(
    new_page, desk_people, supervisor, late_change, shot
):
    first, owner, night = desk_people
    ticket = open_ticket(first, customer_name="孙女士", phone="13900139001")
    desk.transfer_ticket(actor=first, ticket=ticket, to_user=owner, note="首次交接")

    # 1. The owner, at the desk, can't transfer a second time: they ask a supervisor.
    page = new_page(owner, DESKTOP)
    page.goto(f"/tickets/{ticket.number}/")
    page.get_by_text("申请二次转派（需主管审批）").click()
    page.locator("#transfer").get_by_label("转派给").select_option(str(night.pk))
    page.locator("#transfer").get_by_label("交接说明").fill("客户要求晚上联系，故障现象已核实")
    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_text("二次转派待主管审批")).to_be_visible()
    expect(page.locator("#pending-transfer")).to_contain_text("客户要求晚上联系")
    no_english(page)
    shot(page, "01-desk-asks-1280")

    # 2. The supervisor's dashboard lists it with the late reschedule, oldest first.
    boss = new_page(supervisor, DESKTOP)
    inbox = boss.locator("#approvals")
    expect(inbox.locator(".approval")).to_have_count(2)
    expect(inbox).to_contain_text("台风预警，道路封闭")
    expect(inbox).to_contain_text("客户要求晚上联系")
    no_english(boss)
    shot(boss, "02-dashboard-inbox-1280")
    request = TransferRequest.objects.get(ticket=ticket)
    card = boss.locator(f"#transfer-request-{request.pk}")
    card.get_by_label("备注").fill("同意，夜班跟进")
    card.get_by_role("button", name="批准").click()
    expect(boss.get_by_text("二次转派已批准，工单已转派。")).to_be_visible()
    assert boss.url.endswith("/supervisor/")
    expect(boss.locator("#approvals .approval")).to_have_count(1)
    shot(boss, "03-approved-1280")
    ticket.refresh_from_db()
    assert ticket.owner == night and ticket.transfer_count == 2

    # 3. On the phone, the inbox's own page: the late reschedule still waits.
    phone = new_page(supervisor, PHONE)
    phone.goto("/supervisor/approvals/")
    expect(phone.locator(f"#late-change-{late_change.pk}")).to_contain_text("不足 2 小时的改约")
    no_english(phone)
    shot(phone, "04-inbox-360")
    phone.locator(f"#late-change-{late_change.pk}").get_by_role("button", name="驳回").click()
    expect(phone.get_by_text("暂无待审批事项。")).to_be_visible()
    assert phone.url.endswith("/supervisor/approvals/")
    shot(phone, "05-inbox-empty-360")


def test_the_engineer_sees_the_late_change_waiting(new_page, engineer, late_change, shot):
    page = new_page(engineer, PHONE)
    page.goto(f"/visits/{late_change.visit.pk}/")
    notice = page.locator("#pending-change")
    expect(notice).to_contain_text("正在等待主管审批")
    expect(notice).to_contain_text("审批前，上门仍按原预约进行")
    no_english(page)
    shot(page, "01-engineer-phone-360")


def test_the_ticket_page_says_a_late_change_waits(new_page, dispatcher, late_change, shot):
    page = new_page(dispatcher, DESKTOP)
    page.goto(f"/tickets/{late_change.visit.ticket.number}/")
    expect(page.locator(".pending-change")).to_contain_text("正在等待主管审批")
    no_english(page)
    shot(page, "01-ticket-1280")


def test_the_refresh_never_wipes_a_half_typed_form(
    new_page, settings, supervisor, dispatcher, dispatcher2, engineer, shot
):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    ticket = open_ticket(dispatcher, customer_name="周女士")
    overdue = Deadline.objects.create(
        ticket=ticket,
        kind=DeadlineKind.ACKNOWLEDGE,
        responsible=dispatcher,
        due_at=timezone.now() - timedelta(hours=1),
        state=DeadlineState.OVERDUE,
        overdue_at=timezone.now() - timedelta(hours=1),
    )
    page = new_page(supervisor, DESKTOP)
    figures = []
    page.on(
        "request",
        lambda r: figures.append(r.url) if r.headers.get("hx-request") and "/supervisor/?" in r.url
        else None,
    )  # fmt: skip
    row = page.locator(f"#deadline-{overdue.pk}")
    row.get_by_text("处理").click()
    typed = "已致电客户，正在核实基站告警，明早十点前答复"
    row.get_by_label("告知客户的内容").fill(typed)
    page.locator("h1").click()  # the field loses focus; its text alone keeps the region
    asked = len(figures)

    # Meanwhile the data changes: a second transfer is asked for. The inbox shows it after its
    # own refresh, and the typed text is still there.
    other = open_ticket(dispatcher, customer_name="吴先生", phone="13900139005")
    desk.transfer_ticket(actor=dispatcher, ticket=other, to_user=dispatcher2, note="首次交接")
    transfers.request_second_transfer(
        actor=dispatcher2, ticket=other, to_user=dispatcher, note="退回首问负责人"
    )
    for _ in range(3):  # three refreshes of the inbox: three chances to wipe the form
        with page.expect_response(lambda r: "/supervisor/approvals/" in r.url, timeout=20_000):
            pass
    expect(page.locator("#approvals")).to_contain_text("退回首问负责人")
    expect(row.get_by_label("告知客户的内容")).to_have_value(typed)
    assert len(figures) == asked, "the figures were reloaded over a half-typed form"
    shot(page, "01-typing-kept-1280")

    # Sent, the form is done: the figures reload again.
    with page.expect_response(lambda r: "/contact/" in r.url) as sent:
        row.get_by_role("button", name="保存联系记录").click()
    assert sent.value.status == 204
    with page.expect_response(lambda r: "/supervisor/?" in r.url, timeout=20_000):
        pass
    assert ticket.contacts.count() == 1
    shot(page, "02-sent-and-refreshed-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    shot(page, "03-dashboard-360")


def test_a_waiver_is_asked_for_on_the_close_and_approved_in_the_inbox(
    new_page, dispatcher, supervisor, shot
):
    """R6, R13, R15: the owner can't close while the acknowledgement is owed; they ask a
    supervisor for a waiver from the refused close, and the supervisor approves it in the
    inbox at 1280 px: the ticket closes."""
    ticket = open_ticket(dispatcher, customer_name="冯先生", phone="13900139007")
    page = new_page(dispatcher, DESKTOP)
    page.goto(f"/tickets/{ticket.number}/")
    page.locator("#close summary").click()
    page.locator("#close").get_by_label("处理结果").first.fill("短信中心故障已恢复")
    page.locator("#close").get_by_role("button", name="关闭工单").click()
    waiver = page.locator("#waiver-form")
    expect(waiver).to_be_visible()
    expect(waiver.get_by_label("处理结果")).to_have_value("短信中心故障已恢复")
    waiver.get_by_label("承诺无法兑现的原因").fill("客户出国，手机已停机")
    waiver.get_by_role("button", name="申请主管豁免").click()
    expect(page.locator("#pending-waiver")).to_contain_text("客户出国，手机已停机")
    no_english(page)
    shot(page, "01-desk-asks-waiver-1280")

    boss = new_page(supervisor, DESKTOP)
    boss.goto("/supervisor/approvals/")
    request = WaiverRequest.objects.get(ticket=ticket)
    card = boss.locator(f"#waiver-request-{request.pk}")
    expect(card).to_contain_text("豁免未兑现承诺")
    no_english(boss)
    shot(boss, "02-inbox-waiver-1280")
    card.get_by_role("button", name="批准").click()
    expect(boss.get_by_text("豁免已批准，工单已结单。")).to_be_visible()
    assert boss.url.endswith("/supervisor/approvals/")
    shot(boss, "03-waiver-approved-1280")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
