"""Issue 12, item 3: closing a ticket never drops a promise.

A ticket with a visit still to happen (booked, confirmed, under way) can't be closed: the visit
is cancelled through its own service first (reason, agreement, apology SMS; R11) or finished.
An owed acknowledgement (R6), promised reply (R15) or visit note (R13) is met, or waived by a
supervisor with a reason that stays on the record.
"""

import pytest
import time_machine
from django.urls import reverse

from dispatch import services
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import (
    CustomerContact,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    TicketStatus,
)
from tests.visits.conftest import AFTERNOON, NOW, at
from tests.visits.factories import at_work, book, measured
from visits import services as visit_services
from visits.models import VisitStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def visit(clock, dispatcher, ticket, engineer):
    """A visit booked at 14:00–15:00 today, as in tests/visits."""
    return book(dispatcher, ticket, engineer, AFTERNOON)


def close(actor, ticket, **kwargs):
    return services.close_ticket(actor=actor, ticket=ticket, resolution="已优化基站参数", **kwargs)


def unresolved(visit):
    measured(at_work(visit))
    return visit_services.record_outcome(
        actor=visit.engineer,
        visit=visit,
        resolved=False,
        summary="需优化基站参数",
        promised_reply_at=at(12, 0),
    )


class TestBookedVisit:
    def test_a_ticket_with_a_booked_visit_is_not_closed(self, clock, dispatcher, visit):
        with pytest.raises(RuleViolation) as exc:
            close(dispatcher, visit.ticket, customer_told=True)
        assert (exc.value.code, exc.value.status) == ("visit_pending", 409)
        assert "取消" in exc.value.message
        visit.ticket.refresh_from_db()
        assert visit.ticket.status != TicketStatus.CLOSED
        # The engineer's promises stand.
        assert Deadline.objects.filter(visit=visit, state=DeadlineState.OPEN).count() == 2

    def test_cancelled_through_the_visit_the_ticket_closes(self, clock, dispatcher, visit):
        visit_services.cancel_visit(
            actor=dispatcher, visit=visit, reason="客户信号已恢复", customer_agreed=True
        )
        ticket = close(dispatcher, visit.ticket, customer_told=True)
        assert ticket.status == TicketStatus.CLOSED

    def test_a_visit_under_way_blocks_the_close_too(self, clock, supervisor, visit):
        at_work(visit)
        with pytest.raises(RuleViolation) as exc:
            close(supervisor, visit.ticket, waive_reason="客户撤诉")
        assert exc.value.code == "visit_pending"


class TestOwedPromises:
    def test_r6_the_acknowledgement_is_met_by_telling_the_customer(self, dispatcher, ticket):
        with pytest.raises(RuleViolation) as exc:
            close(dispatcher, ticket)
        assert (exc.value.code, exc.value.status) == ("promises_owed", 409)
        ack = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE)
        assert ack.state == DeadlineState.OPEN

        close(dispatcher, ticket, customer_told=True)
        ack.refresh_from_db()
        assert ack.state == DeadlineState.MET
        contact = CustomerContact.objects.get(ticket=ticket)
        assert contact.answered and contact.progress == "已优化基站参数"

    def test_r15_an_owed_reply_blocks_the_close(self, clock, dispatcher, visit):
        unresolved(visit)
        with pytest.raises(RuleViolation) as exc:
            close(dispatcher, visit.ticket, customer_told=True)
        assert exc.value.code == "promises_owed"
        assert "约定回复" in exc.value.message
        reply = Deadline.objects.get(visit=visit, kind=DeadlineKind.REPLY)
        assert reply.state == DeadlineState.OPEN

    def test_r15_the_reply_given_the_ticket_closes(self, clock, dispatcher, visit):
        unresolved(visit)
        visit_services.record_reply(actor=visit.engineer, visit=visit, message="已调整参数")
        close(dispatcher, visit.ticket, customer_told=True)
        visit.ticket.refresh_from_db()
        assert visit.ticket.status == TicketStatus.CLOSED

    def test_r15_only_a_supervisor_waives_and_the_reason_stays_on_record(
        self, clock, dispatcher, supervisor, visit
    ):
        unresolved(visit)
        with pytest.raises(PermissionDenied):
            close(dispatcher, visit.ticket, customer_told=True, waive_reason="客户撤诉")
        with pytest.raises(RuleViolation) as exc:
            close(supervisor, visit.ticket, customer_told=True, waive_reason="  ")
        assert exc.value.code == "promises_owed"

        close(supervisor, visit.ticket, customer_told=True, waive_reason="客户撤诉，不再需要回复")
        reply = Deadline.objects.get(visit=visit, kind=DeadlineKind.REPLY)
        assert reply.state == DeadlineState.CANCELLED
        event = Event.objects.get(ticket=visit.ticket, kind="ticket.closed")
        assert event.after["waived_by"] == supervisor.username
        assert event.after["waive_reason"] == "客户撤诉，不再需要回复"
        assert [w["kind"] for w in event.after["waived"]] == [DeadlineKind.REPLY]

    def test_r13_an_owed_visit_note_blocks_the_close(self, clock, dispatcher, visit):
        from tests.visits.factories import arrived

        arrived(visit)
        visit_services.record_knock(actor=visit.engineer, visit=visit)
        clock.shift(60 * 11)
        visit_services.record_failed_call(actor=visit.engineer, visit=visit)
        visit_services.mark_no_answer(actor=visit.engineer, visit=visit)
        assert visit_services.lock_visit(visit).status == VisitStatus.NO_ANSWER
        with pytest.raises(RuleViolation) as exc:
            close(dispatcher, visit.ticket, customer_told=True)
        assert exc.value.code == "promises_owed"


class TestPaths:
    def test_the_close_form_shows_why_and_takes_the_waiver(
        self, clock, login, dispatcher, supervisor, visit
    ):
        url = reverse("dispatch:ticket_close", args=[visit.ticket.number])
        response = login(dispatcher).post(url, {"resolution": "已解决", "customer_told": "on"})
        assert response.status_code == 400
        assert "取消" in response.content.decode()
        visit_services.cancel_visit(
            actor=dispatcher, visit=visit, reason="客户信号已恢复", customer_agreed=True
        )
        response = login(dispatcher).post(url, {"resolution": "已解决"})
        assert response.status_code == 400
        assert 'name="waive_reason"' in response.content.decode()
        response = login(supervisor).post(url, {"resolution": "已解决", "waive_reason": "客户撤诉"})
        assert response.status_code == 302
        visit.ticket.refresh_from_db()
        assert visit.ticket.status == TicketStatus.CLOSED

    def test_the_api_refuses_with_a_code_and_takes_the_waiver(
        self, clock, api, dispatcher, supervisor, visit
    ):
        url = f"/api/tickets/{visit.ticket.number}/close/"
        api.force_authenticate(dispatcher)
        response = api.post(url, {"resolution": "已解决", "customer_told": True}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "visit_pending")
        visit_services.cancel_visit(
            actor=dispatcher, visit=visit, reason="客户信号已恢复", customer_agreed=True
        )
        response = api.post(url, {"resolution": "已解决"}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "promises_owed")
        api.force_authenticate(supervisor)
        response = api.post(
            url, {"resolution": "已解决", "waive_reason": "客户撤诉"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["status"] == TicketStatus.CLOSED
