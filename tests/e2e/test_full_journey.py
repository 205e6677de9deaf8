"""The whole promise, across every app (issue 8 journeys): the dispatcher takes a complaint and
books a visit; the engineer, on a phone, ticks the kit, arrives, tests and promises a reply; the
customer signs on their own phone; the reply is missed and the supervisor sees it first.

R1, R2, R6, R7 (booking), R18–R21 (kit, gate, five things), R9 (arrival), R15 (reply promise),
R22–R24 (survey and signature), then the Celery sweep's overdue reply on the dashboard."""

import importlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dispatch.models import DeadlineKind, DeadlineState, Ticket
from dispatch.sweep import sweep_deadlines
from surveys.models import SurveyResponse
from tests.checklists.factories import ensure_seeded_items
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_survey_journey import draw_signature, fill_survey
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def seeded_items(transactional_db):
    """A flushed transactional database lost the migration-seeded kit items and survey
    questions: put them back as the migrations do."""
    from django.apps import apps

    ensure_seeded_items()
    importlib.import_module("surveys.migrations.0002_seed_questions").seed(apps, None)


def test_a_complaint_from_intake_to_the_supervisors_overdue_reply(
    new_page, dispatcher, engineer, supervisor, shot, customer_phone
):
    # Dispatcher, desktop: take the complaint (R1, R2, R6) ...
    desk = new_page(dispatcher, DESKTOP)
    desk.goto("/tickets/new/")
    desk.get_by_label("客户姓名").fill("吴先生")
    desk.get_by_label("联系电话").fill("13800138000")
    desk.get_by_label("地址").fill("广州市白云区机场路 1312 号 3 楼")
    desk.get_by_label("故障现象").fill("手机没有信号")
    desk.get_by_label("具体位置").fill("地下车库负二层")
    desk.get_by_label("客户如何操作").fill("停车后准备打电话时")
    desk.get_by_label("解决问题型").check()
    desk.get_by_role("button", name="受理投诉").click()
    desk.wait_for_url("**/tickets/TS-*/")
    ticket = Ticket.objects.get()
    shot(desk, "01-dispatcher-ticket")

    # ... and book the on-site test in an hour (R7).
    soon = timezone.localtime() + timedelta(hours=1)
    start = soon.replace(minute=soon.minute // 15 * 15, second=0, microsecond=0)
    desk.goto(f"/visits/book/{ticket.number}/")
    desk.get_by_label("客服支撑工程师").select_option(str(engineer.pk))
    desk.get_by_label("日期").fill(start.strftime("%Y-%m-%d"))
    desk.get_by_label("开始时间").fill(start.strftime("%H:%M"))
    desk.get_by_label("开始时间").dispatch_event("change")
    desk.get_by_text("工程师此时段空闲").wait_for()
    desk.get_by_role("button", name="预约并发送短信").click()
    desk.wait_for_url("**/visits/*/")
    visit = Visit.objects.get(ticket=ticket)
    booked = customer_phone.last()  # the booking SMS, as the customer's phone shows it
    assert "吴先生" in booked and start.strftime("%H:%M") in booked
    shot(desk, "02-dispatcher-booked")

    # Engineer, phone: re-confirm (R8), tick the kit on its own page (R18–R20) ...
    field = new_page(engineer, PHONE)
    field.goto(f"/visits/{visit.pk}/")
    field.get_by_role("button", name="已与客户再次确认时间").click()
    expect(field.get_by_role("button", name="已到达")).to_be_disabled()
    field.get_by_role("link", name="检查“七个一”").click()
    for button in field.locator(".kit-item").all():
        button.tap()
        expect(button).to_have_attribute("aria-pressed", "true")
    expect(field.locator("[data-kit-sync]")).to_have_text("已保存。")
    expect(field.locator("[data-kit-gate]")).to_have_attribute("data-state", "complete")
    shot(field, "03-engineer-kit")

    # ... arrive (R9: an hour early is punctual), test, and promise a reply (R15).
    field.get_by_role("link", name="返回上门任务").click()
    field.get_by_role("button", name="已到达").click()
    field.get_by_text("已登记到达。").wait_for()
    for label in (  # R14 at the door
        "已出示工作牌并自我介绍",
        "经客户允许后进门",
        "已穿戴鞋套",
        "已向客户说明工作内容",
        "已将服务监督调查表交客户阅读",
    ):
        field.get_by_label(label).check()
    field.get_by_role("button", name="开始作业").click()
    field.get_by_text("已开始作业，请记录网络测试。").wait_for()
    form = field.locator("form.measure-form")
    form.get_by_label("4G").check()
    form.get_by_label("测试位置").fill("地下车库")
    form.get_by_label("RSRP（dBm）").fill("-121")
    form.get_by_label("SINR（dB）").fill("-6")
    form.get_by_label("下载（Mbps）").fill("0.8")
    form.get_by_label("上传（Mbps）").fill("0.1")
    form.get_by_label("时延（ms）").fill("210")
    form.get_by_label("通话掉线").check()
    form.get_by_role("button", name="保存测试").click()
    field.get_by_text("已记录网络测试。").wait_for()
    field.get_by_label("未解决：约定回复时间").check()
    field.get_by_label("发现的问题和处理情况").fill("车库无室分覆盖，需规划新增")
    field.get_by_role("button", name="提交测试结果").click()
    field.get_by_text("已提交测试结果。").wait_for()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.UNRESOLVED and visit.arrival_punctual
    shot(field, "04-engineer-result")

    # Step 5: the survey link goes to the customer's own phone (R22, R23).
    field.get_by_role("link", name="客户服务监督调查表").click()
    field.get_by_role("button", name="发送短信链接至 138****8000").tap()
    expect(field.get_by_text("调查表链接已通过短信发送至 138****8000")).to_be_visible()
    customer = new_page(None, PHONE)
    token = re.search(r"/survey/s/([\w-]+)/", customer_phone.last()).group(1)
    customer.goto(f"/survey/s/{token}/")
    fill_survey(customer)
    draw_signature(customer)
    expect(customer.locator("[data-status]")).to_have_text("已签名")
    customer.get_by_role("button", name="确认并签名").tap()
    customer.get_by_role("heading", name="谢谢您的签名").wait_for()
    assert SurveyResponse.objects.get(visit=visit).verify()
    shot(customer, "05-customer-signed")

    # Nobody replies in time: beat's sweep marks the reply overdue (R15) ...
    reply = visit.deadlines.get(kind=DeadlineKind.REPLY)
    sweep_deadlines(now=reply.due_at + timedelta(minutes=1))
    reply.refresh_from_db()
    assert reply.state == DeadlineState.OVERDUE

    # ... and the supervisor sees it at the top of the dashboard.
    boss = new_page(supervisor, DESKTOP)
    boss.goto("/supervisor/")
    first = boss.locator("section[aria-labelledby=late] .card").first
    expect(first.locator("h3")).to_contain_text("约定回复")
    expect(first.get_by_role("link", name=ticket.number)).to_be_visible()
    shot(boss, "06-supervisor-overdue-reply")
