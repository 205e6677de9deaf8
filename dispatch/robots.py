"""Staff alerts in the centre's group chat, besides the in-app alerts: a WeCom (企业微信) or
DingTalk (钉钉) group robot, chosen by STAFF_ROBOT (docs/operations.md#group-robot).

A robot takes at most 20 messages a minute (DingTalk; WeCom likewise), and a burst of overdue
deadlines can raise dozens of alerts at once. So nothing is posted per alert: on the beat
(STAFF_ROBOT_EVERY_SECONDS), one digest of the alerts raised since the last one is posted, the
same alert to several people once, @-mentioning each responsible person by the mobile number of
their staff profile (admin → users). At most one post a run, so at most one a minute by default.

At least once: the digest's watermark (a Heartbeat row, locked while posting) moves only after
the robot accepted the post; a refused post (rate limit, network) is posted again next run.

The webhook URL holds the robot's key and the DingTalk signing secret (加签) is a secret: both
come from the environment only (STAFF_ROBOT_WEBHOOK, STAFF_ROBOT_SECRET), never a setting, a
page or a log.
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Heartbeat, Notification, NotificationChannel

logger = logging.getLogger(__name__)

WATERMARK = "staff-robot-digest"


class RobotError(Exception):
    pass


def _config(name: str):
    return settings.STAFF_ROBOT[name]


def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk's signed webhook: timestamp (ms) and the base64 HMAC-SHA256 of
    "<timestamp>\\n<secret>" keyed by the secret, URL-encoded."""
    timestamp = str(timestamp_ms or int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def payload(kind: str, text: str, mobiles: list[str]) -> dict:
    if kind == "wecom":
        return {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}
    # DingTalk highlights a mention only when the text holds "@<mobile>" too.
    mentions = " ".join(f"@{m}" for m in mobiles)
    return {
        "msgtype": "text",
        "text": {"content": f"{text}\n{mentions}".rstrip()},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }


def post(kind: str, text: str, mobiles: list[str]) -> None:
    url = os.environ.get("STAFF_ROBOT_WEBHOOK", "")
    if not url:
        raise RobotError("STAFF_ROBOT needs STAFF_ROBOT_WEBHOOK in the environment.")
    secret = os.environ.get("STAFF_ROBOT_SECRET", "")
    if kind == "dingtalk" and secret:
        url = signed_url(url, secret)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload(kind, text, mobiles), ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=float(_config("TIMEOUT_SECONDS"))) as answer:
            body = json.loads(answer.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # Never the URL: it holds the robot's key.
        raise RobotError(f"{kind} robot unreachable ({type(exc).__name__})") from None
    if body.get("errcode", 0) != 0:
        raise RobotError(f"{kind} robot refused: {body.get('errcode')} {body.get('errmsg', '')}")


def _mobile(user) -> str:
    profile = getattr(user, "staff_profile", None)
    phone = profile.mobile if profile else None
    return str(phone.national_number) if phone else ""


def digest_text(alerts: list[Notification]) -> tuple[str, list[str]]:
    """The digest's text and the mobiles to mention: each alert once however many people it
    went to, newest last, at most MAX_LINES of them."""
    bodies: dict[str, set[str]] = {}
    for alert in alerts:
        bodies.setdefault(alert.body, set())
        if alert.recipient_id and (mobile := _mobile(alert.recipient)):
            bodies[alert.body].add(mobile)
    limit = int(_config("MAX_LINES"))
    shown = list(bodies)[:limit]
    with translation.override(settings.LANGUAGE_CODE):
        lines = [_("%(n)d new alerts:") % {"n": len(bodies)}]
        lines += [f"• {body[:200]}" for body in shown]
        if len(bodies) > limit:
            lines.append(_("… and %(n)d more: see the alerts page.") % {"n": len(bodies) - limit})
    mobiles = sorted({m for body in shown for m in bodies[body]})
    return "\n".join(lines), mobiles


def post_digest(*, now: datetime | None = None) -> int:
    """Post one digest of the alerts raised since the last one; the number of alerts in it."""
    kind = _config("KIND")
    if not kind:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        mark, created = Heartbeat.objects.select_for_update().get_or_create(
            name=WATERMARK, defaults={"at": now}
        )
        if created:
            return 0  # the first run starts the watermark: no digest of old alerts
        alerts = list(
            Notification.objects.filter(
                channel=NotificationChannel.IN_APP, created_at__gt=mark.at, created_at__lte=now
            )
            .select_related("recipient__staff_profile")
            .order_by("created_at", "id")
        )
        if alerts:
            text, mobiles = digest_text(alerts)
            post(kind, text, mobiles)  # raises: the watermark stays, next run posts again
        mark.at = now
        mark.save(update_fields=["at"])
    return len(alerts)
