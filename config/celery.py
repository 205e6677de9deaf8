"""Celery application. The beat schedule lives here, in one place
(docs/design.md#background-work)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("seed")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _every(group: str) -> float:
    """The interval of a settings group (DEADLINE_SWEEP, NOTIFICATIONS), in seconds."""
    from django.conf import settings

    return getattr(settings, group)["EVERY_SECONDS"]


app.conf.beat_schedule = {
    # Every minute: mark due deadlines (R6, R8, R9, R10, R13, R15) overdue and alert their owner
    # and the supervisors; warn once of those due soon. Safe to overlap (no lock needed); a run
    # not started within its interval expires, as the next one does the same work.
    "sweep-deadlines": {
        "task": "dispatch.tasks.sweep_deadlines",
        "schedule": _every("DEADLINE_SWEEP"),
        "options": {"expires": _every("DEADLINE_SWEEP")},
    },
    # Every minute: send the outbox. Picks up what was queued while the broker was down, what
    # quiet hours held overnight and what waits for a retry; new rows also trigger it on commit.
    "deliver-notifications": {
        "task": "dispatch.tasks.deliver_notifications",
        "schedule": _every("NOTIFICATIONS"),
        "options": {"expires": _every("NOTIFICATIONS")},
    },
    # Every minute: the carriers' receipts of the SMS sent (sent → delivered, or failed with the
    # carrier's reason). Nothing to do with a backend that has no provider.
    # Every minute: one digest of the new staff alerts to the group robot (WeCom, DingTalk), if
    # STAFF_ROBOT is set; one post a run keeps a burst under the robot's rate limit.
    "post-staff-digest": {
        "task": "dispatch.tasks.post_staff_digest",
        "schedule": _every("STAFF_ROBOT"),
        "options": {"expires": _every("STAFF_ROBOT")},
    },
    "pull-sms-receipts": {
        "task": "dispatch.tasks.pull_sms_receipts",
        "schedule": _every("SMS"),
        "options": {"expires": _every("SMS")},
    },
}
