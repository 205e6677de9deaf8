"""Delivery backends of the outbox (docs/design.md#messages), chosen by
settings.NOTIFICATIONS["BACKEND"].

- ``outbox`` (default): store only. The row is marked sent; the outbox page shows the text.
  Right for a centre that sends SMS by hand, except survey links and codes, which staff never
  see (R23): collecting surveys needs a backend that reaches the customer's phone (``http``).
- ``console``: also writes each message to the log (the worker's console), as stored: a
  survey link or code masked (R23). The text the customer's phone would get, secret included,
  goes to the worker's standard output, the developer's "customer phone".
- ``file``: the developer's customer phone: each SMS, as the customer receives it, is appended
  to ``<NOTIFICATIONS["FILE_DIR"]>/<number>.txt``. For development only, like ``console``.
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

R23: backends that hand a message to the customer's phone build its text with
`customer_secrets.customer_text`, the only place a survey link or code exists in clear; nothing
they log or raise may quote that text.

In-app alerts to staff need no transport: every backend stores them (they show on the alerts
page); the console backend logs them too.
"""

import json
import logging
import sys
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from .customer_secrets import customer_text
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
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, notification: Notification) -> str:
        to = notification.to_phone or f"user {notification.recipient_id}"
        logger.info("[%s → %s] %s", notification.channel, to, notification.body)
        if notification.secret_ref:
            # Not through logging: log records reach staff (files, aggregators); stdout of a
            # development worker is the customer's phone.
            text = customer_text(notification)
            self.stream.write(f"[{notification.channel} → {to}, customer's phone] {text}\n")
            self.stream.flush()
        return ""


class FileBackend(OutboxBackend):
    """Each SMS appended, as the customer receives it, to a file per number (development)."""

    def __init__(self, directory=None):
        directory = directory or settings.NOTIFICATIONS.get("FILE_DIR")
        if not directory:
            raise ImproperlyConfigured("NOTIFICATION_BACKEND=file needs SMS_FILE_DIR.")
        self.directory = Path(directory)

    def send(self, notification: Notification) -> str:
        if notification.channel != NotificationChannel.SMS:
            return ""
        text = customer_text(notification)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{notification.to_phone.as_e164}.txt"
        with path.open("a", encoding="utf-8") as phone:
            phone.write(f"--- {timezone.localtime():%Y-%m-%d %H:%M:%S} {reference(notification)}\n")
            phone.write(text + "\n")
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
            "text": customer_text(notification),
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


BACKENDS = {
    "outbox": OutboxBackend,
    "console": ConsoleBackend,
    "file": FileBackend,
    "http": HttpSmsBackend,
}


def get_backend(name: str | None = None) -> OutboxBackend:
    name = name or settings.NOTIFICATIONS["BACKEND"]
    cls = BACKENDS.get(name) or import_string(name)
    return cls()
