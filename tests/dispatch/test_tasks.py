"""The beat schedule and the thin tasks it runs (docs/design.md#background-work)."""

import json
import os
import uuid
from datetime import timedelta

import pytest
import redis
import time_machine

from config.celery import app as celery_app
from dispatch import delivery, tasks
from dispatch.models import Notification, NotificationState
from tests.broker import publishing_to
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


def test_delivery_asks_a_worker_for_the_task_the_worker_runs():
    """dispatch.delivery enqueues by the task's name (it doesn't import dispatch.tasks, which
    imports it): the message on the broker names the task registered to send the outbox."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    queue = f"test-enqueue-{uuid.uuid4().hex}"
    with publishing_to(url, queue):
        delivery.enqueue_delivery()
    client = redis.Redis.from_url(url)
    try:
        raw = client.lpop(queue)
    finally:
        client.delete(queue)
    assert raw is not None, "nothing was put on the broker"
    name = json.loads(raw)["headers"]["task"]
    assert name == tasks.deliver_notifications.name == "dispatch.tasks.deliver_notifications"
    assert name in celery_app.tasks
