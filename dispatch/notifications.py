"""The outbox (docs/design.md#messages): every SMS to a customer and every alert to staff is a
Notification row written in the caller's transaction; delivery happens after commit
(dispatch.delivery), so nothing is sent inside a request and a rolled-back change sends nothing.

A customer SMS is one of the declared templates plus parameters (dispatch.sms, R26): the row
keeps both, and its body, the text staff see, is rendered from the same template the centre
registers with its SMS provider. Staff alerts are rendered from templates under templates/sms/.

Urgency (quiet hours): a message the customer is waiting for right now goes at once; others
(reminders, a survey link valid for a day) wait out the quiet hours. Urgency is an attribute of
the template, declared by the app that owns it with `urgent_sms(...)` (visits: booking,
re-confirmation, late notice, reschedule, cancellation, visit note, the promised reply of R15;
surveys: the one-time code of R23, which lives minutes), or of one message, with `urgent=`.
The sender knows no template by name. Staff alerts are always urgent.
"""

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from . import sms
from .backends import backend_provider
from .customer_secrets import MARK, secret_length
from .delivery import PROVIDER_REFUSED, quiet_hours_end, schedule_delivery
from .models import Notification, NotificationChannel

CUSTOMER_LANGUAGE = sms.CUSTOMER_LANGUAGE

# Customer SMS templates the customer waits for right now: never held by quiet hours. Apps add
# theirs with urgent_sms().
URGENT_SMS_TEMPLATES: set[str] = set()


def urgent_sms(*templates: str) -> None:
    """Declare templates whose messages go at once, even in quiet hours."""
    URGENT_SMS_TEMPLATES.update(templates)


# What each template is, for the outbox page. Apps add theirs here.
TEMPLATE_LABELS = {
    "deadline_overdue": _("Overdue alert"),
    "deadline_due_soon": _("Due-soon warning"),
    "sms_provider_refused": _("SMS provider refused"),
}


def template_label(template: str) -> str:
    spec = sms.TEMPLATES.get(template)
    if spec is not None and spec.label:
        return str(spec.label)
    return str(TEMPLATE_LABELS.get(template, template))


def render_message(template: str, context: dict, language: str = CUSTOMER_LANGUAGE) -> str:
    with translation.override(language):
        return render_to_string(f"sms/{template}.txt", context).strip()


def preview_sms(template: str, context: dict) -> str:
    """R26: the text a customer SMS will have, from the same template and parameters."""
    return sms.render(template, sms.parameters(template, context))


def _create(key: str | None, **fields) -> Notification:
    """Idempotent on `key`: a retried call returns the row the first call made. A new row is
    handed to a worker once the caller's transaction commits."""
    if key:
        # Insert first (most keys are new: a booking's SMS names the visit just booked) and
        # look the key up only when it is taken: one statement fewer per message than asking
        # first (make bench: "One booking").
        try:
            with transaction.atomic():
                notification = Notification.objects.create(key=key, **fields)
        except IntegrityError:
            existing = Notification.objects.filter(key=key).first()
            if existing is None:
                raise  # another constraint than the key's
            return existing
    else:
        notification = Notification.objects.create(**fields)
    schedule_delivery()
    return notification


def queue_sms(
    *,
    ticket,
    template: str,
    context: dict,
    key: str | None = None,
    phone=None,
    urgent: bool | None = None,
    secret_ref: str = "",
) -> Notification | None:
    """R26: an SMS to the customer in the standard phrasing. None when there is no number.

    A message that is not urgent, queued during quiet hours, is held until they end.

    R23: a message that carries a secret of the customer's phone (a survey link, a code) passes
    MARK in the context in the secret's place and `secret_ref`, the reference the sending
    backend derives the secret from (dispatch.customer_secrets); the secret is never stored.

    The parameters are checked against the SMS provider's limits now (RuleViolation, so the
    caller's change is refused whole, with the reason in words), not when the gateway refuses.
    """
    to_phone = phone or ticket.phone
    if not to_phone:
        return None
    if urgent is None:
        urgent = template in URGENT_SMS_TEMPLATES
    params = sms.parameters(template, {"ticket": ticket, **context})
    sms.check_parameters(
        template, params, provider=backend_provider(), secret_length=secret_length(secret_ref)
    )
    body = sms.render(template, params)
    if secret_ref and MARK not in body:
        raise ValueError(f"SMS {template!r} has a secret reference but no place for it.")
    now = timezone.now()
    held_until = None if urgent else quiet_hours_end(now)
    return _create(
        key,
        channel=NotificationChannel.SMS,
        to_phone=to_phone,
        ticket=ticket,
        template=template,
        params=params,
        body=body,
        secret_ref=secret_ref,
        urgent=urgent,
        send_after=held_until if held_until and held_until > now else None,
    )


def staff_alert_body(template: str, *, ticket=None, deadline=None, context: dict) -> str:
    """The text of a staff alert (the sweep renders it once for all recipients)."""
    return render_message(template, {"ticket": ticket, "deadline": deadline, **context}, "zh-hans")


def notify_staff(
    *, user, template: str, context: dict, ticket=None, deadline=None, key: str | None = None
) -> Notification:
    """An in-app alert to a member of staff, in the interface's language. Always urgent."""
    body = staff_alert_body(template, ticket=ticket, deadline=deadline, context=context)
    return _create(
        key,
        channel=NotificationChannel.IN_APP,
        recipient=user,
        ticket=ticket,
        deadline=deadline,
        template=template,
        body=body,
        urgent=True,
    )


def notify_supervisors(*, template: str, context: dict, ticket, key: str) -> None:
    """An in-app alert to every active supervisor: something waits for their approval (issue
    15). `key` names the request; each supervisor's alert is sent once."""
    from .selectors import active_supervisors

    for supervisor in active_supervisors():
        notify_staff(
            user=supervisor,
            template=template,
            context=context,
            ticket=ticket,
            key=f"{key}:{supervisor.pk}",
        )


def alert_supervisors_of_refusal(notification: Notification, error: str) -> None:
    """The SMS provider refused our set-up (a template or signature not approved, credentials):
    every active supervisor gets an alert, once per template, problem and day (issue 16)."""
    from .selectors import active_supervisors

    day = f"{timezone.localdate():%Y%m%d}"
    with transaction.atomic():
        for supervisor in active_supervisors():
            notify_staff(
                user=supervisor,
                template="sms_provider_refused",
                ticket=notification.ticket,
                context={"template_label": template_label(notification.template), "error": error},
                key=f"sms-refused:{notification.template}:{day}:{supervisor.pk}",
            )


PROVIDER_REFUSED.append(alert_supervisors_of_refusal)
