"""R6, R13, R15: a promise owed to the customer is waived by a supervisor only. The ticket's
owner asks for the waiver (with the resolution and the reason) when the close is refused for
it; a supervisor decides, through one service, from the ticket page, the approvals inbox and
the API. Approving closes the ticket through close_ticket, so every close rule holds."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from dispatch import services, waivers
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import (
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    Notification,
    TicketStatus,
    WaiverRequest,
    WaiverRequestState,
)
from tests.concurrency import assert_no_server_error, assert_sentence, run_at_once, statuses
from tests.factories import make_user, open_ticket
from tests.html import visible_text

pytestmark = pytest.mark.django_db

RESOLUTION = "已优化基站参数，信号恢复"
REASON = "客户手机停机，无法回访确认"


def ask(ticket, actor, resolution=RESOLUTION, reason=REASON):
    return waivers.request_waiver(actor=actor, ticket=ticket, resolution=resolution, reason=reason)


def decide(request, actor, approve, note=""):
    return waivers.decide_waiver_request(actor=actor, request=request, approve=approve, note=note)


class TestAsk:
    def test_r6_the_owner_asks_and_the_ticket_stays_open(self, ticket, dispatcher, supervisor):
        # A new ticket owes its acknowledgement (R6): the owner can't close it alone.
        with pytest.raises(RuleViolation) as exc:
            services.close_ticket(actor=dispatcher, ticket=ticket, resolution=RESOLUTION)
        assert exc.value.code == "promises_owed"
        request = ask(ticket, dispatcher)
        ticket.refresh_from_db()
        assert ticket.status != TicketStatus.CLOSED
        assert request.state == WaiverRequestState.PENDING
        event = Event.objects.get(ticket=ticket, kind="ticket.waiver_requested")
        assert (event.actor, event.message) == (dispatcher, REASON)
        alert = Notification.objects.get(template="ticket_waiver_request_staff")
        assert alert.recipient == supervisor
        assert f"工单 {ticket.number} 的豁免待您审批" in alert.body

    def test_only_when_a_promise_is_owed(self, ticket, dispatcher):
        services.record_contact(actor=dispatcher, ticket=ticket, progress="已回复", answered=True)
        with pytest.raises(RuleViolation) as exc:
            ask(ticket, dispatcher)
        assert (exc.value.code, exc.value.status) == ("nothing_owed", 409)
        assert "直接结单" in exc.value.message
        assert not WaiverRequest.objects.exists()

    def test_a_supervisor_needs_no_approval(self, ticket, supervisor):
        with pytest.raises(RuleViolation) as exc:
            ask(ticket, supervisor)
        assert (exc.value.code, exc.value.status) == ("no_approval_needed", 409)

    def test_someone_else_may_not_ask(self, ticket, dispatcher2, engineer):
        for actor in (dispatcher2, engineer):
            with pytest.raises(PermissionDenied):
                ask(ticket, actor)
        assert not WaiverRequest.objects.exists()

    def test_the_resolution_and_the_reason_are_required_together(self, ticket, dispatcher):
        with pytest.raises(RuleViolation) as exc:
            ask(ticket, dispatcher, resolution=" ", reason="")
        assert set(exc.value.by_field()) == {"resolution", "reason"}
        assert not Event.objects.filter(kind="ticket.waiver_requested").exists()

    def test_one_question_at_a_time(self, ticket, dispatcher):
        ask(ticket, dispatcher)
        with pytest.raises(RuleViolation) as exc:
            ask(ticket, dispatcher)
        assert (exc.value.code, exc.value.status) == ("waiver_request_pending", 409)
        assert WaiverRequest.objects.count() == 1


class TestDecide:
    def test_r6_approving_closes_the_ticket_with_the_reason_on_record(
        self, ticket, dispatcher, supervisor
    ):
        request = decide(ask(ticket, dispatcher), supervisor, True, note="同意")
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CLOSED
        assert request.state == WaiverRequestState.APPROVED
        assert (request.decided_by, request.decision_note) == (supervisor, "同意")
        closed = Event.objects.get(ticket=ticket, kind="ticket.closed")
        assert closed.actor == supervisor and closed.message == RESOLUTION
        assert closed.after["waive_reason"] == REASON
        assert closed.after["waived_by"] == supervisor.username
        assert (closed.after["request"], closed.after["asked_by"]) == (
            request.pk,
            dispatcher.username,
        )
        ack = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE)
        assert ack.state == DeadlineState.CANCELLED

    def test_rejecting_keeps_the_ticket_open_and_the_promise_owed(
        self, ticket, dispatcher, supervisor
    ):
        request = decide(ask(ticket, dispatcher), supervisor, False, note="请先回访")
        ticket.refresh_from_db()
        assert ticket.status != TicketStatus.CLOSED
        assert request.state == WaiverRequestState.REJECTED
        event = Event.objects.get(ticket=ticket, kind="ticket.waiver_rejected")
        assert (event.actor, event.message) == (supervisor, "请先回访")
        ack = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE)
        assert ack.state == DeadlineState.OPEN
        ask(ticket, dispatcher)  # the owner may ask again

    def test_only_a_supervisor_decides(self, ticket, dispatcher):
        request = ask(ticket, dispatcher)
        with pytest.raises(PermissionDenied):
            decide(request, dispatcher, True)
        request.refresh_from_db()
        assert request.state == WaiverRequestState.PENDING

    def test_decided_twice_is_a_conflict(self, ticket, dispatcher, supervisor):
        request = ask(ticket, dispatcher)
        decide(request, supervisor, False)
        with pytest.raises(RuleViolation) as exc:
            decide(request, supervisor, True)
        assert (exc.value.code, exc.value.status) == ("request_decided", 409)
        ticket.refresh_from_db()
        assert ticket.status != TicketStatus.CLOSED


def _press(actor, pk, verb):
    def call():
        client = APIClient()
        client.force_authenticate(actor)
        return client.post(f"/api/waiver-requests/{pk}/{verb}/", {}, format="json")

    return call


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_at_once_decide_once(dispatcher, supervisor, django_db_blocker):
    """Both press at the same moment, each on its own connection: one decision is kept, the
    other is told in words (409), none gets a 500."""
    ticket = open_ticket(dispatcher)
    request = ask(ticket, dispatcher)
    other = make_user("supervisor")
    responses = run_at_once(
        [_press(supervisor, request.pk, "approve"), _press(other, request.pk, "reject")],
        django_db_blocker,
    )
    assert_no_server_error(responses)
    assert statuses(responses) == [200, 409]
    for response in responses:
        if response.status_code == 409:
            assert_sentence(response.json(), "request_decided")
    kinds = ["ticket.closed", "ticket.waiver_rejected"]
    assert Event.objects.filter(ticket=ticket, kind__in=kinds).count() == 1


class TestApi:
    def test_ask_list_and_decide_once(self, api, ticket, dispatcher, supervisor):
        api.force_authenticate(dispatcher)
        url = f"/api/tickets/{ticket.number}/waiver-request/"
        body = {"resolution": RESOLUTION, "reason": REASON}
        asked = api.post(url, body, format="json")
        assert asked.status_code == 201
        assert asked.data["state"] == "pending"
        again = api.post(url, body, format="json")
        assert (again.status_code, again.data["code"]) == (409, "waiver_request_pending")
        listed = api.get("/api/waiver-requests/").json()["results"]
        assert [r["ticket"] for r in listed] == [ticket.number]
        pk = asked.data["id"]
        refused = api.post(f"/api/waiver-requests/{pk}/approve/", {}, format="json")
        assert refused.status_code == 403
        assert set(refused.json()) >= {"code", "detail"}
        api.force_authenticate(supervisor)
        approved = api.post(f"/api/waiver-requests/{pk}/approve/", {}, format="json")
        assert (approved.status_code, approved.data["state"]) == (200, "approved")
        twice = api.post(f"/api/waiver-requests/{pk}/reject/", {}, format="json")
        assert (twice.status_code, twice.data["code"]) == (409, "request_decided")
        assert api.get("/api/waiver-requests/").json()["results"] == []
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CLOSED

    def test_bad_input_is_400_with_every_field(self, api, ticket, dispatcher):
        api.force_authenticate(dispatcher)
        response = api.post(f"/api/tickets/{ticket.number}/waiver-request/", {}, format="json")
        assert response.status_code == 400
        assert set(response.json()) >= {"code", "detail"}


class TestPages:
    def test_a_refused_close_offers_the_waiver_and_shows_it_waiting(
        self, login, ticket, dispatcher
    ):
        client = login(dispatcher)
        refused = client.post(
            reverse("dispatch:ticket_close", args=[ticket.number]), {"resolution": RESOLUTION}
        )
        assert refused.status_code == 400
        html = refused.content.decode()
        assert "申请主管豁免" in html
        assert reverse("dispatch:ticket_waiver_request", args=[ticket.number]) in html
        assert refused.context["waiver_form"].initial["resolution"] == RESOLUTION
        response = client.post(
            reverse("dispatch:ticket_waiver_request", args=[ticket.number]),
            {"waiver-resolution": RESOLUTION, "waiver-reason": REASON},
            follow=True,
        )
        html = response.content.decode()
        assert "豁免申请已提交主管审批" in html
        assert "豁免待主管审批" in html
        assert REASON in html
        assert "申请主管豁免" not in html  # one question at a time
        assert not re.search(r"\bR(6|13|15)\b", visible_text(html))

    def test_an_empty_request_shows_every_error_next_to_its_field(self, login, ticket, dispatcher):
        response = login(dispatcher).post(
            reverse("dispatch:ticket_waiver_request", args=[ticket.number]), {}
        )
        assert response.status_code == 400
        assert set(response.context["waiver_form"].errors) == {"resolution", "reason"}

    def test_a_supervisor_is_not_offered_to_ask(self, login, ticket, supervisor):
        refused = login(supervisor).post(
            reverse("dispatch:ticket_close", args=[ticket.number]), {"resolution": RESOLUTION}
        )
        assert refused.status_code == 400
        assert refused.context["waiver_form"] is None

    def test_a_supervisor_approves_on_the_ticket_page(self, login, ticket, dispatcher, supervisor):
        request = ask(ticket, dispatcher)
        client = login(supervisor)
        page = client.get(reverse("dispatch:ticket_detail", args=[ticket.number])).content.decode()
        assert "批准并结单" in page
        response = client.post(
            reverse("dispatch:waiver_decide", args=[request.pk]), {"approve": "1"}, follow=True
        )
        assert "豁免已批准，工单已结单。" in response.content.decode()
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CLOSED


def test_a_ticket_closed_directly_settles_what_waited_for_a_supervisor(
    ticket, dispatcher, dispatcher2, supervisor
):
    """A supervisor closes the ticket from its page while its owner's waiver and a second
    transfer still wait: both are refused with the reason in words, so the approvals inbox
    never offers a decision that can only fail (R4, R6)."""
    from dispatch import transfers
    from dispatch.models import TransferRequest, TransferRequestState

    services.transfer_ticket(actor=dispatcher, ticket=ticket, to_user=dispatcher2, note="首次交接")
    ticket.refresh_from_db()
    transfer = transfers.request_second_transfer(
        actor=dispatcher2, ticket=ticket, to_user=dispatcher, note="客户要求原受理人跟进"
    )
    waiver = ask(ticket, dispatcher2)

    services.close_ticket(
        actor=supervisor, ticket=ticket, resolution=RESOLUTION, waive_reason=REASON
    )

    waiver.refresh_from_db()
    assert (waiver.state, waiver.decided_by) == (WaiverRequestState.REJECTED, supervisor)
    assert TransferRequest.objects.get(pk=transfer.pk).state == TransferRequestState.REJECTED
    assert waiver.decision_note == "工单已在此期间结单。"
    kinds = set(Event.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {"ticket.waiver_rejected", "ticket.transfer_rejected", "ticket.closed"} <= kinds
    assert not WaiverRequest.objects.filter(state=WaiverRequestState.PENDING).exists()
