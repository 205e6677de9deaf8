"""Issue 12 item 3: a ticket can't close over a visit still to happen (registered with
dispatch.closing in VisitsConfig.ready). The visit is cancelled through cancel_visit (reason,
the customer's agreement, the apology SMS, R11 inside 2 hours) or finished on site first:
closing never calls a visit off on its own, because a cancellation needs what only its own
dialog gathers from the customer."""

from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.people import display_name

from .models import VisitStatus

S = VisitStatus
# A visit the customer still expects, or one under way.
PENDING = (S.BOOKED, S.CONFIRMED, S.EN_ROUTE, S.ARRIVED, S.AT_WORK)


def pending_visits_block_close(ticket) -> list[str]:
    return [
        _(
            "The visit on %(start)s with %(engineer)s is “%(status)s”. Cancel it first (with a "
            "reason and the customer's agreement; the customer gets the apology SMS), or record "
            "what happened on site, then close the ticket."
        )
        % {
            "start": timezone.localtime(visit.start).strftime("%m-%d %H:%M"),
            "engineer": display_name(visit.engineer),
            "status": visit.get_status_display(),
        }
        for visit in ticket.visits.filter(status__in=PENDING).select_related("engineer")
    ]
