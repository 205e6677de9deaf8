"""Thin Celery tasks (docs/design.md#background-work): each calls a service that is safe to run
twice, or twice at once.

The database is the truth: a lost message, a retried task or a restarted worker never loses or
repeats a deadline or a message (dispatch.sweep, dispatch.delivery).
"""

import logging
from dataclasses import asdict

from celery import shared_task

from . import delivery, health, receipts, robots, sweep

logger = logging.getLogger(__name__)


@shared_task(name="dispatch.tasks.sweep_deadlines", ignore_result=True)
def sweep_deadlines() -> dict:
    """Mark due deadlines overdue and warn of those due soon; alerts go out on commit."""
    result = asdict(sweep.sweep_deadlines())
    health.beat()
    if result["overdue"] or result["warned"]:
        logger.info("Deadline sweep: %s", result)
    return result


@shared_task(name=delivery.DELIVER_TASK, ignore_result=True)
def deliver_notifications() -> dict:
    """Send what the outbox holds and may send now (quiet hours, backoff)."""
    result = asdict(delivery.deliver_pending())
    if any(result.values()):
        logger.info("Outbox delivery: %s", result)
    return result


@shared_task(name="dispatch.tasks.pull_sms_receipts", ignore_result=True)
def pull_sms_receipts() -> dict:
    """Ask the SMS provider which sent messages reached the phone, and which failed."""
    result = asdict(receipts.pull_receipts())
    if any(result.values()):
        logger.info("SMS receipts: %s", result)
    return result


@shared_task(name="dispatch.tasks.post_staff_digest", ignore_result=True)
def post_staff_digest() -> int:
    """Post the new staff alerts to the group robot, as one digest."""
    try:
        posted = robots.post_digest()
    except robots.RobotError as exc:
        logger.warning("Staff robot: %s; the digest is posted again next run.", exc)
        return 0
    if posted:
        logger.info("Staff robot: a digest of %d alerts", posted)
    return posted
