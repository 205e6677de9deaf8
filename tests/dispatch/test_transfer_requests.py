"""R4: a second transfer is asked for by the ticket's owner and decided by a supervisor, through
one service, from the ticket page, the approvals inbox and the API."""

import re

import pytest
from django.urls import reverse

from dispatch import services, transfers
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Event, Notification, TransferRequest, TransferRequestState
from tests.factories import make_user
from tests.html import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def once(ticket, dispatcher, dispatcher2):
    """The ticket after its one transfer: dispatcher → dispatcher2."""
    services.transfer_ticket(actor=dispatcher, ticket=ticket, to_user=dispatcher2, note="首次交接")
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def dispatcher3(db):
    return make_user("dispatcher", username="dispatcher_c")


def ask(ticket, actor, to_user, note="客户要求由夜班跟进，已说明故障现象和位置"):
    return transfers.request_second_transfer(actor=actor, ticket=ticket, to_user=to_user, note=note)


class TestAsk:
    def test_r4_the_owner_asks_and_the_ticket_stays_theirs(
        self, once, dispatcher2, dispatcher3, supervisor
    ):
        request = ask(once, dispatcher2, dispatcher3)
        once.refresh_from_db()
        assert once.owner == dispatcher2  # nothing moves until a supervisor approves
        assert once.transfer_count == 1
        assert request.state == TransferRequestState.PENDING
        event = Event.objects.get(ticket=once, kind="ticket.transfer_requested")
        assert event.actor == dispatcher2
        assert event.after == {"request": request.pk, "to_user": dispatcher3.username}
        # Every supervisor is alerted, in words.
        alert = Notification.objects.get(template="ticket_transfer_request_staff")
        assert alert.recipient == supervisor
        assert f"工单 {once.number} 的二次转派待您审批" in alert.body

    def test_r4_a_first_transfer_needs_no_approval(self, ticket, dispatcher, dispatcher2):
        with pytest.raises(RuleViolation) as exc:
            ask(ticket, dispatcher, dispatcher2)
        assert (exc.value.code, exc.value.status) == ("no_approval_needed", 409)
        assert "直接转派" in exc.value.message

    def test_r4_one_question_at_a_time(self, once, dispatcher2, dispatcher3, dispatcher):
        ask(once, dispatcher2, dispatcher3)
        with pytest.raises(RuleViolation) as exc:
            ask(once, dispatcher2, dispatcher)
        assert exc.value.code == "transfer_request_pending"
        assert "dispatcher_c" in exc.value.message or "等待主管审批" in exc.value.message
        assert TransferRequest.objects.filter(ticket=once).count() == 1

    def test_r3_only_the_owner_asks(self, once, dispatcher, dispatcher3):
        with pytest.raises(PermissionDenied):
            ask(once, dispatcher, dispatcher3)  # the owner before the first transfer

    def test_r4_note_and_person_are_checked_together(self, once, dispatcher2, engineer):
        with pytest.raises(RuleViolation) as exc:
            ask(once, dispatcher2, engineer, note=" ")
        fields = {v.field for v in exc.value.violations}
        assert fields == {"note", "to_user"}
        assert not TransferRequest.objects.exists()


class TestDecide:
    def test_r4_approval_hands_the_ticket_over_as_asked(
        self, once, dispatcher2, dispatcher3, supervisor
    ):
        request = ask(once, dispatcher2, dispatcher3)
        transfers.decide_transfer_request(
            actor=supervisor, request=request, approve=True, note="同意"
        )
        once.refresh_from_db()
        request.refresh_from_db()
        assert once.owner == dispatcher3
        assert once.transfer_count == 2
        assert (request.state, request.decided_by, request.decision_note) == (
            TransferRequestState.APPROVED,
            supervisor,
            "同意",
        )
        event = Event.objects.filter(ticket=once, kind="ticket.transferred").latest("id")
        assert event.actor == supervisor
        assert event.message == request.note
        assert event.after["approved_by"] == supervisor.username
        assert event.after["requested_by"] == dispatcher2.username

    def test_r4_rejection_keeps_the_owner(self, once, dispatcher2, dispatcher3, supervisor):
        request = ask(once, dispatcher2, dispatcher3)
        transfers.decide_transfer_request(
            actor=supervisor, request=request, approve=False, note="请先联系客户"
        )
        once.refresh_from_db()
        assert once.owner == dispatcher2
        event = Event.objects.get(ticket=once, kind="ticket.transfer_rejected")
        assert event.message == "请先联系客户"

    def test_r4_only_a_supervisor_decides(self, once, dispatcher2, dispatcher3):
        request = ask(once, dispatcher2, dispatcher3)
        with pytest.raises(PermissionDenied):
            transfers.decide_transfer_request(actor=dispatcher3, request=request, approve=True)
        assert TransferRequest.objects.get().state == TransferRequestState.PENDING

    def test_r4_decided_once(self, once, dispatcher2, dispatcher3, supervisor):
        request = ask(once, dispatcher2, dispatcher3)
        transfers.decide_transfer_request(actor=supervisor, request=request, approve=False)
        with pytest.raises(RuleViolation) as exc:
            transfers.decide_transfer_request(actor=supervisor, request=request, approve=True)
        assert (exc.value.code, exc.value.status) == ("request_decided", 409)
        assert "已驳回" in exc.value.message

    def test_r4_a_person_who_left_meanwhile_is_not_handed_the_ticket(
        self, once, dispatcher2, dispatcher3, supervisor
    ):
        request = ask(once, dispatcher2, dispatcher3)
        dispatcher3.is_active = False
        dispatcher3.save()
        with pytest.raises(RuleViolation) as exc:
            transfers.decide_transfer_request(actor=supervisor, request=request, approve=True)
        assert exc.value.code == "invalid_new_owner"
        assert TransferRequest.objects.get().state == TransferRequestState.PENDING


class TestApi:
    def test_r4_ask_list_approve_with_codes(self, api, once, dispatcher2, dispatcher3, supervisor):
        api.force_authenticate(dispatcher2)
        url = f"/api/tickets/{once.number}/transfer-request/"
        body = {"to_user": dispatcher3.username, "note": "夜班跟进"}
        asked = api.post(url, body, format="json")
        assert asked.status_code == 201
        assert asked.data["state"] == "pending"
        again = api.post(url, body, format="json")
        assert again.status_code == 409
        assert again.data["code"] == "transfer_request_pending"
        assert "主管" in again.data["detail"]
        listed = api.get("/api/transfer-requests/").json()["results"]
        assert [r["ticket"] for r in listed] == [once.number]
        pk = asked.data["id"]
        refused = api.post(f"/api/transfer-requests/{pk}/approve/", {}, format="json")
        assert refused.status_code == 403
        assert set(refused.json()) >= {"code", "detail"}
        api.force_authenticate(supervisor)
        approved = api.post(f"/api/transfer-requests/{pk}/approve/", {}, format="json")
        assert approved.status_code == 200
        assert approved.data["state"] == "approved"
        twice = api.post(f"/api/transfer-requests/{pk}/reject/", {}, format="json")
        assert twice.status_code == 409
        assert twice.data["code"] == "request_decided"
        assert api.get("/api/transfer-requests/").json()["results"] == []

    def test_r4_bad_input_is_400_with_every_field(self, api, once, dispatcher2):
        api.force_authenticate(dispatcher2)
        response = api.post(
            f"/api/tickets/{once.number}/transfer-request/", {"note": ""}, format="json"
        )
        assert response.status_code == 400
        assert set(response.json()) >= {"code", "detail"}


class TestPages:
    def test_r4_the_owner_is_offered_to_ask_and_sees_the_request_waiting(
        self, login, once, dispatcher2, dispatcher3
    ):
        client = login(dispatcher2)
        page = client.get(reverse("dispatch:ticket_detail", args=[once.number])).content.decode()
        assert "申请二次转派（需主管审批）" in page
        assert reverse("dispatch:ticket_transfer_request", args=[once.number]) in page
        response = client.post(
            reverse("dispatch:ticket_transfer_request", args=[once.number]),
            {"to_user": dispatcher3.pk, "note": "夜班跟进"},
            follow=True,
        )
        html = response.content.decode()
        assert "二次转派已提交主管审批" in html
        assert "二次转派待主管审批" in html
        assert "申请二次转派" not in html  # one question at a time
        assert not re.search(r"\bR4\b", visible_text(html))

    def test_r4_an_empty_request_shows_every_error_next_to_its_field(
        self, login, once, dispatcher2
    ):
        response = login(dispatcher2).post(
            reverse("dispatch:ticket_transfer_request", args=[once.number]), {"note": ""}
        )
        assert response.status_code == 400
        form = response.context["transfer_form"]
        assert set(form.errors) == {"to_user", "note"}

    def test_r4_a_supervisor_decides_on_the_ticket_page(
        self, login, once, dispatcher2, dispatcher3, supervisor
    ):
        request = ask(once, dispatcher2, dispatcher3)
        client = login(supervisor)
        page = client.get(reverse("dispatch:ticket_detail", args=[once.number])).content.decode()
        assert "批准转派" in page
        response = client.post(
            reverse("dispatch:transfer_decide", args=[request.pk]), {"approve": "1"}, follow=True
        )
        assert "二次转派已批准，工单已转派。" in response.content.decode()
        once.refresh_from_db()
        assert once.owner == dispatcher3

    def test_a_decision_without_a_button_decides_nothing(
        self, login, once, dispatcher2, dispatcher3, supervisor
    ):
        request = ask(once, dispatcher2, dispatcher3)
        response = login(supervisor).post(
            reverse("dispatch:transfer_decide", args=[request.pk]), {"note": "x"}, follow=True
        )
        assert "请选择批准或驳回该申请。" in response.content.decode()
        assert TransferRequest.objects.get().state == TransferRequestState.PENDING
