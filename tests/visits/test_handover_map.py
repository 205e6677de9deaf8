"""R16's handover requests move along their transition map (docs/rules.md R16,
docs/design.md#state-maps): a request waits for the customer's code and ends once, agreed,
replaced by a newer one or refused after wrong codes; what has ended stays as it ended."""

import pytest

from dispatch.errors import RuleViolation
from dispatch.transitions import require_transition
from tests.visits.factories import at_work, measured
from tests.visits.test_handover import ask, code_of
from visits import services
from visits.models import HandoverState, VisitHandover
from visits.services.handover import CODE_MAX_ATTEMPTS

pytestmark = pytest.mark.django_db


def refused(handover: VisitHandover) -> VisitHandover:
    """Wrong codes until the request is refused (R16)."""
    for _attempt in range(CODE_MAX_ATTEMPTS):
        with pytest.raises(RuleViolation):
            services.confirm_handover(
                actor=handover.visit.engineer, visit=handover.visit, code="000000"
            )
    handover.refresh_from_db()
    assert handover.state == HandoverState.LOCKED
    return handover


def test_r16_a_newer_request_replaces_only_the_one_still_waiting(clock, visit, engineer2):
    measured(at_work(visit))
    locked = refused(ask(visit, engineer2))
    waiting = ask(visit, engineer2)
    newest = ask(visit, engineer2)
    locked.refresh_from_db()
    waiting.refresh_from_db()
    assert locked.state == HandoverState.LOCKED
    assert waiting.state == HandoverState.SUPERSEDED
    services.confirm_handover(actor=visit.engineer, visit=visit, code=code_of(newest))
    newest.refresh_from_db()
    assert newest.state == HandoverState.CONFIRMED


def test_r16_an_ended_request_moves_nowhere(clock, visit, engineer2):
    measured(at_work(visit))
    handover = ask(visit, engineer2)
    services.confirm_handover(actor=visit.engineer, visit=visit, code=code_of(handover))
    handover.refresh_from_db()
    for new in HandoverState.values:
        with pytest.raises(RuleViolation) as refusal:
            require_transition(handover, new)
        assert refusal.value.status == 409 and refusal.value.message
