"""Delivery backends of the outbox (docs/design.md#messages), chosen by setting, like Django's
e-mail backends: settings.NOTIFICATIONS["BACKEND"], from the environment variable SMS_BACKEND.

- ``outbox`` (default): store only. The row is marked sent; the outbox page shows the text.
  Right for a centre that sends SMS by hand, except survey links and codes, which staff never
  see (R23): collecting surveys needs a backend that reaches the customer's phone.
- ``console``: also writes each message to the log (the worker's console), as stored: a
  survey link or code masked (R23). The text the customer's phone would get, secret included,
  goes to the worker's standard output, the developer's "customer phone".
- ``file``: the developer's customer phone: each SMS, as the customer receives it, is appended
  to ``<NOTIFICATIONS["FILE_DIR"]>/<number>.txt``. For development and the browser tests of the
  customer's journey, like ``console``.
- ``locmem``: each message kept in ``dispatch.backends.outbox`` (tests), as django.core.mail.
- ``aliyun``, ``tencent``: the providers' SMS services through their official SDKs
  (dispatch.sms_providers): our template's code and its parameters, our message's stable
  reference as the correlation field, credentials from the environment.
- a dotted path to a class with the same interface.

The interface: ``send(notification) -> str`` (the gateway's message id; raise DeliveryError);
optionally ``lookup(notification)`` (what the gateway knows of a message whose outcome is
unknown: a GatewayRecord, or None when it never took it) and ``receipts(notifications)`` (the
carriers' delivery receipts). ``provider`` names whose variable limits apply (dispatch.sms).

R23: backends that hand a message to the customer's phone build its text with
`customer_secrets.customer_text` (or its parameters with `sms.customer_params`), the only place
a survey link or code exists in clear; nothing they log or raise may quote that text.

In-app alerts to staff need no transport: every backend stores them (they show on the alerts
page); the console backend logs them too.
"""

import logging
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from .customer_secrets import customer_text
from .models import Notification, NotificationChannel

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A send that failed. `permanent` failures are not retried; `alert` ones tell the
    supervisors at once (the provider refused our set-up); `unknown` ones may have reached the
    gateway (a timeout), so the provider is asked before the next try. `problem` says why, in
    words (models.DeliveryProblem)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        alert: bool = False,
        unknown: bool = False,
        problem: str = "",
    ):
        super().__init__(message)
        self.permanent = permanent or alert
        self.alert = alert
        self.unknown = unknown
        self.problem = problem


@dataclass
class GatewayRecord:
    """What a provider knows of one of our messages: its id there and, once the carrier
    answered, whether the phone got it."""

    external_id: str
    delivered: bool | None = None
    reason: str = ""
    at: datetime | None = None


@dataclass
class Receipt:
    """A carrier's delivery receipt for one of our messages, by our reference."""

    reference: str
    delivered: bool
    reason: str = ""
    at: datetime | None = None


def reference(notification: Notification) -> str:
    """A stable id for the message, for the gateway's de-duplication."""
    return notification.key or f"notification-{notification.pk}"


class OutboxBackend:
    """Store only: nothing leaves the building."""

    provider: str | None = None

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


# What the locmem backend sent, as django.core.mail.outbox: dicts of id, key, to, text, params.
outbox: list[dict] = []


class LocmemBackend(OutboxBackend):
    """Keeps each message in `dispatch.backends.outbox` (tests). Knows what it took, so the
    outbox can ask it about a message whose outcome was lost, as it asks a real provider."""

    def send(self, notification: Notification) -> str:
        if notification.channel != NotificationChannel.SMS:
            return ""
        from .sms import customer_params

        outbox.append(
            {
                "id": notification.pk,
                "reference": reference(notification),
                "to": notification.to_phone.as_e164,
                "template": notification.template,
                "params": customer_params(notification),
                "text": customer_text(notification),
            }
        )
        return f"locmem-{notification.pk}"

    def lookup(self, notification: Notification) -> GatewayRecord | None:
        ref = reference(notification)
        if any(sent["reference"] == ref for sent in outbox):
            return GatewayRecord(external_id=f"locmem-{notification.pk}")
        return None


BACKENDS = {
    "outbox": OutboxBackend,
    "console": ConsoleBackend,
    "file": FileBackend,
    "locmem": LocmemBackend,
    "aliyun": "dispatch.sms_providers.AliyunBackend",
    "tencent": "dispatch.sms_providers.TencentBackend",
}


def backend_class(name: str | None = None) -> type:
    name = name or settings.NOTIFICATIONS["BACKEND"]
    cls = BACKENDS.get(name) or import_string(name)
    return import_string(cls) if isinstance(cls, str) else cls


def backend_provider() -> str | None:
    """The SMS provider whose variable limits apply to new messages (dispatch.sms)."""
    return getattr(backend_class(), "provider", None)


def get_backend(name: str | None = None) -> OutboxBackend:
    return backend_class(name)()
