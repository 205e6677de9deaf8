"""What the desk and field pages share."""

from django.http import Http404

from dispatch import notifications
from dispatch.events import event_label

from .. import selectors
from ..models import Visit
from ..services.common import sms_context


def get_visit(request, pk: int) -> Visit:
    """404 for a visit the user may not see (an engineer sees their own visits only)."""
    try:
        return selectors.visit_detail(request.user, pk)
    except Visit.DoesNotExist as exc:
        raise Http404 from exc


def timeline(visit: Visit) -> list:
    return [(event, event_label(event.kind)) for event in visit.events.all()]


def preview_sms(template: str, visit: Visit, **extra) -> str:
    """R26: the exact text the customer will get, shown before it is sent."""
    return notifications.preview_sms(
        template, {"ticket": visit.ticket, **sms_context(visit, **extra)}
    )
