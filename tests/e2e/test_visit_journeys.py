"""Journeys: the dispatcher books, reschedules and cancels a visit on a desktop (JOURNEYS,
dispatcher 3–4; R7, R11, R26); the engineer walks a visit through the five things on a phone
(JOURNEYS, engineer 1–3; R8, R9, R13, R14, R15, R20, R21)."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from dispatch.models import Notification
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import open_ticket
from tests.visits.factories import book, kit_done
from visits import services
from visits.models import Violation, Visit, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)

GUANGZHOU = {"latitude": 23.1291, "longitude": 113.2644}


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 361


def test_dispatcher_books_reschedules_and_cancels(new_page, dispatcher, engineer, shot):
    tomorrow = timezone.localdate() + timedelta(days=1)
    two_pm = timezone.make_aware(datetime.combine(tomorrow, time(14)))
    busy = book(dispatcher, open_ticket(dispatcher, customer_name="孙先生"), engineer, two_pm)
    ticket = open_ticket(dispatcher, customer_name="钱女士", phone="13900139002")

    page = new_page(dispatcher, DESKTOP)
    page.goto(f"/tickets/{ticket.number}/")
    shot(page, "01-ticket")
    page.get_by_role("link", name="预约上门").click()
    page.wait_for_url(f"**/visits/book/{ticket.number}/")
    assert page.get_by_role("heading", name="预约上门测试").is_visible()

    # R7: a clash is shown before submitting, with the visit it clashes with.
    page.get_by_label("客服支撑工程师").select_option(str(engineer.pk))
    page.get_by_label("日期").fill(tomorrow.isoformat())
    page.get_by_label("开始时间").fill("14:30")
    page.get_by_label("时长").select_option("60")
    page.get_by_label("时长").dispatch_event("change")
    clash = page.locator("#slot-check .errorlist")
    clash.wait_for()
    assert busy.ticket.number in clash.inner_text()
    assert page.locator(".slot.proposed.clash").count() == 1
    shot(page, "02-clash-shown-before-submitting")

    # A free time: the SMS the customer will get is shown before booking (R26).
    page.get_by_label("开始时间").fill("15:00")
    page.get_by_label("开始时间").dispatch_event("change")
    page.get_by_text("工程师此时段空闲").wait_for()
    sms = page.locator("blockquote.sms").inner_text()
    assert "钱女士您好" in sms and "15:00–16:00" in sms
    shot(page, "03-free-with-sms-preview")
    page.get_by_role("button", name="预约并发送短信").click()
    page.wait_for_url("**/visits/*/")
    visit = Visit.objects.get(ticket=ticket)
    assert page.get_by_text("客户将收到预约短信").is_visible()
    assert Notification.objects.get(key=f"visit:{visit.pk}:booked").body == sms
    shot(page, "04-visit-booked")

    # R11: the reschedule dialog states the rule, then moves the visit a day later.
    page.get_by_role("link", name="改约").click()
    dialog = page.locator("#visit-dialog")
    dialog.wait_for(state="visible")
    assert "至少提前 2 小时" in dialog.inner_text()
    dialog.get_by_label("日期").fill((tomorrow + timedelta(days=1)).isoformat())
    dialog.get_by_label("改约原因").fill("客户临时出差")
    dialog.get_by_label("已向客户致歉，客户同意新的时间").check()
    dialog.locator("blockquote.sms").filter(has_text="由于客户临时出差").wait_for()
    shot(page, "05-reschedule-dialog")
    dialog.get_by_role("button", name="改约并发送致歉短信").click()
    page.get_by_text("已改约，客户将收到致歉短信。").wait_for()
    moved = Visit.objects.get(rescheduled_from=visit)
    assert page.get_by_text("改约自").is_visible()
    shot(page, "06-rescheduled")

    # Cancel, with a reason and the customer's agreement (R11); the SMS apologises.
    page.get_by_role("link", name="取消上门").click()
    dialog.wait_for(state="visible")
    dialog.get_by_label("取消原因").fill("客户反映信号已恢复")
    dialog.get_by_label("我已向客户致歉并说明原因，客户同意").check()
    shot(page, "07-cancel-dialog")
    dialog.get_by_role("button", name="取消上门").click()
    page.get_by_text("上门已取消，客户将收到致歉短信。").wait_for()
    moved.refresh_from_db()
    assert moved.status == VisitStatus.CANCELLED
    shot(page, "08-cancelled")

    page.goto(f"/visits/board/?day={tomorrow.isoformat()}")
    assert page.get_by_text("孙先生").first.is_visible()
    shot(page, "09-day-board")
    page.goto(f"/visits/board/?day={tomorrow.isoformat()}&view=week")
    shot(page, "10-week-board")


def test_engineer_walks_a_visit_on_a_phone(new_page, dispatcher, engineer, shot):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=40)
    visit = book(dispatcher, open_ticket(dispatcher), engineer, start)
    phone = {**PHONE, "geolocation": GUANGZHOU, "permissions": ["geolocation"]}

    page = new_page(engineer, phone)
    page.wait_for_url("**/visits/today/")
    assert page.get_by_role("heading", name="今日上门").is_visible()
    fits_the_phone(page)
    shot(page, "01-today")
    page.get_by_role("link", name="赵先生").first.click()

    # 1 Call: one tap records the re-confirmation (R8).
    page.get_by_role("button", name="已与客户再次确认时间").click()
    page.get_by_text("已再次确认，客户将收到确认短信。").wait_for()
    fits_the_phone(page)
    shot(page, "02-reconfirmed")

    # 3 Enter is refused until the kit is done (R20), and the button says so.
    assert page.get_by_role("button", name="已到达").is_disabled()
    assert page.locator("#arrive-blocked").inner_text().startswith("请先完成“七个一”检查")
    shot(page, "03-kit-gate")
    kit_done(visit)  # what the checklists app does once every item is ticked
    page.reload()
    page.get_by_role("button", name="已到达").click()
    page.get_by_text("已登记到达。").wait_for()
    visit.refresh_from_db()
    assert visit.arrival_punctual is True  # R9: 35 minutes early
    assert float(visit.arrival_latitude) == pytest.approx(GUANGZHOU["latitude"])
    assert page.get_by_text("提前 5 分钟：准时").is_visible()
    shot(page, "04-arrived")

    # R14 at the door, then work.
    for label in (
        "已出示工作牌并自我介绍",
        "经客户允许后进门",
        "已穿戴鞋套",
        "已向客户说明工作内容",
        "已将服务监督调查表交客户阅读",
    ):
        page.get_by_label(label).check()
    page.get_by_role("button", name="开始作业").click()
    page.get_by_text("已开始作业，请记录网络测试。").wait_for()
    shot(page, "05-at-work")

    # 4 Work: a typed network test, then the outcome with a reply promise (R15).
    form = page.locator("form.measure-form")
    form.get_by_label("处理前").check()
    form.get_by_label("4G").check()
    form.get_by_label("测试位置").fill("客厅")
    form.get_by_label("RSRP（dBm）").fill("-115")
    form.get_by_label("SINR（dB）").fill("-3")
    form.get_by_label("下载（Mbps）").fill("2.5")
    form.get_by_label("上传（Mbps）").fill("0.4")
    form.get_by_label("时延（ms）").fill("140")
    form.get_by_label("通话掉线").check()
    fits_the_phone(page)
    shot(page, "06-measurement-form")
    form.get_by_role("button", name="保存测试").click()
    page.get_by_text("已记录网络测试。").wait_for()
    page.get_by_label("未解决：约定回复时间").check()
    page.get_by_label("发现的问题和处理情况").fill("周边基站需优化参数")
    shot(page, "07-outcome")
    page.get_by_role("button", name="提交测试结果").click()
    page.get_by_text("已提交测试结果。").wait_for()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.UNRESOLVED

    # 5 Leave: the result, and the promised reply recorded later.
    assert page.get_by_text("周边基站需优化参数").first.is_visible()
    shot(page, "08-leave")
    page.get_by_label("告知客户的内容").fill("基站参数已优化，请您试用。")
    page.get_by_role("button", name="登记回复").click()
    page.get_by_text("已登记回复。").wait_for()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REPLIED
    fits_the_phone(page)
    shot(page, "09-replied")


def test_engineer_at_a_door_nobody_opens(new_page, dispatcher, engineer, shot):
    """R13 on a phone: knock, the wait timer, an unanswered call, no answer, the note card."""
    real_now = timezone.now()
    with time_machine.travel(real_now, tick=True) as clock:
        start = real_now.replace(second=0, microsecond=0) + timedelta(minutes=20)
        visit = book(dispatcher, open_ticket(dispatcher), engineer, start)
        services.reconfirm_visit(actor=engineer, visit=visit)
        kit_done(visit)
        page = new_page(engineer, PHONE)
        page.goto(f"/visits/{visit.pk}/")
        page.get_by_role("button", name="已到达").click()
        page.get_by_text("已登记到达。").wait_for()
        page.get_by_role("button", name="已敲门（开始计时）").click()
        timer = page.locator(".timer")
        timer.wait_for()
        assert "须等候 10 分钟" in timer.inner_text()
        assert page.locator("#no-answer-btn").is_disabled()
        fits_the_phone(page)
        shot(page, "01-wait-timer")

        page.get_by_role("button", name="电话无人接听").click()
        page.get_by_text("已登记电话无人接听。").wait_for()
        clock.shift(timedelta(minutes=10, seconds=5))
        page.reload()
        assert page.locator("#no-answer-btn").is_enabled()
        shot(page, "02-wait-over")
        page.locator("#no-answer-btn").click()
        page.get_by_text("已登记无人应答，请立即提交到访留言卡。").wait_for()
        assert page.get_by_label("客户姓氏").input_value() == "赵"
        fits_the_phone(page)
        shot(page, "03-note-form")
        page.get_by_label("联系电话").fill("13800139000")
        page.get_by_role("button", name="提交到访留言卡").click()
        page.get_by_text("到访留言卡已提交，客户也将收到短信。").wait_for()
        shot(page, "04-note-filed")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.NO_ANSWER and visit.note.contact_phone == "13800139000"
    assert not Violation.objects.filter(visit=visit).exists()


def test_week_board_chips_open_their_visit_at_both_widths(new_page, dispatcher, engineer, shot):
    """Issue 14: the week's chips are written in one pass (times, link, status prepared once);
    they still show the time and the customer and open the visit, on a desk and a phone."""
    start = (timezone.now() + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    visit = book(dispatcher, open_ticket(dispatcher, customer_name="周<b>女士"), engineer, start)
    day = timezone.localdate(visit.start).isoformat()
    for device, name in ((DESKTOP, "1280"), (PHONE, "360")):
        page = new_page(dispatcher, device)
        page.goto(f"/visits/board/?day={day}&view=week")
        chip = page.locator("a.chip").first
        assert "周<b>女士" in chip.inner_text()  # escaped, not markup
        assert timezone.localtime(visit.start).strftime("%H:%M") in chip.inner_text()
        shot(page, f"week-board-{name}")
        chip.click()
        page.wait_for_url(f"**/visits/{visit.pk}/")
