"""Delivery backends of the outbox (DESIGN "Messages"), chosen by settings.NOTIFICATIONS["BACKEND"].

- ``outbox`` (default): store only. The row is marked sent; the outbox page shows the text.
  Right for development and for a centre that sends SMS by hand.
- ``console``: also writes each message to the log (the worker's console).
- ``http``: an HTTP SMS gateway (settings.SMS_GATEWAY). Each SMS is a JSON POST::

      POST <SMS_GATEWAY_URL>
      Authorization: Bearer <SMS_GATEWAY_TOKEN>
      Idempotency-Key: <reference>
      {"to": "+8613800138000", "text": "...", "sender": "<SMS_GATEWAY_SENDER>",
       "reference": "<reference>"}

  A 2xx answer is a success (its JSON "id" or "message_id", if any, is kept as the gateway's
  message id); 429, 5xx and network errors are retried with backoff; any other 4xx is permanent.
  `reference` is stable per notification, so a gateway that honours it never sends a message
  twice even when a worker died between sending and recording.
- a dotted path to a class with the same interface (tests use one that records every send).

In-app alerts to staff need no transport: every backend stores them (they show on the alerts
page); the console backend logs them too.
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .models import Notification, NotificationChannel

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A send that failed. `permanent` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def reference(notification: Notification) -> str:
    """A stable id for the message, for the gateway's de-duplication."""
    return notification.key or f"notification-{notification.pk}"


class OutboxBackend:
    """Store only: nothing leaves the building."""

    def send(self, notification: Notification) -> str:
        """Deliver one message; return the gateway's message id (or ""). Raise DeliveryError."""
        return ""


class ConsoleBackend(OutboxBackend):
    def send(self, notification: Notification) -> str:
        to = notification.to_phone or f"user {notification.recipient_id}"
        logger.info("[%s → %s] %s", notification.channel, to, notification.body)
        return ""


class HttpSmsBackend(OutboxBackend):
    def __init__(self, config: dict | None = None):
        config = config or settings.SMS_GATEWAY
        self.url = config.get("URL", "")
        if not self.url:
            raise ImproperlyConfigured("NOTIFICATION_BACKEND=http needs SMS_GATEWAY_URL.")
        self.token = config.get("TOKEN", "")
        self.sender = config.get("SENDER", "")
        self.timeout = float(config.get("TIMEOUT_SECONDS", 10))

    def send(self, notification: Notification) -> str:
        if notification.channel != NotificationChannel.SMS:
            return ""
        ref = reference(notification)
        payload = {
            "to": notification.to_phone.as_e164,
            "text": notification.body,
            "sender": self.sender,
            "reference": ref,
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": ref,
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            # Too many requests and server errors are worth another try; other 4xx never.
            retry = exc.code == 429 or exc.code >= 500
            raise DeliveryError(f"SMS gateway HTTP {exc.code}", permanent=not retry) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"SMS gateway unreachable: {exc}") from exc
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            return ""
        if not isinstance(answer, dict):
            return ""
        return str(answer.get("id") or answer.get("message_id") or "")[:100]


BACKENDS = {"outbox": OutboxBackend, "console": ConsoleBackend, "http": HttpSmsBackend}


def get_backend(name: str | None = None) -> OutboxBackend:
    name = name or settings.NOTIFICATIONS["BACKEND"]
    cls = BACKENDS.get(name) or import_string(name)
    return cls()
