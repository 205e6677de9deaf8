"""What every visit service shares: the row lock (from dispatch.locks, re-exported), who may act,
the transition check (the visit's map, docs/design.md#state-maps), violations and the customer
SMS (docs/design.md#a-state-change). Events are written by their helpers, visits.events."""

import math
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import notifications
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.locks import lock_visit
from dispatch.people import display_name
from dispatch.roles import Role, has_role, is_staff_member
from dispatch.rules import self_check_window
from dispatch.selectors import active_supervisors

from .. import events
from ..models import Violation, Visit

# Quiet hours hold none of these: each concerns a visit about to happen, or (visit_reply, R15)
# a promised reply the customer is waiting for; held until morning it would break the promise.
notifications.urgent_sms(
    "visit_booked",
    "visit_reconfirmed",
    "visit_late",
    "visit_rescheduled",
    "visit_cancelled",
    "visit_note",
    "visit_reply",
)


def minutes_between(earlier: datetime, later: datetime) -> int:
    """Whole minutes from `earlier` to `later`, rounded up (a second late is a minute late)."""
    return max(0, math.ceil((later - earlier).total_seconds() / 60))


# Who may act on a visit, asked by every service (and, before reading a body, by the API), so the
# pages, the API, the admin and the tasks agree. Two kinds of step:
# - the field steps of R21 (re-confirm, depart, late notice, arrive, knock, call, no answer, the
#   visit note, the kit, start work, measurements, outcome, reply, handover, complaint, the
#   commitment card) are the visit's engineer's own: nobody acts for them, a supervisor neither,
#   since the record says what the engineer did where the customer is;
# - the desk steps (book, reschedule, cancel) are the dispatchers' and supervisors'.


def may_act_in_field(actor, visit: Visit) -> bool:
    return bool(actor and actor.is_authenticated and visit.engineer_id == actor.pk)


def require_engineer(actor, visit: Visit) -> None:
    """A field step: the visit's engineer alone."""
    if not may_act_in_field(actor, visit):
        raise PermissionDenied(
            _("Only the visit's engineer (%(name)s) may do this.")
            % {"name": display_name(visit.engineer)},
            code="not_visit_engineer",
        )


def require_replier(actor, visit: Visit) -> None:
    """R15 with R3: the promised reply is given by the visit's engineer or by the ticket's owner,
    who answers to the customer for the whole complaint."""
    if visit.ticket.owner_id != getattr(actor, "pk", None):
        require_engineer(actor, visit)


def require_desk(actor, visit: Visit | None = None) -> None:
    """A desk step: dispatchers and supervisors."""
    if not is_staff_member(actor):
        raise PermissionDenied(
            _("Only dispatchers and supervisors book and change visits."), code="desk_only"
        )


def require_supervisor(actor, visit: Visit | None = None) -> None:
    """A supervisor's step (R17's follow-up, approvals)."""
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(
            _("Only a supervisor records the follow-up of a complaint."), code="supervisor_only"
        )


def require_engineer_user(user) -> None:
    if user is None or not user.is_active or not has_role(user, Role.ENGINEER):
        raise RuleViolation(
            "not_an_engineer", _("Choose an active engineer."), field="engineer", status=400
        )


def require_status(visit: Visit, new_status: str, message: str | None = None) -> None:
    """Every change of status goes through the visit's map, VISIT_TRANSITIONS
    (docs/design.md#state-maps): 409 with a sentence for a move it doesn't allow."""
    Visit.states.require(visit, new_status, message)


def set_status(visit: Visit, status: str, *extra_fields: str) -> None:
    """Write a new status, never one the map forbids (services call require_status first, to
    refuse before anything else; this is the last guard)."""
    require_status(visit, status)
    visit.status = status
    visit.save(update_fields=["status", *extra_fields, "updated_at"])


def record_violation(
    *,
    visit: Visit,
    kind: str,
    minutes: int,
    detail: str = "",
    at: datetime | None = None,
    approved_by=None,
) -> Violation:
    """Count a broken time rule against the visit's engineer (R9, R10, R11), once per kind."""
    violation, _created = Violation.objects.get_or_create(
        visit=visit,
        kind=kind,
        defaults={
            "engineer": visit.engineer,
            "occurred_at": at or timezone.now(),
            "minutes": minutes,
            "detail": str(detail)[:500],
            "approved_by": approved_by,
        },
    )
    return violation


def sms_context(visit: Visit, **extra) -> dict:
    return {"visit": visit, "engineer_name": display_name(visit.engineer), **extra}


def queue_visit_sms(visit: Visit, template: str, key: str, **extra):
    """R26: a customer SMS in the standard phrasing, through the outbox, idempotent on `key`."""
    return notifications.queue_sms(
        ticket=visit.ticket,
        template=template,
        context=sms_context(visit, **extra),
        key=f"visit:{visit.pk}:{key}",
    )


def notify_supervisors(*, template: str, visit: Visit, key: str, **context) -> None:
    """An in-app alert to every active supervisor (R11 approvals, R17 complaints)."""
    for supervisor in active_supervisors():
        notifications.notify_staff(
            user=supervisor,
            template=template,
            context={"visit": visit, **context},
            ticket=visit.ticket,
            key=f"visit:{visit.pk}:{key}:{supervisor.pk}",
        )


@transaction.atomic
def update_kit_status(
    *,
    actor,
    visit: Visit,
    missing: list[str],
    at: datetime | None = None,
    self_checked_at: datetime | None = None,
) -> Visit:
    """R20: the checklists app reports which kit/self-check items are still unticked.

    When nothing is missing the visit is stamped kit-complete; arrival and work are gated on that
    stamp. An item unticked again before arrival clears the stamp. `missing` holds the items'
    labels, so the gate can name them. `self_checked_at` is when the self-check was ticked (R19):
    the gate lets it count only within the window before arrival.
    """
    visit = lock_visit(visit)
    require_engineer(actor, visit)  # R20: the engineer who goes declares their kit
    fields = []
    if visit.arrived_at is None and visit.self_checked_at != self_checked_at:
        # R19: the self-check's time, for the arrival gate's window.
        visit.self_checked_at = self_checked_at
        fields.append("self_checked_at")
    if visit.kit_missing != missing:
        visit.kit_missing = missing
        fields.append("kit_missing")
    if missing and visit.kit_completed_at is not None and visit.arrived_at is None:
        # R20: an item unticked before arrival reopens the kit; the gate must not pass on the
        # stamp of a kit that is no longer complete.
        events.visit_kit_reopened_event(
            visit=visit, actor=actor, completed_at=visit.kit_completed_at
        )
        visit.kit_completed_at = None
        fields.append("kit_completed_at")
    if not missing and visit.kit_completed_at is None:
        visit.kit_completed_at = at or timezone.now()
        fields.append("kit_completed_at")
        events.visit_kit_complete_event(visit=visit, actor=actor)
    if fields:
        visit.save(update_fields=[*fields, "updated_at"])
    return visit


def require_fresh_self_check(visit: Visit, at: datetime | None = None) -> None:
    """R19: the self-check (uniform, badge, hair) is done just before meeting the customer; one
    older than the window (SEED_RULES["SELF_CHECK_WINDOW_MINUTES"]) at arrival is redone (409
    "self_check_stale"). Only before arrival: afterwards it is the record."""
    done = visit.self_checked_at
    if done is None or visit.arrived_at is not None:
        return
    window = self_check_window()
    if (at or timezone.now()) - done <= window:
        return
    raise RuleViolation(
        "self_check_stale",
        _(
            "Your self-check (uniform, badge, hair) was done at %(time)s, more than %(minutes)s "
            "minutes ago. Check yourself again now, just before meeting the customer, and tick "
            "it again."
        )
        % {
            "time": timezone.localtime(done).strftime("%H:%M"),
            "minutes": int(window.total_seconds() // 60),
        },
        status=409,
    )
