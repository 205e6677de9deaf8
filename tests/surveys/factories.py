"""Visits and measurements built directly (visits.services for results live in another branch),
and the input a customer's browser sends."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from dispatch.customer_secrets import customer_text
from dispatch.models import Notification
from visits.models import Measurement, Visit, VisitStatus

_slot = [0]


def ended_visit(ticket, engineer, booked_by, *, status=VisitStatus.RESOLVED, ended=None, **extra):
    """A visit whose work has ended (R22): the moment a survey may be issued."""
    ended = ended or timezone.now() - timedelta(minutes=5)
    # Each visit gets its own hour so an engineer is never double-booked (R7's constraint).
    _slot[0] += 1
    start = ended - timedelta(hours=1, days=_slot[0])
    visit = Visit.objects.create(
        ticket=ticket,
        engineer=engineer,
        booked_by=booked_by,
        start=start,
        end=start + timedelta(hours=1),
        status=status,
        arrived_at=start - timedelta(minutes=6),
        arrival_punctual=True,
        work_started_at=start,
        work_ended_at=ended,
        result_summary=extra.pop("result_summary", "更换室内分布天线后信号恢复正常"),
        **extra,
    )
    return visit


def measure(visit, *, phase="before", rsrp="-112.5", download="3.20", place="客厅", at=None):
    return Measurement.objects.create(
        visit=visit,
        phase=phase,
        network="4g",
        place=place,
        rsrp_dbm=Decimal(rsrp),
        sinr_db=Decimal("2.5"),
        download_mbps=Decimal(download),
        upload_mbps=Decimal("1.10"),
        latency_ms=48,
        call_result="ok" if phase == "after" else "dropped",
        measured_at=at or visit.work_started_at + timedelta(minutes=10),
        recorded_by=visit.engineer,
    )


GOOD_ANSWERS = {
    "punctuality": 5,
    "manner": 4,
    "professionalism": 5,
    "tidiness": 4,
    "result": 5,
    "resolved": "yes",
    "comments": "师傅很专业，讲解清楚。",
}


def strokes(pointer="touch", width=320, height=200):
    """A plausible handwritten signature: two strokes of a dozen points each."""
    k = width / 320
    first = [[round((20 + i * 12) * k, 1), 100 + (i % 3) * 15, i * 16] for i in range(14)]
    second = [[round((60 + i * 8) * k, 1), 60 + i * 6, 400 + i * 16] for i in range(12)]
    return {
        "width": width,
        "height": height,
        "strokes": [
            {"type": pointer, "points": first},
            {"type": pointer, "points": second},
        ],
    }


def sms_to(phone_digits: str, template: str) -> list[Notification]:
    return list(
        Notification.objects.filter(template=template, to_phone__endswith=phone_digits).order_by(
            "id"
        )
    )


def phone_text(notification) -> str:
    """What the customer's phone shows: the text a sending backend builds, secret included
    (the outbox row itself holds only a mask, R23)."""
    return customer_text(notification)


def token_from_sms(notification) -> str:
    """The link in the SMS the customer's phone received."""
    return re.search(r"/survey/s/([\w-]+)/", phone_text(notification)).group(1)


def code_from_sms(notification) -> str:
    return re.search(r"\b(\d{6})\b", phone_text(notification)).group(1)
