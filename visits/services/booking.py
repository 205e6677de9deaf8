"""Booking, rescheduling and cancelling visits: the dispatcher's side (R1, R2, R7, R8, R9, R11)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import deadlines
from dispatch.errors import Checks, PermissionDenied, RuleViolation, require_text
from dispatch.language import check_customer_text, find_banned_phrases
from dispatch.locks import lock_engineer, lock_request, lock_ticket
from dispatch.models import DeadlineKind, Ticket, TicketStatus
from dispatch.people import display_name
from dispatch.roles import Role, has_role
from dispatch.rules import RESCHEDULE_LEAD, arrival_due, reconfirm_lead
from dispatch.services import set_ticket_status
from dispatch.transitions import require_transition

from .. import events, selectors
from ..models import (
    RequestKind,
    RequestState,
    RescheduleRequest,
    ViolationKind,
    Visit,
    VisitStatus,
)
from . import links
from .common import (
    lock_visit,
    minutes_between,
    notify_supervisors,
    queue_visit_sms,
    record_violation,
    require_desk,
    require_engineer_user,
    require_status,
    set_status,
)

# A visit is booked for at most a working day; the board shows 08:00–20:00.
MAX_VISIT_LENGTH = timedelta(hours=8)
CONSTRAINT = "visit_no_double_booking"


def local(dt: datetime, fmt: str = "%m-%d %H:%M") -> str:
    return timezone.localtime(dt).strftime(fmt)


def reconfirm_due(start: datetime, now: datetime) -> datetime:
    """R8: re-confirm `lead` before the visit; a visit booked inside that window is re-confirmed
    as soon as possible, and at the latest when the engineer should arrive (R9)."""
    due = start - reconfirm_lead()
    if due > now:
        return due
    return max(now, arrival_due(start))


def check_slot(*, start: datetime, end: datetime, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if end <= start:
        raise RuleViolation(
            "end_before_start", _("The visit must end after it starts."), field="end"
        )
    if start <= now:
        raise RuleViolation("start_in_past", _("Choose a start time in the future."), field="start")
    if end - start > MAX_VISIT_LENGTH:
        raise RuleViolation(
            "visit_too_long", _("A visit can be booked for at most 8 hours."), field="end"
        )


def clash_message(engineer, clash: Visit, *, desk: bool = True) -> str:
    """The desk books every visit and may see which ticket holds the time; anyone else (an
    engineer handing over) learns only that the colleague is busy then (free/busy)."""
    if not desk:
        return _("%(engineer)s is already booked %(start)s–%(end)s. Choose another engineer.") % {
            "engineer": display_name(engineer),
            "start": local(clash.start),
            "end": local(clash.end, "%H:%M"),
        }
    return _(
        "%(engineer)s is already booked %(start)s–%(end)s for ticket %(number)s. "
        "Choose another time or another engineer."
    ) % {
        "engineer": display_name(engineer),
        "start": local(clash.start),
        "end": local(clash.end, "%H:%M"),
        "number": clash.ticket.number,
    }


def check_engineer_free(
    *, engineer, start: datetime, end: datetime, exclude=None, desk: bool = True
) -> None:
    """R7, for a clear message, under the engineer's lock (last in the lock order, see
    dispatch/locks.py: every path that gives an engineer a time comes here after its ticket,
    visit and request locks); the exclusion constraint stays the guarantee (see insert_visit).
    `desk=False`: the message names no ticket (free/busy)."""
    lock_engineer(engineer)
    clash = selectors.first_clash(engineer=engineer, start=start, end=end, exclude=exclude)
    if clash is not None:
        raise RuleViolation(
            "engineer_busy", clash_message(engineer, clash, desk=desk), status=409, field="start"
        )


def _lost_race(exc: IntegrityError) -> bool:
    cause = getattr(exc, "__cause__", None)
    diag = getattr(cause, "diag", None)
    return CONSTRAINT in str(exc) or getattr(diag, "constraint_name", None) == CONSTRAINT


def _deadlocked_on_constraint(exc: OperationalError) -> bool:
    """Simultaneous inserts for one engineer wait on each other while checking the exclusion
    constraint, and PostgreSQL may break the cycle by aborting one of them (make bench: 50 at
    one slot). The aborted one lost the race: another of the cycle goes on and decides."""
    cause = getattr(exc, "__cause__", None)
    return getattr(cause, "sqlstate", None) == "40P01" and "exclusion constraint" in str(exc)


def insert_visit(visit: Visit | None = None, **fields) -> Visit:
    """Insert the visit: a concurrent booking that slipped past the check loses to the exclusion
    constraint (R7) and becomes a 409, never a 500. No savepoint of its own (two statements
    fewer under the engineer's lock): a lost race aborts the transaction, and the RuleViolation
    it becomes leaves the caller's service, whose atomic block rolls it all back; no caller
    catches it inside that block."""
    try:
        with transaction.atomic(savepoint=False):
            if visit is None:
                return Visit.objects.create(**fields)
            visit.save(force_insert=True)
            return visit
    except (IntegrityError, OperationalError) as exc:
        lost = (
            _lost_race(exc) if isinstance(exc, IntegrityError) else _deadlocked_on_constraint(exc)
        )
        if not lost:
            raise
        raise RuleViolation(
            "engineer_busy",
            _(
                "%(engineer)s was booked for an overlapping time a moment ago. "
                "Choose another time or another engineer."
            )
            % {"engineer": display_name(visit.engineer if visit else fields["engineer"])},
            status=409,
        ) from exc


def _check_ticket(ticket: Ticket, *, exclude=None) -> None:
    if ticket.is_closed:
        raise RuleViolation(
            "ticket_closed",
            _("Ticket %(number)s is closed.") % {"number": ticket.number},
            status=409,
        )
    if ticket.missing_facts:  # R1
        raise RuleViolation(
            "facts_missing",
            _("A visit can't be booked until the ticket has: %(missing)s.")
            % {"missing": "、".join(ticket.missing_facts)},
        )
    if ticket.missing_contact:  # R2
        raise RuleViolation(
            "contact_missing",
            _("A visit can't be booked without the customer's %(missing)s.")
            % {"missing": "、".join(ticket.missing_contact)},
        )
    other = selectors.active_visit_of(ticket, exclude=exclude)
    if other is not None:
        raise RuleViolation(
            "ticket_has_visit",
            _(
                "This ticket already has a visit on %(start)s with %(engineer)s; "
                "reschedule or cancel it instead."
            )
            % {"start": local(other.start), "engineer": display_name(other.engineer)},
            status=409,
        )


def _open_visit_deadlines(visit: Visit, now: datetime) -> None:
    """R8 re-confirmation and R9 arrival of a visit being booked, in one INSERT."""
    deadlines.open_new_visit_deadlines(
        visit=visit,
        due={
            DeadlineKind.RECONFIRM: reconfirm_due(visit.start, now),
            DeadlineKind.ARRIVAL: arrival_due(visit.start),
        },
        responsible=visit.engineer,
    )


def _reserve_id(visit: Visit) -> bool:
    """Give the new visit its id before it is inserted (PostgreSQL: the sequence's next value),
    so the rows that refer to it can be written first: the foreign keys to a visit are checked
    at commit (DEFERRABLE INITIALLY DEFERRED). False elsewhere (SQLite)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Visit._meta.db_table])
        visit.pk = cursor.fetchone()[0]
    return True


def _create(
    *, actor, ticket, engineer, start, end, rescheduled_from=None, then=None, booked_by=None
) -> Visit:
    """Book the visit: its deadlines (R8, R9), the ticket in progress, then `then(visit)` (the
    caller's events and SMS). On PostgreSQL all of that is written first and the engineer's
    lock is taken last, for the R7 check and the insert alone, so the lock is held for a few
    statements and the commit (make bench: "engineer's row lock held"); a clash rolls it all
    back with the transaction."""
    now = timezone.now()
    require_engineer_user(engineer)
    check_slot(start=start, end=end, now=now)
    visit = Visit(
        ticket=ticket,
        engineer=engineer,
        start=start,
        end=end,
        # A customer's own move (issue 17) has no staff actor: the visit stays the desk's booking.
        booked_by=booked_by or actor,
        rescheduled_from=rescheduled_from,
    )

    def write_the_rest():
        _open_visit_deadlines(visit, now)
        if ticket.status == TicketStatus.OPEN:
            set_ticket_status(
                actor=actor,
                ticket=ticket,
                status=TicketStatus.IN_PROGRESS,
                reason=_("Visit booked"),
            )
        if then is not None:
            then(visit)

    early = _reserve_id(visit)
    if early:
        write_the_rest()
    check_engineer_free(engineer=engineer, start=start, end=end)
    insert_visit(visit)
    if not early:
        write_the_rest()
    return visit


@transaction.atomic
def book_visit(*, actor, ticket: Ticket, engineer, start: datetime, end: datetime) -> Visit:
    """R7: book an on-site test at a time agreed with the customer.

    R1/R2: the ticket has its three facts and the customer's name and phone. R7: the engineer is
    free (checked here for the message, guaranteed by the exclusion constraint). R8/R9: the
    re-confirmation and arrival deadlines open; the customer gets the booking SMS (R26).
    """
    require_desk(actor)
    ticket = lock_ticket(ticket)
    _check_ticket(ticket)

    def announce(visit):
        events.visit_booked_event(visit=visit, actor=actor)
        queue_visit_sms(visit, "visit_booked", "booked")
        links.issue_link(visit)  # issue 17: the customer's short link

    return _create(
        actor=actor, ticket=ticket, engineer=engineer, start=start, end=end, then=announce
    )


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


def _slot_checks(checks: Checks, *, visit: Visit, start, end, engineer, now) -> None:
    """R7: the new time and who goes, with every check that can be made of what was given."""
    engineer = engineer or visit.engineer
    with checks:
        require_engineer_user(engineer)
    if start is None or end is None:
        return
    with checks:
        check_slot(start=start, end=end, now=now)
    if not checks.failed("start", "end", "engineer"):
        with checks:
            check_engineer_free(engineer=engineer, start=start, end=end, exclude=visit)


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
