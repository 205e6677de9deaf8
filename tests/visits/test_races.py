"""R7, R11, R16 under load: contended transitions of visits, each request from its own thread
and PostgreSQL connection, through the API (tests/concurrency.py). Exactly one request wins,
every other one is refused with a 409 and a sentence, none answers 500 (dispatch/locks.py
holds the one lock order that makes this so). Booking alone: test_concurrency.py."""

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
from visits import services
from visits.models import (
    HandoverState,
    RequestState,
    RescheduleRequest,
    Visit,
    VisitHandover,
    VisitStatus,
)
from visits.services.handover import handover_code

pytestmark = pytest.mark.django_db(transaction=True)


def _hour(hours: float):
    return timezone.now().replace(microsecond=0) + timedelta(hours=hours)


def _under_way(dispatcher, engineer, *, start, end) -> Visit:
    """A visit its engineer has arrived at (R16: only a visit under way is handed over)."""
    return Visit.objects.create(
        ticket=open_ticket(dispatcher),
        engineer=engineer,
        booked_by=dispatcher,
        start=start,
        end=end,
        status=VisitStatus.ARRIVED,
        arrived_at=start - timedelta(minutes=6),
        arrival_punctual=True,
        kit_completed_at=start - timedelta(minutes=30),
    )


def _no_overlap(engineer) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM visits_visit a JOIN visits_visit b
              ON a.engineer_id = b.engineer_id AND a.id < b.id
             AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
             WHERE a.status NOT IN ('rescheduled', 'cancelled')
               AND b.status NOT IN ('rescheduled', 'cancelled') AND a.engineer_id = %s
            """,
            [engineer.pk],
        )
        assert cursor.fetchone()[0] == 0


def _asked(visit: Visit, to, *, start, end) -> VisitHandover:
    """R16: the visit's engineer asked; the customer's phone has the code."""
    return services.request_handover(
        actor=visit.engineer,
        visit=visit,
        to_engineer=to,
        start=start,
        end=end,
        note="需要光纤熔接工具",
        reason="需要光纤熔接设备",
    )


def _confirm(visit: Visit, handover: VisitHandover):
    # The code the customer's phone received (derived as the sending backend derives it).
    return post_as(
        visit.engineer,
        f"/api/visits/{visit.pk}/handover/confirm/",
        {"code": handover_code(handover)},
    )


@pytest.mark.parametrize("round_", range(2))
def test_r16_r7_handovers_and_bookings_race_for_one_engineer_one_wins(
    dispatcher, engineer, django_db_blocker, round_
):
    """Ten customers agree (their codes typed at once) to `engineer` taking over their visits
    while ten bookings give `engineer` an overlapping time: every request wants the same hour
    of one calendar."""
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    start, end = _hour(-0.5), _hour(2)
    visits = [
        _under_way(dispatcher, make_user("engineer"), start=start, end=end) for _ in range(10)
    ]
    asked = [_asked(visit, engineer, start=_hour(1), end=_hour(2)) for visit in visits]
    tickets = [open_ticket(dispatcher) for _ in range(10)]
    handovers = [_confirm(visit, handover) for visit, handover in zip(visits, asked, strict=True)]
    bookings = [
        post_as(
            dispatcher,
            "/api/visits/",
            {
                "ticket": ticket.number,
                "engineer": engineer.username,
                "start": _hour(1 + i / 60).isoformat(),
                "end": _hour(1.5 + i / 60).isoformat(),
            },
        )
        for i, ticket in enumerate(tickets)
    ]
    calls = [call for pair in zip(handovers, bookings, strict=True) for call in pair]
    responses = run_at_once(calls, django_db_blocker)
    assert_no_server_error(responses)
    winners = [r for r in responses if r.status_code in (200, 201)]
    assert len(winners) == 1, statuses(responses)
    for response in responses:
        if response not in winners:
            assert response.status_code == 409, response.json()
            assert_sentence(response.json(), "engineer_busy")
    _no_overlap(engineer)
    active = Visit.objects.filter(engineer=engineer).exclude(status=VisitStatus.CANCELLED)
    assert active.count() == 1
    # The customers whose agreement lost the race still wait: their visits are unchanged.
    handed = Visit.objects.filter(status=VisitStatus.HANDED_OVER).count()
    assert handed == (1 if winners[0].status_code == 200 else 0)


@pytest.mark.parametrize("round_", range(2))
def test_r16_two_confirmations_of_one_handover_one_wins(
    dispatcher, engineer, django_db_blocker, round_
):
    """The customer's code typed twice at once (a double tap, the app and the page): one
    handover, one successor, the other answer a 409 with a sentence, no 500."""
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    visit = _under_way(dispatcher, make_user("engineer"), start=_hour(-0.5), end=_hour(1))
    handover = _asked(visit, engineer, start=_hour(1), end=_hour(2))
    responses = run_at_once([_confirm(visit, handover)] * 6, django_db_blocker)
    assert_no_server_error(responses)
    assert statuses(responses) == [200] + [409] * 5
    for response in responses:
        if response.status_code == 409:
            assert_sentence(response.json(), "handed_over")
    assert Visit.objects.filter(handed_over_from=visit).count() == 1
    handover.refresh_from_db()
    assert (handover.state, handover.code_attempts) == (HandoverState.CONFIRMED, 1)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.HANDED_OVER


def _late_request(dispatcher, engineer, supervisor) -> RescheduleRequest:
    """A visit starting within 2 hours and its late reschedule, waiting for a supervisor."""
    visit = Visit.objects.create(
        ticket=open_ticket(dispatcher),
        engineer=engineer,
        booked_by=dispatcher,
        start=_hour(1),
        end=_hour(2),
    )
    return RescheduleRequest.objects.create(
        visit=visit,
        requested_by=dispatcher,
        reason="客户临时住院",
        new_start=_hour(26),
        new_end=_hour(27),
        new_engineer=engineer,
    )


@pytest.mark.parametrize("round_", range(2))
def test_r11_supervisors_decide_one_request_at_once_one_decision_holds(
    dispatcher, engineer, django_db_blocker, round_
):
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    supervisors = [make_user("supervisor") for _ in range(10)]
    request = _late_request(dispatcher, engineer, supervisors[0])
    path = f"/api/reschedule-requests/{request.pk}/"
    calls = [
        post_as(
            s, path + ("approve/" if i % 2 else "reject/"), {"note": "同意" if i % 2 else "驳回"}
        )
        for i, s in enumerate(supervisors)
    ]
    responses = run_at_once(calls, django_db_blocker)
    assert_no_server_error(responses)
    assert statuses(responses) == [200] + [409] * 9
    for response in responses:
        if response.status_code == 409:
            assert_sentence(response.json(), "request_decided")
    request.refresh_from_db()
    assert request.state in (RequestState.APPROVED, RequestState.REJECTED)
    successors = Visit.objects.filter(rescheduled_from=request.visit)
    assert successors.count() == (1 if request.state == RequestState.APPROVED else 0)


@pytest.mark.parametrize("round_", range(3))
def test_r11_approving_while_the_desk_cancels_one_wins_no_deadlock(
    dispatcher, supervisor, engineer, django_db_blocker, round_
):
    """The pair that used to lock in opposite orders: decide (request, then visit) against
    cancel (visit, then its requests). Now both lock ticket → visit → request."""
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    request = _late_request(dispatcher, engineer, supervisor)
    approve = post_as(supervisor, f"/api/reschedule-requests/{request.pk}/approve/", {"note": ""})
    cancel = post_as(
        supervisor,
        f"/api/visits/{request.visit_id}/cancel/",
        {"reason": "台风停工", "customer_agreed": True, "force_majeure": True},
    )
    responses = run_at_once([approve, cancel] * 4, django_db_blocker)
    assert_no_server_error(responses)
    assert statuses(responses) == [200] + [409] * 7
    request.refresh_from_db()
    visit = Visit.objects.get(pk=request.visit_id)
    if request.state == RequestState.APPROVED:
        assert visit.status == VisitStatus.RESCHEDULED
        codes = {"request_decided", "invalid_transition"}
    else:
        assert (request.state, visit.status) == (RequestState.REJECTED, VisitStatus.CANCELLED)
        codes = {"request_decided", "invalid_transition"}
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] in codes
            assert_sentence(response.json(), response.json()["code"])
