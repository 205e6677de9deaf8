"""The engineer's way to the door, in the order of the five things (R21): call and re-confirm
(R8), late notice (R10), arrive (R9, gated by the kit, R20), knock, wait and call, no answer and
the visit note (R13)."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import deadlines
from dispatch.errors import RuleViolation, require_text
from dispatch.language import check_customer_text
from dispatch.models import DeadlineKind
from dispatch.people import display_name, own_phone
from dispatch.rules import (
    LATE_NOTICE_LEAD,
    no_answer_wait,
    note_time_tolerance,
    visit_note_window,
)

from .. import events
from ..models import ViolationKind, Visit, VisitNote, VisitStatus
from ..next_steps import arrival_ahead, at_the_door
from .booking import local
from .common import (
    lock_visit,
    minutes_between,
    queue_visit_sms,
    record_violation,
    require_engineer,
    require_fresh_self_check,
    require_status,
    set_status,
)
from .customer import tell_departure

S = VisitStatus
PHOTO_TYPES = {
    b"\xff\xd8\xff": "jpg",
    b"\x89PNG": "png",
    b"RIFF": "webp",
}
PHOTO_MAX_BYTES = 5 * 1024 * 1024
HOTLINE = "10000"  # the centre's hotline: never the engineer's own phone on a visit note (R13)


def _require_reconfirmed(visit: Visit, new_status: str) -> None:
    if visit.status == S.BOOKED:
        raise RuleViolation(
            "not_reconfirmed",
            _("Call the customer and re-confirm the time first."),
            status=409,
        )
    require_status(visit, new_status)


def require_kit(visit: Visit) -> None:
    """R20: nothing starts on site until the kit and self-check are complete (409
    "kit_incomplete", naming the items the checklists app reported missing)."""
    if visit.kit_completed_at is not None:
        require_fresh_self_check(visit)  # R19: a self-check counts only just before arrival
        return
    if visit.kit_missing:
        message = _("The kit check is not complete. Still missing: %(items)s.") % {
            "items": "、".join(str(item) for item in visit.kit_missing)
        }
    else:
        message = _("Check the seven-item kit and yourself before you go in.")
    raise RuleViolation("kit_incomplete", message, status=409)


@transaction.atomic
def reconfirm_visit(*, actor, visit: Visit) -> Visit:
    """R8: before leaving, the engineer re-confirms the time with the customer."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    require_status(visit, S.CONFIRMED)
    now = timezone.now()
    visit.reconfirmed_at = now
    set_status(visit, S.CONFIRMED, "reconfirmed_at")
    deadlines.meet_deadline(kind=DeadlineKind.RECONFIRM, visit=visit, at=now)
    events.visit_reconfirmed_event(visit=visit, actor=actor)
    queue_visit_sms(visit, "visit_reconfirmed", "reconfirmed")
    return visit


@transaction.atomic
def depart_for_visit(*, actor, visit: Visit) -> Visit:
    """Set out for the site: only after re-confirming with the customer (R8)."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    _require_reconfirmed(visit, S.EN_ROUTE)
    visit.departed_at = timezone.now()
    set_status(visit, S.EN_ROUTE, "departed_at")
    events.visit_departed_event(visit=visit, actor=actor)
    tell_departure(visit)  # issue 17: a coarse arrival time for the customer, never a location
    return visit


@transaction.atomic
def notify_late(
    *,
    actor,
    visit: Visit,
    new_arrival_at: datetime,
    reason: str,
    confirm_wording: bool = False,
) -> Visit:
    """R10: tell the customer at least 15 minutes before the appointment, with an apology and
    an accurate new arrival time. A later notice is still sent, and recorded as a violation.
    The new time is a promise: the arrival deadline (the stored row the sweep watches) moves to
    it, arriving after it, or moving it later with another notice, is late again (a violation).
    Punctuality (R9) still counts from start − 5.
    R27: the reason is in the customer's SMS; a banned phrase needs `confirm_wording`.
    """
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    if not arrival_ahead(visit):
        raise RuleViolation(
            "already_arrived",
            _("A late notice is for a visit the engineer has not reached yet."),
            status=409,
        )
    reason = require_text(
        reason, code="reason_required", message=_("Say why you will be late."), field="reason"
    )
    confirmed = check_customer_text(reason, confirmed=confirm_wording, field="reason")
    now = timezone.now()
    if new_arrival_at <= now:
        raise RuleViolation(
            "arrival_in_past",
            _("Give the customer a new arrival time in the future."),
            field="new_arrival_at",
        )
    if new_arrival_at <= visit.punctual_by:
        raise RuleViolation(
            "not_late",
            _("Arriving by %(time)s is on time: no late notice is needed.")
            % {"time": local(visit.punctual_by, "%H:%M")},
            field="new_arrival_at",
        )
    if new_arrival_at >= visit.end:
        raise RuleViolation(
            "too_late_to_keep",
            _("That is after the appointment ends (%(end)s): reschedule the visit instead.")
            % {"end": local(visit.end, "%H:%M")},
            field="new_arrival_at",
        )
    promised = visit.expected_arrival_at
    if promised is not None and new_arrival_at > promised:
        # R10: the time a notice gave is a promise; moving it later breaks it.
        record_violation(
            visit=visit,
            kind=ViolationKind.LATE_AFTER_NOTICE,
            minutes=minutes_between(promised, new_arrival_at),
            detail=_("New arrival time moved from %(old)s to %(new)s.")
            % {"old": local(promised, "%H:%M"), "new": local(new_arrival_at, "%H:%M")},
            at=now,
        )
    visit.late_notified_at, visit.expected_arrival_at = now, new_arrival_at
    visit.save(update_fields=["late_notified_at", "expected_arrival_at", "updated_at"])
    deadlines.open_deadline(
        kind=DeadlineKind.ARRIVAL,
        ticket=visit.ticket,
        visit=visit,
        due_at=new_arrival_at,
        responsible=visit.engineer,
    )
    notice_by = visit.start - LATE_NOTICE_LEAD
    in_time = now <= notice_by
    if not in_time:
        record_violation(
            visit=visit,
            kind=ViolationKind.LATE_NOTICE,
            minutes=minutes_between(notice_by, now),
            detail=reason,
            at=now,
        )
    events.visit_late_notice_event(
        visit=visit, actor=actor, reason=reason, in_time=in_time, banned_phrases_confirmed=confirmed
    )
    queue_visit_sms(
        visit,
        "visit_late",
        f"late:{new_arrival_at:%Y%m%d%H%M}",
        reason=reason,
        new_arrival_at=new_arrival_at,
    )
    return visit


def _coordinate(value, low: int, high: int, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        number = None
    if number is None or not low <= number <= high:
        raise RuleViolation("invalid_location", _("The location is not valid."), field=field)
    return number


@transaction.atomic
def record_arrival(*, actor, visit: Visit, latitude=None, longitude=None) -> Visit:
    """R9: arrival at or before start − 5 min is punctual; later is late and counts against the
    engineer. R20: refused until the kit is complete. The browser's location is kept when the
    engineer allows it."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    if arrival_ahead(visit):
        require_kit(visit)  # R20 first: the refusal the engineer must act on before anything
    _require_reconfirmed(visit, S.ARRIVED)
    lat = _coordinate(latitude, -90, 90, "latitude")
    lon = _coordinate(longitude, -180, 180, "longitude")
    if (lat is None) != (lon is None):
        raise RuleViolation("invalid_location", _("The location is not valid."), field="latitude")
    now = timezone.now()
    visit.arrived_at = now
    visit.arrival_punctual = now <= visit.punctual_by
    visit.arrival_latitude, visit.arrival_longitude = lat, lon
    set_status(
        visit,
        S.ARRIVED,
        "arrived_at",
        "arrival_punctual",
        "arrival_latitude",
        "arrival_longitude",
    )
    deadlines.meet_deadline(kind=DeadlineKind.ARRIVAL, visit=visit, at=now)
    late_by = 0 if visit.arrival_punctual else minutes_between(visit.punctual_by, now)
    if late_by:
        detail = (
            _("Customer told in advance, new time %(time)s.")
            % {"time": local(visit.expected_arrival_at, "%H:%M")}
            if visit.expected_arrival_at
            else _("No late notice.")
        )
        record_violation(
            visit=visit, kind=ViolationKind.LATE_ARRIVAL, minutes=late_by, detail=detail, at=now
        )
    promised = visit.expected_arrival_at
    if promised is not None and now > promised:
        # R10: the late notice promised the customer this time; arriving after it is late again.
        record_violation(
            visit=visit,
            kind=ViolationKind.LATE_AFTER_NOTICE,
            minutes=minutes_between(promised, now),
            detail=_("Promised by %(time)s in the late notice.")
            % {"time": local(promised, "%H:%M")},
            at=now,
        )
    events.visit_arrived_event(visit=visit, actor=actor, minutes_late=late_by)
    return visit


def _require_at_door(visit: Visit) -> None:
    if not at_the_door(visit):
        raise RuleViolation(
            "not_at_door", _("This is for when you are at the customer's door."), status=409
        )


@transaction.atomic
def record_knock(*, actor, visit: Visit) -> Visit:
    """R13: the wait for an answer runs from the first knock."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    _require_at_door(visit)
    if visit.knocked_at is None:
        visit.knocked_at = timezone.now()
        visit.save(update_fields=["knocked_at", "updated_at"])
        events.visit_knocked_event(visit=visit, actor=actor)
    return visit


@transaction.atomic
def record_failed_call(*, actor, visit: Visit) -> Visit:
    """R13: the customer could not be reached by phone from the door: after the knock."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    _require_at_door(visit)
    if visit.knocked_at is None:
        raise RuleViolation(
            "knock_first",
            _("Knock first, then call the customer if nobody answers (no-answer rule)."),
            status=409,
        )
    visit.call_failed_at = timezone.now()
    visit.save(update_fields=["call_failed_at", "updated_at"])
    events.visit_call_failed_event(visit=visit, actor=actor)
    return visit


@transaction.atomic
def mark_no_answer(*, actor, visit: Visit) -> Visit:
    """R13: "no answer" only after knocking, waiting (setting, default 10 min) and a failed call.
    The visit note must then be filed by the note deadline (setting, default 30 min)."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    require_status(visit, S.NO_ANSWER)
    now = timezone.now()
    wait = no_answer_wait()
    if visit.knocked_at is None:
        raise RuleViolation(
            "knock_first", _("Knock first: the wait starts from the knock."), status=409
        )
    if now < visit.knocked_at + wait:
        raise RuleViolation(
            "wait_not_over",
            _(
                "Wait %(wait)s minutes after knocking before leaving: "
                "%(left)s more minutes, until %(until)s."
            )
            % {
                "wait": int(wait.total_seconds() // 60),
                "left": minutes_between(now, visit.knocked_at + wait),
                "until": local(visit.knocked_at + wait, "%H:%M"),
            },
            status=409,
        )
    if visit.call_failed_at is None:
        raise RuleViolation(
            "call_first",
            _("Call the customer first; record the call when nobody answers."),
            status=409,
        )
    visit.no_answer_at = now
    set_status(visit, S.NO_ANSWER, "no_answer_at")
    due = deadlines.open_deadline(
        kind=DeadlineKind.VISIT_NOTE,
        ticket=visit.ticket,
        visit=visit,
        due_at=now + visit_note_window(),
        responsible=visit.engineer,
    )
    events.visit_no_answer_event(visit=visit, actor=actor, note_due=due.due_at)
    return visit


def _check_photo(photo) -> None:
    if photo is None:
        return
    if photo.size > PHOTO_MAX_BYTES:
        raise RuleViolation(
            "photo_too_large", _("The photo must be smaller than 5 MB."), field="photo"
        )
    head = photo.read(12)
    photo.seek(0)
    if not any(head.startswith(magic) for magic in PHOTO_TYPES):
        raise RuleViolation(
            "photo_type", _("The photo must be a JPEG, PNG or WebP image."), field="photo"
        )


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _check_note_times(visit: Visit, arrived_at: datetime, departed_at: datetime) -> None:
    """R13: the card's times are facts. Its arrival is the recorded arrival (within the
    tolerance); its departure is not before the no-answer mark nor later than now. The card is
    written to the minute, so the recorded times are compared to the minute."""
    if departed_at < arrived_at:
        raise RuleViolation(
            "departed_before_arrival",
            _("The departure time can't be before the arrival time."),
            field="departed_at",
        )
    tolerance = note_time_tolerance()
    if abs(arrived_at - visit.arrived_at) > tolerance:
        raise RuleViolation(
            "arrival_not_recorded",
            _(
                "Write the arrival time you recorded, %(time)s (within %(minutes)s minutes): "
                "the card's times are facts."
            )
            % {
                "time": local(visit.arrived_at, "%H:%M"),
                "minutes": int(tolerance.total_seconds() // 60),
            },
            field="arrived_at",
        )
    if departed_at < _minute(visit.no_answer_at):
        raise RuleViolation(
            "departed_before_no_answer",
            _("You recorded no answer at %(time)s: the departure is at that time or later.")
            % {"time": local(visit.no_answer_at, "%H:%M")},
            field="departed_at",
        )
    if departed_at > timezone.now():
        raise RuleViolation(
            "departure_in_future",
            _("The departure time can't be in the future."),
            field="departed_at",
        )


@transaction.atomic
def file_visit_note(
    *,
    actor,
    visit: Visit,
    customer_surname: str,
    arrived_at: datetime,
    departed_at: datetime,
    contact_phone: str,
    engineer_name: str = "",
    photo=None,
) -> VisitNote:
    """R13: the visit note card: customer's surname, arrival and departure times, engineer and
    contact phone (and optionally a photo of the card). Filing it keeps the note deadline; the
    customer gets the same words by SMS (R26)."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    if visit.status != S.NO_ANSWER:
        raise RuleViolation(
            "not_no_answer",
            _("A visit note is left only when nobody answered the door."),
            status=409,
        )
    if VisitNote.objects.filter(visit=visit).exists():
        raise RuleViolation("note_filed", _("The visit note is already filed."), status=409)
    surname = require_text(
        customer_surname,
        code="surname_required",
        message=_("Write the customer's surname."),
        field="customer_surname",
    )
    # R13: the phone is the engineer's own, for the customer to call back; blank means the
    # engineer's profile phone, and with none on file the engineer must write one.
    phone = "".join((contact_phone or "").split()) or own_phone(visit.engineer)
    if not phone:
        raise RuleViolation(
            "phone_required",
            _("Write your own phone number, for the customer to call you back."),
            field="contact_phone",
        )
    if phone.replace("-", "") == HOTLINE:
        raise RuleViolation(
            "hotline_phone",
            _("Write your own phone number, not the 10000 hotline."),
            field="contact_phone",
        )
    if not (5 <= len(phone) <= 20 and phone.replace("-", "").isdigit()):
        raise RuleViolation(
            "invalid_phone",
            _("Write a phone number the customer can call back."),
            field="contact_phone",
        )
    _check_note_times(visit, arrived_at, departed_at)
    _check_photo(photo)
    now = timezone.now()
    note = VisitNote(
        visit=visit,
        customer_surname=surname,
        arrived_at=arrived_at,
        departed_at=departed_at,
        engineer_name=(engineer_name or "").strip() or display_name(visit.engineer),
        contact_phone=phone,
        filed_by=actor,
        filed_at=now,
    )
    if photo is not None:
        note.photo.save(photo.name, photo, save=False)
    note.save()
    deadlines.meet_deadline(kind=DeadlineKind.VISIT_NOTE, visit=visit, at=now)
    events.visit_note_filed_event(visit=visit, actor=actor, note=note)
    queue_visit_sms(visit, "visit_note", "note", note=note)
    return note
