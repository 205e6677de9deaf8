"""The carriers' delivery receipts (docs/design.md#messages): pulled from the SMS provider on
the beat (Aliyun QuerySendDetails, Tencent PullSmsSendStatus; dispatch.sms_providers), each
sent customer SMS becomes delivered, or failed with the carrier's reason. A failed one shows on
its ticket and on the dashboard (dispatch.selectors.failed_customer_sms).

Safe to run twice, or twice at once: a receipt only moves a row that is still `sent`.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .backends import get_backend
from .models import DeliveryProblem, Notification, NotificationChannel, NotificationState

logger = logging.getLogger(__name__)


@dataclass
class ReceiptResult:
    delivered: int = 0
    failed: int = 0


def awaiting_receipt(now: datetime):
    """Customer SMS sent within the receipt window and not yet confirmed, oldest first."""
    since = now - timedelta(hours=float(settings.SMS.get("RECEIPT_HOURS") or 48))
    return Notification.objects.filter(
        state=NotificationState.SENT, channel=NotificationChannel.SMS, sent_at__gte=since
    ).order_by("sent_at", "id")


def _row_for(reference: str):
    """The row a reference names (dispatch.backends.reference: the key, or notification-<pk>)."""
    head, _sep, pk = reference.partition("notification-")
    if not head and pk.isdigit():
        return Q(pk=int(pk), key__isnull=True) | Q(key=reference)
    return Q(key=reference)


def pull_receipts(*, now: datetime | None = None, limit: int = 200) -> ReceiptResult:
    result = ReceiptResult()
    backend = get_backend()
    receipts = getattr(backend, "receipts", None)
    if receipts is None:
        return result
    rows = list(awaiting_receipt(now or timezone.now())[:limit])
    if not rows:
        return result
    for receipt in receipts(rows):
        if receipt.delivered:
            fields = {
                "state": NotificationState.DELIVERED,
                "delivered_at": receipt.at or timezone.now(),
            }
        else:
            fields = {
                "state": NotificationState.FAILED,
                "problem": DeliveryProblem.CARRIER,
                "last_error": (receipt.reason or "")[:2000],
            }
        moved = Notification.objects.filter(
            _row_for(receipt.reference), state=NotificationState.SENT
        ).update(**fields)
        if moved and receipt.delivered:
            result.delivered += moved
        elif moved:
            result.failed += moved
            logger.warning("SMS %s not delivered: %s", receipt.reference, receipt.reason)
    return result
