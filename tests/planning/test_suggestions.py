"""Suggestions (issue 19): each (engineer, slot) pair keeps the rules it names, in words.

R7 free, R9 five minutes early with the travel time, R11 two hours' notice when it moves an
agreed time, the working hours (docs/rules.md)."""

from datetime import timedelta

import pytest
from django.utils import translation

from dispatch.errors import PermissionDenied, RuleViolation
from planning.suggestions import suggest
from tests.planning.conftest import NOW, PANYU, at
from tests.visits.factories import book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The words in English here; the pages' Chinese is checked in test_paths.py."""
    with translation.override("en"):
        yield


RULE_ID = r"\bR\d{1,2}\b"


def codes(s):
    return [k.code for k in s.kept]


def words(s):
    return " ".join([k.detail for k in s.kept] + s.reasons)


def test_a_free_engineer_is_suggested_with_each_rule_in_words(placed_ticket, near, dispatcher):
    """R7, R9 and the working hours, said without a rule id."""
    found = suggest(user=dispatcher, ticket=placed_ticket, policy="earliest")
    assert found
    first = found[0]
    assert first.engineer == near
    assert codes(first) == ["engineer_free", "arrives_early", "working_hours"]
    assert "free" in words(first) and "five minutes early" in words(first)
    import re

    assert not re.search(RULE_ID, words(first))


def test_r7_no_suggestion_overlaps_a_visit_of_the_engineer(placed_ticket, near, dispatcher):
    """R7: the engineer's booked time is never offered."""
    other = __import__("tests.factories", fromlist=["open_ticket"]).open_ticket(dispatcher)
    visit = book(dispatcher, other, near, at(10), minutes=240)
    found = suggest(user=dispatcher, ticket=placed_ticket, policy="earliest", days=1)
    mine = [s for s in found if s.engineer == near]
    assert mine
    for s in mine:
        assert s.end <= visit.start or s.start >= visit.end


def test_r9_the_travel_time_from_the_visit_before_comes_first(placed_ticket, near, dispatcher):
    """R9: after a visit in Panyu (about an hour away) the engineer is offered the ticket only
    once the drive and five minutes' margin fit, and the reason says so."""
    from tests.factories import open_ticket

    other = open_ticket(dispatcher, latitude=PANYU[0], longitude=PANYU[1])
    book(dispatcher, other, near, at(9, 30), minutes=60)  # until 10:30, in Panyu
    found = suggest(user=dispatcher, ticket=placed_ticket, policy="earliest", days=1)
    mine = next(s for s in found if s.engineer == near)
    assert mine.travel_minutes > 45
    assert mine.start >= at(10, 30) + timedelta(minutes=mine.travel_minutes + 5)
    assert mine.depart_by >= at(10, 30)
    assert "the visit before" in words(mine)
    assert f"about {mine.travel_minutes} minutes" in words(mine)


def test_r9_the_next_visit_is_still_reached_five_minutes_early(placed_ticket, near, dispatcher):
    """R9 for the visit after: a slot that would make the engineer late there is not offered."""
    from tests.factories import open_ticket

    other = open_ticket(dispatcher, latitude=PANYU[0], longitude=PANYU[1])
    nxt = book(dispatcher, other, near, at(12), minutes=60)
    found = suggest(user=dispatcher, ticket=placed_ticket, policy="earliest", days=1)
    for s in found:
        if s.engineer == near and s.end <= nxt.start:
            assert s.end + timedelta(minutes=60) <= nxt.start - timedelta(minutes=5)


def test_working_hours_bound_every_suggestion(placed_ticket, near, far, dispatcher, settings):
    settings.PLANNING = {**settings.PLANNING, "WORK_START": "09:00", "WORK_END": "17:00"}
    for s in suggest(user=dispatcher, ticket=placed_ticket, days=3, limit=10):
        local = s.start.astimezone(NOW.tzinfo)
        assert local.hour >= 9 and s.end.astimezone(NOW.tzinfo).hour * 60 + s.end.minute <= 17 * 60
        assert "Within working hours (09:00–17:00)." in words(s)


def test_r11_moving_an_agreed_time_keeps_two_hours_notice(placed_ticket, near, dispatcher):
    """R11: for a ticket with an agreed visit, every slot is two hours or more away and says the
    time changes with notice; the visit's own time is free again."""
    book(dispatcher, placed_ticket, near, at(15, day=1))
    found = suggest(user=dispatcher, ticket=placed_ticket, policy="earliest")
    assert found
    for s in found:
        assert s.start >= NOW + timedelta(hours=2)
        assert "two_hours_notice" in codes(s)
        assert "two hours' notice" in words(s)


def test_r11_no_suggestion_under_two_hours_before_the_agreed_time(placed_ticket, near, dispatcher):
    """R11: a change under two hours before needs a supervisor: nothing is suggested."""
    book(dispatcher, placed_ticket, near, at(10, 30))
    with pytest.raises(RuleViolation) as refused:
        suggest(user=dispatcher, ticket=placed_ticket)
    assert refused.value.code == "reschedule_too_late"
    assert "supervisor" in refused.value.message


def test_policies_rank_differently(placed_ticket, near, far, dispatcher):
    """Least travel puts the engineer next door first; grid and team first, the grid's own."""
    least = suggest(user=dispatcher, ticket=placed_ticket, policy="least_travel")
    assert least[0].engineer == near
    assert least[0].travel_minutes < min(s.travel_minutes for s in least if s.engineer == far)
    grid = suggest(user=dispatcher, ticket=placed_ticket, policy="grid_match")
    assert grid[0].engineer == near and grid[0].grid_match
    assert "Covers grid 天河北." in grid[0].reasons


def test_even_workload_prefers_the_engineer_with_fewer_visits(placed_ticket, near, far, dispatcher):
    from tests.factories import open_ticket

    for hour in (16, 18):
        book(dispatcher, open_ticket(dispatcher), near, at(hour))
    found = suggest(user=dispatcher, ticket=placed_ticket, policy="even_workload", days=1)
    assert found[0].engineer == far


def test_an_unlocated_ticket_gets_a_cautious_travel_time(clock, dispatcher, near):
    from tests.factories import open_ticket

    ticket = open_ticket(dispatcher)
    found = suggest(user=dispatcher, ticket=ticket, policy="earliest")
    assert found[0].travel_minutes == 45
    assert "no pin or grid" in words(found[0])


def test_only_the_desk_asks_for_suggestions(placed_ticket, near):
    with pytest.raises(PermissionDenied):
        suggest(user=near, ticket=placed_ticket)


def test_the_query_count_does_not_grow_with_engineers_or_visits(
    placed_ticket, near, far, dispatcher, tianhe
):
    """make bench: the desk waits as long for six engineers with busy days as for two with
    empty ones: the same statements, however many engineers and visits."""
    from tests.factories import make_user, open_ticket
    from tests.planning.conftest import TIANHE, based

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            suggest(user=dispatcher, ticket=placed_ticket, days=3)
        return len(captured.captured_queries)

    few = count()
    for i in range(4):
        engineer = make_user("engineer", username=f"more{i}")
        based(engineer, TIANHE, [tianhe])
        for day in range(3):
            book(dispatcher, open_ticket(dispatcher), engineer, at(11 + 2 * i, day=day))
    assert count() == few
