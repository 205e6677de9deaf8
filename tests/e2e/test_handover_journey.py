"""Journey: a handover mid-visit on 360 px phones (JOURNEYS engineer 4, customer 2; R16, R14,
R20). The engineer asks; the customer's phone (the `file` SMS backend) receives the code, which
the customer types on the customer's screen of the engineer's phone; the receiving engineer finds
the note, the tests so far and their own kit gate."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dispatch.delivery import deliver_pending
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import make_user, open_ticket
from tests.visits.factories import at_work, book, measured
from visits.models import HandoverState, Visit, VisitHandover, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "客厅RSRP -112，室分天线老化，需登高更换"
REASON = "需登高更换室分天线"


@pytest.fixture
def customer_phone(settings, tmp_path):
    """The customer's phone: the file backend appends every SMS it receives."""
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "BACKEND": "file",
        "FILE_DIR": str(tmp_path / "phones"),
    }
    return tmp_path / "phones" / "+8613800138000.txt"


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 361


def test_r16_the_customer_agrees_with_their_code_and_the_colleague_does_their_own_kit(
    new_page, dispatcher, supervisor, engineer, customer_phone, shot
):
    colleague = make_user("engineer", username="engineer_li", first_name="伟", last_name="李")
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
    visit = book(dispatcher, open_ticket(dispatcher), engineer, start)
    measured(at_work(visit))  # arrived early, door checks done, one network test
    when = timezone.localtime(timezone.now() + timedelta(hours=2)).replace(second=0)
    when = when.replace(minute=when.minute // 5 * 5)

    # The engineer, on site: the handover panel of the visit page.
    page = new_page(engineer, PHONE)
    page.goto(f"/visits/{visit.pk}/")
    page.get_by_text("交接给其他工程师").click()
    panel = page.locator("#handover")
    panel.get_by_label("交接给").select_option(str(colleague.pk))
    panel.get_by_label("日期").fill(when.date().isoformat())
    panel.get_by_label("开始时间").fill(when.strftime("%H:%M"))
    panel.get_by_label("时长").select_option("60")
    panel.get_by_label("请同事接手的原因").fill(REASON)
    panel.get_by_label("交接说明").fill(NOTE)
    fits_the_phone(page)
    shot(page, "01-engineer-asks")
    panel.get_by_role("button", name="向客户发送验证码").click()

    # The customer's screen on the engineer's phone: no staff navigation, who/when/why.
    page.wait_for_url(f"**/visits/{visit.pk}/handover/consent/")
    expect(page.get_by_role("heading", name="同意更换上门工程师")).to_be_visible()
    expect(page.get_by_role("heading", name="将由李伟接手您的服务")).to_be_visible()
    expect(page.get_by_text(REASON)).to_be_visible()
    expect(page.get_by_text("138****8000")).to_be_visible()
    assert page.locator("nav a").count() == 0
    assert NOTE not in page.content()
    fits_the_phone(page)
    shot(page, "02-customer-screen")
    assert VisitHandover.objects.get().state == HandoverState.PENDING

    # The customer's own phone receives the SMS, code included (sent at once: urgent).
    deliver_pending()
    received = customer_phone.read_text(encoding="utf-8")
    assert "李伟" in received and REASON in received and when.strftime("%H:%M") in received
    code = re.findall(r"(?<!\d)\d{6}(?!\d)", received)[-1]
    assert code not in page.content()

    # A wrong code first: said next to the field, nothing changes.
    page.get_by_label("短信验证码").fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="我同意").tap()
    expect(page.get_by_text("验证码不正确，请核对短信后重新输入。")).to_be_visible()
    shot(page, "03-wrong-code")
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.AT_WORK

    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="我同意").tap()
    expect(page.get_by_role("heading", name="谢谢您的同意")).to_be_visible()
    expect(page.get_by_text("请将手机交还给工程师。")).to_be_visible()
    fits_the_phone(page)
    shot(page, "04-customer-agreed")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.HANDED_OVER
    successor = Visit.objects.get(handed_over_from=visit)

    # The first engineer's page: the steps are over, the work went to the colleague.
    page.goto(f"/visits/{visit.pk}/")
    expect(page.get_by_text("经客户同意，已交接给李伟")).to_be_visible()
    shot(page, "05-first-engineer-after")

    # The receiving engineer: the note, the tests so far, and their own kit gate (R20).
    other = new_page(colleague, PHONE)
    other.goto(f"/visits/{successor.pk}/")
    handover_in = other.locator("section.handover-in")
    expect(handover_in).to_contain_text(NOTE)
    expect(handover_in).to_contain_text("交接给您")
    other.get_by_text("的测试结果（只读）").click()
    expect(handover_in.locator("table.measurements")).to_contain_text("-112.5")
    assert other.get_by_role("button", name="已到达").is_disabled()
    expect(other.locator("#arrive-blocked")).to_contain_text("七个一")
    fits_the_phone(other)
    shot(other, "06-colleague-sees-note-and-kit-gate")
    other.get_by_role("link", name="检查“七个一”").click()
    expect(other.locator("[data-kit-done]")).to_have_text("0")
    shot(other, "07-colleague-own-kit")

    # The desk: the handover on the record (how the customer agreed), the SMS masked.
    desk = new_page(supervisor, DESKTOP)
    desk.goto(f"/visits/{visit.pk}/")
    handovers = desk.locator("section[aria-labelledby=handovers]")
    expect(handovers).to_contain_text("客户输入了发送到其手机的验证码")
    expect(handovers).to_contain_text("李伟")
    expect(desk.get_by_role("link", name=re.compile("李伟"))).to_be_visible()
    sms = desk.locator("section[aria-labelledby=sms]")
    expect(sms).to_contain_text("••••••")
    assert code not in desk.content()
    shot(desk, "08-desk-handed-over")
