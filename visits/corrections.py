"""Issue 15: a ticket's details completed or corrected (dispatch.services.update_ticket) while a
visit is pending. Registered with dispatch.corrections in VisitsConfig.ready.

What a booked visit's SMS told the customer stays true:
- a pending visit was booked on the three facts (R1) and the customer's name and phone (R2):
  none of them can be emptied while it is pending (corrected, yes);
- a corrected phone or address reaches the customer who still expects the visit: the corrected
  appointment goes out by SMS in the standard phrasing (R26) to the phone now on the ticket (a
  mistyped number never got the booking SMS; the old number gets nothing, it may be a
  stranger's), and the visit's engineer is alerted. The time doesn't change: a new time is a
  reschedule (R11), with its own dialog.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch import notifications
from dispatch.errors import RuleViolation
from dispatch.models import Ticket
from dispatch.people import display_name

from .events import visit_details_corrected_event
from .models import Visit, VisitStatus
from .selectors import OPEN_STATUSES
from .services.common import queue_visit_sms

S = VisitStatus
# Booked on these: R1's three facts and R2's name and phone.
BOOKED_ON = ("phenomenon", "location_detail", "customer_action", "customer_name", "phone")
# What the booking and re-confirmation SMS told the customer that a correction makes untrue.
TOLD_TO_CUSTOMER = ("phone", "address", "location_detail")
# The customer still waits for the engineer: the corrected appointment is sent to them.
EXPECTED = (S.BOOKED, S.CONFIRMED, S.EN_ROUTE)

# The customer's SMS is declared with the visit's others (visits/sms.py); this is the staff's.
notifications.urgent_sms("visit_details_corrected")
notifications.TEMPLATE_LABELS["visit_details_corrected_staff"] = gettext_lazy(
    "Visit details corrected"
)


def _pending(ticket) -> Visit | None:
    return (
        Visit.objects.filter(ticket=ticket, status__in=OPEN_STATUSES)
        .select_related("engineer")
        .order_by("start")
        .first()
    )


def pending_visit_keeps_its_facts(ticket, changes: dict) -> list[RuleViolation]:
    emptied = [f for f in BOOKED_ON if f in changes and not changes[f]]
    if not emptied:
        return []
    visit = _pending(ticket)
    if visit is None:
        return []
    return [
        RuleViolation(
            "booked_on_this",
            _(
                "The visit on %(start)s with %(engineer)s was booked with this. It can be "
                "corrected but not left empty while the visit is pending."
            )
            % {
                "start": timezone.localtime(visit.start).strftime("%m-%d %H:%M"),
                "engineer": display_name(visit.engineer),
            },
            field=field,
        )
        for field in emptied
    ]


def tell_the_corrected_details(ticket, before: dict, after: dict, actor) -> None:
    told = [f for f in TOLD_TO_CUSTOMER if f in after]
    if not told:
        return
    visit = _pending(ticket)
    if visit is None:
        return
    visit.ticket = ticket
    labels = "、".join(str(Ticket._meta.get_field(f).verbose_name) for f in told)
    stamp = ticket.updated_at.isoformat()
    sms = None
    if visit.status in EXPECTED:
        sms = queue_visit_sms(visit, "visit_details_corrected", f"details:{stamp}")
    notifications.notify_staff(
        user=visit.engineer,
        template="visit_details_corrected_staff",
        context={"visit": visit, "fields": labels},
        ticket=ticket,
        key=f"visit:{visit.pk}:details:{stamp}:engineer",
    )
    visit_details_corrected_event(visit=visit, actor=actor, fields=told, labels=labels, sms=sms)
