"""R11, R26, R27: call a visit off, directly or, late, by a request to a supervisor."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from dispatch.errors import RuleViolation, require_text
from dispatch.models import TicketStatus
from dispatch.services import set_ticket_status

from ... import events, selectors
from ...models import RequestKind, RequestState, RescheduleRequest, Visit, VisitStatus
from ..common import lock_visit, minutes_between, queue_visit_sms, require_desk
from .changes import (
    _Change,
    _change_checks,
    _checked_change,
    _close,
    _count_late_change,
    _file_request,
    _not_movable_message,
    needs_supervisor_approval,
)
from .slots import local


def _cancel_message(visit: Visit) -> str:
    return (
        _not_movable_message(visit)
        + " "
        + _("Once the engineer is on the way, record what happened on site instead.")
    )


def _require_cancel_agreement(customer_agreed: bool) -> None:
    if not customer_agreed:
        raise RuleViolation(
            "customer_agreement_required",
            _("Apologise to the customer, give the reason and get their agreement first."),
            field="customer_agreed",
        )


def _call_off(
    *,
    visit: Visit,
    actor,
    reason: str,
    approved_by=None,
    requested_at: datetime | None = None,
    confirmed_phrases: list[str] | None = None,
    keep_request: RescheduleRequest | None = None,
) -> Visit:
    """Cancel a locked visit: deadlines off, pending requests rejected, a late change counted
    (R11), the customer told with an apology, a ticket left without a visit reopened."""
    start = visit.start
    now = _close(visit, actor, reason, VisitStatus.CANCELLED)
    undecided = visit.reschedule_requests.all()
    if keep_request is not None:
        undecided = undecided.exclude(pk=keep_request.pk)
    RescheduleRequest.states.update(
        undecided,
        RequestState.REJECTED,
        decided_by=actor,
        decided_at=now,
        decision_note=_("Visit cancelled"),
    )
    # R11: a cancellation inside the window counts like a late reschedule.
    late = _count_late_change(visit, start, reason, approved_by, requested_at)
    events.visit_cancelled_event(
        visit=visit,
        actor=actor,
        late=late,
        approved_by=approved_by,
        banned_phrases_confirmed=confirmed_phrases or [],
    )
    # R26: the apology in the standard phrasing (000 §3.4), with the reason.
    queue_visit_sms(visit, "visit_cancelled", "cancelled", reason=reason)
    ticket = visit.ticket
    if ticket.status == TicketStatus.IN_PROGRESS and selectors.active_visit_of(ticket) is None:
        set_ticket_status(
            actor=actor, ticket=ticket, status=TicketStatus.OPEN, reason=_("Visit cancelled")
        )
    return visit


def _cancel_reason(reason: str) -> str:
    return require_text(
        reason, code="reason_required", message=_("Say why the visit is cancelled."), field="reason"
    )


def _cancel_checks(
    *,
    actor,
    visit: Visit,
    reason: str,
    customer_agreed: bool,
    force_majeure: bool = False,
    confirm_wording: bool = False,
    late_request: bool = False,
) -> tuple[str, list[str]]:
    """Every check of a cancellation (R11, R27), reported together, as _reschedule_checks."""
    checks, reason, confirmed, _now = _change_checks(
        CANCEL,
        actor=actor,
        visit=visit,
        reason=reason,
        customer_agreed=customer_agreed,
        force_majeure=force_majeure,
        confirm_wording=confirm_wording,
        late_request=late_request,
    )
    checks.done()
    return reason, confirmed


def _cancel_too_late(visit: Visit, now: datetime) -> RuleViolation:
    return RuleViolation(
        "cancel_too_late",
        _(
            "This visit starts at %(start)s, in %(minutes)s minutes. Cancelling it now "
            "is a late change: it needs a force-majeure reason and a supervisor's "
            "approval, and counts as a violation. Send it to a supervisor for approval."
        )
        % {"start": local(visit.start), "minutes": minutes_between(now, visit.start)},
        status=409,
        field="force_majeure",
    )


CANCEL = _Change(
    status=VisitStatus.CANCELLED,
    not_movable=_cancel_message,
    not_late=lambda: RuleViolation(
        "cancel_not_late",
        _("The visit is more than 2 hours away: cancel it directly."),
        status=409,
    ),
    require_reason=_cancel_reason,
    require_agreement=_require_cancel_agreement,
    too_late=_cancel_too_late,
)


@transaction.atomic
def check_cancel(*, actor, visit: Visit, force_majeure: bool = False, **fields) -> None:
    """A cancellation's checks without cancelling, as check_reschedule."""
    require_desk(actor)
    late_request = needs_supervisor_approval(actor=actor, visit=visit, force_majeure=force_majeure)
    _cancel_checks(
        actor=actor,
        visit=visit,
        force_majeure=force_majeure,
        late_request=late_request,
        **fields,
    )


@transaction.atomic
def cancel_visit(
    *,
    actor,
    visit: Visit,
    reason: str,
    customer_agreed: bool,
    force_majeure: bool = False,
    confirm_wording: bool = False,
) -> Visit:
    """R11: call a visit off before the engineer sets out, with a reason, an apology and the
    customer's agreement; the customer gets the apology SMS (R26, with the reason: R27 checks
    it). A cancellation under 2 hours' notice is a late change, like a late reschedule: only a
    supervisor does it directly, for force majeure, and it counts as a violation; a dispatcher
    sends it for approval (request_late_cancel)."""
    visit, reason, confirmed, approved_by = _checked_change(
        _cancel_checks,
        actor=actor,
        visit=visit,
        reason=reason,
        customer_agreed=customer_agreed,
        force_majeure=force_majeure,
        confirm_wording=confirm_wording,
    )
    return _call_off(
        visit=visit,
        actor=actor,
        reason=reason,
        approved_by=approved_by,
        confirmed_phrases=confirmed,
    )


@transaction.atomic
def request_late_cancel(
    *,
    actor,
    visit: Visit,
    reason: str,
    customer_agreed: bool,
    confirm_wording: bool = False,
) -> RescheduleRequest:
    """R11: a cancellation under 2 hours' notice, for force majeure, waits for a supervisor
    (decide_reschedule_request), like a late reschedule."""
    require_desk(actor)
    visit = lock_visit(visit)
    reason, confirmed = _cancel_checks(
        actor=actor,
        visit=visit,
        reason=reason,
        customer_agreed=customer_agreed,
        confirm_wording=confirm_wording,
        late_request=True,
    )
    return _file_request(
        actor=actor, visit=visit, kind=RequestKind.CANCEL, reason=reason, confirmed=confirmed
    )
