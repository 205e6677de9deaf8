"""visits.extensions: the apps above visits name the pages of their steps (R21) and of the desk
(planning's suggestions and day optimizer), and answer the facts leaving asks (R22, R24;
tests/visits/test_leave.py walks them through the service); visits imports none of them
(docs/design.md#layers)."""

from datetime import date

import pytest

from visits import extensions

pytestmark = pytest.mark.django_db


def test_r21_the_apps_above_name_their_step_pages(visit):
    assert extensions.step_page("kit", visit) == f"/kit/visit/{visit.pk}/"
    assert extensions.step_page("survey", visit) == f"/survey/visit/{visit.pk}/"
    assert extensions.step_page("no-such-step", visit) is None


def test_r24_a_visit_not_signed_nor_carded_is_said_so_and_unknown_facts_are_false(visit):
    assert not extensions.fact(extensions.SURVEY_SIGNED, visit)
    assert not extensions.fact(extensions.CARD_HANDED, visit)
    assert not extensions.fact("no-such-fact", visit)


def test_planning_names_the_desk_pages_the_booking_page_and_the_board_link_to(ticket):
    assert extensions.desk_page(extensions.SUGGESTIONS, ticket) == (
        f"/planning/suggest/{ticket.number}/"
    )
    assert extensions.desk_page(extensions.OPTIMIZE_DAY, date(2026, 11, 24)) == (
        "/planning/optimize/?day=2026-11-24"
    )
    assert extensions.desk_page("no-such-page") is None
