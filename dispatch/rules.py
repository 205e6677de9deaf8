"""The arithmetic of the service rules, in one place (docs/design.md#time).

Values the seeds disagree on, or that a centre may tune, come from settings.SEED_RULES.
"""

from datetime import datetime, timedelta

from django.conf import settings


def _setting(name: str) -> int:
    return settings.SEED_RULES[name]


# R6: a definite reply within 2 h (simple) / 24 h (complex) of taking the complaint.
def ack_window(complexity: str) -> timedelta:
    hours = _setting("ACK_COMPLEX_HOURS" if complexity == "complex" else "ACK_SIMPLE_HOURS")
    return timedelta(hours=hours)


# R6: how far ahead a contact may set the new promised time; beyond, a supervisor decides.
# Default 24 h, the longest first answer R6 allows (a complex complaint).
def ack_promise_bound() -> timedelta:
    return timedelta(hours=_setting("ACK_MAX_PROMISE_HOURS"))


# R9: the engineer arrives 5 minutes before the appointment.
ARRIVE_EARLY = timedelta(minutes=5)
# R10: a late notice reaches the customer at least 15 minutes before the appointment.
LATE_NOTICE_LEAD = timedelta(minutes=15)
# R11: a reschedule needs at least 2 hours' notice.
RESCHEDULE_LEAD = timedelta(hours=2)
# R15: an unresolved problem gets a reply no later than 4 hours after the test.
REPLY_WITHIN = timedelta(hours=4)


# R13: wait at the door before "no answer" (seed 000 §3.4 says 5, the centre's default is 10).
def no_answer_wait() -> timedelta:
    return timedelta(minutes=_setting("NO_ANSWER_WAIT_MINUTES"))


# R13: the visit note card must be on the ticket this long after the no-answer mark.
def visit_note_window() -> timedelta:
    return timedelta(minutes=_setting("VISIT_NOTE_DEADLINE_MINUTES"))


# R13: the arrival written on the visit note is the recorded arrival, give or take this much
# (the card is written by hand, to the minute).
def note_time_tolerance() -> timedelta:
    return timedelta(minutes=settings.SEED_RULES.get("NOTE_TIME_TOLERANCE_MINUTES", 5))


# R19: the self-check (uniform, badge, hair) counts only if done this long before arrival at
# most. The seed says 5 minutes before meeting the customer; the centre's default is wider
# (docs/operations.md).
def self_check_window() -> timedelta:
    return timedelta(minutes=settings.SEED_RULES.get("SELF_CHECK_WINDOW_MINUTES", 30))


# R8: the engineer re-confirms with the customer this long before the appointment at the latest.
def reconfirm_lead() -> timedelta:
    return timedelta(minutes=_setting("RECONFIRM_LEAD_MINUTES"))


# R16: the customer's one-time code for a handover mid-visit is valid this long.
def handover_code_ttl() -> timedelta:
    return timedelta(minutes=settings.SEED_RULES.get("HANDOVER_CODE_MINUTES", 10))


# R18/R24: whether the centre allows the FAQ handbook in place of the commitment card (seed 000
# §3.1 advises it); without the setting only the card itself is handed over.
def faq_handbook_allowed() -> bool:
    return bool(settings.SEED_RULES.get("FAQ_HANDBOOK_ALLOWED", True))


# Deadlines warn their owner once, this long before they fall due.
def due_soon_window() -> timedelta:
    return timedelta(minutes=_setting("DUE_SOON_MINUTES"))


def arrival_due(start: datetime) -> datetime:
    """R9: the latest punctual arrival."""
    return start - ARRIVE_EARLY
