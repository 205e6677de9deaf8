"""The day optimizer (issue 19): engineers reassigned to cut travel and lateness, no customer's
time moved; each move accepted one by one through the visit service (R7, R11, R26)."""

from datetime import timedelta

import pytest

from dispatch.errors import RuleViolation
from dispatch.models import Notification
from planning.optimizer import optimize_day
from tests.factories import open_ticket
from tests.planning.conftest import TIANHE, at
from tests.visits.factories import book
from visits import services
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db


def test_the_plan_saves_travel_by_swapping_engineers_and_keeps_every_time(
    crossed, dispatcher, near, far
):
    a, b = crossed
    plan = optimize_day(user=dispatcher, day=a.start.astimezone(at(0).tzinfo).date())
    assert plan.saved_minutes > 60
    assert plan.optimized.travel < plan.booked.travel
    moved = {(m.visit.pk, m.to_engineer.pk) for m in plan.moves}
    assert moved == {(a.pk, near.pk), (b.pk, far.pk)}
    # The customer's agreed times are the visits' own: the plan holds the same visits.
    kept = sorted(v.start for visits in plan.routes.values() for v in visits)
    assert kept == sorted([a.start, b.start])


def test_accepting_a_move_keeps_the_time_and_texts_the_new_engineer(crossed, dispatcher, near):
    """R26: the standard booking SMS with the new engineer's name; R7: the time is unchanged."""
    a, _b = crossed
    new = services.reassign_visit(actor=dispatcher, visit=a, engineer=near, reason="")
    assert (new.start, new.end, new.engineer) == (a.start, a.end, near)
    a.refresh_from_db()
    assert a.status == VisitStatus.RESCHEDULED and a.rescheduled_to == new
    sms = Notification.objects.get(key=f"visit:{new.pk}:booked")
    assert "李近" in sms.body


def test_r11_no_move_under_two_hours_before_the_visit(clock, dispatcher, near, far):
    """R11: a visit starting within two hours keeps its engineer; the plan does not move it and
    the service refuses it in words."""
    ticket = open_ticket(dispatcher, latitude=TIANHE[0], longitude=TIANHE[1])
    soon = book(dispatcher, ticket, far, at(10, 30))
    plan = optimize_day(user=dispatcher, day=at(0).date())
    assert plan.moves == []
    with pytest.raises(RuleViolation) as refused:
        services.reassign_visit(actor=dispatcher, visit=soon, engineer=near, reason="")
    assert refused.value.code == "reassign_too_late"
    assert not __import__("re").search(r"\bR\d{1,2}\b", refused.value.message)


def test_r7_a_move_onto_a_busy_engineer_is_refused(crossed, dispatcher, near):
    """R7: if the new engineer was booked at that time meanwhile, the move is refused, no 500."""
    a, _b = crossed
    book(dispatcher, open_ticket(dispatcher), near, a.start - timedelta(minutes=30))
    with pytest.raises(RuleViolation) as refused:
        services.reassign_visit(actor=dispatcher, visit=a, engineer=near, reason="")
    assert refused.value.code == "engineer_busy"
    assert Visit.objects.get(pk=a.pk).status == VisitStatus.BOOKED


def test_only_the_desk_optimizes(near):
    from dispatch.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        optimize_day(user=near, day=at(0).date())


def test_the_page_shows_the_saving_and_accepts_a_move(crossed, dispatcher, near, client):
    """R7/R11 through the service: one click sends the other engineer; the page says so."""
    a, _b = crossed
    client.force_login(dispatcher)
    day = a.start.astimezone(at(0).tzinfo).date().isoformat()
    page = client.get("/planning/optimize/", {"day": day}).content.decode()
    assert "节省的路程" in page and "改派李近" in page
    answer = client.post(
        "/planning/optimize/accept/",
        {"visit": a.pk, "engineer": near.pk, "next": f"/planning/optimize/?day={day}"},
        follow=True,
    )
    assert "李近" in answer.content.decode()
    assert Visit.objects.get(rescheduled_from=a).engineer == near
    again = client.post(
        "/planning/optimize/accept/", {"visit": a.pk, "engineer": near.pk}, follow=True
    )
    assert again.status_code == 200
    assert "只有已预约或已确认的上门" in again.content.decode() or "已" in again.content.decode()
