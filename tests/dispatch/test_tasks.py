"""The beat schedule and the thin tasks it runs (docs/design.md#background-work)."""

from datetime import timedelta

import pytest
import time_machine

from config.celery import app as celery_app
from dispatch import tasks
from dispatch.models import Notification, NotificationState
from tests.dispatch.conftest import NOW
from tests.factories import open_ticket


def test_beat_sweeps_and_delivers_every_minute():
    schedule = celery_app.conf.beat_schedule
    assert schedule["sweep-deadlines"]["task"] == "dispatch.tasks.sweep_deadlines"
    assert schedule["deliver-notifications"]["task"] == "dispatch.tasks.deliver_notifications"
    for entry in schedule.values():
        assert entry["schedule"] == 60.0  # "on time within a minute"
        assert entry["options"]["expires"] == 60.0  # a stale run is dropped, not piled up
        assert entry["task"] in celery_app.tasks


@pytest.mark.django_db
def test_tasks_sweep_then_deliver_and_are_safe_to_repeat(dispatcher):
    with time_machine.travel(NOW, tick=False):
        open_ticket(dispatcher)
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        assert tasks.sweep_deadlines()["overdue"] == 1
        assert tasks.sweep_deadlines()["overdue"] == 0
        assert tasks.deliver_notifications()["sent"] == 1
        assert tasks.deliver_notifications()["sent"] == 0
    assert Notification.objects.get().state == NotificationState.SENT
