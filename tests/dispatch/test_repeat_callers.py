"""Repeat callers (issue 15 item 2): search by phone, name, address and ticket number (page and
API, Chinese text on PostgreSQL with the trigram index, dispatch/search.py); at intake the
caller's open tickets and recent visits, and the call recorded on one of them as a contact
(R6, docs/rules.md); the intake form and the API's Idempotency-Key take a call once."""

import pytest
from django.db import connection

from dispatch import search
from dispatch.models import CustomerContact, Event, IntakeKey, Notification, Ticket
from tests.concurrency import assert_no_server_error, run_at_once, statuses
from tests.factories import open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def callers(dispatcher):
    return {
        "zhao": open_ticket(dispatcher),  # 赵先生, 13800138000, 广州市天河区体育西路 191 号
        "qian": open_ticket(
            dispatcher,
            customer_name="钱秀英女士",
            contact_person="钱秀英",
            phone="13900139000",
            address="深圳市南山区科技园路 8 号翠苑 3 栋 502 房",
        ),
        "sun": open_ticket(
            dispatcher,
            customer_name="孙先生",
            phone="020 8888 6666",
            address="佛山市禅城区季华路 12 号",
        ),
    }


def _found(query, user):
    from dispatch.selectors import ticket_list

    return {t.customer_name for t in ticket_list(user, q=query)}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("天河", {"赵先生"}),  # two Chinese characters: no trigram, still found
        ("天河区体育西路", {"赵先生"}),
        ("钱秀英", {"钱秀英女士"}),
        ("科技园路 3 栋", {"钱秀英女士"}),  # every word must match
        ("科技园路 北京", set()),
        ("139 0013 9000", {"钱秀英女士"}),  # a phone as it is said
        ("+86 139-0013-9000", {"钱秀英女士"}),
        ("88886666", {"孙先生"}),
        ("市", {"赵先生", "钱秀英女士", "孙先生"}),
    ],
)
def test_search_finds_chinese_names_addresses_and_phones(callers, dispatcher, query, names):
    assert _found(query, dispatcher) == names


def test_search_by_ticket_number_any_case(callers, dispatcher):
    number = callers["qian"].number
    assert _found(number.lower(), dispatcher) == {"钱秀英女士"}


def test_on_postgresql_the_trigram_index_answers_the_search(callers):
    """The query's text expression is the index's (migration dispatch 0019), so PostgreSQL can
    use it: with sequential and plain index scans off (three tickets are read fastest whole),
    the plan reads ticket_search_trgm."""
    assert connection.vendor == "postgresql"
    qs = search.search(Ticket.objects.all(), "体育西路")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = qs.explain()
    assert "ticket_search_trgm" in plan


def test_the_ticket_list_page_searches(login, callers, dispatcher):
    html = login(dispatcher).get("/tickets/", {"q": "南山区"}).content.decode()
    assert callers["qian"].number in html
    assert callers["zhao"].number not in html


def test_the_api_filters_with_q(api, callers, dispatcher):
    api.force_authenticate(dispatcher)
    body = api.get("/api/tickets/", {"q": "138 0013 8000"}).json()
    assert [t["number"] for t in body["results"]] == [callers["zhao"].number]


# --- at intake ---------------------------------------------------------------------------------


def test_the_partial_lists_the_callers_open_tickets(login, callers, dispatcher):
    response = login(dispatcher).get("/tickets/caller/", {"phone": "139 0013 9000"})
    html = response.content.decode()
    assert callers["qian"].number in html
    assert f'formaction="/tickets/{callers["qian"].number}/repeat-call/"' in html
    assert callers["zhao"].number not in html
    assert login(dispatcher).get("/tickets/caller/", {"phone": "139"}).content.strip() == b""


def _intake(**changes):
    data = {
        "intake_key": "a" * 32,
        "customer_name": "钱秀英女士",
        "phone": "13900139000",
        "phenomenon": "又断线了",
        "location_detail": "书房",
        "customer_action": "视频会议",
        "kind": "solve",
        "complexity": "simple",
    }
    data.update(changes)
    return data


def test_r6_the_call_is_recorded_on_the_open_ticket(login, callers, dispatcher2):
    """R6: the repeat call is a contact on the caller's ticket, by whoever took it; the owner
    is told; no second ticket."""
    ticket = callers["qian"]
    client = login(dispatcher2)
    before = Ticket.objects.count()
    response = client.post(f"/tickets/{ticket.number}/repeat-call/", _intake())
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    contact = CustomerContact.objects.get(ticket=ticket)
    assert "又断线了" in contact.progress and "书房" in contact.progress
    assert contact.actor == dispatcher2
    assert Notification.objects.filter(
        template="ticket_contact_staff", recipient=ticket.owner
    ).exists()
    # The same form again (a double click): recorded once.
    client.post(f"/tickets/{ticket.number}/repeat-call/", _intake())
    assert CustomerContact.objects.filter(ticket=ticket).count() == 1
    assert Ticket.objects.count() == before


def test_the_intake_form_sent_twice_takes_one_ticket(login, dispatcher):
    client = login(dispatcher)
    first = client.post("/tickets/new/", _intake())
    second = client.post("/tickets/new/", _intake(phenomenon="又断线了，改了一个字"))
    assert Ticket.objects.count() == 1
    assert first["Location"] == second["Location"]
    page = client.get(second["Location"]).content.decode()
    assert "已提交过" in page


def test_back_and_submit_again_takes_one_ticket(login, dispatcher):
    """The back button fetches the form again, with a new key, and the browser puts the typed
    text back: the same complaint from the same person soon after is the form resent."""
    client = login(dispatcher)
    first = client.post("/tickets/new/", _intake())
    again = client.post("/tickets/new/", _intake(intake_key="b" * 32))
    assert Ticket.objects.count() == 1
    assert first["Location"] == again["Location"]
    other = client.post("/tickets/new/", _intake(intake_key="c" * 32, phenomenon="宽带也断了"))
    assert other["Location"] != first["Location"]
    assert Ticket.objects.count() == 2


def test_a_fresh_form_has_a_fresh_key(login, dispatcher):
    import re

    client = login(dispatcher)
    keys = {
        re.search(r'name="intake_key" value="(\w+)"', client.get("/tickets/new/").content.decode())[
            1
        ]
        for _ in range(2)
    }
    assert len(keys) == 2


def test_the_ticket_page_lists_the_callers_other_open_tickets(login, callers, dispatcher):
    other = open_ticket(dispatcher, phone="13900139000", phenomenon="宽带也慢")
    html = login(dispatcher).get(f"/tickets/{other.number}/").content.decode()
    assert callers["qian"].number in html


# --- the API's Idempotency-Key -----------------------------------------------------------------

BODY = {"kind": "solve", "customer_name": "李女士", "phone": "13700137000", "phenomenon": "掉线"}


def test_api_idempotency_key_replays_and_refuses_other_content(api, dispatcher):
    api.force_authenticate(dispatcher)
    first = api.post("/api/tickets/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="call-42")
    again = api.post("/api/tickets/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="call-42")
    other = api.post(
        "/api/tickets/",
        {**BODY, "phenomenon": "无信号"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="call-42",
    )
    assert first.status_code == 201
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1
    bad = api.post("/api/tickets/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="有中文")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_idempotency_key"


def test_keys_are_per_person(api, dispatcher, dispatcher2):
    for user in (dispatcher, dispatcher2):
        api.force_authenticate(user)
        assert (
            api.post("/api/tickets/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code
            == 201
        )
    assert Ticket.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_posts_with_one_key_take_one_ticket(dispatcher, django_db_blocker):
    """The race a double click makes: one ticket, one number used, the others answered with it
    (200), none with a 500."""
    from rest_framework.test import APIClient

    def post():
        client = APIClient()
        client.force_authenticate(dispatcher)
        return client.post("/api/tickets/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="dbl")

    responses = run_at_once([post] * 10, django_db_blocker)
    assert_no_server_error(responses)
    assert statuses(responses) == [200] * 9 + [201]
    assert len({r.json()["number"] for r in responses}) == 1
    assert Ticket.objects.count() == 1 and IntakeKey.objects.count() == 1
    assert Event.objects.filter(kind="ticket.opened").count() == 1
    assert Ticket.objects.get().number.endswith("-0001")
