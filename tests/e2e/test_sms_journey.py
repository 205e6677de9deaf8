"""A customer SMS the provider refused (an invalid number, issue 16) shows on its ticket and on
the supervisor's dashboard, at 360 px and 1280 px. The Aliyun SDK, unmocked, talks to a loopback
fake of Aliyun's API (tests.sms_fakes)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from dispatch.delivery import deliver_pending
from dispatch.notifications import queue_sms
from tests.e2e.conftest import DESKTOP, PHONE
from tests.sms_fakes import ALIYUN_ENV, FakeProvider, template_codes

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path("/tmp/sms")


@pytest.fixture
def aliyun(settings, monkeypatch):
    fake = FakeProvider("aliyun").start()
    for name, value in ALIYUN_ENV.items():
        monkeypatch.setenv(name, value)
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKEND": "aliyun"}
    settings.SMS = {
        **settings.SMS,
        "ENDPOINT": fake.url,
        "SIGN_NAME": "中国电信客服",
        "TEMPLATE_CODES": template_codes("aliyun"),
    }
    yield fake
    fake.stop()


def test_a_customer_sms_to_an_invalid_number_shows_on_the_ticket_and_dashboard(
    new_page, aliyun, ticket, supervisor, shot
):
    queue_sms(ticket=ticket, template="survey_closing", context={}, urgent=True)
    aliyun.script = ["invalid_number"]
    assert deliver_pending().failed == 1
    SHOTS.mkdir(exist_ok=True)

    desk = new_page(supervisor, DESKTOP)
    desk.goto(f"/tickets/{ticket.number}/")
    warning = desk.locator("#failed-sms")
    expect(warning).to_contain_text("发给客户的短信未送达")
    expect(warning).to_contain_text("号码无法接收短信，请核对联系电话")
    shot(desk, "01-ticket-desktop")
    desk.screenshot(path=str(SHOTS / "ticket-1280.png"), full_page=True)

    desk.goto("/supervisor/")
    section = desk.locator("#failed-sms")
    expect(section.get_by_role("heading")).to_contain_text("未送达的客户短信")
    expect(section.get_by_role("link", name=ticket.number)).to_be_visible()
    shot(desk, "02-dashboard-desktop")
    desk.screenshot(path=str(SHOTS / "dashboard-1280.png"), full_page=True)
    section.get_by_role("link", name="到发件箱重新发送").click()
    expect(desk.get_by_role("button", name="重新发送")).to_be_visible()
    expect(desk.locator("table.outbox")).to_contain_text("号码无法接收短信")
    desk.screenshot(path=str(SHOTS / "outbox-1280.png"), full_page=True)

    phone = new_page(supervisor, PHONE)
    phone.goto(f"/tickets/{ticket.number}/")
    expect(phone.locator("#failed-sms")).to_contain_text("号码无法接收短信")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361
    phone.screenshot(path=str(SHOTS / "ticket-360.png"), full_page=True)
    phone.goto("/supervisor/")
    expect(phone.locator("#failed-sms")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361
    phone.screenshot(path=str(SHOTS / "dashboard-360.png"), full_page=True)
    phone.goto("/outbox/?state=failed")
    expect(phone.locator("table.outbox")).to_contain_text("号码无法接收短信")
    phone.screenshot(path=str(SHOTS / "outbox-360.png"), full_page=True)
