"""Fixtures of the deadlines and outbox tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import BannedPhrase, Notification
from dispatch.sms import Kind, customer_sms
from visits.models import Visit

# A Monday morning in Beijing: inside working hours, outside the quiet hours (21:00–08:00).
NOW = timezone.datetime(2026, 11, 23, 10, 0, tzinfo=timezone.get_fixed_timezone(480))


@pytest.fixture
def make_visit():
    """make_visit(ticket, engineer, start=…): a Visit row made directly, as the visits app
    would book it (these tests don't depend on its services)."""

    def _make(ticket, engineer, start=None, minutes=60):
        start = start or timezone.now() + timedelta(hours=3)
        return Visit.objects.create(
            ticket=ticket,
            engineer=engineer,
            start=start,
            end=start + timedelta(minutes=minutes),
            booked_by=ticket.owner,
        )

    return _make


class RecordingBackend:
    """Remembers every message it was asked to send; fails on demand."""

    sent: list[int] = []
    fail_with = None

    def send(self, notification: Notification) -> str:
        if RecordingBackend.fail_with is not None:
            raise RecordingBackend.fail_with
        RecordingBackend.sent.append(notification.pk)
        return f"gw-{notification.pk}"


@pytest.fixture
def recording_backend(settings):
    RecordingBackend.sent = []
    RecordingBackend.fail_with = None
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "BACKEND": "tests.dispatch.conftest.RecordingBackend",
    }
    return RecordingBackend


# The test templates, declared as an app declares its customer SMS (dispatch.sms).
for _name in ("test_reminder", "test_late"):
    customer_sms(
        _name,
        variables={"name": Kind.NAME, "when": Kind.TEXT},
        values=lambda c: {"name": c["ticket"].customer_name, "when": c["when"]},
        label="test " + _name,
    )


@pytest.fixture
def sms_templates(settings):
    """Customer SMS templates for the tests (the real ones belong to the visits and surveys
    apps): templates/sms/test_*.txt under tests/dispatch/."""
    from pathlib import Path

    engines = [dict(engine) for engine in settings.TEMPLATES]
    engines[0]["DIRS"] = [*engines[0]["DIRS"], Path(__file__).parent / "templates"]
    settings.TEMPLATES = engines


@pytest.fixture
def banned_phrase(db):
    return BannedPhrase.objects.get(phrase="这是我们公司的规定")
