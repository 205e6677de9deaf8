"""R11's late changes wait for one decision (docs/rules.md R11, docs/design.md#state-maps): a
request is decided once, approve or reject, along its transition map; a decided request keeps
its decision, whatever happens to the visit later; the database refuses a decision without its
time."""

import pytest
from django.db import IntegrityError, transaction

from dispatch.errors import RuleViolation
from tests.visits.conftest import AFTERNOON, at, minutes
from visits import services
from visits.models import RequestState, RescheduleRequest, VisitStatus

pytestmark = pytest.mark.django_db


def late_request(dispatcher, visit) -> RescheduleRequest:
    new = AFTERNOON + minutes(24 * 60)
    return services.request_late_reschedule(
        actor=dispatcher,
        visit=visit,
        start=new,
        end=new + minutes(60),
        reason="暴雨道路封闭",
        customer_agreed=True,
    )


@pytest.mark.parametrize("first", [True, False], ids=["approved", "rejected"])
@pytest.mark.parametrize("second", [True, False], ids=["approve", "reject"])
def test_r11_a_decided_request_is_not_decided_again(
    first, second, clock, dispatcher, supervisor, visit
):
    clock.move_to(at(12, 30))
    request = late_request(dispatcher, visit)
    services.decide_reschedule_request(actor=supervisor, request=request, approve=first)
    request.refresh_from_db()
    decided = (request.state, request.decided_at)
    with pytest.raises(RuleViolation) as refusal:
        services.decide_reschedule_request(actor=supervisor, request=request, approve=second)
    assert refusal.value.status == 409 and refusal.value.code == "request_decided"
    request.refresh_from_db()
    assert (request.state, request.decided_at) == decided


def test_r11_cancelling_the_visit_rejects_only_what_is_still_pending(
    clock, dispatcher, supervisor, visit
):
    clock.move_to(at(12, 30))
    rejected = late_request(dispatcher, visit)
    services.decide_reschedule_request(actor=supervisor, request=rejected, approve=False)
    pending = late_request(dispatcher, visit)
    clock.shift(minutes(5))
    services.cancel_visit(
        actor=supervisor, visit=visit, reason="台风", customer_agreed=True, force_majeure=True
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED
    first, second = RescheduleRequest.objects.get(pk=rejected.pk), pending
    second.refresh_from_db()
    assert second.state == RequestState.REJECTED and second.decided_at > first.decided_at
    assert first.decided_at == at(12, 30) and first.decision_note == ""


def test_the_database_refuses_a_decision_without_its_time(clock, dispatcher, visit):
    clock.move_to(at(12, 30))
    request = late_request(dispatcher, visit)
    with pytest.raises(IntegrityError), transaction.atomic():
        RescheduleRequest.objects.filter(pk=request.pk).update(state=RequestState.APPROVED)
    with pytest.raises(IntegrityError), transaction.atomic():
        RescheduleRequest.objects.filter(pk=request.pk).update(decided_at=at(12, 31))
