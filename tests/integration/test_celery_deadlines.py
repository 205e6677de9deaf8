"""Deadlines through real Celery workers and beat on Redis: a deadline that comes due is
delivered exactly once, with two beats sweeping at once, and across a worker killed mid-send
(docs/design.md#deadlines: the database is the truth, the broker only carries work)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import Deadline, DeadlineState, Event, Notification, NotificationState
from dispatch.tasks import sweep_deadlines
from tests.factories import open_ticket
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def make_due(*tickets):
    """Move time in the database: the open deadlines fell due a second ago."""
    return Deadline.objects.filter(ticket__in=tickets, state=DeadlineState.OPEN).update(
        due_at=timezone.now() - timedelta(seconds=1)
    )


def sweeps_done(*workers) -> int:
    lines = [line for worker in workers for line in worker.log.read_text().splitlines()]
    return sum("dispatch.tasks.sweep_deadlines[" in line and "succeeded" in line for line in lines)


def let_sweeps_run(*workers, more: int = 3):
    """Wait until the workers have run `more` further sweeps between them (bounded). Which
    worker takes a task is the broker's choice: two idle workers may well split the beat's
    deliveries and sweeps between them, one kind each."""
    target = sweeps_done(*workers) + more
    wait_for(lambda: sweeps_done(*workers) >= target, message=f"{more} more sweeps")


def sent():
    return Notification.objects.filter(state=NotificationState.SENT)


def test_a_due_deadline_delivers_exactly_one_message(workers, deliveries, dispatcher):
    worker = workers("one")
    ticket = open_ticket(dispatcher)  # R6: acknowledgement due in 2 h
    let_sweeps_run(worker, more=2)
    assert not Notification.objects.exists()  # not due: nothing

    make_due(ticket)
    wait_for(lambda: sent().count() == 1, message="the overdue alert to be delivered")
    let_sweeps_run(worker, more=3)  # later sweeps and deliveries change nothing

    (alert,) = Notification.objects.all()
    assert (alert.recipient, alert.template, alert.attempts) == (dispatcher, "deadline_overdue", 1)
    assert deliveries.ids() == [alert.pk]
    assert Deadline.objects.get(ticket=ticket).state == DeadlineState.OVERDUE
    assert Event.objects.filter(ticket=ticket, kind="deadline.overdue").count() == 1


def test_two_beats_and_concurrent_sweeps_notify_once(workers, deliveries, dispatcher, supervisor):
    first, second = workers("first"), workers("second")  # two workers, each with its own beat
    tickets = [open_ticket(dispatcher) for _ in range(10)]
    make_due(*tickets)
    for _ in range(6):  # and a burst of sweeps at once, as retried tasks would send
        sweep_deadlines.delay()

    # One alert per deadline for the owner and one for the supervisor.
    wait_for(lambda: sent().count() == 20, message="20 alerts to be delivered")
    let_sweeps_run(first, second, more=4)

    assert Notification.objects.count() == 20
    assert sorted(deliveries.ids()) == sorted(Notification.objects.values_list("pk", flat=True))
    assert Event.objects.filter(kind="deadline.overdue").count() == 10
    assert Deadline.objects.filter(state=DeadlineState.OVERDUE).count() == 10


def test_a_worker_killed_mid_send_is_replaced_and_the_message_goes_once(
    workers, deliveries, dispatcher
):
    # The first worker's gateway hangs; its claim lapses after 2 s (5 min in production).
    stuck = workers("stuck", RECORDING_DELAY=60, NOTIFICATION_CLAIM_TIMEOUT_SECONDS=2)
    ticket = open_ticket(dispatcher)
    make_due(ticket)
    wait_for(
        lambda: Notification.objects.filter(state=NotificationState.SENDING).exists(),
        message="the stuck worker to take the alert",
    )
    stuck.kill()  # a crash in the middle of sending
    assert deliveries.lines() == []

    fresh = workers("fresh", NOTIFICATION_CLAIM_TIMEOUT_SECONDS=2)
    wait_for(lambda: sent().count() == 1, message="the fresh worker to send it")
    let_sweeps_run(fresh, more=3)

    (alert,) = Notification.objects.all()
    assert alert.attempts == 2  # the lost attempt, and the one that went through
    assert [(line["id"], line["pid"]) for line in deliveries.lines()] == [(alert.pk, fresh.pid)]
    assert Event.objects.filter(ticket=ticket, kind="deadline.overdue").count() == 1
