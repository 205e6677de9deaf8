"""R7 under load: 20 real PostgreSQL connections book the same engineer slot at once.

Exactly one booking wins; every other request gets 409 (never a 500), and the database holds no
overlapping visits for the engineer: the exclusion constraint catches what the service check,
racing, could not see.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import open_ticket
from visits.models import Visit
from visits.services import booking
from visits.services.booking import slots

pytestmark = pytest.mark.django_db(transaction=True)

CONNECTIONS = 20


def _race(dispatcher, engineer, django_db_blocker) -> list[tuple[int, dict]]:
    """Book CONNECTIONS overlapping visits of one engineer at once, each from its own thread
    (its own PostgreSQL connection), through the API; return (status, body) of each."""
    tickets = [open_ticket(dispatcher, customer_name=f"客户{i}") for i in range(CONNECTIONS)]
    start = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    barrier = threading.Barrier(CONNECTIONS)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def book(ticket, offset):
        client = APIClient()
        client.force_authenticate(dispatcher)
        # Every request overlaps every other: same engineer, starts 0–19 minutes apart.
        body = {
            "ticket": ticket.number,
            "engineer": engineer.username,
            "start": (start + timedelta(minutes=offset)).isoformat(),
            "end": (start + timedelta(minutes=60 + offset)).isoformat(),
        }
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/visits/", body, format="json")
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        threads = [
            threading.Thread(target=book, args=(ticket, i)) for i, ticket in enumerate(tickets)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return results


def _assert_one_winner(results, engineer) -> None:
    codes = sorted(code for code, _ in results)
    assert len(results) == CONNECTIONS
    assert codes.count(201) == 1, codes
    assert codes.count(409) == CONNECTIONS - 1, codes
    assert {body["code"] for code, body in results if code == 409} == {"engineer_busy"}
    assert Visit.objects.filter(engineer=engineer).count() == 1
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM visits_visit a JOIN visits_visit b
              ON a.engineer_id = b.engineer_id AND a.id < b.id
             AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
             WHERE a.status NOT IN ('rescheduled', 'cancelled')
               AND b.status NOT IN ('rescheduled', 'cancelled')
            """
        )
        assert cursor.fetchone()[0] == 0


def test_r7_twenty_concurrent_bookings_of_one_slot_one_wins_the_rest_409(
    dispatcher, engineer, django_db_blocker, monkeypatch
):
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    reached_the_constraint = []
    monkeypatch.setattr(slots, "_lost_race", reached_the_constraint.append)
    monkeypatch.setattr(slots, "_deadlocked_on_constraint", reached_the_constraint.append)
    results = _race(dispatcher, engineer, django_db_blocker)
    _assert_one_winner(results, engineer)
    # The engineer's lock queues the attempts: each loser saw the winner's visit in its check
    # and was told which ticket holds the time; none had to be stopped by the constraint.
    assert reached_the_constraint == []
    (winner,) = Visit.objects.filter(engineer=engineer)
    for code, body in results:
        if code == 409:
            assert winner.ticket.number in body["detail"], body


def test_r7_when_all_twenty_pass_the_check_the_constraint_decides(
    dispatcher, engineer, django_db_blocker, monkeypatch
):
    """The worst interleaving, forced: without the engineer's lock, every request passes the
    service's overlap check before any of them inserts. The exclusion constraint lets one in;
    the 19 others become 409s."""
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    all_checked = threading.Barrier(CONNECTIONS)
    lost = []
    check, lost_race = slots.check_engineer_free, slots._lost_race

    def check_then_wait(**kwargs):
        check(**kwargs)
        all_checked.wait(timeout=30)

    def spy(exc):
        lost.append(exc)
        return lost_race(exc)

    monkeypatch.setattr(slots, "lock_engineer", lambda engineer: None)
    monkeypatch.setattr(slots, "check_engineer_free", check_then_wait)
    monkeypatch.setattr(slots, "_lost_race", spy)
    _assert_one_winner(_race(dispatcher, engineer, django_db_blocker), engineer)
    assert len(lost) == CONNECTIONS - 1


def test_r7_booking_holds_the_engineers_lock_for_the_check_and_the_insert_only(
    dispatcher, engineer
):
    """Issue 14: everything else of a booking (deadlines, the ticket's status, events, the SMS)
    is written before the engineer's row is locked, so the bookings queued behind it wait for
    a few statements, not for the whole booking (docs/benchmarks.md, "One booking")."""
    from django.test.utils import CaptureQueriesContext

    ticket = open_ticket(dispatcher)
    start = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    with CaptureQueriesContext(connection) as ctx:
        visit = booking.book_visit(
            actor=dispatcher,
            ticket=ticket,
            engineer=engineer,
            start=start,
            end=start + timedelta(hours=1),
        )
    sqls = [q["sql"] for q in ctx.captured_queries]
    locked = next(i for i, sql in enumerate(sqls) if '"auth_user"' in sql and "FOR NO KEY" in sql)
    under_lock = [sql.split()[0] for sql in sqls[locked + 1 :]]
    # The R7 check, the insert (no savepoint of its own), the commit.
    assert under_lock == ["SELECT", "INSERT", "COMMIT"]
    assert visit.deadlines.count() == 2
    assert Visit.objects.get(pk=visit.pk).ticket == ticket
