"""visits.extensions: the apps above visits name the pages of their steps (R21) and answer the
facts leaving asks (R22, R24; tests/visits/test_leave.py walks them through the service);
visits imports none of them (docs/design.md#layers)."""

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
