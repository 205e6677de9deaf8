"""R25: importance × satisfaction: the quadrants, the weighted index, the chart's geometry."""

import pytest

from supervision.dashboard import selectors as dashboard
from surveys import services
from surveys.charts import quadrant_chart
from surveys.models import Question
from surveys.selectors import Period, QuadrantItem, engineer_results, quadrant_items, weighted_index
from tests.surveys.factories import GOOD_ANSWERS, ended_visit, strokes

pytestmark = pytest.mark.django_db


def signed(ticket, engineer, dispatcher, **answers):
    visit = ended_visit(ticket, engineer, dispatcher)
    token = services.issue_link(actor=engineer, visit=visit, channel="sms", base_url="x/").token
    return services.sign_survey(
        actor=None,
        token=token,
        answers=dict(GOOD_ANSWERS, **answers),
        work_order_confirmed=True,
        strokes=strokes(),
    )


def test_quadrants_split_at_the_items_means(ticket, engineer, dispatcher):
    # punctuality: importance 4, lowest score → 修补区 (fix first);
    # tidiness: importance 2, low score → 机会区; manner: importance 3, top score → 维持区;
    # professionalism and result: importance 5, top score → 优势区.
    signed(ticket, engineer, dispatcher, punctuality=2, tidiness=3, manner=5)
    signed(ticket, engineer, dispatcher, punctuality=3, tidiness=4, manner=5)
    items = {i.question.code: i for i in quadrant_items(Period.last_days(30))}
    assert items["punctuality"].satisfaction == 2.5
    assert items["punctuality"].answers == 2
    assert {code: i.quadrant for code, i in items.items()} == {
        "punctuality": "repair",
        "manner": "maintain",
        "professionalism": "advantage",
        "tidiness": "opportunity",
        "result": "advantage",
    }


def test_r25_new_importance_weighs_only_the_answers_given_under_it(
    ticket, engineer, dispatcher, supervisor
):
    signed(ticket, engineer, dispatcher)  # tidiness signed at importance 2
    question = Question.objects.get(code="tidiness")
    services.save_question(actor=supervisor, question=question, importance=5)
    items = {i.question.code: i for i in quadrant_items(Period.last_days(30))}
    # R25: an answer keeps the importance it was given with; today's weight is not applied back.
    assert items["tidiness"].importance == 2
    signed(ticket, engineer, dispatcher)  # one answer at 2, one at 5
    items = {i.question.code: i for i in quadrant_items(Period.last_days(30))}
    assert items["tidiness"].importance == 3.5


def test_r25_the_weighted_index_uses_each_answers_importance(
    ticket, engineer, dispatcher, supervisor
):
    signed(ticket, engineer, dispatcher, tidiness=1)
    services.save_question(
        actor=supervisor, question=Question.objects.get(code="tidiness"), importance=5
    )
    period = Period.last_days(30)
    _, rows = engineer_results(period)
    # Weights 4, 3, 5, 2 (as signed), 5 on scores 5, 4, 5, 1, 5.
    expected = (4 * 5 + 3 * 4 + 5 * 5 + 2 * 1 + 5 * 5) / 19
    assert rows[0].index == pytest.approx(expected)
    # The supervisor's dashboard reads the same figure.
    records = dashboard.engineer_records(period, dashboard.teams())
    assert [r.satisfaction for r in records if r.surveys] == [round(expected, 2)]


def test_weighted_index_per_engineer(ticket, engineer, engineer2, dispatcher):
    signed(ticket, engineer, dispatcher, punctuality=1)
    signed(ticket, engineer2, dispatcher, resolved="no")
    _, rows = engineer_results(Period.last_days(30))
    by_user = {row.engineer: row for row in rows}
    # Weights 4, 3, 5, 2, 5 on scores 1, 4, 5, 4, 5.
    assert by_user[engineer].index == pytest.approx((4 * 1 + 3 * 4 + 5 * 5 + 2 * 4 + 5 * 5) / 19)
    assert by_user[engineer].resolved_rate == 100
    assert by_user[engineer2].resolved_rate == 0
    assert weighted_index({}, {"a": 3}) is None


def test_dashboard_record_shows_the_same_satisfaction_r25(
    ticket, engineer, engineer2, dispatcher, supervisor
):
    signed(ticket, engineer, dispatcher, punctuality=1)
    signed(ticket, engineer, dispatcher, punctuality=3, manner=5)
    signed(ticket, engineer2, dispatcher)
    # A retired question no longer counts, on the results page or on the dashboard.
    services.save_question(
        actor=supervisor, question=Question.objects.get(code="tidiness"), active=False
    )
    period = Period.last_days(30)
    _, rows = engineer_results(period)
    by_engineer = {row.engineer.pk: (row.surveys, round(row.index, 2)) for row in rows}
    records = dashboard.engineer_records(period, dashboard.teams())
    shown = {r.engineer.pk: (r.surveys, r.satisfaction) for r in records if r.surveys}
    assert shown == by_engineer
    assert by_engineer[engineer.pk][0] == 2


def test_chart_shares_a_marker_between_items_on_the_same_spot():
    def item(code, importance, satisfaction, quadrant):
        return QuadrantItem(
            question=Question(code=code, text=code, importance=importance),
            importance=importance,
            satisfaction=satisfaction,
            answers=3,
            quadrant=quadrant,
        )

    chart = quadrant_chart(
        [
            item("a", 5, 5.0, "advantage"),
            item("b", 5, 5.0, "advantage"),
            item("c", 2, 3.0, "opportunity"),
        ]
    )
    assert [p.numbers for p in chart["points"]] == ["1·2", "3"]
    assert chart["points"][0].label == "a、b"
    assert all(1 <= t["v"] <= 5 for t in chart["x_ticks"])
    # Every marker sits inside the frame.
    for p in chart["points"]:
        assert chart["left"] < p.x < chart["right"]
        assert chart["top"] < p.y < chart["bottom"]
    assert quadrant_chart([]) is None
