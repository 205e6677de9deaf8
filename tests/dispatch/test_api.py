"""Tickets API: same services, role permissions, {"code", "detail"} errors, constant queries."""

import pytest
from rest_framework.authtoken.models import Token

from dispatch.models import Ticket
from tests.factories import open_ticket

pytestmark = pytest.mark.django_db

BODY = {
    "kind": "solve",
    "complexity": "simple",
    "customer_name": "钱女士",
    "phone": "13900139002",
    "phenomenon": "通话掉线",
    "location_detail": "客厅",
    "customer_action": "接电话时",
}


def test_create_with_token_auth(api, dispatcher):
    token = Token.objects.create(user=dispatcher)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.post("/api/tickets/", BODY, format="json")
    assert response.status_code == 201, response.data
    assert response.data["owner"] == dispatcher.username
    assert response.data["deadlines"][0]["kind"] == "acknowledge"
    assert Ticket.objects.get().number == response.data["number"]


def test_r2_invalid_phone_is_400(api, dispatcher):
    api.force_authenticate(dispatcher)
    response = api.post("/api/tickets/", {**BODY, "phone": "999"}, format="json")
    assert response.status_code == 400
    assert response.data["field"] == "phone"
    assert not Ticket.objects.exists()


def test_anonymous_and_engineer_are_refused(api, engineer):
    assert api.get("/api/tickets/").status_code in (401, 403)
    api.force_authenticate(engineer)
    assert api.get("/api/tickets/").status_code == 403
    assert api.post("/api/tickets/", BODY, format="json").status_code == 403


def test_r4_second_transfer_is_409_with_code(api, dispatcher, dispatcher2):
    ticket = open_ticket(dispatcher)
    api.force_authenticate(dispatcher)
    url = f"/api/tickets/{ticket.number}/transfer/"
    ok = api.post(url, {"to_user": dispatcher2.username, "note": "交接"}, format="json")
    assert ok.status_code == 200
    assert ok.data["owner"] == dispatcher2.username
    api.force_authenticate(dispatcher2)
    again = api.post(url, {"to_user": dispatcher.username, "note": "再转"}, format="json")
    assert again.status_code == 409
    assert again.data["code"] == "second_transfer_needs_supervisor"
    assert "主管" in again.data["detail"]


def test_r6_contact_and_close(api, dispatcher):
    ticket = open_ticket(dispatcher)
    api.force_authenticate(dispatcher)
    contact = api.post(
        f"/api/tickets/{ticket.number}/contact/",
        {"progress": "已答复客户", "answered": True},
        format="json",
    )
    assert contact.status_code == 201
    detail = api.get(f"/api/tickets/{ticket.number}/").data
    assert detail["deadlines"][0]["state"] == "met"
    closed = api.post(
        f"/api/tickets/{ticket.number}/close/",
        {"resolution": "已解决", "customer_told": True},
        format="json",
    )
    assert closed.status_code == 200
    assert closed.data["status"] == "closed"
    again = api.post(f"/api/tickets/{ticket.number}/close/", {"resolution": "x"}, format="json")
    assert again.status_code == 409
    assert again.data["code"] == "ticket_closed"


def test_filter_by_owner_and_overdue(api, dispatcher, dispatcher2):
    mine = open_ticket(dispatcher)
    open_ticket(dispatcher2)
    api.force_authenticate(dispatcher)
    data = api.get("/api/tickets/", {"owner": dispatcher.username}).data
    assert [row["number"] for row in data["results"]] == [mine.number]
    assert api.get("/api/tickets/", {"overdue": "true"}).data["results"] == []


def test_list_uses_the_same_queries_for_1_and_50(api, dispatcher, django_assert_max_num_queries):
    api.force_authenticate(dispatcher)
    open_ticket(dispatcher)
    with django_assert_max_num_queries(10) as one:
        assert api.get("/api/tickets/").status_code == 200
    for _ in range(49):
        open_ticket(dispatcher)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = api.get("/api/tickets/")
    assert len(response.data["results"]) == 50


def test_list_pages_by_cursor_without_counting(api, dispatcher):
    """Issue 14: the next page continues after the last row seen (newest first); no count."""
    api.force_authenticate(dispatcher)
    tickets = [open_ticket(dispatcher) for _ in range(51)]
    first = api.get("/api/tickets/").data
    assert "count" not in first
    assert [row["number"] for row in first["results"]] == [t.number for t in tickets[:0:-1]]
    second = api.get(first["next"]).data
    assert [row["number"] for row in second["results"]] == [tickets[0].number]
    assert second["next"] is None


def test_the_list_shows_each_ticket_as_the_serializer_does(api, dispatcher, supervisor):
    """Issue 14: the list is written from database rows, not ticket objects; every field reads
    the same as the serializer gives the ticket itself: the phone as people write it, the
    facts still missing (R1), the owner's and grid's names, the next deadline, empty ones
    null."""
    from dispatch import selectors
    from dispatch.api import TicketSerializer

    api.force_authenticate(dispatcher)
    full = open_ticket(dispatcher)
    bare = open_ticket(dispatcher, phenomenon="", location_detail=" ", customer_action="")
    Ticket.objects.filter(pk=bare.pk).update(latitude="23.129100", longitude="113.264400")
    listed = api.get("/api/tickets/").data["results"]
    expected = TicketSerializer(
        selectors.ticket_list(dispatcher).filter(pk__in=[full.pk, bare.pk]), many=True
    ).data
    assert [dict(row) for row in listed] == [dict(row) for row in expected]
    by_number = {row["number"]: row for row in listed}
    assert by_number[bare.number]["missing_facts"] == ["故障现象", "具体位置", "客户如何操作"]
    assert by_number[full.number]["missing_facts"] == []
    assert by_number[full.number]["phone"] == str(full.phone)  # the national form, not +86…
    assert by_number[bare.number]["latitude"] == "23.129100"
    assert by_number[full.number]["next_due_at"] and by_number[full.number]["owner"] == (
        dispatcher.username
    )


def test_a_cursor_not_ours_is_bad_input(api, dispatcher):
    api.force_authenticate(dispatcher)
    response = api.get("/api/tickets/", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.data["field"] == "cursor"


def test_schema_and_docs_are_served(client, dispatcher):
    client.force_login(dispatcher)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/tickets/{number}/transfer/" in schema.content
    assert client.get("/api/docs/").status_code == 200
