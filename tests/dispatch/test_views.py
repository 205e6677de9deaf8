"""Desk pages: intake, list, detail, transfer, contact, close; roles and query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Deadline, Ticket
from tests.factories import open_ticket

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("dispatch:ticket_list"))
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_login_page_speaks_chinese_by_default(client):
    response = client.get("/login/")
    assert "登录" in response.content.decode()


def test_english_is_the_second_language(client, dispatcher):
    client.force_login(dispatcher)
    client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})
    assert "Complaint tickets" in client.get("/tickets/").content.decode()


def test_engineer_cannot_open_the_desk(login, engineer, ticket):
    client = login(engineer)
    assert client.get(reverse("dispatch:ticket_list")).status_code == 403
    assert client.get(reverse("dispatch:ticket_create")).status_code == 403
    detail = reverse("dispatch:ticket_detail", args=[ticket.number])
    assert client.get(detail).status_code == 403


def test_intake_form_takes_a_complaint(login, dispatcher):
    client = login(dispatcher)
    response = client.post(
        reverse("dispatch:ticket_create"),
        {
            "customer_name": "孙先生",
            "phone": "13700137003",
            "address": "海珠区新港中路 397 号",
            "phenomenon": "5G 信号时有时无",
            "location_detail": "阳台",
            "customer_action": "看视频时",
            "kind": "solve",
            "complexity": "complex",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("dispatch:ticket_detail", args=[ticket.number])
    assert ticket.owner == dispatcher
    assert Deadline.objects.filter(ticket=ticket, kind="acknowledge").count() == 1


def test_intake_form_rejects_an_invalid_phone_and_saves_nothing(login, dispatcher):
    client = login(dispatcher)
    response = client.post(
        reverse("dispatch:ticket_create"),
        {"phone": "12345", "kind": "solve", "complexity": "simple"},
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("phone")
    assert "合法的电话号码" in response.content.decode()
    assert not Ticket.objects.exists()


def test_detail_shows_missing_facts_r1(login, dispatcher):
    ticket = open_ticket(dispatcher, phenomenon="", customer_name="")
    page = login(dispatcher).get(reverse("dispatch:ticket_detail", args=[ticket.number]))
    text = page.content.decode()
    assert "暂不能派单" in text and "（R1）" not in text
    assert "故障现象" in text


def test_transfer_form_r4_second_transfer_refused_on_the_page(
    login, dispatcher, dispatcher2, supervisor
):
    ticket = open_ticket(dispatcher)
    client = login(dispatcher)
    url = reverse("dispatch:ticket_transfer", args=[ticket.number])
    assert client.post(url, {"to_user": dispatcher2.pk, "note": "晚上联系"}).status_code == 302
    client = login(dispatcher2)
    response = client.post(url, {"to_user": dispatcher.pk, "note": "再转"})
    assert response.status_code == 400
    assert "主管" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.owner == dispatcher2


def test_contact_form_r6_moves_the_deadline(login, dispatcher):
    ticket = open_ticket(dispatcher)
    client = login(dispatcher)
    # R6: within the bound (24 h by default) the owner moves the promise on their own.
    new_time = timezone.localtime() + timedelta(hours=20)
    response = client.post(
        reverse("dispatch:ticket_contact", args=[ticket.number]),
        {
            "channel": "phone",
            "progress": "正在排查",
            "new_promised_at": new_time.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    due = ticket.deadlines.filter(state="open").get().due_at
    assert due == new_time.replace(second=0, microsecond=0)


def test_close_form_requires_a_resolution(login, dispatcher):
    ticket = open_ticket(dispatcher)
    response = login(dispatcher).post(reverse("dispatch:ticket_close", args=[ticket.number]), {})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_list_filters_by_status_and_overdue(login, dispatcher):
    open_ticket(dispatcher, customer_name="甲")
    late = open_ticket(dispatcher, customer_name="乙")
    Deadline.objects.filter(ticket=late).update(state="overdue", overdue_at=timezone.now())
    client = login(dispatcher)
    text = client.get(reverse("dispatch:ticket_list"), {"overdue": "on"}).content.decode()
    assert late.number in text
    assert "甲" not in text


def test_list_page_uses_constant_queries(login, dispatcher, django_assert_max_num_queries):
    client = login(dispatcher)
    open_ticket(dispatcher)
    with django_assert_max_num_queries(12) as one:
        assert client.get(reverse("dispatch:ticket_list")).status_code == 200
    for _ in range(49):
        open_ticket(dispatcher)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse("dispatch:ticket_list")).status_code == 200


def test_home_lists_my_open_tickets(login, dispatcher):
    ticket = open_ticket(dispatcher)
    assert ticket.number in login(dispatcher).get("/").content.decode()


def test_list_counts_only_a_few_pages_ahead(login, dispatcher, monkeypatch):
    """Issue 14: the list does not count every ticket; past a few pages it says "more than"."""
    from dispatch.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "LOOKAHEAD", 1)  # 2 pages of 25 counted from page 1
    Ticket.objects.bulk_create(
        Ticket(number=f"T{i:04d}", customer_name="客户", owner=dispatcher, created_by=dispatcher)
        for i in range(60)
    )
    client = login(dispatcher)
    client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})
    first = client.get(reverse("dispatch:ticket_list")).content.decode()
    assert "Page 1 of more than 2" in first
    third = client.get(reverse("dispatch:ticket_list"), {"page": 3}).content.decode()
    assert "Page 3 of 3" in third
