"""Reads the board and the supervisor's dashboard rely on: free time (R7), violations per
engineer (R9, R10, R11), punctuality (R9) and the kit before arrival (R20)."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from tests.factories import open_ticket
from tests.visits.conftest import AFTERNOON, NOW, at, minutes
from tests.visits.factories import book, confirmed
from visits import selectors, services

pytestmark = pytest.mark.django_db
User = get_user_model()

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


def test_a_board_visit_reads_as_its_named_fields(clock, dispatcher, engineer):
    """The board keeps each visit as a plain tuple (docs/benchmarks.md, "Board");
    selectors.BoardVisit names its fields in order, and this holds the two together."""
    from django.urls import reverse

    ticket = open_ticket(dispatcher, customer_name="钱女士")
    visit = book(dispatcher, ticket, engineer, AFTERNOON)
    [row] = selectors.board([MONDAY], selectors.engineers().filter(pk=engineer.pk))
    shown = selectors.BoardVisit._make(row.days[0].visits[0])
    assert (shown.pk, shown.engineer_id, shown.number, shown.customer_name) == (
        visit.pk,
        engineer.pk,
        ticket.number,
        "钱女士",
    )
    assert shown.url == reverse("visits:detail", args=[visit.pk])
    assert (shown.start_hm, shown.end_hm) == ("14:00", "15:00")
    assert shown.end_at - shown.start_at == 3600 and shown.status_label == "已预约"


def test_moved_and_cancelled_visits_free_the_time(clock, dispatcher, engineer, visit):
    services.cancel_visit(actor=dispatcher, visit=visit, reason="客户取消", customer_agreed=True)
    [row] = selectors.board([MONDAY], selectors.engineers().filter(pk=engineer.pk))
    assert row.days[0].visits == []
    assert not selectors.clashes(engineer=engineer, start=AFTERNOON, end=AFTERNOON + minutes(60))


def test_each_engineers_visits_and_violations_r9_r10(clock, dispatcher, engineer, engineer2, visit):
    other = book(dispatcher, open_ticket(dispatcher), engineer2, AFTERNOON)
    confirmed(visit)
    confirmed(other)
    clock.move_to(at(13, 50))  # engineer's late notice comes 5 minutes short (R10)
    services.notify_late(actor=engineer, visit=visit, new_arrival_at=at(14, 10), reason="交通堵塞")
    services.record_arrival(actor=engineer2, visit=other)  # on time (R9)
    clock.move_to(at(14, 8))
    services.record_arrival(actor=engineer, visit=visit)  # late (R9)

    def records(since, until):
        people = User.objects.filter(pk__in=[engineer.pk, engineer2.pk]).annotate(
            visit_stats=selectors.engineer_visit_stats(since=since, until=until),
            violation_stats=selectors.engineer_violation_stats(since=since, until=until),
        )
        return {p.pk: (p.visit_stats, p.violation_stats) for p in people}

    late = {"late_arrivals": 1, "late_notices": 1, "late_reschedules": 0}
    # Both ticked the kit (R20) before arriving; engineer2 arrived on time, engineer late (R9).
    on_time = {"visits": 1, "arrived": 1, "punctual": 1, "kit_before_arrival": 1, "no_answer": 0}
    assert records(NOW, at(23)) == {
        engineer.pk: (dict(on_time, punctual=0), late),
        engineer2.pk: (on_time, None),
    }
    assert records(at(15), at(23)) == {engineer.pk: (None, None), engineer2.pk: (None, None)}


def test_the_engineers_open_promises(clock, dispatcher, engineer, visit):
    assert list(selectors.replies_due(engineer)) == []
    assert list(selectors.notes_due(engineer)) == []
    assert list(selectors.visits_of_day(engineer, MONDAY)) == [visit]
    assert list(selectors.upcoming_for(engineer, MONDAY)) == []
