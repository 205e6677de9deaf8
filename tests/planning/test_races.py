"""The day optimizer's moves under contention (issue 19): each request from its own thread and
PostgreSQL connection, through the API (tests/concurrency.py). Two dispatchers accepting moves
that clash, or a move and a booking of the same engineer's slot, or one move accepted twice:
exactly one wins, the other is refused with a 409 and a sentence, none answers 500 (R7's
exclusion constraint and the visit's row lock decide)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.concurrency import (
    assert_no_server_error,
    assert_sentence,
    post_as,
    run_at_once,
    statuses,
)
from tests.factories import make_user, open_ticket
from tests.visits.factories import book
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)

MOVES = "/api/planning/moves/"


def _slot():
    """The day after tomorrow at 10:00, local: far from the two hours' notice (R11)."""
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    return start + timedelta(days=2)


def _one_wins_the_other_is_busy(responses, free) -> None:
    """One 201; the other a 409 with R7's sentence; the free engineer has exactly one visit."""
    assert_no_server_error(responses)
    assert statuses(responses) == [201, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert_sentence(refused.json(), "engineer_busy")
    assert Visit.objects.filter(engineer=free).exclude(status=VisitStatus.RESCHEDULED).count() == 1


@pytest.fixture
def engineers(db):
    return [make_user("engineer", username=f"race{i}") for i in range(3)]


@pytest.mark.parametrize("round_", range(3))
def test_two_dispatchers_move_two_visits_onto_one_engineer_one_wins(
    dispatcher, dispatcher2, engineers, django_db_blocker, round_
):
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    free, first, second = engineers
    a = book(dispatcher, open_ticket(dispatcher), first, _slot())
    b = book(dispatcher, open_ticket(dispatcher), second, _slot() + timedelta(minutes=30))
    responses = run_at_once(
        [
            post_as(dispatcher, MOVES, {"visit": a.pk, "engineer": free.username}),
            post_as(dispatcher2, MOVES, {"visit": b.pk, "engineer": free.username}),
        ],
        django_db_blocker,
    )
    _one_wins_the_other_is_busy(responses, free)
    # The loser keeps its engineer and its visit.
    assert Visit.objects.filter(pk__in=[a.pk, b.pk], status=VisitStatus.BOOKED).count() == 1


@pytest.mark.parametrize("round_", range(3))
def test_a_move_and_a_booking_of_the_same_slot_one_wins(
    dispatcher, dispatcher2, engineers, django_db_blocker, round_
):
    free, busy, _ = engineers
    a = book(dispatcher, open_ticket(dispatcher), busy, _slot())
    waiting = open_ticket(dispatcher2)
    slot = {"start": _slot().isoformat(), "end": (_slot() + timedelta(hours=1)).isoformat()}
    responses = run_at_once(
        [
            post_as(dispatcher, MOVES, {"visit": a.pk, "engineer": free.username}),
            post_as(
                dispatcher2,
                "/api/visits/",
                {"ticket": waiting.number, "engineer": free.username, **slot},
            ),
        ],
        django_db_blocker,
    )
    _one_wins_the_other_is_busy(responses, free)


def test_one_move_accepted_twice_at_once_moves_once(
    dispatcher, dispatcher2, engineers, django_db_blocker
):
    free, busy, _ = engineers
    a = book(dispatcher, open_ticket(dispatcher), busy, _slot())
    body = {"visit": a.pk, "engineer": free.username}
    responses = run_at_once(
        [post_as(dispatcher, MOVES, body), post_as(dispatcher2, MOVES, body)], django_db_blocker
    )
    assert_no_server_error(responses)
    assert statuses(responses) == [201, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert_sentence(refused.json(), "invalid_transition")
    assert "已改约" in refused.json()["detail"]
    assert Visit.objects.filter(rescheduled_from=a).count() == 1
