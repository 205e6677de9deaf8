"""Sending the outbox (docs/design.md#messages): claim rows, send them through the backend, record.

Exactly once, as far as the database can promise it:
- a worker claims a batch in one short transaction (`SELECT … FOR UPDATE SKIP LOCKED` on
  PostgreSQL, the single writer on SQLite) and stamps it `sending`, so two workers never take the
  same row;
- it sends outside any transaction, renewing its claim just before each send, and records the
  outcome only if the claim still stands;
- a failure is retried with exponential backoff, then the row is marked failed with the error;
- a claim whose worker died is taken again after a lease (settings CLAIM_TIMEOUT_SECONDS).

Exactly once at the gateway: a row left `sending` by a dead worker, or whose send timed out, may
have reached the gateway; it is marked `outcome_unknown`, and before it is sent again the backend
is asked what the provider did with it, by our stable reference (Aliyun OutId, Tencent
SessionContext): one the provider took is recorded as sent, not sent twice (dispatch.backends).

Provider errors: throttling waits and tries again (however long it takes); an invalid number
fails the message, shown on its ticket; a refused template or signature fails it and alerts the
supervisors.

Quiet hours: a row with `urgent=False` (a customer message not about an imminent visit) is not
sent between QUIET_HOURS_START and QUIET_HOURS_END; it is held until the morning.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .backends import DeliveryError, GatewayRecord, get_backend
from .customer_secrets import SecretGone, scrub
from .models import DeliveryProblem, Notification, NotificationState

logger = logging.getLogger(__name__)

# The Celery task that runs deliver_pending (dispatch.tasks, config/celery.py's schedule).
DELIVER_TASK = "dispatch.tasks.deliver_notifications"


def _config(name: str):
    return settings.NOTIFICATIONS[name]


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(at: datetime) -> bool:
    start, end = _clock(_config("QUIET_HOURS_START")), _clock(_config("QUIET_HOURS_END"))
    now = timezone.localtime(at).time()
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end  # the usual case: over midnight, 21:00–08:00


def quiet_hours_end(at: datetime) -> datetime:
    """When a message held at `at` may go: the end of the quiet period, or `at` itself."""
    if not in_quiet_hours(at):
        return at
    local = timezone.localtime(at)
    end = local.replace(
        hour=_clock(_config("QUIET_HOURS_END")).hour,
        minute=_clock(_config("QUIET_HOURS_END")).minute,
        second=0,
        microsecond=0,
    )
    if end <= local:
        end = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), end.time()))
    return end


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the n-th failed attempt: base, 2×base, 4×base … capped."""
    seconds = _config("RETRY_BASE_SECONDS") * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, _config("RETRY_MAX_SECONDS")))


def sendable(now: datetime):
    """Rows that may be sent now (the partial index notification_pending serves this)."""
    qs = Notification.objects.filter(state=NotificationState.PENDING).filter(
        Q(send_after__isnull=True) | Q(send_after__lte=now)
    )
    if in_quiet_hours(now):
        qs = qs.filter(urgent=True)
    return qs


def release_lost_claims(now: datetime) -> int:
    """Rows left `sending` by a worker that died: back to pending, to be sent again, once the
    provider said it never got them (`outcome_unknown`). The claim's time stays: the lookup
    searches from then."""
    lease = timedelta(seconds=_config("CLAIM_TIMEOUT_SECONDS"))
    lost = Notification.objects.filter(state=NotificationState.SENDING, claimed_at__lt=now - lease)
    return Notification.states.update(
        lost,
        NotificationState.PENDING,
        outcome_unknown=True,
        problem=DeliveryProblem.UNKNOWN,
    )


@transaction.atomic
def claim_batch(now: datetime, limit: int) -> list[Notification]:
    """Take up to `limit` sendable rows for this worker. Locked rows belong to another worker
    and are skipped, not waited for."""
    rows = list(
        sendable(now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient")
        .order_by("created_at", "id")[:limit]
    )
    if rows:
        Notification.states.update(
            Notification.objects.filter(pk__in=[n.pk for n in rows]),
            NotificationState.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    for n in rows:
        n.state, n.claimed_at, n.attempts = NotificationState.SENDING, now, n.attempts + 1
    return rows


def _finish(notification: Notification, state: str | None = None, **fields) -> bool:
    """Record the outcome (the new `state`, along the map), unless the claim was lost meanwhile
    (then someone else owns it)."""
    ours = Notification.objects.filter(
        pk=notification.pk,
        state=NotificationState.SENDING,
        claimed_at=notification.claimed_at,
    )
    if state is None:
        return bool(ours.update(**fields))
    return bool(Notification.states.update(ours, state, **fields))


def _renew_claim(notification: Notification, *, attempt: bool) -> bool:
    """Just before sending: check the row is still ours and restart its lease, so a long batch
    never sends a row whose lease ran out and that another worker took meanwhile. `attempt`:
    the send begins now (kept, for a lookup should its outcome be lost)."""
    now = timezone.now()
    fields = {"claimed_at": now, **({"attempted_at": now} if attempt else {})}
    renewed = _finish(notification, **fields)
    if renewed:
        for name, value in fields.items():
            setattr(notification, name, value)
    return renewed


def _already_at_gateway(notification: Notification, backend) -> GatewayRecord | None:
    """A row whose last try may have reached the gateway: what the provider has of it (None:
    it never took it, or the backend can't tell, so send). Raises DeliveryError."""
    lookup = getattr(backend, "lookup", None)
    if not notification.outcome_unknown or lookup is None or not notification.to_phone:
        return None
    return lookup(notification)


def _taken(notification: Notification, record: GatewayRecord) -> str:
    """The provider took the message on a try whose answer was lost: record it, don't resend."""
    logger.info("Notification %s was already at the gateway: not sent again", notification.pk)
    state = NotificationState.SENT
    fields = {}
    if record.delivered is True:
        state, fields = NotificationState.DELIVERED, {"delivered_at": record.at or timezone.now()}
    elif record.delivered is False:
        state = NotificationState.FAILED
        fields = {"problem": DeliveryProblem.CARRIER, "last_error": record.reason[:2000]}
    _finish(
        notification,
        state=state,
        sent_at=timezone.now(),
        external_id=(record.external_id or notification.external_id)[:100],
        outcome_unknown=False,
        **{"problem": "", "last_error": "", **fields},
    )
    return state


def send_one(notification: Notification, backend) -> str | None:
    """Send a claimed row and record what happened; returns the row's new state, or None when
    the row was no longer ours to send."""
    unknown = notification.outcome_unknown
    if not _renew_claim(notification, attempt=not unknown):
        return None
    try:
        record = _already_at_gateway(notification, backend)
        if record is not None:
            return _taken(notification, record)
        if unknown and not _renew_claim(notification, attempt=True):
            return None
        external_id = backend.send(notification)
    except SecretGone as exc:
        # R23: a survey link re-issued or a newer code sent since: the old one opens nothing.
        return _failed(notification, str(exc), permanent=True, problem=DeliveryProblem.STALE)
    except DeliveryError as exc:
        return _failed(
            notification,
            scrub(str(exc), notification),
            permanent=exc.permanent,
            problem=exc.problem or DeliveryProblem.GATEWAY,
            unknown=exc.unknown,
            alert=exc.alert,
        )
    except Exception as exc:  # a bug in a backend must not stop the other messages
        error = scrub(f"{type(exc).__name__}: {exc}", notification)
        if notification.secret_ref:
            # R23: a traceback may quote the text the backend held, secret included.
            logger.error("Backend crashed sending notification %s: %s", notification.pk, error)
        else:
            logger.exception("Backend crashed sending notification %s", notification.pk)
        return _failed(notification, error, permanent=False, problem=DeliveryProblem.GATEWAY)
    _finish(
        notification,
        state=NotificationState.SENT,
        sent_at=timezone.now(),
        external_id=external_id or "",
        outcome_unknown=False,
        problem="",
        last_error="",
    )
    return NotificationState.SENT


def _failed(
    notification: Notification,
    error: str,
    *,
    permanent: bool,
    problem: str,
    unknown: bool = False,
    alert: bool = False,
) -> str:
    now = timezone.now()
    # Throttling is the provider's "not now": it never uses up the tries.
    exhausted = (
        notification.attempts >= _config("MAX_ATTEMPTS") and problem != DeliveryProblem.THROTTLED
    )
    if permanent or exhausted:
        logger.warning("Notification %s failed for good: %s", notification.pk, error)
        done = _finish(
            notification,
            state=NotificationState.FAILED,
            last_error=error[:2000],
            problem=problem,
            outcome_unknown=False,
        )
        if done and alert:
            alert_supervisors(notification, error)
        return NotificationState.FAILED
    logger.info("Notification %s failed, will retry: %s", notification.pk, error)
    _finish(
        notification,
        state=NotificationState.PENDING,
        send_after=now + retry_delay(notification.attempts),
        last_error=error[:2000],
        problem=problem,
        # Once unknown, unknown until the provider answers for it.
        outcome_unknown=unknown or notification.outcome_unknown,
    )
    return NotificationState.PENDING


# Called with (notification, error) when a provider refused our set-up (a template or signature
# not approved): dispatch.notifications registers the supervisors' alert here, as delivery can't
# import the module that imports it.
PROVIDER_REFUSED: list = []


def alert_supervisors(notification: Notification, error: str) -> None:
    for hook in PROVIDER_REFUSED:
        hook(notification, error)


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0


def deliver_pending(*, now: datetime | None = None, max_batches: int = 10) -> DeliveryResult:
    """Send what may be sent now, batch by batch (bounded, so one task run stays short)."""
    result = DeliveryResult()
    backend = get_backend()
    result.released = release_lost_claims(now or timezone.now())
    for _batch in range(max_batches):
        at = now or timezone.now()
        rows = claim_batch(at, _config("BATCH_SIZE"))
        for notification in rows:
            state = send_one(notification, backend)
            if state == NotificationState.SENT:
                result.sent += 1
            elif state == NotificationState.FAILED:
                result.failed += 1
            elif state == NotificationState.PENDING:
                result.retrying += 1
        if len(rows) < _config("BATCH_SIZE"):
            break
    return result


def enqueue_delivery() -> None:
    """Ask a worker to send the outbox now. Called on commit, never inside a request's
    transaction. With the broker down the caller still succeeds: the rows wait in the outbox
    and the periodic delivery (config/celery.py) sends them once the broker is back.

    The task is sent by its name: dispatch.tasks runs this module, so this module doesn't
    import it back (one direction: tasks → delivery)."""
    app = current_app
    try:
        with app.producer_or_acquire() as producer:
            # One quick try, no retry loop: kombu's and redis-py's defaults would hold the
            # request for seconds, and the periodic run makes retrying here pointless.
            producer.connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0.1, interval_max=0.1
            )
            # A request not picked up by the next periodic run is moot by then.
            app.send_task(
                DELIVER_TASK, producer=producer, retry=False, expires=_config("EVERY_SECONDS")
            )
    except Exception:
        logger.warning("Broker unavailable: the outbox will be sent by the next periodic run.")


def schedule_delivery() -> None:
    """Enqueue delivery when the current transaction commits: once per transaction, however
    many rows it wrote (a sweep batch writes dozens)."""
    connection = transaction.get_connection()
    pending = connection.run_on_commit if connection.in_atomic_block else []
    if any(callback is enqueue_delivery for _sids, callback, *_ in pending):
        return
    transaction.on_commit(enqueue_delivery)
