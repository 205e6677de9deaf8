"""Journeys of issue 15, the desk's day, in Chromium: the desk at 1280 px completes a bare ticket
(R1, R2), finds a repeat caller and records the call on their ticket (R6), can't take a
complaint twice; a late reschedule says everything at once (R11); the engineer's phone at 360 px
shows a network test's ranges in words; the customer's page at 360 px carries no staff
navigation and says every missing answer at once (R22–R24); a signed survey prints on A4.
Screenshots under test-artifacts/<test>/."""

import importlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dispatch import services as desk
from dispatch.models import CustomerContact, Ticket
from surveys import services as surveys
from tests.e2e.conftest import ARTIFACTS, DESKTOP, PHONE, no_english
from tests.factories import open_ticket
from tests.surveys.factories import (
    GOOD_ANSWERS,
    ended_visit,
    measure,
    sms_to,
    strokes,
    token_from_sms,
)
from tests.visits.factories import at_work, book
from visits.models import Measurement, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def survey_questions(transactional_db):
    """The survey items, seeded again after an earlier test's flush (as in the survey journey)."""
    from django.apps import apps

    importlib.import_module("surveys.migrations.0002_seed_questions").seed(apps, None)


def test_desk_completes_a_bare_ticket_and_finds_a_repeat_caller(new_page, dispatcher, shot):
    bare = desk.open_ticket(actor=dispatcher, kind="solve", phenomenon="家里手机没信号")
    caller = open_ticket(dispatcher, customer_name="钱女士", phone="13900139002")
    page = new_page(dispatcher, DESKTOP)

    # 1. The ticket taken without its facts or contact opens with its form to complete.
    page.goto(f"/tickets/{bare.number}/")
    expect(page.get_by_text("补全或更正工单信息")).to_be_visible()
    no_english(page)
    shot(page, "01-bare-ticket")
    page.locator("#edit").get_by_label("客户姓名").fill("孙女士")
    page.locator("#edit").get_by_label("联系电话").fill("12345")
    page.locator("#edit").get_by_label("具体位置").fill("卫生间")
    page.locator("#edit").get_by_label("客户如何操作").fill("洗澡时接电话")
    page.get_by_role("button", name="保存信息").click()
    expect(page.locator("#edit .has-error")).to_have_count(1)  # the phone, in words
    expect(page.locator("#edit").get_by_text("合法的电话号码")).to_be_visible()
    shot(page, "02-phone-refused-at-its-field")
    page.locator("#edit").get_by_label("联系电话").fill("139 0013 9011")
    page.get_by_role("button", name="保存信息").click()
    expect(page.get_by_text("工单信息已保存。")).to_be_visible()
    expect(page.get_by_role("link", name="预约上门")).to_be_visible()  # R1, R2: bookable now
    expect(page.get_by_text("工单信息已补全或更正")).to_be_visible()  # the timeline
    shot(page, "03-completed-bookable")

    # 2. Search the list for the caller, in Chinese.
    page.goto("/tickets/")
    page.get_by_label("搜索").fill("钱女士")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("link", name=caller.number)).to_be_visible()
    expect(page.get_by_role("link", name=bare.number)).to_have_count(0)
    shot(page, "04-search")

    # 3. At intake, the phone typed shows the caller's open ticket; the call goes on it.
    page.goto("/tickets/new/")
    page.get_by_label("联系电话").fill("139 0013 9002")
    expect(page.get_by_text("该来电客户有 1 张未结工单")).to_be_visible()
    page.get_by_label("故障现象").fill("又断线了，第三次来电")
    shot(page, "05-intake-shows-the-callers-ticket")
    no_english(page)
    page.get_by_role("button", name=f"把这次来电记到 {caller.number}").click()
    page.wait_for_url(f"**/tickets/{caller.number}/")
    expect(page.get_by_text("这次来电已作为客户联系记录")).to_be_visible()
    assert Ticket.objects.count() == 2
    assert "又断线了" in CustomerContact.objects.get(ticket=caller).progress
    shot(page, "06-call-recorded-on-the-ticket")


def test_the_intake_form_sent_twice_takes_one_ticket(new_page, dispatcher, shot):
    page = new_page(dispatcher, DESKTOP)
    page.goto("/tickets/new/")
    page.get_by_label("客户姓名").fill("李女士")
    page.get_by_label("故障现象").fill("室内没信号")
    page.get_by_label("解决问题型").check()
    page.get_by_role("button", name="受理投诉").dblclick()
    # The second click aborts the first click's navigation: wait for where the browser lands,
    # not for one navigation (wait_for_url fails on the aborted one).
    expect(page).to_have_url(re.compile(r"/tickets/TS-[^/]+/$"), timeout=15_000)
    number = page.url.rstrip("/").rsplit("/", 1)[1]
    page.go_back()
    page.wait_for_url("**/tickets/new/")
    expect(page.get_by_label("客户姓名")).to_have_value("李女士")
    page.get_by_role("button", name="受理投诉").click()
    page.wait_for_url(f"**/tickets/{number}/")
    expect(page.get_by_text("此表单已提交过")).to_be_visible()
    assert Ticket.objects.count() == 1
    shot(page, "01-sent-again-one-ticket")


def test_a_late_reschedule_says_everything_at_once(new_page, dispatcher, engineer, shot):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=90)
    visit = book(dispatcher, open_ticket(dispatcher), engineer, start)
    page = new_page(dispatcher, DESKTOP)
    page.goto(f"/visits/{visit.pk}/reschedule/")
    page.get_by_label("日期").fill((timezone.localdate() + timedelta(days=1)).isoformat())
    page.get_by_label("开始时间").fill("10:00")
    page.get_by_role("button", name="提交主管审批").click()
    form = page.locator("form[action$='/reschedule/']")
    expect(form.locator(".field.has-error")).to_have_count(3)
    for label in ("改约原因", "已向客户致歉，客户同意新的时间", "不可抗力"):
        error = form.locator(".field.has-error", has_text=label).locator(".errorlist")
        expect(error).to_be_visible()
    no_english(page)
    shot(page, "01-three-errors-one-submit")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.BOOKED


def test_the_engineers_network_test_in_words(new_page, dispatcher, engineer, shot):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=30)
    visit = at_work(book(dispatcher, open_ticket(dispatcher), engineer, start))
    page = new_page(engineer, PHONE)
    page.goto(f"/visits/{visit.pk}/")
    page.locator("#id_place").fill("")
    page.locator("#id_rsrp_dbm").fill("-20")
    page.locator("#id_sinr_db").fill("99")
    page.locator("#id_download_mbps").fill("3")
    page.locator("#id_upload_mbps").fill("1")
    page.locator("#id_latency_ms").fill("80")
    page.locator("label[for=id_network_0]").click()
    page.locator("label[for=id_call_result_0]").click()
    page.get_by_role("button", name="保存测试").click()
    measurement = page.locator("form[action$='/measure/']")
    expect(measurement.locator(".field.has-error")).to_have_count(3)
    expect(measurement.get_by_text("必须在 -156 到 -31 之间。")).to_be_visible()
    assert "约束" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    measurement.locator(".field.has-error").first.scroll_into_view_if_needed()
    shot(page, "01-ranges-at-their-fields-360")
    assert not Measurement.objects.exists()


def test_the_customers_page_is_the_customers(
    new_page, dispatcher, engineer, ticket, survey_questions, shot
):
    visit = ended_visit(ticket, engineer, dispatcher)
    measure(visit, phase="before")
    # On the engineer's phone, logged in: no staff header, name, alerts or log-out.
    field = new_page(engineer, PHONE)
    issued = surveys.issue_link(actor=engineer, visit=visit, channel="device", base_url="http://x/")
    field.goto(f"/survey/s/{issued.token}/")
    expect(field.locator("header.top")).to_be_visible()
    expect(field.locator("header.top nav")).to_have_count(0)
    expect(field.get_by_role("button", name="退出")).to_have_count(0)
    shot(field, "01-engineers-phone-no-staff-header-360")

    # On the customer's own phone: one submit with nothing done says everything.
    surveys.issue_link(actor=engineer, visit=visit, channel="sms", base_url="http://x/")
    token = token_from_sms(sms_to("13800138000", "survey_link")[-1])
    phone = new_page(None, PHONE)
    phone.goto(f"/survey/s/{token}/")
    phone.get_by_role("button", name="确认并签名").tap()
    expect(phone.get_by_text("签名前请先确认工单内容。")).to_be_visible()
    expect(phone.get_by_text("请回答此项。").first).to_be_visible()
    expect(phone.get_by_text("提交前请在框内签名。")).to_be_visible()
    assert phone.get_by_text("请回答此项。").count() >= 4
    no_english(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361
    shot(phone, "02-every-error-at-once-360")


def test_a_signed_survey_prints_on_a4(
    new_page, dispatcher, engineer, ticket, survey_questions, shot, request
):
    visit = ended_visit(ticket, engineer, dispatcher)
    measure(visit, phase="before")
    measure(visit, phase="after", rsrp="-86.0", download="48.75")
    issued = surveys.issue_link(actor=engineer, visit=visit, channel="sms", base_url="http://x/")
    from django.contrib.auth.models import AnonymousUser

    signed = surveys.sign_survey(
        actor=AnonymousUser(),
        token=issued.token,
        answers=dict(GOOD_ANSWERS),
        work_order_confirmed=True,
        strokes=strokes(),
    )
    page = new_page(dispatcher, {"viewport": {"width": 794, "height": 1123}})
    page.goto(f"/survey/responses/{signed.pk}/")
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    # The favicon is linked and served.
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).ok
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("footer.bottom")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.locator(".print-head")).to_be_visible()
    expect(page.locator(".print-head")).to_contain_text(ticket.number)
    image = page.locator("img.signature-img")
    expect(image).to_be_visible()
    assert page.evaluate("document.querySelector('img.signature-img').naturalWidth") > 0
    no_english(page)
    shot(page, "01-print-a4")
    folder = ARTIFACTS / request.node.name
    pdf = page.pdf(format="A4", print_background=True, path=str(folder / "02-signed-survey.pdf"))
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) <= 2
