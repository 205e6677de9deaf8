"""Journeys: an engineer's missed arrival reaches them and the supervisor (R9 via the sweep);
the supervisor reads the outbox; the dispatcher is warned of a banned phrase while typing (R27)."""

import importlib
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dispatch import deadlines
from dispatch.backends import DeliveryError
from dispatch.delivery import deliver_pending
from dispatch.models import DeadlineKind, Notification
from dispatch.sweep import sweep_deadlines
from tests.dispatch.conftest import RecordingBackend
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import open_ticket
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def failing_gateway(settings):
    RecordingBackend.sent, RecordingBackend.fail_with = [], None
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "BACKEND": "tests.dispatch.conftest.RecordingBackend",
    }
    yield RecordingBackend
    RecordingBackend.fail_with = None


def missed_arrival(dispatcher, engineer):
    """A visit that started ten minutes ago with no arrival recorded, swept (R9)."""
    ticket = open_ticket(dispatcher)
    start = timezone.now() - timedelta(minutes=10)
    visit = Visit.objects.create(
        ticket=ticket,
        engineer=engineer,
        start=start,
        end=start + timedelta(hours=1),
        booked_by=dispatcher,
    )
    deadlines.open_deadline(
        kind=DeadlineKind.ARRIVAL,
        ticket=ticket,
        visit=visit,
        due_at=start - timedelta(minutes=5),
        responsible=engineer,
    )
    sweep_deadlines()
    return ticket


def test_engineer_taps_the_badge_and_sees_the_missed_arrival(
    new_page, dispatcher, engineer, supervisor, shot
):
    ticket = missed_arrival(dispatcher, engineer)
    page = new_page(engineer, PHONE)
    badge = page.locator("a.badge")
    assert badge.inner_text() == "1"
    shot(page, "01-badge")
    badge.click()
    page.wait_for_url("**/alerts/")
    assert page.get_by_role("heading", name="我的超时事项").is_visible()
    assert page.get_by_text("到达").first.is_visible()
    assert page.get_by_text("超时：工单").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    shot(page, "02-alerts-360")
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_url("**/alerts/")
    assert not Notification.objects.filter(recipient=engineer, read_at__isnull=True).exists()
    shot(page, "03-read")
    # The alert leads to the visit it is about: the engineer's page, not the desk's ticket.
    visit = ticket.visits.get()
    page.get_by_role("link", name=ticket.number).first.click()
    page.wait_for_url(f"**/visits/{visit.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(ticket.customer_name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    shot(page, "04-visit-from-alert")


def test_supervisor_reads_the_outbox_and_resends_a_failure(
    new_page, dispatcher, engineer, supervisor, shot, failing_gateway
):
    ticket = missed_arrival(dispatcher, engineer)
    failing_gateway.fail_with = DeliveryError("SMS gateway HTTP 503")
    deliver_pending()
    page = new_page(supervisor, DESKTOP)
    page.get_by_role("link", name="发件箱").click()
    page.wait_for_url("**/outbox/")
    assert page.get_by_role("link", name=ticket.number).first.is_visible()
    assert page.get_by_text("SMS gateway HTTP 503").first.is_visible()
    shot(page, "01-outbox")

    failing_gateway.fail_with = DeliveryError("SMS gateway HTTP 400", permanent=True)
    Notification.objects.update(send_after=None)
    deliver_pending()
    page.goto("/outbox/?state=failed")
    page.get_by_role("button", name="重新发送").first.click()
    page.wait_for_url("**/outbox/?state=failed")
    assert page.get_by_text("该消息将重新发送。").is_visible()
    shot(page, "02-resent")


@pytest.fixture
def banned_phrases(transactional_db):
    """The phrases of the data migration: a transactional test before this one flushed them."""
    from django.apps import apps

    migration = importlib.import_module("dispatch.migrations.0005_banned_phrases")
    migration.seed_phrases(apps, None)


@pytest.mark.usefixtures("banned_phrases")
def test_dispatcher_is_warned_of_a_banned_phrase_while_typing(new_page, dispatcher, shot):
    ticket = open_ticket(dispatcher)
    page = new_page(dispatcher, DESKTOP)
    page.goto(f"/tickets/{ticket.number}/")
    page.get_by_text("记录与客户的联系").click()
    page.get_by_label("告知客户的内容").fill("已告知客户：这是我们公司的规定，信不信由你。")
    warning = page.locator("#id_progress_banned .banned")
    warning.wait_for(timeout=5000)
    assert "“这是我们公司的规定”" in warning.inner_text()
    assert "“信不信由你”" in warning.inner_text()
    shot(page, "01-warning")
    page.get_by_label("告知客户的内容").fill("已向客户说明原因，明天上午10点前回复。")
    # A locator, not wait_for_function: that evaluates a string, which the CSP refuses.
    expect(page.locator("#id_progress_banned .banned")).to_have_count(0)
    shot(page, "02-clean")
