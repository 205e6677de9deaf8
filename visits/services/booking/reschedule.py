"""R7, R11: move a visit to another time or engineer, directly or, late, by a request to a
supervisor; the customer's own move on their link (issue 17); the optimizer's reassignment at
the same time."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.errors import RuleViolation

from ... import events
from ...models import RequestKind, RescheduleRequest, Visit, VisitStatus
from .. import links
from ..common import (
    lock_visit,
    minutes_between,
    queue_visit_sms,
    require_desk,
    require_engineer_user,
    require_status,
)
from .changes import (
    _Change,
    _change_checks,
    _checked_change,
    _close,
    _count_late_change,
    _file_request,
    _not_movable_message,
    _require_agreement,
    _require_reason,
    _too_late_message,
    is_late_for_reschedule,
    needs_supervisor_approval,
)
from .slots import _create, _slot_checks, local


def _move(
    *,
    old: Visit,
    actor,
    start: datetime,
    end: datetime,
    engineer,
    reason: str,
    approved_by=None,
    requested_at: datetime | None = None,
    confirmed_phrases: list[str] | None = None,
    booked_by=None,
) -> Visit:
    """Close `old` as rescheduled and book its successor; history is kept (R11). The new
    visit gets a new customer link (issue 17); the old one then shows the move."""
    old_start = old.start
    _close(old, actor, reason, VisitStatus.RESCHEDULED)
    new = _create(
        actor=actor,
        ticket=old.ticket,
        engineer=engineer,
        start=start,
        end=end,
        rescheduled_from=old,
        booked_by=booked_by,
    )
    late = _count_late_change(old, old_start, reason, approved_by, requested_at)
    events.visit_rescheduled_event(
        visit=old,
        actor=actor,
        new_visit=new,
        old_start=old_start,
        late=late,
        approved_by=approved_by,
        banned_phrases_confirmed=confirmed_phrases or [],
    )
    events.visit_booked_event(visit=new, actor=actor, reason=reason)
    queue_visit_sms(new, "visit_rescheduled", "rescheduled", old_start=old_start, reason=reason)
    links.issue_link(new)
    return new


def _reschedule_checks(
    *,
    actor,
    visit: Visit,
    start: datetime | None,
    end: datetime | None,
    reason: str,
    customer_agreed: bool,
    engineer=None,
    force_majeure: bool = False,
    confirm_wording: bool = False,
    late_request: bool = False,
) -> tuple[str, list[str]]:
    """Every check of a reschedule (R7, R11, R27), all of them reported together (issue 15:
    the writer corrects everything in one go). `start`/`end` None: the form couldn't read the
    time (it says so itself). Returns the reason, stripped, and the banned phrases confirmed."""
    checks, reason, confirmed, now = _change_checks(
        RESCHEDULE,
        actor=actor,
        visit=visit,
        reason=reason,
        customer_agreed=customer_agreed,
        force_majeure=force_majeure,
        confirm_wording=confirm_wording,
        late_request=late_request,
    )
    _slot_checks(checks, visit=visit, start=start, end=end, engineer=engineer, now=now)
    checks.done()
    return reason, confirmed


def _reschedule_too_late(visit: Visit, now: datetime) -> RuleViolation:
    return RuleViolation(
        "reschedule_too_late",
        _too_late_message(visit, now)
        + " "
        + _("Send it to a supervisor for approval with the reason."),
        status=409,
        field="force_majeure",
    )


RESCHEDULE = _Change(
    status=VisitStatus.RESCHEDULED,
    not_movable=lambda visit: _not_movable_message(visit),
    not_late=lambda: RuleViolation(
        "reschedule_not_late",
        _("The visit is more than 2 hours away: reschedule it directly."),
        status=409,
    ),
    require_reason=_require_reason,
    require_agreement=_require_agreement,
    too_late=_reschedule_too_late,
)


@transaction.atomic
def check_reschedule(*, actor, visit: Visit, force_majeure: bool = False, **fields) -> None:
    """A reschedule's checks without moving anything: a dialog whose form found some errors
    asks about the rest, so the writer sees them all at once (issue 15). A dispatcher's late
    change with force majeure is checked as the request it becomes."""
    require_desk(actor)
    late_request = needs_supervisor_approval(actor=actor, visit=visit, force_majeure=force_majeure)
    _reschedule_checks(
        actor=actor,
        visit=visit,
        force_majeure=force_majeure,
        late_request=late_request,
        **fields,
    )


@transaction.atomic
def reschedule_visit(
    *,
    actor,
    visit: Visit,
    start: datetime,
    end: datetime,
    reason: str,
    customer_agreed: bool,
    engineer=None,
    force_majeure: bool = False,
    confirm_wording: bool = False,
) -> Visit:
    """R11: move a visit with at least 2 hours' notice, a reason, an apology and a new time
    agreed with the customer (same or another engineer). Returns the new visit.

    Under 2 hours only a supervisor may do it directly, for force majeure, and it is recorded as
    a violation; a dispatcher sends it for approval (request_late_reschedule).
    R27: the reason goes to the customer in the SMS; a banned phrase needs `confirm_wording`.
    """
    visit, reason, confirmed, approved_by = _checked_change(
        _reschedule_checks,
        actor=actor,
        visit=visit,
        start=start,
        end=end,
        reason=reason,
        customer_agreed=customer_agreed,
        engineer=engineer,
        force_majeure=force_majeure,
        confirm_wording=confirm_wording,
    )
    return _move(
        old=visit,
        actor=actor,
        start=start,
        end=end,
        engineer=engineer or visit.engineer,
        reason=reason,
        approved_by=approved_by,
        confirmed_phrases=confirmed,
    )


@transaction.atomic
def reschedule_for_customer(*, visit: Visit, start: datetime, end: datetime, reason: str) -> Visit:
    """R11 on the customer's link (issue 17): the customer moves their own visit, and their
    action is the agreement. The same checks and move as the desk's reschedule (R7, R11), with
    no staff actor; the new visit stays the desk's booking (`booked_by` of the old one). Who
    may act and which slots are offered is visits.services.customer's."""
    visit = lock_visit(visit)
    reason, confirmed = _reschedule_checks(
        actor=None,
        visit=visit,
        start=start,
        end=end,
        reason=reason,
        customer_agreed=True,
    )
    return _move(
        old=visit,
        actor=None,
        start=start,
        end=end,
        engineer=visit.engineer,
        reason=reason,
        confirmed_phrases=confirmed,
        booked_by=visit.booked_by,
    )


@transaction.atomic
def reassign_visit(*, actor, visit: Visit, engineer, reason: str) -> Visit:
    """Give a visit to another engineer at the same agreed time (the day optimizer's move,
    planning.optimizer). The customer's time does not change, so their agreement stands.

    R11: with at least 2 hours' notice, like any change of a visit; R7: the new engineer is
    free (the exclusion constraint decides a race); the old visit is closed as rescheduled and
    its successor booked, history kept; R26: the customer gets the standard booking SMS with the
    new engineer's name; R8/R9: the new engineer's re-confirmation and arrival deadlines open.
    """
    require_desk(actor)
    visit = lock_visit(visit)
    require_status(visit, VisitStatus.RESCHEDULED, _not_movable_message(visit))
    require_engineer_user(engineer)
    if engineer.pk == visit.engineer_id:
        raise RuleViolation(
            "same_engineer", _("The visit is already this engineer's."), field="engineer"
        )
    now = timezone.now()
    if is_late_for_reschedule(visit, now):
        raise RuleViolation(
            "reassign_too_late",
            _(
                "This visit starts at %(start)s, in %(minutes)s minutes: another engineer can "
                "only be sent with at least 2 hours' notice."
            )
            % {"start": local(visit.start), "minutes": minutes_between(now, visit.start)},
            status=409,
        )
    reason = (reason or "").strip() or _("Day plan optimised")
    previous = visit.engineer
    _close(visit, actor, reason, VisitStatus.RESCHEDULED)
    new = _create(
        actor=actor,
        ticket=visit.ticket,
        engineer=engineer,
        start=visit.start,
        end=visit.end,
        rescheduled_from=visit,
    )
    events.visit_reassigned_event(
        visit=visit, actor=actor, new_visit=new, previous_engineer=previous
    )
    events.visit_booked_event(visit=new, actor=actor, reason=reason)
    # R26: the standard booking SMS, naming the new engineer; the time is the one agreed.
    queue_visit_sms(new, "visit_booked", "booked")
    return new


@transaction.atomic
def request_late_reschedule(
    *,
    actor,
    visit: Visit,
    start: datetime,
    end: datetime,
    reason: str,
    customer_agreed: bool,
    engineer=None,
    confirm_wording: bool = False,
) -> RescheduleRequest:
    """R11: a reschedule under 2 hours' notice, for force majeure, waits for a supervisor.
    R27: the reason reaches the customer once approved; it is checked now, from the writer."""
    require_desk(actor)
    visit = lock_visit(visit)
    reason, confirmed = _reschedule_checks(
        actor=actor,
        visit=visit,
        start=start,
        end=end,
        reason=reason,
        customer_agreed=customer_agreed,
        engineer=engineer,
        confirm_wording=confirm_wording,
        late_request=True,
    )
    engineer = engineer or visit.engineer
    return _file_request(
        actor=actor,
        visit=visit,
        kind=RequestKind.RESCHEDULE,
        reason=reason,
        confirmed=confirmed,
        new_start=start,
        new_end=end,
        new_engineer=engineer,
    )
