"""Creating, meeting, moving and cancelling deadlines.

Called by services inside their transaction, so a deadline changes together with the event that
causes it (docs/design.md#deadlines). The sweep that marks them overdue is dispatch.sweep.
Every change of state goes through the deadline's map (Deadline.states): only an open deadline
is met, missed or cancelled.
"""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import Deadline, DeadlineState


def _open(kind: str, *, ticket=None, visit=None) -> QuerySet[Deadline]:
    qs = Deadline.objects.filter(kind=kind, state=DeadlineState.OPEN)
    if visit is not None:
        return qs.filter(visit=visit)
    return qs.filter(ticket=ticket, visit__isnull=True)


def open_deadline(*, kind: str, ticket, due_at: datetime, responsible, visit=None) -> Deadline:
    """Open a deadline; an open one of the same kind is replaced (cancelled) first."""
    cancel_deadlines(kind=kind, ticket=ticket, visit=visit)
    return Deadline.objects.create(
        kind=kind, ticket=ticket, visit=visit, due_at=due_at, responsible=responsible
    )


def open_new_visit_deadlines(*, visit, due: dict[str, datetime], responsible) -> list[Deadline]:
    """Open the deadlines of a visit being booked (its id reserved, or just inserted): such a
    visit has none to replace, so they are written in one INSERT, not a cancel and an insert
    each (make bench: "One booking"). `due` maps each kind to its due time."""
    return Deadline.objects.bulk_create(
        Deadline(
            kind=kind, ticket=visit.ticket, visit=visit, due_at=due_at, responsible=responsible
        )
        for kind, due_at in due.items()
    )


def meet_deadline(*, kind: str, ticket=None, visit=None, at: datetime | None = None) -> int:
    """Mark the promise kept. An overdue one keeps its state and records when it was kept."""
    at = at or timezone.now()
    met = Deadline.states.update(
        _open(kind, ticket=ticket, visit=visit), DeadlineState.MET, met_at=at
    )
    late = Deadline.objects.filter(kind=kind, state=DeadlineState.OVERDUE, met_at__isnull=True)
    late = late.filter(visit=visit) if visit is not None else late.filter(ticket=ticket)
    late.update(met_at=at)
    return met


def cancel_deadlines(*, kind: str | None = None, ticket=None, visit=None) -> int:
    qs = Deadline.objects.filter(state=DeadlineState.OPEN)
    if kind:
        qs = qs.filter(kind=kind)
    if visit is not None:
        qs = qs.filter(visit=visit)
    elif ticket is not None:
        qs = qs.filter(ticket=ticket)
    return Deadline.states.update(qs, DeadlineState.CANCELLED, cancelled_at=timezone.now())


def reassign_deadlines(*, ticket, from_user, to_user) -> int:
    """R3: deadlines follow the ticket's owner when it changes hands."""
    return Deadline.objects.filter(
        ticket=ticket, visit__isnull=True, responsible=from_user, state=DeadlineState.OPEN
    ).update(responsible=to_user)
