"""The numbers of the survey rules, in one place (docs/design.md#time).

The link lifetimes and the number of links per visit may be tuned by a centre through settings
(SURVEY_SMS_LINK_HOURS, SURVEY_ON_SITE_LINK_MINUTES, SURVEY_LINK_MAX_ISSUES); the code limits are
security bounds, not policy.
"""

from datetime import timedelta

from django.conf import settings

# R22: the survey comes after the work, whatever its outcome (the visits app says which
# statuses those are).
from visits.models import WORK_ENDED_STATUSES  # noqa: F401


def sms_link_ttl() -> timedelta:
    """An SMS link may be opened later, away from the engineer: a day by default."""
    return timedelta(hours=getattr(settings, "SURVEY_SMS_LINK_HOURS", 24))


def on_site_link_ttl() -> timedelta:
    """A QR code or the engineer's phone is used on site, while the engineer waits."""
    return timedelta(minutes=getattr(settings, "SURVEY_ON_SITE_LINK_MINUTES", 30))


def link_max_issues() -> int:
    """R23: each link is another SMS to the customer and another chance to hand one to the wrong
    person; an engineer who needs more than a few has a problem a supervisor should see."""
    return getattr(settings, "SURVEY_LINK_MAX_ISSUES", 5)


# R23: the one-time code that proves the customer's phone is at hand.
CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
CODE_RESEND_AFTER = timedelta(seconds=60)
CODE_MAX_SENDS = 5
# Six digits and five tries: a guess succeeds once in 200,000 links; then the link is locked.
CODE_MAX_ATTEMPTS = 5
