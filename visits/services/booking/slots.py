"""R7: a visit's time and its engineer: the slot's bounds, the clash check under the engineer's
lock, and the insert the exclusion constraint guards (a lost race is a 409). Every caller of
check_engineer_free and _lost_race in booking is here, so a test replaces them in this module."""

from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import deadlines
from dispatch.errors import Checks, RuleViolation
from dispatch.locks import lock_engineer
from dispatch.models import DeadlineKind, TicketStatus
from dispatch.people import display_name
from dispatch.rules import arrival_due, reconfirm_lead
from dispatch.services import set_ticket_status

from ... import selectors
from ...models import Visit
from ..common import require_engineer_user

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
