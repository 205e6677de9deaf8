"""The engineer's work on site (R21 steps 4 and 5): the door checks (R14, gated by the kit,
R20), typed network tests, the outcome with a reply promise (R15), the reply, a complaint on
site (R17) and leaving (R24). A handover mid-visit (R16) is in `handover`."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import deadlines
from dispatch.errors import Checks, RuleViolation, require_text
from dispatch.language import check_customer_text
from dispatch.models import DeadlineKind
from dispatch.rules import REPLY_WITHIN, faq_handbook_allowed

from .. import events, extensions
from ..models import (
    CallResult,
    DoorCheck,
    Measurement,
    Network,
    NoSurveyReason,
    Phase,
    Visit,
    VisitStatus,
)
from ..next_steps import arrival_ahead, at_the_door, at_work, closed, work_ended
from .arrival import require_kit
from .booking import local
from .common import (
    lock_visit,
    notify_supervisors,
    queue_visit_sms,
    require_engineer,
    require_replier,
    require_status,
    require_supervisor,
    set_status,
)

S = VisitStatus


@transaction.atomic
def start_work(*, actor, visit: Visit, door_checks: list[str]) -> Visit:
    """R20: refused until the kit is complete. R14: badge shown, entered with permission, shoe
    covers on, the work explained, the service supervision form handed over."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    if arrival_ahead(visit) or at_the_door(visit):
        require_kit(visit)
    require_status(visit, S.AT_WORK)
    ticked = [code for code in DoorCheck.values if code in set(door_checks or [])]
    missing = [DoorCheck(code).label for code in DoorCheck.values if code not in ticked]
    if missing:
        raise RuleViolation(
            "door_checks_incomplete",
            _("Before starting: %(items)s.") % {"items": "、".join(map(str, missing))},
            field="door_checks",
        )
    visit.work_started_at = timezone.now()
    visit.door_checks = ticked
    set_status(visit, S.AT_WORK, "work_started_at", "door_checks")
    events.visit_work_started_event(visit=visit, actor=actor)
    return visit


# A network test's values, as add_measurement takes them (the page's form and the API's).
MEASUREMENT_FIELDS = [
    "phase",
    "network",
    "place",
    "rsrp_dbm",
    "sinr_db",
    "download_mbps",
    "upload_mbps",
    "latency_ms",
    "call_result",
]
MEASUREMENT_LIMITS = {
    # field: (low, high); the model's check constraints hold the same ranges.
    "rsrp_dbm": (Decimal("-156"), Decimal("-31")),
    "sinr_db": (Decimal("-30"), Decimal("50")),
    "download_mbps": (Decimal("0"), Decimal("99999")),
    "upload_mbps": (Decimal("0"), Decimal("99999")),
    "latency_ms": (0, 60000),
}


def _require_at_work(visit: Visit) -> None:
    if not at_work(visit):
        raise RuleViolation(
            "not_at_work", _("Network tests are recorded while working on site."), status=409
        )


@transaction.atomic
def add_measurement(
    *,
    actor,
    visit: Visit,
    network: str,
    place: str,
    rsrp_dbm,
    sinr_db,
    download_mbps,
    upload_mbps,
    latency_ms: int,
    call_result: str,
    phase: str = Phase.BEFORE,
) -> Measurement:
    """A typed network test (not free text): several per visit, before and after a fix."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    _require_at_work(visit)
    checks = Checks()
    for value, choices, field in (
        (network, Network, "network"),
        (call_result, CallResult, "call_result"),
        (phase, Phase, "phase"),
    ):
        if value not in choices.values:
            checks.add(RuleViolation("invalid_choice", _("Choose a value."), field=field))
    with checks:
        place = require_text(
            place, code="place_required", message=_("Say where in the premises."), field="place"
        )
    values = {
        "rsrp_dbm": rsrp_dbm,
        "sinr_db": sinr_db,
        "download_mbps": download_mbps,
        "upload_mbps": upload_mbps,
        "latency_ms": latency_ms,
    }
    for field, (low, high) in MEASUREMENT_LIMITS.items():
        try:
            number = Decimal(str(values[field]))
        except InvalidOperation:
            number = None
        if number is None or not low <= number <= high:
            checks.add(
                RuleViolation(
                    "out_of_range",
                    _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high},
                    field=field,
                )
            )
    checks.done()
    measurement = Measurement.objects.create(
        visit=visit,
        phase=phase,
        network=network,
        place=place[:100],
        rsrp_dbm=Decimal(str(rsrp_dbm)),
        sinr_db=Decimal(str(sinr_db)),
        download_mbps=Decimal(str(download_mbps)),
        upload_mbps=Decimal(str(upload_mbps)),
        latency_ms=int(latency_ms),
        call_result=call_result,
        measured_at=timezone.now(),
        recorded_by=actor,
    )
    events.visit_measurement_event(visit=visit, actor=actor, measurement=measurement)
    return measurement


def last_test_at(visit: Visit) -> datetime | None:
    """When the visit's last network test was taken, typed or imported (None before the
    first)."""
    times = [
        qs.order_by("-measured_at").values_list("measured_at", flat=True).first()
        for qs in (visit.measurements, visit.samples)
    ]
    return max((t for t in times if t is not None), default=None)


def has_tests(visit: Visit, phase: str | None = None) -> bool:
    """Whether the visit has a network test (of `phase`): typed, or in an imported log."""
    where = {"phase": phase} if phase else {}
    return visit.measurements.filter(**where).exists() or visit.samples.filter(**where).exists()


def reply_latest(visit: Visit, test_ended_at: datetime | None = None) -> datetime | None:
    """R15: the latest reply time, 4 hours after the end of the test (seed 000: 答复时间不能超过
    测试时间后4小时): the time the engineer gives, or else the last network test. Not when the
    outcome is typed in: recording it later gives the customer no later reply."""
    test_ended_at = test_ended_at or last_test_at(visit)
    return test_ended_at + REPLY_WITHIN if test_ended_at else None


def _check_test_end(visit: Visit, test_ended_at: datetime, now: datetime) -> None:
    """R15: the test end the engineer records is a fact: not in the future, and not before a
    network test that was part of the test."""
    if test_ended_at > now:
        raise RuleViolation(
            "test_end_in_future",
            _("The test can't have ended later than now."),
            field="test_ended_at",
        )
    last = last_test_at(visit)
    if last is not None and test_ended_at < last:
        raise RuleViolation(
            "test_end_before_tests",
            _("The test ended after its last network test, at %(time)s.")
            % {"time": local(last, "%H:%M")},
            field="test_ended_at",
        )


@transaction.atomic
def record_outcome(
    *,
    actor,
    visit: Visit,
    resolved: bool,
    summary: str,
    promised_reply_at: datetime | None = None,
    test_ended_at: datetime | None = None,
    customer_tried: bool = False,
) -> Visit:
    """The on-site result. Unresolved: a reply time agreed with the customer, no later than
    4 h after the end of the test (R15: the last network test, or the test end the engineer
    records), becomes the reply deadline."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    new_status = S.RESOLVED if resolved else S.UNRESOLVED
    require_status(visit, new_status)
    if not has_tests(visit):
        raise RuleViolation(
            "no_measurements",
            _("Record at least one network test before the result."),
            status=409,
        )
    summary = require_text(
        summary, code="summary_required", message=_("Say what was found and done."), field="summary"
    )
    now = timezone.now()
    if test_ended_at is not None:
        _check_test_end(visit, test_ended_at, now)
    test_end = test_ended_at or last_test_at(visit)
    if resolved:
        promised_reply_at = None
        # R24: resolved only once the customer tried the service after the fix: a network test
        # in the after phase, or the customer's own try recorded.
        if not customer_tried and not has_tests(visit, Phase.AFTER):
            raise RuleViolation(
                "after_fix_test_required",
                _(
                    "Before calling it resolved, test after the fix: record a network test "
                    "after the fix, or tick that the customer tried the service."
                ),
                field="customer_tried",
            )
    else:
        latest = test_end + REPLY_WITHIN
        if promised_reply_at is None:
            raise RuleViolation(
                "reply_time_required",
                _("Agree a reply time with the customer."),
                field="promised_reply_at",
            )
        if promised_reply_at <= now:
            raise RuleViolation(
                "reply_in_past",
                _("The promised reply time must be in the future."),
                field="promised_reply_at",
            )
        if promised_reply_at > latest:
            raise RuleViolation(
                "reply_too_late",
                _("Promise the reply no later than %(latest)s, 4 hours after the test.")
                % {"latest": local(latest, "%H:%M")},
                field="promised_reply_at",
            )
    visit.work_ended_at = now
    visit.result_summary = summary
    visit.promised_reply_at = promised_reply_at
    visit.customer_tried = bool(customer_tried)
    set_status(
        visit,
        new_status,
        "work_ended_at",
        "result_summary",
        "promised_reply_at",
        "customer_tried",
    )
    if promised_reply_at:
        deadlines.open_deadline(
            kind=DeadlineKind.REPLY,
            ticket=visit.ticket,
            visit=visit,
            due_at=promised_reply_at,
            responsible=visit.engineer,
        )
    record = events.visit_resolved_event if resolved else events.visit_unresolved_event
    record(visit=visit, actor=actor, test_ended_at=test_end)
    return visit


@transaction.atomic
def record_reply(
    *, actor, visit: Visit, message: str, by_sms: bool = False, confirm_wording: bool = False
) -> Visit:
    """R15: the promised reply reaches the customer; it keeps the reply deadline (late or not).
    R27: a reply sent by SMS is checked for banned phrases (sent only with `confirm_wording`);
    one given by phone was said already and is recorded as said."""
    visit = lock_visit(visit)
    require_replier(actor, visit)
    require_status(visit, S.REPLIED)
    message = require_text(
        message,
        code="message_required",
        message=_("Write what the customer was told."),
        field="message",
    )
    confirmed = []
    if by_sms:
        confirmed = check_customer_text(message, confirmed=confirm_wording, field="message")
    now = timezone.now()
    visit.replied_at, visit.reply_message = now, message
    set_status(visit, S.REPLIED, "replied_at", "reply_message")
    deadlines.meet_deadline(kind=DeadlineKind.REPLY, visit=visit, at=now)
    on_time = visit.promised_reply_at is None or now <= visit.promised_reply_at
    events.visit_replied_event(
        visit=visit, actor=actor, on_time=on_time, by_sms=by_sms, banned_phrases_confirmed=confirmed
    )
    if by_sms:
        queue_visit_sms(visit, "visit_reply", "reply", message=message)
    return visit


@transaction.atomic
def report_complaint_on_site(*, actor, visit: Visit, note: str) -> Visit:
    """R17: the customer complained about the service during the visit; the supervisor hears."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    if visit.arrived_at is None or not visit.is_active:
        raise RuleViolation(
            "not_on_site", _("A complaint on site is reported once you have arrived."), status=409
        )
    if closed(visit):
        raise RuleViolation(
            "visit_closed",
            _("This visit was handed over: report the complaint on the visit that continues it."),
            status=409,
        )
    if visit.complaint_on_site:
        raise RuleViolation(
            "complaint_reported", _("The complaint is already reported."), status=409
        )
    note = require_text(
        note,
        code="note_required",
        message=_("Write what the customer complained about."),
        field="note",
    )
    _record_complaint(visit, actor, note)
    return visit


def _record_complaint(visit: Visit, actor, note: str) -> None:
    visit.complaint_on_site, visit.complaint_note = True, note
    visit.save(update_fields=["complaint_on_site", "complaint_note", "updated_at"])
    events.visit_complaint_event(visit=visit, actor=actor)
    notify_supervisors(template="visit_complaint_staff", visit=visit, key="complaint", note=note)


def _require_finished_not_left(visit: Visit) -> None:
    if not work_ended(visit):
        raise RuleViolation(
            "work_not_finished", _("Record the result of the work first."), status=409
        )
    if visit.left_at is not None:
        raise RuleViolation("already_left", _("You have already left this visit."), status=409)


def _signed(visit: Visit) -> bool:
    return extensions.fact(extensions.SURVEY_SIGNED, visit)


def _card_handed(visit: Visit) -> bool:
    return extensions.fact(extensions.CARD_HANDED, visit)


def _handbook_handed(visit: Visit) -> bool:
    """R18: the FAQ handbook was handed over in place of the card."""
    return extensions.fact(extensions.HANDBOOK_HANDED, visit)


@transaction.atomic
def record_no_survey(*, actor, visit: Visit, reason: str) -> Visit:
    """R22/R24: the customer did not sign the survey and work order; the reason (refused,
    nobody home) is recorded instead, and the commitment card may then be handed over."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    _require_finished_not_left(visit)
    if reason not in NoSurveyReason.values:
        raise RuleViolation("invalid_choice", _("Choose why there is no survey."), field="reason")
    if _signed(visit):
        raise RuleViolation(
            "already_signed", _("The customer has signed the survey already."), status=409
        )
    visit.no_survey_reason = reason
    visit.save(update_fields=["no_survey_reason", "updated_at"])
    events.visit_no_survey_event(visit=visit, actor=actor)
    return visit


@transaction.atomic
def leave_visit(*, actor, visit: Visit, complained: bool | None, complaint_note: str = "") -> Visit:
    """R21 step 5, leaving. R24: the commitment card is handed over (or the FAQ handbook, where
    the centre allows it: SEED_RULES["FAQ_HANDBOOK_ALLOWED"], R18) and the customer signed the
    survey and work order, or the reason they didn't is recorded. R17: the engineer answers
    whether the customer complained about the service: yes needs what about (the supervisor
    hears), no is recorded as none."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    _require_finished_not_left(visit)
    signed = _signed(visit)
    if not signed and not visit.no_survey_reason:
        raise RuleViolation(
            "survey_missing",
            _(
                "The customer signs the survey and work order before you leave, or record why "
                "not (refused, nobody home)."
            ),
            status=409,
        )
    if not _card_handed(visit):
        raise RuleViolation(
            "card_missing",
            _("Hand over the service commitment card before you leave."),
            status=409,
        )
    if _handbook_handed(visit) and not faq_handbook_allowed():
        # R18/R24: the handbook stands in for the card only where the centre allows it.
        raise RuleViolation(
            "handbook_not_allowed",
            _(
                "The centre does not allow the FAQ handbook in place of the service commitment "
                "card: hand over the card before you leave."
            ),
            status=409,
        )
    if complained is None:
        raise RuleViolation(
            "complaint_answer_required",
            _("Did the customer complain about the service? Answer yes or no."),
            field="complained",
        )
    if complained and not visit.complaint_on_site:
        complaint_note = require_text(
            complaint_note,
            code="note_required",
            message=_("Write what the customer complained about."),
            field="complaint_note",
        )
        _record_complaint(visit, actor, complaint_note)
    visit.left_at = timezone.now()
    visit.save(update_fields=["left_at", "updated_at"])
    events.visit_left_event(visit=visit, actor=actor, signed=signed)
    return visit


@transaction.atomic
def follow_up_complaint(*, actor, visit: Visit, note: str) -> Visit:
    """R17: the supervisor records the follow-up of a complaint on site; until then it stays on
    the dashboard."""
    require_supervisor(actor)
    visit = lock_visit(visit)
    if not visit.complaint_on_site:
        raise RuleViolation(
            "no_complaint", _("No complaint on site was reported for this visit."), status=409
        )
    if visit.complaint_followed_up_at is not None:
        raise RuleViolation(
            "already_followed_up", _("The follow-up is already recorded."), status=409
        )
    note = require_text(
        note,
        code="note_required",
        message=_("Write what was done about the complaint."),
        field="note",
    )
    visit.complaint_followed_up_at = timezone.now()
    visit.complaint_follow_up = note
    visit.complaint_followed_up_by = actor
    visit.save(
        update_fields=[
            "complaint_followed_up_at",
            "complaint_follow_up",
            "complaint_followed_up_by",
            "updated_at",
        ]
    )
    events.visit_complaint_followed_up_event(visit=visit, actor=actor)
    return visit
