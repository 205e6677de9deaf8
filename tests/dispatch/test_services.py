"""Complaint tickets: R1–R6 in the services."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dispatch import services
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import (
    ComplaintKind,
    Complexity,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    Ticket,
    TicketStatus,
)
from tests.factories import open_ticket

pytestmark = pytest.mark.django_db

NOW = timezone.datetime(2026, 11, 22, 9, 0, tzinfo=timezone.get_fixed_timezone(480))


def ack(ticket):
    return Deadline.objects.get(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE, state="open")


class TestOpenTicket:
    def test_numbers_are_human_readable_and_sequential_per_day(self, dispatcher):
        with time_machine.travel(NOW, tick=False):
            first = open_ticket(dispatcher)
            second = open_ticket(dispatcher)
        assert first.number == "TS-20261122-0001"
        assert second.number == "TS-20261122-0002"

    def test_r1_facts_may_be_missing_at_intake_but_are_reported(self, dispatcher):
        # R1: the complaint is taken; the ticket says which facts block dispatch.
        ticket = open_ticket(dispatcher, phenomenon="", customer_action=" ")
        assert len(ticket.missing_facts) == 2
        assert "location_detail" not in ticket.missing_facts

    def test_r2_complaint_taken_without_name_or_phone(self, dispatcher):
        # R2: a customer who refuses to give a name or phone still gets their complaint taken.
        ticket = open_ticket(dispatcher, customer_name="", phone="")
        assert Ticket.objects.filter(pk=ticket.pk).exists()
        assert len(ticket.missing_contact) == 2

    def test_r2_invalid_phone_is_refused_with_a_clear_message(self, dispatcher):
        with pytest.raises(RuleViolation) as exc:
            open_ticket(dispatcher, phone="12345")
        assert exc.value.code == "invalid_phone"
        assert exc.value.field == "phone"
        assert "12345" in exc.value.message
        assert not Ticket.objects.exists()

    def test_r3_taker_is_the_owner_and_event_recorded(self, dispatcher):
        # R3: first-contact responsibility.
        ticket = open_ticket(dispatcher)
        assert ticket.owner == dispatcher
        event = Event.objects.get(ticket=ticket)
        assert event.kind == "ticket.opened"
        assert event.actor == dispatcher

    def test_r5_kind_must_be_one_of_the_three_motives(self, dispatcher):
        """R5: 用户感知型 / 解决问题型 / 刁难纠缠型."""
        with pytest.raises(RuleViolation) as exc:
            open_ticket(dispatcher, kind="angry")
        assert exc.value.code == "invalid_kind"
        assert set(ComplaintKind.values) == {"perception", "solve", "difficult"}

    @pytest.mark.parametrize(
        ("complexity", "hours"), [(Complexity.SIMPLE, 2), (Complexity.COMPLEX, 24)]
    )
    def test_r6_acknowledgement_deadline_2h_simple_24h_complex(self, dispatcher, complexity, hours):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher, complexity=complexity)
        deadline = ack(ticket)
        assert deadline.due_at == NOW + timedelta(hours=hours)
        assert deadline.responsible == dispatcher

    def test_engineer_cannot_take_a_complaint(self, engineer):
        with pytest.raises(PermissionDenied):
            open_ticket(engineer)


class TestTransfer:
    """R3 owner, R4 transfer once with a handover note; a second transfer needs a supervisor."""

    def test_r4_transfer_once_with_note_moves_owner_and_deadlines(self, ticket, dispatcher2):
        services.transfer_ticket(
            actor=ticket.owner, ticket=ticket, to_user=dispatcher2, note="客户要求晚上联系"
        )
        ticket.refresh_from_db()
        assert ticket.owner == dispatcher2
        assert ticket.transfer_count == 1
        # R3: the deadline follows the new owner.
        assert ack(ticket).responsible == dispatcher2
        event = Event.objects.get(ticket=ticket, kind="ticket.transferred")
        assert event.message == "客户要求晚上联系"
        assert event.before == {"owner": "dispatcher_a"}

    def test_r4_handover_note_is_required(self, ticket, dispatcher2):
        with pytest.raises(RuleViolation) as exc:
            services.transfer_ticket(
                actor=ticket.owner, ticket=ticket, to_user=dispatcher2, note=" "
            )
        assert exc.value.code == "handover_note_required"
        ticket.refresh_from_db()
        assert ticket.owner != dispatcher2

    def test_r4_second_transfer_needs_a_supervisor(
        self, ticket, dispatcher, dispatcher2, supervisor
    ):
        services.transfer_ticket(actor=dispatcher, ticket=ticket, to_user=dispatcher2, note="交接")
        with pytest.raises(RuleViolation) as exc:
            services.transfer_ticket(
                actor=dispatcher2, ticket=ticket, to_user=dispatcher, note="再转"
            )
        assert exc.value.code == "second_transfer_needs_supervisor"
        assert exc.value.status == 409
        services.transfer_ticket(
            actor=supervisor, ticket=ticket, to_user=dispatcher, note="主管批准"
        )
        ticket.refresh_from_db()
        assert ticket.owner == dispatcher
        assert ticket.transfer_count == 2

    def test_r3_only_owner_or_supervisor_may_transfer(self, ticket, dispatcher2, supervisor):
        with pytest.raises(PermissionDenied):
            services.transfer_ticket(actor=dispatcher2, ticket=ticket, to_user=supervisor, note="x")

    def test_r4_cannot_hand_to_an_engineer(self, ticket, engineer):
        with pytest.raises(RuleViolation) as exc:
            services.transfer_ticket(actor=ticket.owner, ticket=ticket, to_user=engineer, note="x")
        assert exc.value.code == "invalid_new_owner"


class TestRecordContact:
    def test_r6_definite_answer_meets_the_deadline(self, ticket):
        services.record_contact(actor=ticket.owner, ticket=ticket, progress="已答复", answered=True)
        deadline = Deadline.objects.get(ticket=ticket)
        assert deadline.state == DeadlineState.MET
        assert deadline.met_at is not None

    def test_r6_new_promised_time_moves_the_deadline(self, dispatcher):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher)
            new_time = NOW + timedelta(hours=5)
            services.record_contact(
                actor=dispatcher,
                ticket=ticket,
                progress="正在排查，稍后回复",
                new_promised_at=new_time,
            )
        states = dict(Deadline.objects.filter(ticket=ticket).values_list("state", "due_at"))
        assert states[DeadlineState.MET] == NOW + timedelta(hours=2)
        assert states[DeadlineState.OPEN] == new_time

    def test_r6_progress_alone_does_not_move_the_deadline(self, dispatcher):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher)
            services.record_contact(actor=dispatcher, ticket=ticket, progress="客户未接")
        assert ack(ticket).due_at == NOW + timedelta(hours=2)

    def test_r6_new_time_must_be_in_the_future(self, ticket):
        with pytest.raises(RuleViolation) as exc:
            services.record_contact(
                actor=ticket.owner,
                ticket=ticket,
                progress="x",
                new_promised_at=timezone.now() - timedelta(minutes=1),
            )
        assert exc.value.code == "promise_in_past"
        assert not ticket.contacts.exists()

    def test_r6_progress_is_required(self, ticket):
        with pytest.raises(RuleViolation) as exc:
            services.record_contact(actor=ticket.owner, ticket=ticket, progress="", answered=True)
        assert exc.value.field == "progress"
        assert ack(ticket).state == DeadlineState.OPEN


class TestClose:
    def test_r6_close_meets_the_acknowledgement_by_telling_the_customer(self, ticket):
        # Issue 12: closing used to cancel the owed acknowledgement silently; now the answer
        # given to the customer keeps it (tests/dispatch/test_close.py: the refusals).
        services.close_ticket(
            actor=ticket.owner, ticket=ticket, resolution="已优化基站参数", customer_told=True
        )
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CLOSED
        assert ticket.closed_at is not None
        assert Deadline.objects.get(ticket=ticket).state == DeadlineState.MET
        assert Event.objects.filter(ticket=ticket, kind="ticket.closed").exists()

    def test_closed_ticket_refuses_changes(self, ticket, dispatcher2):
        services.close_ticket(
            actor=ticket.owner, ticket=ticket, resolution="done", customer_told=True
        )
        with pytest.raises(RuleViolation) as exc:
            services.transfer_ticket(
                actor=ticket.owner, ticket=ticket, to_user=dispatcher2, note="x"
            )
        assert exc.value.code == "ticket_closed"


def test_events_are_append_only(ticket):
    event = Event.objects.get(ticket=ticket)
    event.message = "tampered"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
