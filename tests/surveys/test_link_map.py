"""R23: a survey link is used once or revoked, and then it is over (docs/rules.md R23,
docs/design.md#state-maps). Its state is read from its timestamps; the services move it only
along its map, and the database refuses a link both used and revoked."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dispatch.errors import RuleViolation
from dispatch.transitions import require_transition
from surveys.models import LinkState, SurveyLink
from tests.surveys.test_services import issue, sign

pytestmark = pytest.mark.django_db


def test_r23_a_new_link_revokes_the_open_one_and_leaves_the_revoked_as_they_were(visit, engineer):
    first = issue(visit, engineer).link
    second = issue(visit, engineer).link
    first.refresh_from_db()
    assert (first.state, second.state) == (LinkState.REVOKED, LinkState.OPEN)
    revoked_at = first.revoked_at
    issue(visit, engineer)
    first.refresh_from_db()
    assert first.revoked_at == revoked_at


def test_r23_an_expired_open_link_is_revoked_by_the_next(visit, engineer):
    old = issue(visit, engineer).link
    SurveyLink.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    issue(visit, engineer)
    old.refresh_from_db()
    assert old.state == LinkState.REVOKED


def test_r23_a_used_link_moves_nowhere(visit, engineer, anonymous):
    issued = issue(visit, engineer)
    sign(issued.token, anonymous)
    link = SurveyLink.objects.get(pk=issued.link.pk)
    assert link.state == LinkState.USED
    for new in (LinkState.USED, LinkState.REVOKED):
        with pytest.raises(RuleViolation) as refusal:
            require_transition(link, new)
        assert refusal.value.status == 409
    moved = SurveyLink.states.update(
        SurveyLink.objects.filter(pk=link.pk), LinkState.REVOKED, revoked_at=timezone.now()
    )
    assert moved == 0
    link.refresh_from_db()
    assert link.revoked_at is None


def test_the_database_refuses_a_link_both_used_and_revoked(visit, engineer):
    link = issue(visit, engineer).link
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyLink.objects.filter(pk=link.pk).update(used_at=now, revoked_at=now)
