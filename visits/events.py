"""The visit's events, one helper per kind (docs/design.md#events); the kinds and their labels
are listed once, in dispatch.models.EventKind. Called by visits.services inside their
transaction, after the change they record."""

from datetime import datetime

from dispatch.events import record_visit_event
from dispatch.models import Event, EventKind
from dispatch.people import mask_phone

from .models import Measurement, NoSurveyReason, RescheduleRequest, Visit, VisitHandover


def _username(user) -> str | None:
    return user.username if user is not None else None


# --- the desk: booking, rescheduling, cancelling (R7, R11) -----------------------------------


def visit_booked_event(*, visit: Visit, actor, reason: str = "") -> Event:
    """R7: a visit booked; a reschedule's or a handover's new visit names the one it continues
    and why."""
    after = {"engineer": visit.engineer.username, "start": visit.start, "end": visit.end}
    if visit.rescheduled_from_id:
        after = {"rescheduled_from": visit.rescheduled_from_id, **after}
    if visit.handed_over_from_id:
        after = {"handed_over_from": visit.handed_over_from_id, **after}
    return record_visit_event(visit, actor, EventKind.VISIT_BOOKED, reason, **after)


def visit_rescheduled_event(
    *,
    visit: Visit,
    actor,
    new_visit: Visit,
    old_start: datetime,
    late: bool,
    approved_by=None,
    banned_phrases_confirmed: list[str],
) -> Event:
    """R11: the visit moved to `new_visit`; `late` under 2 hours' notice, approved by a
    supervisor. R27: the banned phrases the writer confirmed in the reason."""
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_RESCHEDULED,
        visit.closed_reason,
        new_visit=new_visit.pk,
        old_start=old_start,
        new_start=new_visit.start,
        engineer=new_visit.engineer.username,
        force_majeure=late,
        approved_by=_username(approved_by),
        banned_phrases_confirmed=banned_phrases_confirmed,
    )


def visit_details_corrected_event(
    *, visit: Visit, actor, fields: list[str], labels: str, sms
) -> Event:
    """Issue 15 (R2, R26): the ticket's phone or address corrected while the visit is pending;
    the SMS the customer was sent again, if they still wait for the engineer."""
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_DETAILS_CORRECTED,
        labels,
        fields=fields,
        sms=sms.pk if sms is not None else None,
    )


def visit_reassigned_event(*, visit: Visit, actor, new_visit: Visit, previous_engineer) -> Event:
    """R7, R11: the same time, another engineer (the day plan's move); the visit is closed as
    rescheduled and `new_visit` continues it."""
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_REASSIGNED,
        visit.closed_reason,
        new_visit=new_visit.pk,
        from_engineer=previous_engineer.username,
        to_engineer=new_visit.engineer.username,
        start=visit.start,
    )


def visit_reschedule_requested_event(
    *, visit: Visit, actor, request: RescheduleRequest, banned_phrases_confirmed: list[str]
) -> Event:
    """R11: a late reschedule or cancellation waits for a supervisor."""
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_RESCHEDULE_REQUESTED,
        request.reason,
        request=request.pk,
        change=request.kind,
        new_start=request.new_start,
        engineer=_username(request.new_engineer),
        banned_phrases_confirmed=banned_phrases_confirmed,
    )


def visit_reschedule_rejected_event(*, visit: Visit, actor, request: RescheduleRequest) -> Event:
    return record_visit_event(
        visit, actor, EventKind.VISIT_RESCHEDULE_REJECTED, request.decision_note
    )


def visit_cancelled_event(
    *, visit: Visit, actor, late: bool, approved_by=None, banned_phrases_confirmed: list[str]
) -> Event:
    """R11: the visit called off; `late` under 2 hours' notice, approved by a supervisor."""
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_CANCELLED,
        visit.closed_reason,
        force_majeure=late,
        approved_by=_username(approved_by),
        banned_phrases_confirmed=banned_phrases_confirmed,
    )


# --- on the way (R8–R10, R19, R20) -----------------------------------------------------------


def visit_reconfirmed_event(*, visit: Visit, actor) -> Event:
    return record_visit_event(visit, actor, EventKind.VISIT_RECONFIRMED, start=visit.start)


def visit_kit_complete_event(*, visit: Visit, actor) -> Event:
    return record_visit_event(
        visit, actor, EventKind.VISIT_KIT_COMPLETE, kit_completed_at=visit.kit_completed_at
    )


def visit_kit_reopened_event(*, visit: Visit, actor, completed_at: datetime) -> Event:
    """R20: an item unticked before arrival cleared the kit-complete stamp of `completed_at`."""
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_KIT_REOPENED,
        before={"kit_completed_at": completed_at},
        missing=visit.kit_missing,
    )


def visit_departed_event(*, visit: Visit, actor) -> Event:
    return record_visit_event(visit, actor, EventKind.VISIT_DEPARTED)


def visit_late_notice_event(
    *, visit: Visit, actor, reason: str, in_time: bool, banned_phrases_confirmed: list[str]
) -> Event:
    """R10: the customer told of a new arrival time; `in_time` 15 minutes ahead or more."""
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_LATE_NOTICE,
        reason,
        new_arrival_at=visit.expected_arrival_at,
        in_time=in_time,
        banned_phrases_confirmed=banned_phrases_confirmed,
    )


def visit_arrived_event(*, visit: Visit, actor, minutes_late: int) -> Event:
    """R9: the arrival, punctual or by how much late, and whether the location was kept."""
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_ARRIVED,
        punctual=visit.arrival_punctual,
        minutes_late=minutes_late,
        located=visit.arrival_latitude is not None,
    )


# --- at the door (R13) -----------------------------------------------------------------------


def visit_knocked_event(*, visit: Visit, actor) -> Event:
    return record_visit_event(visit, actor, EventKind.VISIT_KNOCKED)


def visit_call_failed_event(*, visit: Visit, actor) -> Event:
    return record_visit_event(visit, actor, EventKind.VISIT_CALL_FAILED)


def visit_no_answer_event(*, visit: Visit, actor, note_due: datetime) -> Event:
    return record_visit_event(visit, actor, EventKind.VISIT_NO_ANSWER, note_due=note_due)


def visit_note_filed_event(*, visit: Visit, actor, note) -> Event:
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_NOTE_FILED,
        surname=note.customer_surname,
        departed_at=note.departed_at,
    )


# --- the work (R14–R17) ----------------------------------------------------------------------


def visit_work_started_event(*, visit: Visit, actor) -> Event:
    return record_visit_event(
        visit, actor, EventKind.VISIT_WORK_STARTED, door_checks=visit.door_checks
    )


def visit_measurement_event(*, visit: Visit, actor, measurement: Measurement) -> Event:
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_MEASUREMENT,
        phase=measurement.phase,
        network=measurement.network,
        place=measurement.place,
        rsrp_dbm=str(measurement.rsrp_dbm),
        sinr_db=str(measurement.sinr_db),
    )


def visit_log_imported_event(*, upload, actor, places: list[str]) -> Event:
    """A network test log imported: its file, format, samples kept and lines skipped."""
    return record_visit_event(
        upload.visit,
        actor,
        EventKind.VISIT_LOG_IMPORTED,
        upload.file_name,
        format=upload.file_format,
        samples=upload.sample_count,
        skipped=upload.skipped,
        places=places,
        sha256=upload.file_sha256,
    )


def _outcome(visit: Visit, actor, kind: EventKind, test_ended_at: datetime | None) -> Event:
    return record_visit_event(
        visit,
        actor,
        kind,
        visit.result_summary,
        promised_reply_at=visit.promised_reply_at,
        test_ended_at=test_ended_at,
        customer_tried=visit.customer_tried,
    )


def visit_resolved_event(*, visit: Visit, actor, test_ended_at: datetime | None) -> Event:
    """R24: resolved, after the customer tried the service."""
    return _outcome(visit, actor, EventKind.VISIT_RESOLVED, test_ended_at)


def visit_unresolved_event(*, visit: Visit, actor, test_ended_at: datetime | None) -> Event:
    """R15: not resolved, a reply promised within 4 hours of `test_ended_at`."""
    return _outcome(visit, actor, EventKind.VISIT_UNRESOLVED, test_ended_at)


def visit_replied_event(
    *, visit: Visit, actor, on_time: bool, by_sms: bool, banned_phrases_confirmed: list[str]
) -> Event:
    """R15: the promised reply given, on time or late, by SMS or by phone."""
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_REPLIED,
        visit.reply_message,
        on_time=on_time,
        by_sms=by_sms,
        banned_phrases_confirmed=banned_phrases_confirmed,
    )


def visit_handover_requested_event(
    *, handover: VisitHandover, actor, replaced: int, banned_phrases_confirmed: list[str]
) -> Event:
    """R16: a colleague is to take over; the customer is sent the code that agrees to it
    (masked phone only: the code is a secret of the customer's phone)."""
    return record_visit_event(
        handover.visit,
        actor,
        EventKind.VISIT_HANDOVER_REQUESTED,
        handover.reason,
        handover=handover.pk,
        to_engineer=handover.to_engineer.username,
        start=handover.start,
        end=handover.end,
        phone=mask_phone(handover.phone),
        code_expires_at=handover.code_expires_at,
        replaced=replaced,
        banned_phrases_confirmed=banned_phrases_confirmed,
    )


def visit_handover_locked_event(*, handover: VisitHandover) -> Event:
    """R16: wrong codes refused the request; the engineer may ask again."""
    return record_visit_event(
        handover.visit,
        None,
        EventKind.VISIT_HANDOVER_LOCKED,
        handover=handover.pk,
        attempts=handover.code_attempts,
    )


def visit_handed_over_event(
    *, handover: VisitHandover, actor, successor: Visit, deadlines_moved: int
) -> Event:
    """R16: the consent as given (the code sent to the customer's phone, typed on this
    engineer's phone, through this path, now) and the visit that continues the work."""
    visit = handover.visit
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_HANDED_OVER,
        handover.note,
        handover=handover.pk,
        successor=successor.pk,
        from_engineer=handover.from_engineer.username,
        to_engineer=handover.to_engineer.username,
        start=successor.start,
        consent=handover.consent_method,
        channel=handover.consent_channel,
        phone=mask_phone(handover.phone),
        typed_on=actor.username,
        attempts=handover.code_attempts,
        deadlines_moved=deadlines_moved,
    )


def visit_complaint_event(*, visit: Visit, actor) -> Event:
    """R17: the customer complained about the service; the supervisor hears."""
    return record_visit_event(visit, actor, EventKind.VISIT_COMPLAINT, visit.complaint_note)


def visit_complaint_followed_up_event(*, visit: Visit, actor) -> Event:
    return record_visit_event(
        visit, actor, EventKind.VISIT_COMPLAINT_FOLLOWED_UP, visit.complaint_follow_up
    )


# --- leaving (R21, R22, R24) -----------------------------------------------------------------


def visit_no_survey_event(*, visit: Visit, actor) -> Event:
    reason = visit.no_survey_reason
    return record_visit_event(
        visit, actor, EventKind.VISIT_NO_SURVEY, NoSurveyReason(reason).label, reason=reason
    )


def visit_left_event(*, visit: Visit, actor, signed: bool) -> Event:
    return record_visit_event(
        visit,
        actor,
        EventKind.VISIT_LEFT,
        complained=visit.complaint_on_site,
        signed=signed,
        no_survey_reason=visit.no_survey_reason,
    )


# Issue 17: the customer's own actions on their appointment's link. The actor is nobody (the
# customer has no account); the event says it was the customer.


def visit_customer_confirmed_event(*, visit: Visit) -> Event:
    """The customer confirmed the appointment (the engineer still re-confirms, R8)."""
    return record_visit_event(
        visit, None, EventKind.VISIT_CUSTOMER_CONFIRMED, by="customer", start=visit.start
    )


def visit_customer_moved_event(*, visit: Visit, new_visit: Visit, sms_sent: bool) -> Event:
    """The customer moved the visit to a free slot (R7, R11); their action is the agreement."""
    return record_visit_event(
        visit,
        None,
        EventKind.VISIT_CUSTOMER_MOVED,
        by="customer",
        old_start=visit.start,
        new_visit=new_visit.pk,
        new_start=new_visit.start,
        sms_sent=sms_sent,
    )


def visit_customer_callback_event(*, visit: Visit, note: str, due_at: datetime) -> Event:
    """The customer asked for a call back: the owner's contact to make by `due_at` (R6)."""
    return record_visit_event(
        visit, None, EventKind.VISIT_CUSTOMER_CALLBACK, note, by="customer", due_at=due_at
    )
