"""The survey's events, one helper per kind (docs/design.md#events); the kinds and their labels
are listed once, in dispatch.models.EventKind. R23: an event names the customer's phone masked,
never a link's token or a code."""

from dispatch.events import record_event
from dispatch.models import Event, EventKind
from dispatch.people import mask_phone

from .models import CardHandover, SurveyLink, SurveyResponse


def survey_link_issued_event(*, link: SurveyLink, actor) -> Event:
    visit = link.visit
    return record_event(
        ticket=visit.ticket,
        visit=visit,
        actor=actor,
        kind=EventKind.SURVEY_LINK_ISSUED,
        message=link.get_channel_display(),
        after={
            "link": link.pk,
            "channel": link.channel,
            "phone": mask_phone(link.phone),
            "expires_at": link.expires_at,
        },
    )


def survey_code_sent_event(*, link: SurveyLink) -> Event:
    visit = link.visit
    return record_event(
        ticket=visit.ticket,
        visit=visit,
        actor=None,
        kind=EventKind.SURVEY_CODE_SENT,
        after={"link": link.pk, "phone": mask_phone(link.phone), "sends": link.code_sends},
    )


def survey_link_locked_event(*, link: SurveyLink) -> Event:
    visit = link.visit
    return record_event(
        ticket=visit.ticket,
        visit=visit,
        actor=None,
        kind=EventKind.SURVEY_LINK_LOCKED,
        after={"link": link.pk, "attempts": link.code_attempts},
    )


def survey_signed_event(*, response: SurveyResponse, summary: dict) -> Event:
    """R23: the signature's digest and how the customer was proved; `summary` says it."""
    visit = response.visit
    return record_event(
        ticket=visit.ticket, visit=visit, actor=None, kind=EventKind.SURVEY_SIGNED, after=summary
    )


def survey_work_order_signed_event(*, response: SurveyResponse) -> Event:
    visit = response.visit
    return record_event(
        ticket=visit.ticket,
        visit=visit,
        actor=None,
        kind=EventKind.SURVEY_WORK_ORDER_SIGNED,
        message=response.work_order_text.splitlines()[0],
        after={"response": response.pk},
    )


def survey_card_handed_over_event(
    *, handover: CardHandover, actor, replaces_handbook: bool = False
) -> Event:
    """R24: the commitment card (or, where allowed, the handbook) handed over; a card that
    replaces a handbook given before says so."""
    visit = handover.visit
    return record_event(
        ticket=visit.ticket,
        visit=visit,
        actor=actor,
        kind=EventKind.SURVEY_CARD_HANDED_OVER,
        message=handover.get_item_display(),
        after={
            "item": handover.item,
            "handed_at": handover.handed_at,
            "replaces_handbook": replaces_handbook,
        },
    )
