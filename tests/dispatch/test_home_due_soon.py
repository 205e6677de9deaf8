"""The home page's "due within the hour" panel and the table of open tickets beside it read one
selector (dispatch.selectors.my_deadlines), so they agree, at the hour's edge too (issue 15).
Before, the panel counted only the deadlines the person was responsible for, while the table's
"next due" counted every deadline of the ticket: a visit's re-confirmation, the engineer's,
showed due in the table while the panel said nothing was due (R3: the owner sees it through)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dispatch import selectors
from dispatch.models import Deadline, DeadlineKind
from tests.factories import open_ticket
from tests.visits.conftest import NOW
from tests.visits.factories import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _due_in(ticket, minutes: int) -> None:
    Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE).update(
        due_at=timezone.now() + timedelta(minutes=minutes)
    )


def test_the_panel_and_the_table_agree_at_the_hours_edge(clock, login, dispatcher, engineer):
    inside = open_ticket(dispatcher, customer_name="甲先生")
    edge = open_ticket(dispatcher, customer_name="乙先生")
    outside = open_ticket(dispatcher, customer_name="丙先生")
    _due_in(inside, 59)
    _due_in(edge, 60)
    _due_in(outside, 61)
    # R8: the engineer re-confirms a visit booked for 10:30 by 09:30 — on the owner's ticket.
    visited = open_ticket(dispatcher, customer_name="丁先生")
    _due_in(visited, 24 * 60)
    book(dispatcher, visited, engineer, NOW + timedelta(minutes=90))

    horizon = timezone.now() + timedelta(hours=1)
    table = {t.number for t in selectors.my_open_tickets(dispatcher) if t.next_due_at <= horizon}
    panel = {d.ticket.number for d in selectors.due_within(dispatcher, minutes=60)}
    assert table == panel == {inside.number, edge.number, visited.number}

    page = login(dispatcher).get("/").content.decode()
    soon = page.split('id="soon"')[1]
    assert inside.number in soon and edge.number in soon and visited.number in soon
    assert outside.number not in soon
    assert "再次确认" in soon  # the engineer's re-confirmation, named
    assert engineer.last_name in soon  # and who answers for it
    assert "未来一小时内没有到期事项" not in soon


def test_nothing_due_says_so(clock, login, dispatcher):
    ticket = open_ticket(dispatcher)
    _due_in(ticket, 61)
    assert not selectors.due_within(dispatcher, minutes=60).exists()
    page = login(dispatcher).get("/").content.decode()
    assert ticket.number not in page.split('id="soon"')[1]
