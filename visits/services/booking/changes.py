"""R11: what a reschedule and a cancellation share: the 2-hour notice, who decides a late change
(needs_supervisor_approval), the checks reported together (issue 15), closing the old visit, the
late change on the record, and the request to a supervisor."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import deadlines
from dispatch.errors import Checks, RuleViolation, require_text
from dispatch.language import check_customer_text
from dispatch.roles import Role, has_role
from dispatch.rules import RESCHEDULE_LEAD

from ... import events
from ...models import RequestState, RescheduleRequest, ViolationKind, Visit
from ..common import (
    lock_visit,
    minutes_between,
    notify_supervisors,
    record_violation,
    require_desk,
    require_status,
    set_status,
)
from .slots import local


def _require_reason(reason: str, field: str = "reason") -> str:
    return require_text(
        reason,
        code="reason_required",
        message=_("Say why the time has to change."),
        field=field,
    )


def _require_agreement(customer_agreed: bool) -> None:
    if not customer_agreed:
        raise RuleViolation(
            "customer_agreement_required",
            _("Apologise to the customer and agree the new time with them first."),
            field="customer_agreed",
        )


def is_late_for_reschedule(visit: Visit, now: datetime | None = None) -> bool:
    """R11: under 2 hours before the appointment."""
    return (now or timezone.now()) > visit.start - RESCHEDULE_LEAD


def _too_late_message(visit: Visit, now: datetime) -> str:
    return _(
        "This visit starts at %(start)s, in %(minutes)s minutes. A reschedule needs at least "
        "2 hours' notice; later changes need a force-majeure reason and a supervisor's "
        "approval, and count as a violation."
    ) % {"start": local(visit.start), "minutes": minutes_between(now, visit.start)}


def _close(visit: Visit, actor, reason: str, status: str) -> datetime:
    """End a locked visit as rescheduled or cancelled; its deadlines go with it."""
    now = timezone.now()
    visit.closed_reason, visit.closed_at, visit.closed_by = reason, now, actor
    set_status(visit, status, "closed_reason", "closed_at", "closed_by")
    deadlines.cancel_deadlines(visit=visit)
    return now


def _count_late_change(visit: Visit, start: datetime, reason: str, approved_by, requested_at):
    """R11: a change inside the two-hour window, approved by a supervisor, is a violation on the
    record, counted from when it was asked for. Returns whether it was late."""
    if approved_by is None:
        return False
    asked = requested_at or timezone.now()
    record_violation(
        visit=visit,
        kind=ViolationKind.LATE_RESCHEDULE,
        minutes=minutes_between(start - RESCHEDULE_LEAD, asked),
        detail=reason,
        at=asked,
        approved_by=approved_by,
    )
    return True


@dataclass(frozen=True)
class _Change:
    """What differs between a late reschedule and a late cancellation (R11)."""

    status: str
    not_movable: Callable[[Visit], str]
    not_late: Callable[[], RuleViolation]
    require_reason: Callable[[str], str]
    require_agreement: Callable[[bool], None]
    too_late: Callable[[Visit, datetime], RuleViolation]


def _change_checks(
    change: _Change,
    *,
    actor,
    visit: Visit,
    reason: str,
    customer_agreed: bool,
    force_majeure: bool,
    confirm_wording: bool,
    late_request: bool,
) -> tuple[Checks, str, list[str], datetime]:
    """The checks a reschedule and a cancellation share. The visit's state answers alone
    (nothing else matters when it can't change); the rest is collected in the Checks returned,
    for the caller to add its own and raise. `late_request`: a dispatcher's late change, sent
    to a supervisor."""
    require_status(visit, change.status, change.not_movable(visit))
    now = timezone.now()
    late = is_late_for_reschedule(visit, now)
    if late_request:
        if not late:
            raise change.not_late()
        _require_no_pending(visit)
    checks = Checks()
    confirmed: list[str] = []
    with checks:
        reason = change.require_reason(reason)
    with checks:
        change.require_agreement(customer_agreed)
    if not checks.failed("reason"):
        with checks:
            confirmed = check_customer_text(reason, confirmed=confirm_wording, field="reason")
    if late and not late_request and not (force_majeure and has_role(actor, Role.SUPERVISOR)):
        checks.add(change.too_late(visit, now))
    return checks, reason, confirmed, now


def needs_supervisor_approval(*, actor, visit: Visit, force_majeure: bool) -> bool:
    """R11: who decides a late change. Under 2 hours, for force majeure, a supervisor moves or
    cancels the visit directly; anyone else's change is sent to a supervisor as a request
    (request_late_reschedule, request_late_cancel). Every surface asks this, not the role."""
    return force_majeure and is_late_for_reschedule(visit) and not has_role(actor, Role.SUPERVISOR)


def _checked_change(checks, *, actor, visit: Visit, **fields):
    """The start a reschedule and a cancellation share (R11): the desk acts, the visit is
    locked, every check runs (`checks`: _reschedule_checks or _cancel_checks). Returns the
    locked visit, the reason, the banned phrases confirmed (R27) and who approved a late change:
    under 2 hours only a supervisor acts directly, for force majeure (checked), and it is on the
    record as approved by them."""
    require_desk(actor)
    visit = lock_visit(visit)
    reason, confirmed = checks(actor=actor, visit=visit, **fields)
    approved_by = actor if is_late_for_reschedule(visit) else None
    return visit, reason, confirmed, approved_by


def _not_movable_message(visit: Visit) -> str:
    return _(
        "The visit is “%(status)s”: only a booked or confirmed visit can be rescheduled or "
        "cancelled."
    ) % {"status": visit.get_status_display()}


def _require_no_pending(visit: Visit) -> None:
    if visit.reschedule_requests.filter(state=RequestState.PENDING).exists():
        raise RuleViolation(
            "request_pending",
            _("A late change of this visit is already waiting for a supervisor."),
            status=409,
        )


def _file_request(*, actor, visit: Visit, kind: str, reason: str, confirmed, **fields):
    request = RescheduleRequest.objects.create(
        visit=visit, kind=kind, requested_by=actor, reason=reason, **fields
    )
    events.visit_reschedule_requested_event(
        visit=visit, actor=actor, request=request, banned_phrases_confirmed=confirmed
    )
    notify_supervisors(
        template="visit_reschedule_request_staff",
        visit=visit,
        key=f"reschedule-request:{request.pk}",
        request=request,
    )
    return request
