"""Template tags other apps' pages use to show a ticket's visits (the ticket page)."""

from django import template

from dispatch.people import display_name, mask_phone

from .. import selectors

register = template.Library()


@register.inclusion_tag("visits/_ticket_visits.html")
def ticket_visits(ticket):
    visits = selectors.ticket_visits(ticket)
    return {
        "ticket": ticket,
        "visits": visits,
        "can_book": ticket.status != "closed"
        and not any(v.status in selectors.OPEN_STATUSES for v in visits),
    }


@register.inclusion_tag("visits/_caller_visits.html", takes_context=True)
def caller_visits(context, phone):
    """Issue 15: the intake's partial, a repeat caller's recent visits (phone: E.164)."""
    return {"visits": selectors.caller_visits(context["request"].user, phone) if phone else []}


# {{ visit.engineer|person }}: the one rule for names (李强, Ann Lee), dispatch.people.
register.filter("person", display_name)


@register.filter
def masked_phone(phone) -> str:
    """138****8000: the customer recognises their number; nobody can copy it off the screen."""
    return mask_phone(phone)
