"""The append-only audit trail (docs/design.md#events): one helper per kind of event.

Every kind is listed once, in `EventKind` (dispatch.models), with its timeline label. A service
records what happened by calling the helper of its kind: the desk's kinds here, the visit's in
visits.events, the kit's in checklists.events, the survey's in surveys.events. Each helper says
what its event keeps; `record_event` underneath refuses a kind that isn't in the list.
"""

from datetime import datetime, timedelta
from typing import Any

from .models import Event, EventKind

__all__ = ["EventKind", "event_label", "record_event", "record_visit_event"]


def jsonable(value):
    """A value as the event's JSON keeps it: times in ISO 8601, durations in seconds."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return value


def _payload(values: dict[str, Any] | None) -> dict[str, Any]:
    return {key: jsonable(value) for key, value in (values or {}).items()}


def record_event(
    *,
    ticket,
    actor,
    kind: EventKind,
    message: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    visit=None,
) -> Event:
    """Write one event. Called by the helpers below and in the apps' events modules."""
    return Event.objects.create(**_fields(ticket, actor, kind, message, before, after, visit))


def record_visit_event(
    visit,
    actor,
    kind: EventKind,
    message: str = "",
    *,
    before: dict[str, Any] | None = None,
    **after,
) -> Event:
    """Write one event of a visit, on its ticket's trail; keyword arguments are what it keeps."""
    return record_event(
        ticket=visit.ticket,
        visit=visit,
        actor=actor,
        kind=kind,
        message=message,
        before=before,
        after=after,
    )


def _fields(ticket, actor, kind, message, before, after, visit) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "visit": visit,
        "actor": actor,
        # A kind outside the list is a bug: refused here, before anything is written.
        "kind": EventKind(kind),
        "message": str(message)[:500],
        "before": _payload(before),
        "after": _payload(after),
    }


def event_label(kind: str) -> str:
    """The kind as the timelines say it (an unknown one, from an older version, as stored)."""
    return str(EventKind(kind).label) if kind in EventKind.values else kind


# --- tickets (dispatch.services) -------------------------------------------------------------


def ticket_opened_event(*, ticket, actor, ack_due: datetime) -> Event:
    """R2, R3, R6: a complaint taken, its owner and its acknowledgement deadline."""
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_OPENED,
        after={"owner": actor.username, "kind": ticket.kind, "ack_due": ack_due},
    )


def ticket_transferred_event(*, ticket, actor, previous_owner, note: str, request=None) -> Event:
    """R4: a transfer with its handover note; a second one names the request it answers, who
    asked and who approved."""
    after = {"owner": ticket.owner.username, "transfer_count": ticket.transfer_count}
    if request is not None:
        after |= {"request": request.pk, "requested_by": request.requested_by.username}
        after["approved_by"] = actor.username
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_TRANSFERRED,
        message=note,
        before={"owner": previous_owner.username},
        after=after,
    )


def ticket_transfer_requested_event(*, ticket, actor, request) -> Event:
    """R4: a second transfer asked for; it waits for a supervisor."""
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_TRANSFER_REQUESTED,
        message=request.note,
        after={"request": request.pk, "to_user": request.to_user.username},
    )


def ticket_transfer_rejected_event(*, ticket, actor, request) -> Event:
    """R4: a supervisor refused a second transfer; the ticket stays with its owner."""
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_TRANSFER_REJECTED,
        message=request.decision_note,
        after={"request": request.pk, "to_user": request.to_user.username},
    )


def ticket_updated_event(*, ticket, actor, before: dict, after: dict) -> Event:
    """Issue 15 (R1, R2): details completed or corrected, the changed fields before and after;
    the message names them."""
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_UPDATED,
        message="、".join(str(type(ticket)._meta.get_field(f).verbose_name) for f in after),
        before=before,
        after=after,
    )


def ticket_contact_event(*, ticket, actor, contact, beyond_bound: bool) -> Event:
    """R6: a contact with the customer, and the new promised time it set, if any."""
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_CONTACT,
        message=contact.progress,
        after={
            "channel": contact.channel,
            "answered": contact.answered,
            "new_promised_at": contact.new_promised_at,
            "beyond_bound": beyond_bound,
        },
    )


def ticket_status_event(*, ticket, actor, previous: str, reason: str = "") -> Event:
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_STATUS,
        message=reason,
        before={"status": previous},
        after={"status": ticket.status},
    )


def ticket_closed_event(
    *,
    ticket,
    actor,
    previous: str,
    resolution: str,
    deadlines_cancelled: int,
    customer_told: bool,
    waived: list[dict[str, Any]],
    waive_reason: str,
    request=None,
) -> Event:
    """The close, with the promises a supervisor waived and why; an approved waiver request
    names itself and who asked."""
    after = {
        "status": ticket.status,
        "deadlines_cancelled": deadlines_cancelled,
        "customer_told": customer_told,
        "waived": waived,
        "waived_by": actor.username if waived else None,
        "waive_reason": waive_reason if waived else "",
    }
    if request is not None:
        after |= {"request": request.pk, "asked_by": request.asked_by.username}
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_CLOSED,
        message=resolution,
        before={"status": previous},
        after=after,
    )


def ticket_waiver_requested_event(*, ticket, actor, request) -> Event:
    """R6, R13, R15: a close with a promise still owed waits for a supervisor's waiver."""
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_WAIVER_REQUESTED,
        message=request.reason,
        after={"request": request.pk, "resolution": request.resolution},
    )


def ticket_waiver_rejected_event(*, ticket, actor, request) -> Event:
    """R6, R13, R15: a supervisor refused the waiver; the ticket stays open, the promise owed."""
    return record_event(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TICKET_WAIVER_REJECTED,
        message=request.decision_note,
        after={"request": request.pk},
    )


def notification_retried_event(*, notification, actor) -> Event:
    return record_event(
        ticket=notification.ticket,
        actor=actor,
        kind=EventKind.NOTIFICATION_RETRIED,
        message=notification.body,
        after={"notification": notification.pk, "template": notification.template},
    )


# --- deadlines (dispatch.sweep) --------------------------------------------------------------


def deadline_overdue_events(missed: list[tuple[Any, str]]) -> list[Event]:
    """The sweep's record of missed deadlines, one event each with its sentence, written in one
    INSERT (a batch may hold thousands)."""
    return Event.objects.bulk_create(
        Event(
            **_fields(
                deadline.ticket,
                None,
                EventKind.DEADLINE_OVERDUE,
                message,
                {},
                {
                    "deadline": deadline.pk,
                    "kind": deadline.kind,
                    "due_at": deadline.due_at,
                    "responsible": deadline.responsible.username,
                },
                deadline.visit,
            )
        )
        for deadline, message in missed
    )
