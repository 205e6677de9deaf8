"""The survey's events, one helper per kind (docs/design.md#events); the kinds and their labels
are listed once, in dispatch.models.EventKind. R23: an event names the customer's phone masked,
never a link's token or a code."""

from dispatch.events import record_visit_event
from dispatch.models import Event, EventKind
from dispatch.people import mask_phone

from .models import CardHandover, SurveyLink, SurveyResponse


def survey_link_issued_event(*, link: SurveyLink, actor) -> Event:
    return record_visit_event(
        link.visit,
        actor,
        EventKind.SURVEY_LINK_ISSUED,
        link.get_channel_display(),
        link=link.pk,
        channel=link.channel,
        phone=mask_phone(link.phone),
        expires_at=link.expires_at,
    )


def survey_code_sent_event(*, link: SurveyLink) -> Event:
    return record_visit_event(
        link.visit,
        None,
        EventKind.SURVEY_CODE_SENT,
        link=link.pk,
        phone=mask_phone(link.phone),
        sends=link.code_sends,
    )


def survey_link_locked_event(*, link: SurveyLink) -> Event:
    return record_visit_event(
        link.visit, None, EventKind.SURVEY_LINK_LOCKED, link=link.pk, attempts=link.code_attempts
    )


def survey_signed_event(*, response: SurveyResponse, summary: dict) -> Event:
    """R23: the signature's digest and how the customer was proved; `summary` says it."""
    return record_visit_event(response.visit, None, EventKind.SURVEY_SIGNED, **summary)


def survey_work_order_signed_event(*, response: SurveyResponse) -> Event:
    return record_visit_event(
        response.visit,
        None,
        EventKind.SURVEY_WORK_ORDER_SIGNED,
        response.work_order_text.splitlines()[0],
        response=response.pk,
    )


def survey_card_handed_over_event(
    *, handover: CardHandover, actor, replaces_handbook: bool = False
) -> Event:
    """R24: the commitment card (or, where allowed, the handbook) handed over; a card that
    replaces a handbook given before says so."""
    return record_visit_event(
        handover.visit,
        actor,
        EventKind.SURVEY_CARD_HANDED_OVER,
        handover.get_item_display(),
        item=handover.item,
        handed_at=handover.handed_at,
        replaces_handbook=replaces_handbook,
    )
