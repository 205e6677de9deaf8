"""The customer SMS of a visit (R26, see docs/rules.md): each one of the templates the centre
registers with its SMS provider, declared with its variables and where their values come from
(dispatch.sms). The texts are templates/sms/visit_*.txt."""

from django.utils.translation import gettext_lazy as _

from dispatch.notifications import TEMPLATE_LABELS
from dispatch.sms import Kind, customer_sms, local

# The staff alerts of a visit (templates/sms/visit_*_staff.txt), named in words for the outbox.
TEMPLATE_LABELS.update(
    {
        "visit_complaint_staff": _("Complaint on site"),
        "visit_handover_staff": _("Visit handed over to you"),
        "visit_reschedule_request_staff": _("Late change waiting for approval"),
    }
)

DAY_TIME = "n/j H:i"
TIME = "H:i"

LABELS = {
    "name": _("customer name"),
    "surname": _("customer's surname"),
    "place": _("specific location"),
    "problem": _("fault phenomenon"),
    "address": _("address"),
    "engineer": _("engineer's name"),
    "reason": _("reason"),
    "message": _("reply to the customer"),
    "phone": _("contact phone"),
    "colleague": _("engineer's name"),
    "code": _("the customer's code"),
}


def _visit(context) -> dict:
    visit, ticket = context["visit"], context["ticket"]
    return {
        "name": ticket.customer_name,
        "engineer": context.get("engineer_name", ""),
        "start": local(visit.start, DAY_TIME),
    }


customer_sms(
    "visit_booked",
    label=_("Visit booked"),
    variables={
        "name": Kind.NAME,
        "problem": Kind.TEXT,
        "place": Kind.TEXT,
        "engineer": Kind.NAME,
        "start": Kind.TIME,
        "end": Kind.TIME,
    },
    values=lambda c: {
        **_visit(c),
        "problem": c["ticket"].phenomenon,
        "place": c["ticket"].location_detail,
        "end": local(c["visit"].end, TIME),
    },
    labels=LABELS,
)
customer_sms(
    # Issue 15: the ticket's phone or address corrected while the customer waits for the visit.
    "visit_details_corrected",
    label=_("Corrected appointment details"),
    variables={
        "name": Kind.NAME,
        "engineer": Kind.NAME,
        "address": Kind.TEXT,
        "place": Kind.TEXT,
        "start": Kind.TIME,
        "end": Kind.TIME,
    },
    values=lambda c: {
        **_visit(c),
        "address": c["ticket"].address,
        "place": c["ticket"].location_detail,
        "end": local(c["visit"].end, TIME),
    },
    labels=LABELS,
)
customer_sms(
    "visit_reconfirmed",
    label=_("Re-confirmation"),
    variables={"name": Kind.NAME, "engineer": Kind.NAME, "address": Kind.TEXT, "start": Kind.TIME},
    values=lambda c: {**_visit(c), "address": c["ticket"].address},
    labels=LABELS,
)
customer_sms(
    "visit_late",
    label=_("Late notice"),
    variables={
        "name": Kind.NAME,
        "reason": Kind.TEXT,
        "engineer": Kind.NAME,
        "start": Kind.TIME,
        "new_time": Kind.TIME,
    },
    values=lambda c: {
        **_visit(c),
        "reason": c["reason"],
        "new_time": local(c["new_arrival_at"], TIME),
    },
    labels=LABELS,
)
customer_sms(
    "visit_rescheduled",
    label=_("Visit rescheduled"),
    variables={
        "name": Kind.NAME,
        "reason": Kind.TEXT,
        "old": Kind.TIME,
        "engineer": Kind.NAME,
        "new": Kind.TIME,
    },
    values=lambda c: {
        "name": c["ticket"].customer_name,
        "engineer": c.get("engineer_name", ""),
        "reason": c["reason"],
        "old": local(c["old_start"], DAY_TIME),
        "new": local(c["visit"].start, DAY_TIME),
    },
    labels=LABELS,
)
customer_sms(
    "visit_cancelled",
    label=_("Visit cancelled"),
    variables={"name": Kind.NAME, "reason": Kind.TEXT, "start": Kind.TIME},
    values=lambda c: {**_visit(c), "reason": c["reason"]},
    labels=LABELS,
)
customer_sms(
    "visit_note",
    label=_("Visit note"),
    variables={
        "surname": Kind.NAME,
        "engineer": Kind.NAME,
        "arrived": Kind.TIME,
        "departed": Kind.TIME,
        "phone": Kind.PHONE,
    },
    values=lambda c: {
        "surname": c["note"].customer_surname,
        "engineer": c["note"].engineer_name,
        "arrived": local(c["note"].arrived_at, TIME),
        "departed": local(c["note"].departed_at, TIME),
        "phone": c["note"].contact_phone,
    },
    labels=LABELS,
)
customer_sms(
    "visit_reply",
    label=_("Promised reply"),
    variables={"name": Kind.NAME, "problem": Kind.TEXT, "message": Kind.TEXT},
    values=lambda c: {
        "name": c["ticket"].customer_name,
        "problem": c["ticket"].phenomenon,
        "message": c["message"],
    },
    labels=LABELS,
)
customer_sms(
    "visit_handover_code",
    label=_("Handover consent code"),
    variables={
        "name": Kind.NAME,
        "engineer": Kind.NAME,
        "reason": Kind.TEXT,
        "colleague": Kind.NAME,
        "start": Kind.TIME,
        "end": Kind.TIME,
        "code": Kind.CODE,
        "minutes": Kind.NUMBER,
    },
    values=lambda c: {
        "name": c["ticket"].customer_name,
        "engineer": c.get("engineer_name", ""),
        "reason": c["reason"],
        "colleague": c["to_engineer_name"],
        "start": local(c["start"], DAY_TIME),
        "end": local(c["end"], TIME),
        "code": c["code"],
        "minutes": c["minutes"],
    },
    labels=LABELS,
    secret="code",
)
customer_sms(
    "visit_handed_over",
    label=_("Visit handed over"),
    variables={"name": Kind.NAME, "engineer": Kind.NAME, "start": Kind.TIME, "end": Kind.TIME},
    values=lambda c: {**_visit(c), "end": local(c["visit"].end, TIME)},
    labels=LABELS,
)
customer_sms(
    # Issue 17: the customer's short link (visits.services.links). The site's address is fixed
    # text of the registered template; the variable holds "c/<token>", 24 characters.
    "visit_link",
    label=_("Appointment link"),
    variables={"name": Kind.NAME, "start": Kind.TIME, "link": Kind.LINK},
    values=lambda c: {
        "name": c["ticket"].customer_name,
        "start": local(c["visit"].start, DAY_TIME),
        "link": c["link"],
    },
    labels={**LABELS, "link": _("appointment link")},
    secret="link",
)
customer_sms(
    # Issue 17: the engineer set out; a coarse arrival time, never a location.
    "visit_departed",
    label=_("Engineer on the way"),
    variables={"name": Kind.NAME, "engineer": Kind.NAME, "eta": Kind.TIME},
    values=lambda c: {**_visit(c), "eta": local(c["eta"], TIME)},
    labels=LABELS,
)
