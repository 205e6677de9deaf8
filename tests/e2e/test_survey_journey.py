"""Journeys: the customer rates and signs with a finger (JOURNEYS customer 2; engineer step 5;
supervisor 2; R22–R25). The signature is drawn with real touch events in a 360 px viewport."""

import importlib
import json
import re
import time

import pytest
from playwright.sync_api import expect

from surveys import services
from surveys.models import CardHandover, SurveyResponse
from tests.e2e.conftest import DESKTOP, PHONE
from tests.surveys.factories import (
    GOOD_ANSWERS,
    ended_visit,
    measure,
    strokes,
)

pytestmark = pytest.mark.django_db(transaction=True)

RATINGS = {
    "准时守约（按约定时间上门）": 5,
    "仪容仪表与服务态度": 4,
    "专业水平（测试与讲解）": 5,
    "现场整洁（鞋套、垫布、清理现场）": 4,
    "处理结果": 5,
}


@pytest.fixture(autouse=True)
def survey_questions(transactional_db):
    """A transactional test starts after another one's flush, which also empties the rows the
    data migration seeded: put the survey items back the way the migration does."""
    from django.apps import apps

    importlib.import_module("surveys.migrations.0002_seed_questions").seed(apps, None)


@pytest.fixture
def visit(ticket, engineer, dispatcher):
    visit = ended_visit(ticket, engineer, dispatcher)
    measure(visit, phase="before")
    measure(visit, phase="after", rsrp="-86.0", download="48.75")
    return visit


def draw_signature(page):
    """Two strokes with a finger: CDP touch events, which Chromium turns into pointer events
    of type "touch" on the canvas, as on a phone."""
    canvas = page.locator(".signature-pad canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    cdp = page.context.new_cdp_session(page)

    # A finger moves at a human pace (16 ms a step) and rests before lifting; a stroke that
    # ends at speed is a fling to Chromium, which then swallows the next tap. The steps are
    # stamped in the recent past so the taps that follow stay in order.
    clock = [time.time() - 1.5]

    def touch(kind, x=None, y=None):
        clock[0] += 0.016
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": points, "timestamp": clock[0]},
        )

    left, top = box["x"], box["y"]
    for stroke in (
        [(20 + i * 14, 110 + (i % 4) * 12) for i in range(16)],
        [(70 + i * 10, 50 + i * 7) for i in range(12)],
    ):
        touch("touchStart", left + stroke[0][0], top + stroke[0][1])
        for x, y in stroke[1:]:
            touch("touchMove", left + x, top + y)
        for _ in range(8):  # the finger rests before lifting: no fling
            touch("touchMove", left + stroke[-1][0], top + stroke[-1][1])
        touch("touchEnd")
    cdp.detach()


def fill_survey(page):
    for label, score in RATINGS.items():
        group = page.get_by_role("group", name=label)
        group.locator("label").nth(score - 1).tap()
        expect(group.get_by_label(f"{score} 分", exact=False)).to_be_checked()
    page.get_by_role("group", name="您反映的问题是否已经解决？").get_by_label("是").check()
    page.get_by_label("您的宝贵意见").fill("师傅很专业，讲解清楚。")
    page.get_by_label("我已阅读并确认以上工单内容。").check()


def test_customer_signs_on_own_phone_with_a_finger(new_page, engineer, visit, shot, customer_phone):
    # Engineer, step 5 (R21): send the survey link to the customer's phone.
    field = new_page(engineer, PHONE)
    field.goto(f"/survey/visit/{visit.pk}/")
    expect(field.get_by_role("heading", name="调查表与签名")).to_be_visible()
    shot(field, "01-engineer-handoff")
    field.get_by_role("button", name="发送短信链接至 138****8000").tap()
    expect(field.get_by_text("调查表链接已通过短信发送至 138****8000")).to_be_visible()
    shot(field, "02-engineer-link-sent")

    # The customer's own phone: the link from the SMS it received, no account.
    sms = customer_phone.last()
    assert "赵先生" in sms and "••••••" not in sms  # the link in clear, on the phone only
    token = re.search(r"/survey/s/([\w-]+)/", sms).group(1)
    phone = new_page(None, PHONE)
    phone.goto(f"/survey/s/{token}/")
    expect(phone.get_by_role("heading", name="服务监督调查表")).to_be_visible()
    expect(phone.get_by_text("现场已解决")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361
    shot(phone, "03-customer-survey")

    # Submitting without a signature: the server says so at the pad (with anything else missing).
    fill_survey(phone)
    phone.get_by_role("button", name="确认并签名").tap()
    expect(phone.get_by_text("提交前请在框内签名。")).to_be_visible()
    assert not SurveyResponse.objects.exists()

    draw_signature(phone)
    expect(phone.locator("[data-status]")).to_have_text("已签名")
    drawn = json.loads(phone.locator("input[name=signature]").input_value())
    assert len(drawn["strokes"]) == 2
    assert {s["type"] for s in drawn["strokes"]} == {"touch"}
    shot(phone, "04-customer-signed-canvas")
    phone.get_by_role("button", name="确认并签名").tap()
    phone.get_by_role("heading", name="谢谢您的签名").wait_for()
    expect(phone.get_by_text("10000").first).to_be_visible()
    shot(phone, "05-customer-thanks")

    response = SurveyResponse.objects.get()
    assert response.verify()
    assert response.channel == "sms"
    assert response.session_user is None
    assert response.signature_strokes["strokes"][0]["type"] == "touch"
    assert response.answers.get(code="punctuality").score == 5
    assert "Chrome" in response.user_agent
    assert response.ip_address == "127.0.0.1"

    # The engineer's page notices the signature (htmx polling), then the card (R24).
    # The page polls every 5 s; a loaded machine may need a few polls.
    field.get_by_role("heading", name="✓ 客户已签名").wait_for(timeout=30_000)
    shot(field, "06-engineer-sees-signature")
    field.get_by_role("button", name="已递交承诺卡，发送结束短信").tap()
    expect(field.get_by_text("已向客户发送含 10000 热线的结束短信。")).to_be_visible()
    shot(field, "07-engineer-card-handed-over")
    assert CardHandover.objects.filter(visit=visit).exists()
    assert "10000" in customer_phone.last()  # the closing SMS, as the phone shows it

    # The signed record, as the engineer sees it: the server-drawn signature image.
    field.get_by_role("link", name="查看已签署的调查表和工单").tap()
    expect(field.get_by_text("与摘要一致").first).to_be_visible()
    # The image loads after the text: wait for it to decode rather than read it mid-flight.
    signature = field.locator("img.signature-img")
    expect(signature).to_be_visible()
    loaded = signature.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)")
    assert loaded > 0
    shot(field, "08-signed-record")


def test_customer_uses_the_engineers_phone_with_an_sms_code(
    new_page, engineer, visit, shot, customer_phone
):
    page = new_page(engineer, PHONE)
    page.goto(f"/survey/visit/{visit.pk}/")
    page.get_by_role("button", name="显示二维码").tap()
    qr = page.get_by_role("img", name="调查表链接二维码")
    expect(qr).to_be_visible()
    assert qr.locator("svg").count() == 1
    shot(page, "01-qr-code")

    # The customer has no smartphone at hand: they use the engineer's (R23: with their code).
    page.get_by_role("button", name="客户使用我的手机（短信验证码）").tap()
    expect(page.get_by_role("heading", name="确认是您本人")).to_be_visible()
    assert page.get_by_role("button", name="确认并签名").count() == 0
    shot(page, "02-code-step")
    page.get_by_role("button", name="发送验证码").tap()
    expect(page.get_by_text("验证码已发送至 138****8000。")).to_be_visible()
    code = re.search(r"\b(\d{6})\b", customer_phone.last()).group(1)  # from the phone
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="确认", exact=True).tap()
    expect(page.get_by_role("heading", name="确认是您本人")).to_have_count(0)
    expect(page.get_by_role("button", name="确认并签名")).to_be_visible()
    fill_survey(page)
    draw_signature(page)
    shot(page, "03-survey-on-engineers-phone")
    page.get_by_role("button", name="确认并签名").tap()
    page.get_by_role("heading", name="谢谢您的签名").wait_for()
    shot(page, "04-thanks")
    response = SurveyResponse.objects.get()
    assert response.verified_by_code is True
    assert response.session_user == engineer
    assert response.verify()


def test_supervisor_sees_the_four_quadrant_chart(new_page, supervisor, engineer, ticket, shot):
    from tests.factories import make_user

    engineer2 = make_user("engineer", username="engineer_z", first_name="伟", last_name="张")
    for i in range(8):
        who = engineer if i % 2 else engineer2
        visit = ended_visit(ticket, who, supervisor)
        measure(visit)
        token = services.issue_link(actor=who, visit=visit, channel="sms", base_url="x/").token
        answers = dict(
            GOOD_ANSWERS,
            punctuality=2 + i % 2,
            tidiness=3 + i % 2,
            manner=5,
            comments=f"第 {i} 位客户的意见",
        )
        services.sign_survey(
            actor=None, token=token, answers=answers, work_order_confirmed=True, strokes=strokes()
        )
    page = new_page(supervisor, DESKTOP)
    page.goto("/survey/results/")
    expect(page.get_by_role("heading", name="四分图分析")).to_be_visible()
    chart = page.get_by_role("img", name="四分图：重要度 × 满意度")
    expect(chart).to_be_visible()
    # Five items; professionalism and result (both 5.0, importance 5) share one marker.
    assert chart.locator(".qc-point").count() == 4
    expect(chart.locator(".qc-n", has_text="3·5")).to_have_count(1)
    expect(page.get_by_text("修补区（优先改进）").first).to_be_visible()
    shot(page, "01-results-desktop")
    page.get_by_label("客服支撑工程师").select_option(label="张伟")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name="四分图分析 · 张伟")).to_be_visible()
    shot(page, "02-results-one-engineer")
    page.get_by_role("link", name="全部意见").click()
    expect(page.get_by_text("第 0 位客户的意见")).to_be_visible()
    shot(page, "03-comments")

    phone = new_page(supervisor, PHONE)
    phone.goto("/survey/results/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361
    shot(phone, "04-results-360")
