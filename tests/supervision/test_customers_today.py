"""Issue 17: the supervisor's dashboard shows what customers did today on their appointment links
(confirmed, moved, asked for a call back), in a constant number of queries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from tests.factories import open_ticket
from tests.visits.factories import book
from visits.models import CustomerLink
from visits.services import customer
from visits.services.links import link_token

pytestmark = pytest.mark.django_db
URL = reverse("supervision:supervisor")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CUSTOMER = AnonymousUser()


def _token(visit):
    return link_token(CustomerLink.objects.get(visit=visit))


def _visits(dispatcher, engineer, n, day=1):
    return [
        book(dispatcher, open_ticket(dispatcher), engineer, NOW + timedelta(days=day, hours=i))
        for i in range(n)
    ]


def test_the_dashboard_shows_what_customers_did_today(
    login, supervisor, dispatcher, engineer, django_assert_max_num_queries
):
    with time_machine.travel(NOW, tick=False):
        first, second, third = _visits(dispatcher, engineer, 3)
        customer.confirm(actor=CUSTOMER, token=_token(first))
        customer.ask_callback(actor=CUSTOMER, token=_token(second), note="请下午打")
        start, _end = customer.slots(third)[-1]
        customer.move(actor=CUSTOMER, token=_token(third), start=start)
        client = login(supervisor)
        # The dashboard budget of tests/supervision/test_dashboard.py (the waivers one more).
        with django_assert_max_num_queries(15) as few:
            page = client.get(URL).content.decode()
        section = page[page.index('id="customers-today"') :]
        section = section[: section.index("</section>")]
        assert "今日客户通过预约链接的操作" in section
        assert "客户通过链接确认预约: <strong>1</strong>" in section
        assert "客户通过链接改约: <strong>1</strong>" in section
        assert "客户要求回电: <strong>1</strong>" in section
        assert second.ticket.number in section and "请下午打" in section
        for visit in _visits(dispatcher, engineer, 7, day=2):
            customer.confirm(actor=CUSTOMER, token=_token(visit))
        with django_assert_max_num_queries(len(few.captured_queries)):
            page = client.get(URL).content.decode()
        assert "客户通过链接确认预约: <strong>8</strong>" in page


def test_yesterdays_actions_are_not_today(login, supervisor, dispatcher, engineer):
    with time_machine.travel(NOW, tick=False):
        (visit,) = _visits(dispatcher, engineer, 1)
        customer.confirm(actor=CUSTOMER, token=_token(visit))
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        page = login(supervisor).get(URL).content.decode()
    assert "客户通过链接确认预约: <strong>0</strong>" in page
