"""Reads the board and the supervisor's dashboard rely on: free time (R7), violations per
engineer (R9, R10, R11) and punctuality (R9)."""

from datetime import date

import pytest

from tests.factories import open_ticket
from tests.visits.conftest import AFTERNOON, NOW, at, minutes
from tests.visits.factories import book, confirmed
from visits import selectors, services

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 23)


def test_r7_free_time_is_the_working_day_between_visits(clock, dispatcher, engineer):
    book(dispatcher, open_ticket(dispatcher), engineer, at(10))
    book(dispatcher, open_ticket(dispatcher), engineer, at(11))  # adjacent: no gap between
    book(dispatcher, open_ticket(dispatcher), engineer, AFTERNOON)
    [row] = selectors.board([MONDAY], selectors.engineers().filter(pk=engineer.pk))
    day = row.days[0]
    # At 09:00 the morning before now is gone; then 09:00–10:00, 12:00–14:00, 15:00–20:00.
    assert day.free == [(at(9), at(10)), (at(12), at(14)), (at(15), at(20))]
    assert (day.busy_minutes, day.free_minutes) == (180, 480)


def test_moved_and_cancelled_visits_free_the_time(clock, dispatcher, engineer, visit):
    services.cancel_visit(actor=dispatcher, visit=visit, reason="客户取消")
    [row] = selectors.board([MONDAY], selectors.engineers().filter(pk=engineer.pk))
    assert row.days[0].visits == []
    assert not selectors.clashes(engineer=engineer, start=AFTERNOON, end=AFTERNOON + minutes(60))


def test_violation_counts_and_punctuality_per_engineer(
    clock, dispatcher, engineer, engineer2, visit
):
    other = book(dispatcher, open_ticket(dispatcher), engineer2, AFTERNOON)
    confirmed(visit)
    confirmed(other)
    clock.move_to(at(13, 50))  # engineer's late notice comes 5 minutes short (R10)
    services.notify_late(actor=engineer, visit=visit, new_arrival_at=at(14, 10), reason="交通堵塞")
    services.record_arrival(actor=engineer2, visit=other)  # on time (R9)
    clock.move_to(at(14, 8))
    services.record_arrival(actor=engineer, visit=visit)  # late (R9)

    counts = selectors.violation_counts(since=NOW, until=at(23))
    assert counts == {engineer.pk: {"late_notice": 1, "late_arrival": 1}}
    assert selectors.punctuality(since=NOW, until=at(23)) == {
        engineer.pk: (0, 1),
        engineer2.pk: (1, 1),
    }
    assert selectors.violation_counts(since=at(15), until=at(23)) == {}


def test_the_engineers_open_promises(clock, dispatcher, engineer, visit):
    assert list(selectors.replies_due(engineer)) == []
    assert list(selectors.notes_due(engineer)) == []
    assert list(selectors.visits_of_day(engineer, MONDAY)) == [visit]
    assert list(selectors.upcoming_for(engineer, MONDAY)) == []
