"""R1, R2, R7: book a visit for a ticket."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from dispatch.errors import RuleViolation
from dispatch.locks import lock_ticket
from dispatch.models import Ticket
from dispatch.people import display_name

from ... import events, selectors
from ...models import Visit
from .. import links
from ..common import queue_visit_sms, require_desk
from .slots import _create, local


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
