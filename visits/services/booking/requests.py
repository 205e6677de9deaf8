"""R11: a supervisor approves or rejects a late reschedule or cancellation."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.language import find_banned_phrases
from dispatch.locks import lock_request
from dispatch.roles import Role, has_role
from dispatch.transitions import require_transition

from ... import events
from ...models import RequestKind, RequestState, RescheduleRequest, VisitStatus
from ..common import require_status
from .cancel import _call_off
from .changes import _not_movable_message
from .reschedule import _move


@transaction.atomic
def decide_reschedule_request(
    *, actor, request: RescheduleRequest, approve: bool, note: str = ""
) -> RescheduleRequest:
    """R11: a supervisor approves (the visit moves or is cancelled, a violation is recorded) or
    rejects a late change."""
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor approves a late reschedule."))
    if not isinstance(approve, bool):
        # R11: no default decision; a caller that did not say approve or reject decides nothing.
        raise RuleViolation("decision_required", _("Choose to approve or to reject the request."))
    # Ticket, visit, then the request (dispatch/locks.py), as cancel_visit locks them.
    request = lock_request(request)
    visit = request.visit
    decision = RequestState.APPROVED if approve else RequestState.REJECTED
    require_transition(
        request,
        decision,
        _("This request has been decided already: %(state)s.")
        % {"state": request.get_state_display()},
        code="request_decided",
    )
    request.decided_by, request.decided_at = actor, timezone.now()
    request.decision_note = (note or "").strip()
    # R27: the requester confirmed any banned phrase when asking (their event says so).
    confirmed = [phrase.phrase for phrase in find_banned_phrases(request.reason)]
    if approve and request.kind == RequestKind.CANCEL:
        require_status(visit, VisitStatus.CANCELLED, _not_movable_message(visit))
        _call_off(
            visit=visit,
            actor=actor,
            reason=request.reason,
            approved_by=actor,
            requested_at=request.created_at,
            confirmed_phrases=confirmed,
            keep_request=request,
        )
    elif approve:
        require_status(visit, VisitStatus.RESCHEDULED, _not_movable_message(visit))
        _move(
            old=visit,
            actor=actor,
            start=request.new_start,
            end=request.new_end,
            engineer=request.new_engineer,
            reason=request.reason,
            approved_by=actor,
            requested_at=request.created_at,
            confirmed_phrases=confirmed,
        )
    else:
        events.visit_reschedule_rejected_event(visit=visit, actor=actor, request=request)
    request.state = decision
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return request
