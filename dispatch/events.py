"""Typed helpers that write the append-only audit trail (docs/design.md#a-state-change)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import Event

# Labels for the ticket timeline. Apps add their kinds here so one timeline reads them all.
EVENT_LABELS = {
    "ticket.opened": _("Complaint taken"),
    "ticket.transferred": _("Transferred"),
    "ticket.contact": _("Customer contacted"),
    "ticket.closed": _("Closed"),
    "ticket.status": _("Status changed"),
    "deadline.overdue": _("Deadline overdue"),
    "notification.retried": _("Message sent again"),
}


def record_event(
    *,
    ticket,
    actor,
    kind: str,
    message: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    visit=None,
) -> Event:
    return Event.objects.create(
        ticket=ticket,
        visit=visit,
        actor=actor,
        kind=kind,
        message=str(message)[:500],
        before=before or {},
        after=after or {},
    )


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))
