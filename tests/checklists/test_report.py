"""The supervisor's view: kit complete before arrival per engineer and period, and the items
most often missing (R20)."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checklists import selectors
from dispatch.periods import Period
from tests.checklists.factories import make_visit, tick_all
from tests.factories import make_user
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
# A Wednesday, so the period below spans two weeks.
NOW = datetime(2026, 3, 18, 18, 0, tzinfo=TZ)


def visit_at(ticket, engineer, start, *, missing=(), arrive_after_kit=True, arrive=True):
    """A visit whose kit was ticked an hour before the appointment (but `missing`), then
    arrived 5 minutes before it, or (arrive_after_kit=False) before the kit was done."""
    visit = make_visit(ticket, engineer, start=start)
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        tick_all(visit, except_codes=missing)
    if arrive:
        arrived = start - timedelta(minutes=5)
        if not arrive_after_kit:
            arrived = start - timedelta(hours=2)
        Visit.objects.filter(pk=visit.pk).update(arrived_at=arrived, status=VisitStatus.ARRIVED)
    return visit


@pytest.fixture
def history(ticket):
    a = make_user("engineer", username="eng_a", last_name="李", first_name="强")
    b = make_user("engineer", username="eng_b", last_name="张", first_name="伟")
    monday = datetime(2026, 3, 9, 10, 0, tzinfo=TZ)
    # Engineer a: week 1 kit done before arrival twice; week 2 arrived once before finishing.
    visit_at(ticket, a, monday)
    visit_at(ticket, a, monday + timedelta(days=1))
    visit_at(ticket, a, monday + timedelta(days=7), missing=("shoe_covers", "mat_cloth"))
    # Engineer b: arrived before ticking (counts as late), and a visit never reached with shoe
    # covers missing at the appointment time.
    visit_at(ticket, b, monday + timedelta(days=2), arrive_after_kit=False)
    visit_at(ticket, b, monday + timedelta(days=8), missing=("shoe_covers",), arrive=False)
    # Not counted: a cancelled visit, one outside the period, one in the future.
    gone = visit_at(ticket, b, monday + timedelta(days=3), missing=("badge",), arrive=False)
    Visit.objects.filter(pk=gone.pk).update(status=VisitStatus.CANCELLED)
    visit_at(ticket, a, monday - timedelta(days=30), missing=("badge",))
    # A due visit whose kit was never opened.
    make_visit(ticket, b, start=monday + timedelta(days=9))
    return a, b


def period():
    return Period(start=date(2026, 3, 9), end=date(2026, 3, 18))


def test_completion_before_arrival_per_engineer(history):
    a, b = history
    with time_machine.travel(NOW, tick=False):
        rows = {
            row.engineer.username: row for row in selectors.kit_completion_by_engineer(period())
        }
    assert (rows["eng_a"].visits, rows["eng_a"].arrived, rows["eng_a"].kit_before_arrival) == (
        3,
        3,
        2,
    )
    assert rows["eng_a"].rate == pytest.approx(2 / 3)
    # b: one arrival before the kit was complete, one visit not arrived, one kit never opened.
    assert (rows["eng_b"].visits, rows["eng_b"].arrived, rows["eng_b"].kit_before_arrival) == (
        3,
        1,
        0,
    )
    assert rows["eng_b"].kit_late == 1


def test_week_by_week(history):
    with time_machine.travel(NOW, tick=False):
        weeks, rows = selectors.kit_completion_by_week(period())
    assert weeks == [date(2026, 3, 9), date(2026, 3, 16)]
    cells = {row.engineer.username: row.cells for row in rows}
    assert cells["eng_a"] == [(2, 2), (0, 1)]
    assert cells["eng_b"] == [(0, 1), (0, 0)]


def test_items_most_often_missing(history):
    with time_machine.travel(NOW, tick=False):
        rows, never_opened = selectors.most_missing_items(period())
    # b's early arrival had nothing ticked yet: every item counts once there.
    assert [(row.item.code, row.missing) for row in rows[:2]] == [
        ("shoe_covers", 3),
        ("mat_cloth", 2),
    ]
    assert {row.missing for row in rows[2:]} == {1}
    assert len(rows) == 9
    assert rows[0].runs == 5  # due visits with a kit opened
    assert never_opened == 1


def test_the_report_page_reads_in_a_constant_number_of_queries(ticket, login, supervisor):
    start = timezone.now() - timedelta(days=3)
    visit_at(ticket, make_user("engineer"), start, missing=("badge",))
    client = login(supervisor)
    with CaptureQueriesContext(connection) as one:
        response = client.get("/kit/report/")
    assert response.status_code == 200
    for n in range(6):
        visit_at(
            ticket, make_user("engineer"), start + timedelta(hours=2 * n), missing=("mat_cloth",)
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get("/kit/report/")
    assert len(many) == len(one)
    assert len(response.context["engineers"]) == 7
    page = response.content.decode()
    assert "一张垫布" in page and "一张工作牌" in page


def test_the_report_page_is_for_supervisors(login, engineer, dispatcher):
    assert login(engineer).get("/kit/report/").status_code == 403
    assert login(dispatcher).get("/kit/report/").status_code == 403


def test_a_bad_period_falls_back_to_the_last_four_weeks_with_an_error(login, supervisor):
    response = login(supervisor).get("/kit/report/?start=2026-03-10&end=2026-03-01")
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"]
    assert response.context["period"] == Period.last_weeks(4)
