"""Booking services by topic (R1, R2, R7, R11): `slots` (a time and the engineer's clash
check, the insert the exclusion constraint guards), `book` (book a visit), `changes` (what a late
reschedule and a late cancellation share: who decides, the checks, the request to a supervisor),
`reschedule`, `cancel` and `requests` (a supervisor decides a late change).

Every public name is here too: `from visits.services import booking; booking.book_visit(...)`.
Tests that replace a function replace it where its caller looks it up (`booking.slots`).
"""

from .book import book_visit
from .cancel import CANCEL, cancel_visit, check_cancel, request_late_cancel
from .changes import is_late_for_reschedule, needs_supervisor_approval
from .requests import decide_reschedule_request
from .reschedule import (
    RESCHEDULE,
    check_reschedule,
    reassign_visit,
    request_late_reschedule,
    reschedule_for_customer,
    reschedule_visit,
)
from .slots import (
    CONSTRAINT,
    MAX_VISIT_LENGTH,
    check_engineer_free,
    check_slot,
    clash_message,
    insert_visit,
    local,
    reconfirm_due,
)

__all__ = [
    "CANCEL",
    "CONSTRAINT",
    "MAX_VISIT_LENGTH",
    "RESCHEDULE",
    "book_visit",
    "cancel_visit",
    "check_cancel",
    "check_engineer_free",
    "check_reschedule",
    "check_slot",
    "clash_message",
    "decide_reschedule_request",
    "insert_visit",
    "is_late_for_reschedule",
    "local",
    "needs_supervisor_approval",
    "reassign_visit",
    "reconfirm_due",
    "request_late_cancel",
    "request_late_reschedule",
    "reschedule_for_customer",
    "reschedule_visit",
]
