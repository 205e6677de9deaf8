"""The transition maps of the desk's stateful models (docs/design.md#state-maps): tickets,
deadlines and outbox messages change state only along their map. A forbidden move is refused by
the service (409, a sentence, nothing written) or, done in bulk, leaves the row as it was; the
database refuses a state without the time it was reached."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dispatch import deadlines, delivery, services
from dispatch.errors import RuleViolation
from dispatch.models import (
    DEADLINE_TRANSITIONS,
    NOTIFICATION_TRANSITIONS,
    TICKET_TRANSITIONS,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    Notification,
    NotificationState,
    Ticket,
    TicketStatus,
)
from dispatch.notifications import queue_sms
from dispatch.sweep import sweep_deadlines
from dispatch.transitions import StateMap
from tests.factories import open_ticket

pytestmark = pytest.mark.django_db


class TestStateMap:
    def test_a_map_has_one_row_per_state_and_leads_only_to_states(self):
        with pytest.raises(ValueError, match="one row per state"):
            StateMap({TicketStatus.OPEN: frozenset()}, field="status", choices=TicketStatus)
        broken = {**TICKET_TRANSITIONS, TicketStatus.CLOSED: frozenset({"reopened"})}
        with pytest.raises(ValueError, match="unknown state"):
            StateMap(broken, field="status", choices=TicketStatus)

    def test_it_answers_what_comes_next_and_from_where(self):
        states = Deadline.states
        assert states.next(DeadlineState.OPEN) == {"met", "overdue", "cancelled"}
        assert states.sources(DeadlineState.MET) == {"open"}
        assert states.is_final(DeadlineState.OVERDUE)
        assert Notification.states.reachable(NotificationState.PENDING) == {
            "pending",
            "sending",
            "sent",
            "delivered",
            "failed",
        }

    def test_every_state_has_its_row(self):
        assert set(TICKET_TRANSITIONS) == set(TicketStatus.values)
        assert set(DEADLINE_TRANSITIONS) == set(DeadlineState.values)
        assert set(NOTIFICATION_TRANSITIONS) == set(NotificationState.values)


def closed(ticket: Ticket, actor) -> Ticket:
    return services.close_ticket(
        actor=actor, ticket=ticket, resolution="已电话答复客户", customer_told=True
    )


class TestTicket:
    def test_a_closed_ticket_moves_nowhere(self, dispatcher):
        ticket = closed(open_ticket(dispatcher), dispatcher)
        events = Event.objects.filter(ticket=ticket).count()
        for status in (TicketStatus.OPEN, TicketStatus.IN_PROGRESS):
            with pytest.raises(RuleViolation) as refusal:
                services.set_ticket_status(actor=dispatcher, ticket=ticket, status=status)
            assert refusal.value.status == 409 and "已关闭" in refusal.value.message
        with pytest.raises(RuleViolation) as refusal:
            closed(ticket, dispatcher)
        assert refusal.value.code == "ticket_closed"
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CLOSED and ticket.is_closed
        assert Event.objects.filter(ticket=ticket).count() == events

    def test_the_database_refuses_a_closed_ticket_without_its_time(self, dispatcher):
        ticket = open_ticket(dispatcher)
        with pytest.raises(IntegrityError), transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)


def deadline_in(state: str, ticket) -> Deadline:
    now = timezone.now()
    stamps = {
        DeadlineState.MET: {"met_at": now},
        DeadlineState.OVERDUE: {"overdue_at": now},
        DeadlineState.CANCELLED: {"cancelled_at": now},
    }
    return Deadline.objects.create(
        kind=DeadlineKind.REPLY,
        ticket=ticket,
        responsible=ticket.owner,
        due_at=now - timedelta(minutes=5),
        state=state,
        **stamps[state],
    )


class TestDeadline:
    @pytest.mark.parametrize(
        "state", [DeadlineState.MET, DeadlineState.OVERDUE, DeadlineState.CANCELLED]
    )
    def test_a_closed_deadline_is_not_met_missed_or_cancelled_again(self, state, dispatcher):
        ticket = open_ticket(dispatcher)
        deadline = deadline_in(state, ticket)
        before = Deadline.objects.values().get(pk=deadline.pk)
        deadlines.meet_deadline(kind=DeadlineKind.REPLY, ticket=ticket)
        deadlines.cancel_deadlines(ticket=ticket)
        sweep_deadlines(now=timezone.now())
        after = Deadline.objects.values().get(pk=deadline.pk)
        # A missed promise kept later records when; nothing else about it changes.
        if state == DeadlineState.OVERDUE:
            assert after.pop("met_at") is not None
            before.pop("met_at")
        assert after == before

    @pytest.mark.parametrize(
        "fields",
        [
            {"state": DeadlineState.MET},
            {"state": DeadlineState.OVERDUE},
            {"state": DeadlineState.CANCELLED},
            {"met_at": timezone.now()},
        ],
    )
    def test_the_database_refuses_a_state_without_its_time(self, fields, dispatcher):
        ticket = open_ticket(dispatcher)
        with pytest.raises(IntegrityError), transaction.atomic():
            Deadline.objects.filter(ticket=ticket).update(**fields)


def sms(ticket) -> Notification:
    return queue_sms(ticket=ticket, template="test_reminder", context={"when": "明天上午9点"})


@pytest.mark.usefixtures("sms_templates")
class TestNotification:
    @pytest.mark.parametrize(
        "state", [NotificationState.PENDING, NotificationState.SENDING, NotificationState.SENT]
    )
    def test_only_a_failed_message_is_sent_again(self, state, dispatcher, supervisor):
        message = sms(open_ticket(dispatcher))
        now = timezone.now()
        Notification.objects.filter(pk=message.pk).update(state=state, claimed_at=now, sent_at=now)
        with pytest.raises(RuleViolation) as refusal:
            services.retry_notification(actor=supervisor, notification=message)
        assert refusal.value.status == 409 and refusal.value.code == "not_failed"
        message.refresh_from_db()
        assert message.state == state and not message.can_retry

    def test_an_outcome_is_recorded_only_for_a_message_being_sent(self, dispatcher):
        message = sms(open_ticket(dispatcher))
        assert not delivery._finish(message, NotificationState.SENT, sent_at=timezone.now())
        message.refresh_from_db()
        assert message.state == NotificationState.PENDING

    @pytest.mark.parametrize(
        "state", [NotificationState.SENT, NotificationState.SENDING], ids=["sent", "sending"]
    )
    def test_the_database_refuses_a_state_without_its_time(self, state, dispatcher):
        message = sms(open_ticket(dispatcher))
        with pytest.raises(IntegrityError), transaction.atomic():
            Notification.objects.filter(pk=message.pk).update(state=state)
