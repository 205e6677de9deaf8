"""Every state change of a visit (docs/design.md#a-state-change): lock, check the rule, save, record
an event.

Split by topic: `booking` (the desk: book, reschedule, cancel), `arrival` (the engineer's way
to the door), `work` (on site), `handover` (R16, with the customer's code), `common` (lock, who
acts, the transition check, violations, SMS). Events are written by their helpers in
visits.events. Import from here:
`visits.services.book_visit`.
"""

from .arrival import (
    depart_for_visit,
    file_visit_note,
    mark_no_answer,
    notify_late,
    reconfirm_visit,
    record_arrival,
    record_failed_call,
    record_knock,
)
from .booking import (
    book_visit,
    cancel_visit,
    check_cancel,
    check_engineer_free,
    check_reschedule,
    check_slot,
    decide_reschedule_request,
    is_late_for_reschedule,
    needs_supervisor_approval,
    reassign_visit,
    reconfirm_due,
    request_late_cancel,
    request_late_reschedule,
    reschedule_visit,
)
from .common import (
    lock_visit,
    may_act_in_field,
    require_desk,
    require_engineer,
    require_fresh_self_check,
    require_replier,
    require_supervisor,
    update_kit_status,
)
from .handover import confirm_handover, request_handover
from .links import issue_link
from .samples import LogRejected, add_thresholds, import_measurement_log, update_thresholds
from .work import (
    add_measurement,
    follow_up_complaint,
    leave_visit,
    record_no_survey,
    record_outcome,
    record_reply,
    reply_latest,
    report_complaint_on_site,
    start_work,
)

__all__ = [
    "LogRejected",
    "add_measurement",
    "add_thresholds",
    "import_measurement_log",
    "update_thresholds",
    "book_visit",
    "issue_link",
    "cancel_visit",
    "check_cancel",
    "confirm_handover",
    "check_engineer_free",
    "check_reschedule",
    "check_slot",
    "decide_reschedule_request",
    "reassign_visit",
    "depart_for_visit",
    "file_visit_note",
    "follow_up_complaint",
    "is_late_for_reschedule",
    "leave_visit",
    "lock_visit",
    "needs_supervisor_approval",
    "mark_no_answer",
    "may_act_in_field",
    "notify_late",
    "reconfirm_due",
    "reconfirm_visit",
    "record_arrival",
    "record_failed_call",
    "record_knock",
    "record_no_survey",
    "record_outcome",
    "record_reply",
    "request_handover",
    "reply_latest",
    "report_complaint_on_site",
    "request_late_cancel",
    "request_late_reschedule",
    "require_desk",
    "require_supervisor",
    "require_engineer",
    "require_replier",
    "reschedule_visit",
    "start_work",
    "require_fresh_self_check",
    "update_kit_status",
]
