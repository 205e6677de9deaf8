"""Suggestions on the booking page (htmx) and in the API, and booking one (issue 19): the same
booking service and checks (R7); a slot taken meanwhile is a sentence and fresh suggestions."""

import re

import pytest
from django.urls import reverse

from dispatch.models import Notification
from tests.factories import open_ticket
from tests.visits.factories import book
from visits.models import Visit

pytestmark = pytest.mark.django_db


def test_the_booking_page_loads_suggestions(placed_ticket, near, dispatcher, client):
    client.force_login(dispatcher)
    page = client.get(reverse("visits:book", args=[placed_ticket.number]))
    assert reverse("planning:suggestions", args=[placed_ticket.number]) in page.content.decode()


def test_the_board_links_to_the_day_optimizer_for_its_day(dispatcher, client):
    client.force_login(dispatcher)
    page = client.get(reverse("visits:board"), {"day": "2026-11-24"}).content.decode()
    assert f'href="{reverse("planning:optimize")}?day=2026-11-24"' in page


def test_the_partial_lists_suggestions_with_their_rules_in_words(
    placed_ticket, near, dispatcher, client
):
    """R7, R9 and the working hours are said in Chinese, with no rule id."""
    client.force_login(dispatcher)
    html = client.get(
        reverse("planning:suggestions", args=[placed_ticket.number]), {"policy": "earliest"}
    ).content.decode()
    assert "李近" in html
    assert 'data-keeps="engineer_free"' in html and 'data-keeps="arrives_early"' in html
    assert "提前 5 分钟" in html or "提前5分钟" in html
    # A rule id is a word of its own; a CSRF token's random letters may hold "R1" inside them.
    assert not re.search(r"\bR\d{1,2}\b", html)


def test_one_click_books_through_the_booking_service(placed_ticket, near, dispatcher, client):
    """R7/R26: the suggestion's form posts to the booking page; the visit is booked and the
    customer gets the booking SMS naming the engineer."""
    client.force_login(dispatcher)
    html = client.get(
        reverse("planning:suggestions", args=[placed_ticket.number]), {"policy": "earliest"}
    ).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'name="(engineer|day|start_time|duration)" value="([^"]+)"', form[2]))
    response = client.post(form[1], fields)
    assert response.status_code == 302
    visit = Visit.objects.get(ticket=placed_ticket)
    assert visit.engineer == near
    assert Notification.objects.filter(key__startswith=f"visit:{visit.pk}:").exists()


def test_a_slot_taken_meanwhile_is_a_sentence_and_fresh_suggestions(
    placed_ticket, near, dispatcher, client
):
    """R7: someone books the engineer between the suggestion and the click: the page says so in
    words (no 500) and asks for suggestions again, which no longer offer that time."""
    client.force_login(dispatcher)
    html = client.get(
        reverse("planning:suggestions", args=[placed_ticket.number]),
        {"policy": "earliest", "days": 1},
    ).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'name="(engineer|day|start_time|duration)" value="([^"]+)"', form[2]))
    taken = book(
        dispatcher,
        open_ticket(dispatcher),
        near,
        __import__("visits.forms", fromlist=["aware"]).aware(
            __import__("datetime").date.fromisoformat(fields["day"]),
            __import__("datetime").time.fromisoformat(fields["start_time"]),
        ),
    )
    response = client.post(form[1], fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert "已预约" in page
    assert reverse("planning:suggestions", args=[placed_ticket.number]) in page
    fresh = client.get(
        reverse("planning:suggestions", args=[placed_ticket.number]),
        {"policy": "earliest", "days": 1},
    ).content.decode()
    assert f'name="start_time" value="{fields["start_time"]}"' not in fresh or (
        f'name="engineer" value="{near.pk}"' not in fresh.split(fields["start_time"])[0][-400:]
    )
    assert not Visit.objects.filter(ticket=placed_ticket).exists()
    assert taken.pk


def test_the_api_answers_suggestions_with_a_body_to_book(placed_ticket, near, dispatcher, api):
    """R7/R9: the API says each kept rule by code and in words; posting `book` books it."""
    api.force_authenticate(dispatcher)
    url = reverse("ticket-suggestions", args=[placed_ticket.number])
    answer = api.get(url, {"policy": "least_travel"})
    assert answer.status_code == 200
    first = answer.json()[0]
    assert first["engineer"] == "near"
    assert [k["code"] for k in first["kept"]] == ["engineer_free", "arrives_early", "working_hours"]
    booked = api.post(reverse("visit-list"), first["book"], format="json")
    assert booked.status_code == 201, booked.json()
    again = api.post(reverse("visit-list"), first["book"], format="json")
    assert again.status_code == 409


def test_the_api_refuses_a_bad_policy_in_words(placed_ticket, dispatcher, api):
    api.force_authenticate(dispatcher)
    url = reverse("ticket-suggestions", args=[placed_ticket.number])
    answer = api.get(url, {"policy": "cheapest"})
    assert answer.status_code == 400
    assert set(answer.json()) == {"code", "detail"} or "policy" in str(answer.json())


def test_intake_takes_a_pin_and_a_grid(dispatcher, client, tianhe):
    client.force_login(dispatcher)
    data = {
        "kind": "solve",
        "complexity": "simple",
        "customer_name": "钱女士",
        "phone": "13800138001",
        "phenomenon": "无信号",
        "location_detail": "卧室",
        "customer_action": "打电话",
        "grid": tianhe.pk,
        "latitude": "23.1375",
        "longitude": "113.321",
    }
    assert client.post(reverse("dispatch:ticket_create"), data).status_code == 302
    ticket = __import__("dispatch.models", fromlist=["Ticket"]).Ticket.objects.get(
        customer_name="钱女士"
    )
    assert ticket.grid == tianhe and float(ticket.latitude) == 23.1375


def test_intake_refuses_half_a_pin_next_to_its_field(dispatcher, client):
    client.force_login(dispatcher)
    data = {"kind": "solve", "complexity": "simple", "latitude": "23.1"}
    response = client.post(reverse("dispatch:ticket_create"), data)
    assert "纬度和经度请同时填写，或都不填。" in response.content.decode()
    assert not __import__("dispatch.models", fromlist=["Ticket"]).Ticket.objects.exists()


def test_the_api_takes_a_pin_and_a_grid_at_intake(dispatcher, api, tianhe):
    api.force_authenticate(dispatcher)
    body = {"kind": "solve", "latitude": "23.137500", "longitude": "113.321000", "grid": "天河北"}
    answer = api.post(reverse("ticket-list"), body, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["grid"] == "天河北"
    bad = api.post(reverse("ticket-list"), {"kind": "solve", "latitude": "23.1"}, format="json")
    assert bad.status_code == 400
