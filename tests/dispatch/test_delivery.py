"""Sending the outbox: claims, backoff, failures, quiet hours, the backends, and nothing sent
inside a request (docs/design.md#messages)."""

import logging
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections, transaction
from django.utils import timezone

from dispatch import delivery, notifications, services
from dispatch.backends import DeliveryError, get_backend
from dispatch.delivery import deliver_pending, in_quiet_hours, quiet_hours_end
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Event, Notification, NotificationState
from dispatch.notifications import notify_staff, queue_sms
from tests.broker import publishing_to
from tests.dispatch.conftest import NOW
from tests.factories import open_ticket

pytestmark = pytest.mark.django_db

BEIJING = timezone.get_fixed_timezone(480)


def at(hour, minute=0, day=23):
    return timezone.datetime(2026, 11, day, hour, minute, tzinfo=BEIJING)


def sms(ticket, template="test_reminder", **kwargs):
    return queue_sms(ticket=ticket, template=template, context={"when": "明天上午9点"}, **kwargs)


def refreshed(notification):
    notification.refresh_from_db()
    return notification


class TestQuietHours:
    @pytest.mark.parametrize(
        ("when", "quiet"),
        [(at(20, 59), False), (at(21, 0), True), (at(23, 30), True), (at(7, 59), True)]
        + [(at(8, 0), False), (at(12, 0), False)],
    )
    def test_quiet_from_21_to_8_by_default(self, when, quiet):
        assert in_quiet_hours(when) is quiet

    def test_held_until_eight_the_next_morning(self):
        assert quiet_hours_end(at(22, 15)) == at(8, 0, day=24)
        assert quiet_hours_end(at(6, 30)) == at(8, 0)
        assert quiet_hours_end(at(12, 0)) == at(12, 0)

    def test_hours_are_settings(self, settings):
        settings.NOTIFICATIONS = {
            **settings.NOTIFICATIONS,
            "QUIET_HOURS_START": "22:00",
            "QUIET_HOURS_END": "07:30",
        }
        assert not in_quiet_hours(at(21, 30))
        assert quiet_hours_end(at(23, 0)) == at(7, 30, day=24)

    def test_a_reminder_queued_at_night_waits_for_the_morning(
        self, sms_templates, recording_backend, dispatcher
    ):
        ticket = open_ticket(dispatcher)
        with time_machine.travel(at(22, 30), tick=False):
            reminder = sms(ticket)  # not about an imminent visit
            assert not reminder.urgent
            assert reminder.send_after == at(8, 0, day=24)
            assert deliver_pending().sent == 0
        with time_machine.travel(at(7, 59), tick=False):
            assert deliver_pending().sent == 0
        with time_machine.travel(at(8, 0, day=24), tick=False):
            assert deliver_pending().sent == 1
        assert recording_backend.sent == [reminder.pk]

    def test_a_reminder_that_was_held_up_until_night_still_waits(
        self, sms_templates, recording_backend, dispatcher
    ):
        # Queued in the evening but not sent before 21:00 (the broker was down): still held.
        ticket = open_ticket(dispatcher)
        with time_machine.travel(at(20, 50), tick=False):
            reminder = sms(ticket)
            assert reminder.send_after is None
        with time_machine.travel(at(21, 5), tick=False):
            assert deliver_pending().sent == 0
        assert refreshed(reminder).state == NotificationState.PENDING

    def test_late_notice_and_staff_alerts_go_at_once(
        self, sms_templates, recording_backend, dispatcher, monkeypatch
    ):
        monkeypatch.setattr(notifications, "URGENT_SMS_TEMPLATES", frozenset({"test_late"}))
        ticket = open_ticket(dispatcher)
        with time_machine.travel(at(23, 0), tick=False):
            late = sms(ticket, template="test_late")  # R10: urgent by its template
            moved = sms(ticket, template="test_reminder", urgent=True)  # said by the caller
            alert = notify_staff(
                user=dispatcher, template="deadline_due_soon", context={}, ticket=ticket
            )
            assert deliver_pending().sent == 3
        assert late.urgent and moved.urgent and alert.urgent
        assert sorted(recording_backend.sent) == sorted([late.pk, moved.pk, alert.pk])


class TestRetries:
    def test_failure_is_retried_with_growing_backoff_then_marked_failed(
        self, sms_templates, recording_backend, dispatcher
    ):
        ticket = open_ticket(dispatcher)
        recording_backend.fail_with = DeliveryError("gateway timeout")
        with time_machine.travel(NOW, tick=False) as clock:
            message = sms(ticket, urgent=True)
            waits = []
            for _attempt in range(5):
                deliver_pending()
                message = refreshed(message)
                if message.state == NotificationState.PENDING:
                    waits.append(message.send_after - timezone.now())
                    assert deliver_pending().retrying == 0  # not before its time
                    clock.move_to(message.send_after)
        assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
        assert message.state == NotificationState.FAILED
        assert message.attempts == 5
        assert message.last_error == "gateway timeout"
        assert recording_backend.sent == []

    def test_a_retry_that_succeeds_is_sent_once(self, sms_templates, recording_backend, dispatcher):
        ticket = open_ticket(dispatcher)
        with time_machine.travel(NOW, tick=False) as clock:
            message = sms(ticket, urgent=True)
            recording_backend.fail_with = DeliveryError("busy")
            deliver_pending()
            recording_backend.fail_with = None
            clock.shift(timedelta(minutes=1))
            assert deliver_pending().sent == 1
            assert deliver_pending().sent == 0
        message = refreshed(message)
        assert (message.state, message.attempts, message.last_error) == ("sent", 2, "")
        assert message.external_id == f"gw-{message.pk}"
        assert recording_backend.sent == [message.pk]

    def test_permanent_failure_is_not_retried(self, sms_templates, recording_backend, dispatcher):
        ticket = open_ticket(dispatcher)
        message = sms(ticket, urgent=True)
        recording_backend.fail_with = DeliveryError("HTTP 400", permanent=True)
        assert deliver_pending().failed == 1
        assert refreshed(message).state == NotificationState.FAILED

    def test_a_crashing_backend_does_not_stop_the_others(
        self, sms_templates, recording_backend, dispatcher
    ):
        ticket = open_ticket(dispatcher)
        first, second = sms(ticket, urgent=True), sms(ticket, urgent=True, key="second")
        recording_backend.fail_with = RuntimeError("bug")
        result = deliver_pending()
        assert result.retrying == 2
        assert "RuntimeError: bug" in refreshed(first).last_error
        assert refreshed(second).state == NotificationState.PENDING

    def test_a_claim_lost_with_its_worker_is_taken_again_after_the_lease(
        self, sms_templates, recording_backend, dispatcher
    ):
        ticket = open_ticket(dispatcher)
        message = sms(ticket, urgent=True)
        with time_machine.travel(NOW, tick=False) as clock:
            claimed = delivery.claim_batch(timezone.now(), 10)  # …and the worker dies
            assert [n.pk for n in claimed] == [message.pk]
            assert deliver_pending().sent == 0  # still someone else's
            clock.shift(timedelta(minutes=5, seconds=1))
            result = deliver_pending()
        assert (result.released, result.sent) == (1, 1)
        assert recording_backend.sent == [message.pk]

    def test_a_slow_worker_does_not_send_a_row_taken_over_after_its_lease(
        self, sms_templates, recording_backend, dispatcher
    ):
        message = sms(open_ticket(dispatcher), urgent=True)
        with time_machine.travel(NOW, tick=False) as clock:
            (mine,) = delivery.claim_batch(timezone.now(), 10)  # a slow worker's batch
            clock.shift(timedelta(minutes=6))
            assert deliver_pending().sent == 1  # another worker takes the row over
            assert delivery.send_one(mine, get_backend()) is None  # the slow one skips it
        assert recording_backend.sent == [message.pk]
        assert refreshed(message).attempts == 2

    def test_supervisor_sends_a_failed_message_again(
        self, sms_templates, recording_backend, dispatcher, supervisor
    ):
        ticket = open_ticket(dispatcher)
        message = sms(ticket, urgent=True)
        recording_backend.fail_with = DeliveryError("bad number", permanent=True)
        deliver_pending()
        with pytest.raises(PermissionDenied):
            services.retry_notification(actor=dispatcher, notification=message)
        recording_backend.fail_with = None
        services.retry_notification(actor=supervisor, notification=message)
        assert deliver_pending().sent == 1
        assert refreshed(message).state == NotificationState.SENT
        assert Event.objects.get(kind="notification.retried").actor == supervisor
        with pytest.raises(RuleViolation) as exc:
            services.retry_notification(actor=supervisor, notification=message)
        assert exc.value.code == "not_failed"


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_message(sms_templates, recording_backend, dispatcher):
    """Real concurrent connections to PostgreSQL claim with SKIP LOCKED: 60 messages, four
    deliverers at once, every message sent exactly once."""
    ticket = open_ticket(dispatcher)
    ids = [sms(ticket, urgent=True, key=f"m{i}").pk for i in range(60)]
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=10)
            deliver_pending()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(recording_backend.sent) == sorted(ids)
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


class TestNothingSentInsideARequest:
    def test_queue_sms_schedules_delivery_on_commit_once(
        self, sms_templates, dispatcher, django_capture_on_commit_callbacks
    ):
        ticket = open_ticket(dispatcher)
        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            first = sms(ticket, urgent=True)
            sms(ticket, urgent=True)
            assert refreshed(first).state == NotificationState.PENDING
        assert callbacks == [delivery.enqueue_delivery]

    def test_same_key_queues_one_message(self, sms_templates, dispatcher):
        ticket = open_ticket(dispatcher)
        first = sms(ticket, key="booking:1")
        again = sms(ticket, key="booking:1")
        assert first.pk == again.pk
        assert Notification.objects.filter(key="booking:1").count() == 1

    def test_no_phone_no_sms(self, sms_templates, dispatcher):
        ticket = open_ticket(dispatcher, phone="")
        assert sms(ticket) is None

    def test_rolled_back_change_sends_nothing(
        self, sms_templates, dispatcher, django_capture_on_commit_callbacks
    ):
        ticket = open_ticket(dispatcher)
        with (
            django_capture_on_commit_callbacks() as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            sms(ticket, urgent=True)
            raise RuntimeError("the service refused")
        assert callbacks == []
        assert not Notification.objects.filter(template="test_reminder").exists()


class DeadBroker:
    """A loopback 'broker' that hangs up on every connection and counts them: how often the
    service knocked, which says whether it retried, however slow the machine is."""

    def __init__(self):
        import socket

        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1  # before the hang-up the client waits for: exact on return
            conn.close()

    def close(self):
        self.server.close()


@pytest.fixture
def dead_broker():
    """Point the Celery app at a broker that never answers, then restore it."""
    broker = DeadBroker()
    with publishing_to(f"redis://127.0.0.1:{broker.port}/0"):
        yield broker
    broker.close()


def test_broker_down_the_service_still_succeeds(
    sms_templates, dispatcher, dead_broker, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.WARNING, logger="dispatch.delivery")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(dispatcher)
        message = sms(ticket, urgent=True)
    # The request is not held by retries: one quick try (kombu's and redis-py's defaults would
    # knock again and again, for seconds). Counted, not timed, so a slow machine can't fail it.
    assert 1 <= dead_broker.connections <= 2, dead_broker.connections
    assert refreshed(message).state == NotificationState.PENDING  # waits for the periodic run
    assert "Broker unavailable" in caplog.text


def test_console_backend_logs_the_text(sms_templates, settings, dispatcher, caplog):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKEND": "console"}
    caplog.set_level(logging.INFO, logger="dispatch.backends")
    message = sms(open_ticket(dispatcher), urgent=True)
    deliver_pending()
    assert message.body in caplog.text
    assert refreshed(message).state == NotificationState.SENT


def test_outbox_backend_is_the_default():
    assert type(get_backend()).__name__ == "OutboxBackend"


def test_locmem_backend_keeps_what_it_sent_and_a_lost_answer_is_not_sent_twice(
    sms_templates, settings, dispatcher
):
    """The locmem backend (tests) answers the outbox's lookup as a provider would: a message
    whose worker died after sending it is recorded, not sent again (issue 16)."""
    from dispatch import backends

    backends.outbox.clear()
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKEND": "locmem"}
    message = sms(open_ticket(dispatcher), urgent=True, key="visit:9:late")
    with time_machine.travel(NOW, tick=False) as clock:
        (mine,) = delivery.claim_batch(timezone.now(), 10)
        delivery._renew_claim(mine, attempt=True)
        get_backend().send(mine)  # the worker sends, then dies before recording
        clock.shift(timedelta(minutes=6))
        assert deliver_pending().sent == 1  # taken again after the lease, looked up
    assert [sent["reference"] for sent in backends.outbox] == ["visit:9:late"]
    assert backends.outbox[0]["params"] == {"name": "赵先生", "when": "明天上午9点"}
    message = refreshed(message)
    assert (message.state, message.attempts, message.outcome_unknown) == ("sent", 2, False)
