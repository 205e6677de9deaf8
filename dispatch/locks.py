"""Every row lock a service takes, in the one order that keeps concurrent services from
deadlocking each other.

The order
---------
A transaction takes its locks in this order, skipping what it does not need, never going back:

    1. ticket
    2. visit                      (of that ticket)
    3. reschedule request, survey link, or handover request   (of that visit); or a
       second-transfer or waiver request (of that ticket, no visit between)
    4. engineer                   (the user whose calendar gets a time: book, reschedule, hand over)

Independent resources, never held together with the chain above: the ticket-number counter of
a day, a failed notification a supervisor sends again, the kit items a supervisor edits.

Why this order. A ticket owns its visits and a visit owns its requests and links, so whoever
holds the parent may touch the children (deadlines, pending requests, older links) without
another lock: `lock_visit` locks the visit's ticket first, `lock_request` and `lock_link` lock
the ticket and the visit first. Two services that meet on one ticket therefore queue on the
ticket's row and can't hold each other's rows in opposite orders (before this module,
`sign_survey` locked link → visit while `issue_link` locked visit → links, and
`decide_reschedule_request` request → visit while `cancel_visit` locked visit → requests:
PostgreSQL broke those cycles by aborting one side, a 500).

The engineer comes last. A transaction gives at most one engineer a time and touches at most
one ticket, so any position would be consistent; last is the one where the engineer to lock is
known for sure (the visit's current engineer, the request's chosen engineer are read under the
locks above), and the one that holds the most contended lock the shortest time: the engineer's
row is shared by every ticket booked with them, and it is held from just before the overlap
check (R7) to the commit.

How rows are locked
-------------------
- One table per statement, no joins: `SELECT … FOR UPDATE` with a join re-checks the join
  after waiting, and when the row it waited for changed a joined key (a transfer changes the
  ticket's owner, a handover the visit's engineer) the row silently drops out of the result
  (`DoesNotExist`, a 500). Relations are read after the lock, so they are current.
- `FOR NO KEY UPDATE` (`no_key=True`): no service changes a primary key, and this mode doesn't
  block the key-share locks that inserts referencing the row take (events, deadlines,
  notifications), so the deadline sweep and the outbox, which insert those while holding rows
  they claimed with SKIP LOCKED, never wait on a service that waits on them.
- Row claims with SKIP LOCKED (the sweep, the outbox worker) never wait, so they are not part
  of the order and stay where they are.

Layering. dispatch is the bottom app and imports no other; the order spans visits and surveys,
so their models are resolved here by label (`apps.get_model`) at call time, not imported. The
module is the one place that knows the order; the apps above call it. See docs/rules.md for the
rules the services enforce under these locks.
"""

from django.apps import apps
from django.contrib.auth import get_user_model

from .models import Notification, Ticket, TicketCounter


def _pk(obj_or_pk) -> int:
    return getattr(obj_or_pk, "pk", obj_or_pk)


def _model(label: str):
    return apps.get_model(label)


def _lock(model, pk: int):
    return model.objects.select_for_update(no_key=True).get(pk=pk)


# 1. ---------------------------------------------------------------------------------------


def lock_ticket(ticket) -> Ticket:
    """Re-read the ticket under its row lock; its owner is read afterwards, so it is current."""
    return _lock(Ticket, _pk(ticket))


# 2. ---------------------------------------------------------------------------------------


def _ticket_id_of_visit(visit) -> int:
    ticket_id = getattr(visit, "ticket_id", None)
    if ticket_id is None:
        visit_model = _model("visits.Visit")
        ticket_id = visit_model.objects.values_list("ticket_id", flat=True).get(pk=_pk(visit))
    return ticket_id


def lock_visit(visit):
    """Lock the visit's ticket, then the visit (a visit never changes ticket, so the ticket to
    lock is known before the visit is locked). The visit comes back with the locked ticket."""
    ticket = lock_ticket(_ticket_id_of_visit(visit))
    locked = _lock(_model("visits.Visit"), _pk(visit))
    locked.ticket = ticket
    return locked


# 3. ---------------------------------------------------------------------------------------


def _lock_visit_child(label: str, obj):
    """A row that belongs to one visit (reschedule request, survey link): its ticket and its
    visit first. The row's visit never changes, so it is read before locking."""
    model = _model(label)
    visit_id = getattr(obj, "visit_id", None)
    if visit_id is None:
        visit_id = model.objects.values_list("visit_id", flat=True).get(pk=_pk(obj))
    visit = lock_visit(visit_id)
    locked = _lock(model, _pk(obj))
    locked.visit = visit
    return locked


def _lock_ticket_child(label: str, obj):
    """A row that belongs to one ticket, no visit between (a second-transfer or a waiver
    request): its ticket first (`obj.ticket` is locked too)."""
    model = _model(label)
    ticket_id = getattr(obj, "ticket_id", None)
    if ticket_id is None:
        ticket_id = model.objects.values_list("ticket_id", flat=True).get(pk=_pk(obj))
    ticket = lock_ticket(ticket_id)
    locked = _lock(model, _pk(obj))
    locked.ticket = ticket
    return locked


def lock_transfer_request(request):
    """A second-transfer request (R4), after its ticket."""
    return _lock_ticket_child("dispatch.TransferRequest", request)


def lock_waiver_request(request):
    """A waiver request (R6, R13, R15), after its ticket."""
    return _lock_ticket_child("dispatch.WaiverRequest", request)


def lock_request(request):
    """A late reschedule request, after its ticket and visit (`request.visit` is locked too)."""
    return _lock_visit_child("visits.RescheduleRequest", request)


def lock_link(link):
    """A survey link, after its ticket and visit (`link.visit` is locked too)."""
    return _lock_visit_child("surveys.SurveyLink", link)


def lock_handover(handover):
    """A handover request (R16), after its ticket and visit (`handover.visit` is locked too)."""
    return _lock_visit_child("visits.VisitHandover", handover)


# 4. ---------------------------------------------------------------------------------------


def lock_engineer(engineer) -> None:
    """Queue every change of one engineer's calendar behind the one before it until the
    transaction ends, so each overlap check (R7) sees what the one before wrote. Without it,
    simultaneous inserts for one engineer wait on each other inside the exclusion constraint
    and PostgreSQL breaks their cycles only after its deadlock timeout (make bench: 50 attempts
    at one slot). Last in the order: after the ticket, the visit and the request."""
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=_pk(engineer))
        .values_list("pk")
    )


# Independent resources ---------------------------------------------------------------------


def lock_counter(day) -> TicketCounter:
    """The day's ticket-number counter (taken by open_ticket, which holds no other lock)."""
    return TicketCounter.objects.select_for_update(no_key=True).get(day=day)


def lock_notification(notification) -> Notification:
    return _lock(Notification, _pk(notification))


def lock_kit_item(item):
    """One item of the kit template, edited by a supervisor."""
    return _lock(_model("checklists.ChecklistItem"), _pk(item))


def lock_kit_group(group: str) -> list:
    """The items in use of one kit group, in their order (moving one renumbers the group)."""
    model = _model("checklists.ChecklistItem")
    return list(
        model.objects.select_for_update(no_key=True)
        .filter(group=group, active=True)
        .order_by("position", "id")
    )


def lock_grade_thresholds(thresholds):
    """One row of the grading thresholds, edited by a supervisor (visits.update_thresholds)."""
    return _lock(_model("visits.GradeThresholds"), _pk(thresholds))
