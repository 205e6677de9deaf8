"""After signing (R24): the commitment card (or, where allowed, the FAQ handbook) handed over."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.errors import RuleViolation
from dispatch.locks import lock_visit
from dispatch.notifications import queue_sms
from dispatch.rules import faq_handbook_allowed
from visits.models import Visit
from visits.services import require_engineer

from .. import events
from ..models import CardHandover, CardItem, SurveyResponse


@transaction.atomic
def hand_over_card(
    *, actor, visit: Visit, item: str = CardItem.CARD, now: datetime | None = None
) -> CardHandover:
    """R24: after the work order is signed, the commitment card is handed over and the customer
    is told by SMS to call 10000 for any further problem. R18: the FAQ handbook stands in for
    the card only where the centre allows it (SEED_RULES["FAQ_HANDBOOK_ALLOWED"]); a handbook
    recorded before the centre withdrew it may be replaced by the card."""
    now = now or timezone.now()
    visit = lock_visit(visit)
    require_engineer(actor, visit)  # R24: a field step, the visit's engineer's own
    if item not in CardItem.values:
        raise RuleViolation("invalid_item", _("Choose what was handed over."), field="item")
    if item == CardItem.FAQ and not faq_handbook_allowed():
        raise RuleViolation(
            "handbook_not_allowed",
            _(
                "The centre does not allow the FAQ handbook in place of the service commitment "
                "card: hand over the card."
            ),
            field="item",
        )
    # R24: after the signed work order, or once the reason there is none is recorded.
    if not visit.no_survey_reason and not SurveyResponse.objects.filter(visit=visit).exists():
        raise RuleViolation(
            "not_signed",
            _("The customer signs the work order first; then hand over the card."),
            status=409,
        )
    handover = CardHandover.objects.filter(visit=visit).first()
    replaces_handbook = (
        handover is not None and handover.item == CardItem.FAQ and not faq_handbook_allowed()
    )
    if handover is not None and not replaces_handbook:
        raise RuleViolation(
            "card_already_handed", _("The card handover is already recorded."), status=409
        )
    if replaces_handbook:
        handover.item, handover.handed_by, handover.handed_at = item, actor, now
        handover.save(update_fields=["item", "handed_by", "handed_at"])
    else:
        handover = CardHandover.objects.create(
            visit=visit, item=item, handed_by=actor, handed_at=now
        )
    events.survey_card_handed_over_event(
        handover=handover, actor=actor, replaces_handbook=replaces_handbook
    )
    queue_sms(
        ticket=visit.ticket,
        template="survey_closing",
        context={"visit": visit},
        key=f"survey-closing-{visit.pk}",
    )
    return handover
