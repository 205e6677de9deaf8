"""Bad input is a 400 with a sentence, never a 500 (issue 11): dates the centre can't convert
(year 9999, year 1) wherever a date is entered or filtered by, and JSON nested too deep for the
decoder in every API body and in the signature pad's field."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.test_permissions import MATRIX, kwargs_for
from tests.security.world import build_world, url_patterns

pytestmark = pytest.mark.django_db

RANGE_MESSAGE = "2000-01-01"  # the message names the range: "… between 2000-01-01 and 2099-12-31"
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def test_a_last_day_in_the_year_9999_is_refused_with_a_sentence(api, supervisor):
    api.force_authenticate(supervisor)
    response = api.get("/api/visits/?day_to=9999-12-31")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "date_out_of_range"
    assert body["field"] == "day_to"
    assert "2000-01-01" in body["detail"] and "2099-12-31" in body["detail"]


API_QUERIES = [
    "/api/visits/?day_from=0001-01-01",
    "/api/visits/?day_to=9999-12-31",
    "/api/visits/availability/?engineer={engineer}&start=0001-01-01T00:00&end=0001-01-01T01:00",
    "/api/visits/availability/?engineer={engineer}&start=9999-12-31T23:00&end=9999-12-31T23:59",
    "/api/dashboard/?end=9999-12-31",
    "/api/dashboard/?start=0001-01-01&end=0001-01-02",
    "/api/kit/report/?start=9999-12-30&end=9999-12-31",
    "/api/kit/report/?start=0001-01-01&end=0001-01-02",
]


@pytest.mark.parametrize("query", API_QUERIES)
def test_every_api_date_filter_refuses_a_date_out_of_range(api, world, query):
    api.force_authenticate(world.supervisor)
    response = api.get(query.format(engineer=world.engineer.username))
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "date_out_of_range"
    assert RANGE_MESSAGE in body["detail"]


PAGE_QUERIES = [
    "/supervisor/?end=9999-12-31",
    "/supervisor/?start=0001-01-01&end=0001-01-02",
    "/kit/report/?start=9999-12-30&end=9999-12-31",
    "/kit/report/?start=0001-01-01&end=0001-01-02",
    "/survey/results/?start=0001-01-01&end=9999-12-31",
    "/survey/results/comments/?start=9999-12-31&end=9999-12-31",
    "/supervisor/?end=9999-12-31&export=xlsx&table=overdue",
]


@pytest.mark.parametrize("query", PAGE_QUERIES)
def test_pages_show_a_date_out_of_range_as_a_form_error(client, world, query):
    client.force_login(world.supervisor)
    response = client.get(query)
    assert response.status_code in (200, 400), response.status_code
    if response["Content-Type"].startswith("text/html"):
        assert RANGE_MESSAGE in response.content.decode()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_board_shows_today_for_a_day_out_of_range(client, world, day):
    """The board treats any day it can't read as "today", as it does a malformed one."""
    client.force_login(world.dispatcher)
    for view in ("day", "week"):
        assert client.get(f"/visits/board/?day={day}&view={view}").status_code == 200


@pytest.mark.parametrize(
    "action, body",
    [
        ("reschedule", {"start": "0001-01-01T09:00", "end": "0001-01-01T10:00", "reason": "x"}),
        ("late-notice", {"new_arrival_at": "9999-12-31T23:59:59+00:00", "reason": "堵车"}),
        ("outcome", {"resolved": False, "summary": "x", "promised_reply_at": "0001-01-01"}),
        ("request-reschedule", {"start": "9999-12-31T22:00", "end": "9999-12-31T23:00"}),
    ],
)
def test_api_bodies_with_a_date_out_of_range_are_refused(api, world, action, body):
    # Each step as the role whose step it is (issue 11: the desk reschedules and asks for a late
    # one, the visit's engineer reports lateness and the outcome), so the dates are what's refused.
    desk = action in ("reschedule", "request-reschedule")
    api.force_authenticate(world.supervisor if desk else world.engineer)
    response = api.post(f"/api/visits/{world.visit.pk}/{action}/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "date_out_of_range"


def test_booking_far_in_the_past_is_refused(api, world):
    api.force_authenticate(world.dispatcher)
    body = {
        "ticket": world.ticket.number,
        "engineer": world.engineer.username,
        "start": "0001-01-01T00:00",
        "end": "0001-01-01T01:00",
    }
    response = api.post("/api/visits/", body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "start"


def test_a_body_nested_100000_deep_is_a_400_parse_error(api, supervisor):
    api.force_authenticate(supervisor)
    response = api.post("/api/visits/", DEEP, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert "32" in body["detail"]  # says how deep a body may be


def test_a_body_just_too_deep_for_the_bound_is_refused_too(api, supervisor):
    api.force_authenticate(supervisor)
    response = api.post("/api/tickets/", "[" * 40 + "]" * 40, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_no_api_route_answers_a_deep_body_with_a_server_error(world):
    """Every route under /api/, with every object its URL names, as a role allowed to post."""
    client = Client()
    wrong = []
    for name, route in url_patterns():
        if not route.startswith("api/") or name not in MATRIX:
            continue
        url = reverse(name, kwargs=kwargs_for(MATRIX[name][0], world, False))
        for user in (world.supervisor, world.engineer):
            client.force_login(user)
            response = client.post(url, DEEP, content_type="application/json")
            if response.status_code >= 500 or response.status_code == 201:
                wrong.append(f"{name} as {user.username}: {response.status_code}")
    assert not wrong, wrong


def test_the_signature_pad_refuses_a_deep_field_with_a_form_error(world):
    from surveys import services
    from tests.surveys.factories import GOOD_ANSWERS

    issued = services.issue_link(
        actor=world.engineer, visit=world.visit, channel="sms", base_url="https://x.example.cn/"
    )
    data = {f"q_{code}": str(value) for code, value in GOOD_ANSWERS.items()}
    data.update(action="sign", confirm="on", signature=DEEP)
    response = Client().post(reverse("surveys:customer", args=[issued.token]), data)
    assert response.status_code in (200, 400)
    assert "errorlist" in response.content.decode() or "error" in response.content.decode()


def test_the_bound_keeps_a_real_signature(world):
    from dispatch import json_input
    from tests.surveys.factories import strokes

    signature = strokes()
    assert json_input.loads(json.dumps(signature)) == signature


def test_a_nul_byte_is_named_as_a_character_not_allowed(client, api, dispatcher, ticket):
    """Django's zh-Hans text for it spoke of an empty string; the project's catalogue says what
    is wrong, on the pages and in the API alike."""
    client.force_login(dispatcher)
    page = client.post(
        reverse("dispatch:ticket_close", args=[ticket.number]), {"resolution": "已\x00解决"}
    )
    html = page.content.decode()
    assert "不允许的字符" in html
    assert "空字符串" not in html

    api.force_authenticate(dispatcher)
    answer = api.post(f"/api/tickets/{ticket.number}/close/", {"resolution": "\x00"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["field"] == "resolution"
    assert "不允许的字符" in answer.json()["detail"]
