"""Issue 17: the customer's appointment page at /c/<token>: no account, no staff navigation,
staff sessions read-only, rate-limited, the token stored hashed, a refused move (R7, R11) a
sentence with fresh times, the .ics file RFC 5545-correct, and a constant number of queries."""

import re

import pytest
from django.core.cache import cache
from django.db import connection

from dispatch.models import Event, EventKind
from tests.factories import open_ticket
from tests.planning.conftest import at
from tests.visits.factories import book
from visits.models import CustomerLink, VisitStatus
from visits.services.links import link_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(clock, dispatcher, ticket, engineer):
    return book(dispatcher, ticket, engineer, at(14))


def url(visit) -> str:
    return "/c/" + link_token(CustomerLink.objects.get(visit=visit))


def text(response) -> str:
    return response.content.decode()


def radios(html: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', html)


def test_the_customer_sees_the_appointment_in_chinese_without_staff_navigation(client, visit):
    response = client.get(url(visit))
    html = text(response)
    assert response.status_code == 200
    assert "您的上门测试预约" in html and "合适，我确认" in html and "请给我回电" in html
    assert "11月23日" in html and "14:00–15:00" in html
    assert 'class="top customer"' in html and "退出" not in html
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"].startswith("noindex")
    assert radios(html)  # free times offered


def test_the_token_is_stored_only_hashed(visit):
    token = link_token(CustomerLink.objects.get(visit=visit))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM visits_customerlink")
        rows = cursor.fetchall()
        cursor.execute("SELECT body, params::text FROM dispatch_notification")
        outbox = cursor.fetchall()
    assert token not in repr(rows) and token not in repr(outbox)


def test_the_customer_confirms_on_the_page(client, visit):
    response = client.post(url(visit), {"action": "confirm"})
    assert response.status_code == 302
    page = text(client.get(url(visit)))
    assert "您已确认此预约" in page and "谢谢，您的预约已确认" in page
    assert Event.objects.filter(kind=EventKind.VISIT_CUSTOMER_CONFIRMED).count() == 1


def test_a_staff_session_sees_the_page_read_only_and_cannot_act(login, visit, dispatcher):
    client = login(dispatcher)
    page = text(client.get(url(visit)))
    assert "这是客户本人的页面" in page
    assert 'value="confirm"' not in page and "请给我回电</button>" not in page
    assert 'class="top customer"' in page  # no staff navigation either
    for action in ({"action": "confirm"}, {"action": "callback", "note": "x"}):
        response = client.post(url(visit), action)
        assert response.status_code == 403
        assert "不能代客户" in text(response)
    assert CustomerLink.objects.get(visit=visit).confirmed_at is None
    assert not Event.objects.filter(kind__startswith="visit.customer_").exists()


def test_an_unknown_link_is_a_sentence_not_an_error_page(client, db):
    response = client.get("/c/" + "x" * 22)
    assert response.status_code == 404
    assert "此链接无效" in text(response)


def test_pages_are_rate_limited_per_address(client, visit, settings):
    settings.CUSTOMER_LINK_PAGE_LIMIT = 3
    address = "203.0.113.17"  # its own counter: other tests count 127.0.0.1's
    cache.delete(f"customer-link:page:{address}")
    codes = [client.get("/c/" + "y" * 22, REMOTE_ADDR=address).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    response = client.get(url(visit), REMOTE_ADDR=address)  # the real link too, from there
    assert response.status_code == 429 and "尝试次数过多" in text(response)
    cache.delete(f"customer-link:page:{address}")


def test_actions_are_rate_limited_per_link(client, visit, settings):
    settings.CUSTOMER_LINK_ACTION_LIMIT = 2
    for _ in range(2):
        assert client.post(url(visit), {"action": "confirm"}).status_code == 302
    response = client.post(url(visit), {"action": "confirm"})
    assert response.status_code == 429


def test_a_slot_taken_meanwhile_is_a_sentence_and_fresh_times(client, visit, dispatcher, engineer):
    page = text(client.get(url(visit)))
    chosen = radios(page)[-1]
    from django.utils.dateparse import parse_datetime

    start = parse_datetime(chosen)
    book(dispatcher, open_ticket(dispatcher), engineer, start)  # the desk, a moment before
    response = client.post(url(visit), {"action": "move", "start": chosen})
    html = text(response)
    assert response.status_code == 409
    assert "这个时间刚刚被约走了" in html
    assert radios(html) and chosen not in radios(html)
    assert CustomerLink.objects.get(visit=visit).visit.status == VisitStatus.BOOKED


def test_the_customer_moves_and_the_old_link_shows_where_it_went(client, visit):
    chosen = radios(text(client.get(url(visit))))[0]
    old_url = url(visit)
    response = client.post(old_url, {"action": "move", "start": chosen}, follow=True)
    html = text(response)
    assert response.status_code == 200
    assert "您的上门时间已改到" in html and "此预约已改到" in html
    assert radios(html) == []


def test_within_two_hours_the_page_says_to_call(client, visit, clock):
    clock.move_to(at(12, 30))
    html = text(client.get(url(visit)))
    assert "距上门已不到两小时" in html and radios(html) == []
    assert "合适，我确认" in html  # confirming is still fine


def test_after_the_start_the_page_shows_the_visits_state(client, visit, clock):
    clock.move_to(at(14, 1))
    html = text(client.get(url(visit)))
    assert "预约状态" in html and "合适，我确认" not in html


def test_the_calendar_file_is_rfc_5545(client, visit):
    visit.ticket.address = "天河路1号, 3楼; A座"
    visit.ticket.save(update_fields=["address"])
    response = client.get(url(visit) + ".ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    lines = body.split("\r\n")
    assert f"UID:visit-{visit.pk}@" in body and any(line.startswith("DTSTAMP:") for line in lines)
    assert "DTSTART:20261123T060000Z" in lines and "DTEND:20261123T070000Z" in lines
    unfolded = body.replace("\r\n ", "")
    assert "天河路1号\\, 3楼\\; A座" in unfolded
    assert all(len(line.encode()) <= 75 for line in lines)


def test_the_page_reads_a_constant_number_of_queries(
    client, visit, dispatcher, engineer, django_assert_max_num_queries
):
    page = url(visit)
    with django_assert_max_num_queries(12) as few:
        client.get(page)
    for hour in (9, 17, 18):
        book(dispatcher, open_ticket(dispatcher), engineer, at(hour, day=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(page)
