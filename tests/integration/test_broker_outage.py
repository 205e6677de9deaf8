"""With the broker down, taking complaints and booking visits still succeed; the deadlines and
the messages go out once it is back (docs/design.md#messages: nothing waits on the broker)."""

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from dispatch.models import Deadline, DeadlineState, Notification, NotificationState
from dispatch.notifications import queue_sms
from tests.dispatch.conftest import sms_templates  # noqa: F401 (fixture)
from tests.factories import open_ticket
from tests.integration.conftest import wait_for
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker_url(own_redis):
    """This module's workers use a redis-server the test can stop."""
    return own_redis.url


def book_visit(ticket, engineer):
    """What visits.services.book_visit does with the outbox: the visit and its booking SMS in
    one transaction (R26), delivery asked for on commit."""
    with transaction.atomic():
        start = timezone.now() + timedelta(days=1)
        visit = Visit.objects.create(
            ticket=ticket,
            engineer=engineer,
            start=start,
            end=start + timedelta(hours=1),
            booked_by=ticket.owner,
        )
        queue_sms(
            ticket=ticket,
            template="test_reminder",
            context={"when": "明天上午9点"},
            key=f"visit:{visit.pk}:booked",
            urgent=True,
        )
    return visit


@pytest.mark.usefixtures("sms_templates")
def test_broker_down_services_succeed_and_deadlines_fire_when_it_is_back(
    own_redis,
    workers,
    deliveries,
    dispatcher,
    engineer,
    caplog,
):
    caplog.set_level(logging.WARNING, logger="dispatch.delivery")
    workers("w")
    own_redis.stop()

    ticket = open_ticket(dispatcher)
    visit = book_visit(ticket, engineer)
    # Nothing waits on the broker: the booking returned, committed, and its SMS is kept in the
    # outbox for the periodic run. That the request makes one quick try, not a retry loop, is
    # counted in tests/dispatch/test_delivery.py; how long it takes is the bench's (bench/).
    assert Visit.objects.filter(pk=visit.pk).exists()
    assert "Broker unavailable" in caplog.text
    Deadline.objects.filter(ticket=ticket).update(due_at=timezone.now() - timedelta(seconds=1))
    assert set(Notification.objects.values_list("state", flat=True)) == {NotificationState.PENDING}

    own_redis.start()  # same port: the worker and its beat reconnect
    wait_for(
        lambda: Notification.objects.filter(state=NotificationState.SENT).count() == 2,
        message="the booking SMS and the overdue alert after the broker came back",
    )
    sms = Notification.objects.get(channel="sms")
    alert = Notification.objects.get(channel="in_app")
    assert sms.key.endswith(":booked") and alert.recipient == dispatcher
    assert sorted(deliveries.ids()) == sorted([sms.pk, alert.pk])
    assert Deadline.objects.get(ticket=ticket).state == DeadlineState.OVERDUE
