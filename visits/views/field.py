"""The engineer's pages, mobile-first: today's visits and the visit walked through the five
things of R21, one clear button per step. Every button posts to a service and comes back."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dispatch.errors import RuleViolation
from dispatch.forms import run_service
from dispatch.models import DeadlineKind
from dispatch.people import display_name, own_phone
from dispatch.permissions import role_required
from dispatch.redirects import back_to
from dispatch.roles import Role, is_staff_member
from dispatch.rules import faq_handbook_allowed, no_answer_wait

from .. import extensions, measurement_logs, selectors, services, verdicts
from ..forms import (
    ArrivalForm,
    ComplaintForm,
    DoorChecksForm,
    FollowUpForm,
    HandoverCodeForm,
    HandoverForm,
    LateNoticeForm,
    LeaveForm,
    MeasurementForm,
    MeasurementLogForm,
    NoSurveyForm,
    OutcomeForm,
    ReplyForm,
    VisitNoteForm,
)
from ..models import Phase, Visit
from ..next_steps import next_steps
from ..steps import current_step, steps
from .common import get_visit, timeline
from .desk import _desk_page


@role_required(Role.ENGINEER)
def today(request):
    day = timezone.localdate()
    user = request.user
    return render(
        request,
        "visits/today.html",
        {
            "day": day,
            "visits": selectors.visits_of_day(user, day),
            "replies": selectors.replies_due(user),
            "notes": selectors.notes_due(user),
            "upcoming": selectors.upcoming_for(user, day),
        },
    )


def _note_initial(visit: Visit) -> dict:
    now = timezone.localtime().replace(second=0, microsecond=0)
    name = visit.ticket.customer_name.strip()
    return {
        "customer_surname": name[:1] if name else "",
        "arrived_at": timezone.localtime(visit.arrived_at) if visit.arrived_at else now,
        "departed_at": now,
        "engineer_name": display_name(visit.engineer),
        # R13: the engineer's own phone (blank to write when none is on file), not the hotline.
        "contact_phone": own_phone(visit.engineer),
    }


def _handover_initial(now) -> dict:
    """R16: the colleague's time, by default half an hour from now, for an hour."""
    start = timezone.localtime(now + timedelta(minutes=45)).replace(second=0, microsecond=0)
    start = start.replace(minute=start.minute // 15 * 15)
    return {"day": start.date(), "start_time": start.strftime("%H:%M"), "duration": 60}


def _field_page(request, visit: Visit, status: int = 200, **forms):
    now = timezone.now()
    wait = no_answer_wait()
    wait_until = visit.knocked_at + wait if visit.knocked_at else None
    measurements = list(visit.measurements.all())
    # What the map and the rules allow now: the page offers exactly these steps.
    offered = next_steps(visit, now)
    card = getattr(visit, "card_handover", None)
    imports = list(visit.measurement_imports.all())
    graded = verdicts.visit_verdicts(visit.pk) if measurements or imports else []
    seconds_left = max(0, int((wait_until - now).total_seconds())) if wait_until else 0
    note_due = [d for d in visit.deadlines.all() if d.kind == DeadlineKind.VISIT_NOTE and d.is_open]
    context = {
        "seconds_left": seconds_left,
        "seconds_left_text": f"{seconds_left // 60:02d}:{seconds_left % 60:02d}",
        "visit": visit,
        "next": offered,
        "steps": steps(visit),
        "step": current_step(visit),
        # Steps 2 and 5 live in the checklists and surveys apps (R21), which name their pages.
        "kit_url": extensions.step_page("kit", visit),
        "survey_url": extensions.step_page("survey", visit),
        "timeline": timeline(visit),
        "wait_minutes": int(wait.total_seconds() // 60),
        "wait_until": wait_until,
        "wait_over": wait_until is not None and now >= wait_until,
        # R13: the visit note's deadline while it is still open.
        "note_due": note_due[0] if note_due else None,
        "before": [m for m in measurements if m.phase == Phase.BEFORE],
        "after": [m for m in measurements if m.phase == Phase.AFTER],
        "measurements": measurements,
        # R15: 4 hours after the test (its last network test), not after the outcome is typed.
        "reply_latest": services.reply_latest(visit),
        "imports": imports,
        "verdicts": graded,
        "log_form": forms.get("log_form") or MeasurementLogForm(prefix="log"),
        "late_form": forms.get("late_form") or LateNoticeForm(visit=visit),
        "arrival_form": ArrivalForm(),
        "door_form": forms.get("door_form") or DoorChecksForm(),
        "note_form": forms.get("note_form") or VisitNoteForm(initial=_note_initial(visit)),
        "measurement_form": forms.get("measurement_form")
        or MeasurementForm(initial={"phase": Phase.AFTER if measurements else Phase.BEFORE}),
        "outcome_form": forms.get("outcome_form")
        or OutcomeForm(
            initial={
                "promised_reply_at": timezone.localtime(now + timedelta(hours=2)).replace(
                    second=0, microsecond=0
                ),
                # Words from numbers (R26): the verdicts start the outcome; the engineer edits.
                "summary": verdicts.suggested_summary(graded),
            }
        ),
        "reply_form": forms.get("reply_form")
        or ReplyForm(initial={"message": verdicts.suggested_reply(graded) if graded else ""}),
        "handover_form": forms.get("handover_form")
        or HandoverForm(visit=visit, initial=_handover_initial(now)),
        # R16: a request waiting for the customer's code; the visit this one continues.
        "handover_pending": selectors.pending_handover(visit) if offered.can_hand_over else None,
        "complaint_form": forms.get("complaint_form") or ComplaintForm(),
        "no_survey_form": forms.get("no_survey_form") or NoSurveyForm(),
        "leave_form": forms.get("leave_form") or LeaveForm(),
        # R24: what leaving needs, as the engineer's page shows it.
        "signed": hasattr(visit, "survey_response"),
        # R16: the note of the handover that gave this engineer the visit, with the first
        # engineer's tests, read-only.
        "handover_in": selectors.handover_in(visit),
        "handed_over_to": getattr(visit, "handed_over_to", None),
        # R24: the handbook counts for the card only where the centre allows it (R18).
        "card": card if card is None or card.item != "faq" or faq_handbook_allowed() else None,
        "open_panel": next(iter(forms), None),
    }
    return render(request, "visits/visit_field.html", context, status=status)


@role_required(Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR)
def detail(request, pk):
    """The visit's engineer walks it through on the phone; desk staff see the desk view."""
    visit = get_visit(request, pk)
    if visit.engineer_id == request.user.pk:
        return _field_page(request, visit)
    if is_staff_member(request.user):
        return _desk_page(request, visit)
    raise Http404


def _back(visit: Visit, anchor: str = "") -> str:
    return reverse("visits:detail", args=[visit.pk]) + (f"#{anchor}" if anchor else "")


def _own_visit(request, pk) -> Visit:
    visit = get_visit(request, pk)
    if visit.engineer_id != request.user.pk:
        raise Http404
    return visit


def _button(request, pk, call, done: str, anchor: str = ""):
    """A one-tap step: the service decides; a refusal comes back as a message on the page."""
    visit = _own_visit(request, pk)
    try:
        call(visit)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(_back(visit, anchor))


def _with_form(request, pk, form_name: str, form, call, done: str, anchor: str = ""):
    visit = _own_visit(request, pk)
    if callable(form):
        form = form(visit)
    if form.is_valid() and run_service(form, lambda: call(visit, form.cleaned_data)) is not None:
        messages.success(request, done)
        return redirect(_back(visit, anchor))
    return _field_page(request, visit, status=400, **{form_name: form})


step = require_POST


@step
@role_required(Role.ENGINEER)
def reconfirm(request, pk):
    return _button(
        request,
        pk,
        lambda v: services.reconfirm_visit(actor=request.user, visit=v),
        _("Re-confirmed; the customer gets the confirmation SMS."),
        "step-2",
    )


@step
@role_required(Role.ENGINEER)
def depart(request, pk):
    return _button(
        request,
        pk,
        lambda v: services.depart_for_visit(actor=request.user, visit=v),
        _("On the way. Arrive 5 minutes early."),
        "step-3",
    )


@step
@role_required(Role.ENGINEER)
def late(request, pk):
    return _with_form(
        request,
        pk,
        "late_form",
        lambda v: LateNoticeForm(request.POST, visit=v),
        lambda v, d: services.notify_late(
            actor=request.user,
            visit=v,
            new_arrival_at=d["new_arrival_at"],
            reason=d["reason"],
            confirm_wording=bool(d.get("send_anyway")),
        ),
        _("The customer is told, with an apology and the new time."),
    )


@step
@role_required(Role.ENGINEER)
def arrive(request, pk):
    form = ArrivalForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return _button(
        request,
        pk,
        lambda v: services.record_arrival(
            actor=request.user,
            visit=v,
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
        ),
        _("Arrival recorded."),
        "step-3",
    )


@step
@role_required(Role.ENGINEER)
def knock(request, pk):
    return _button(
        request,
        pk,
        lambda v: services.record_knock(actor=request.user, visit=v),
        _("Knock recorded; the wait timer is running."),
        "step-3",
    )


@step
@role_required(Role.ENGINEER)
def call_failed(request, pk):
    return _button(
        request,
        pk,
        lambda v: services.record_failed_call(actor=request.user, visit=v),
        _("Unanswered call recorded."),
        "step-3",
    )


@step
@role_required(Role.ENGINEER)
def no_answer(request, pk):
    return _button(
        request,
        pk,
        lambda v: services.mark_no_answer(actor=request.user, visit=v),
        _("No answer recorded. File the visit note now."),
        "note",
    )


@step
@role_required(Role.ENGINEER)
def note(request, pk):
    return _with_form(
        request,
        pk,
        "note_form",
        VisitNoteForm(request.POST, request.FILES),
        lambda v, d: services.file_visit_note(actor=request.user, visit=v, **d),
        _("Visit note filed; the customer gets it by SMS too."),
    )


@step
@role_required(Role.ENGINEER)
def start(request, pk):
    return _with_form(
        request,
        pk,
        "door_form",
        DoorChecksForm(request.POST),
        lambda v, d: services.start_work(actor=request.user, visit=v, door_checks=d["door_checks"]),
        _("Work started. Record the network tests."),
        "step-4",
    )


@step
@role_required(Role.ENGINEER)
def measure(request, pk):
    return _with_form(
        request,
        pk,
        "measurement_form",
        MeasurementForm(request.POST),
        lambda v, d: services.add_measurement(actor=request.user, visit=v, **d),
        _("Network test recorded."),
        "step-4",
    )


@step
@role_required(Role.ENGINEER)
def import_log(request, pk):
    """Issue 18: a test log from the phone. The service decides; every wrong line of the file
    comes back under the file field at once."""
    visit = _own_visit(request, pk)
    form = MeasurementLogForm(request.POST, request.FILES, prefix="log")
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imported = services.import_measurement_log(
                actor=request.user,
                visit=visit,
                file_name=upload.name,
                # One byte past the cap is enough to say the file is too large.
                data=upload.read(measurement_logs.MAX_BYTES + 1),
                phase=form.cleaned_data["phase"],
                place=form.cleaned_data["place"],
            )
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            for line in getattr(exc, "lines", []):
                form.add_error("file", line)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s sample imported from %(file)s.",
                    "%(count)s samples imported from %(file)s.",
                    imported.sample_count,
                )
                % {"count": imported.sample_count, "file": imported.file_name},
            )
            return redirect(_back(visit, "step-4"))
    return _field_page(request, visit, status=400, log_form=form)


@step
@role_required(Role.ENGINEER)
def outcome(request, pk):
    return _with_form(
        request,
        pk,
        "outcome_form",
        OutcomeForm(request.POST),
        lambda v, d: services.record_outcome(actor=request.user, visit=v, **d),
        _("Result recorded."),
        "step-5",
    )


@step
@role_required(Role.ENGINEER)
def reply(request, pk):
    return _with_form(
        request,
        pk,
        "reply_form",
        ReplyForm(request.POST),
        lambda v, d: services.record_reply(
            actor=request.user,
            visit=v,
            message=d["message"],
            by_sms=d["by_sms"],
            confirm_wording=bool(d.get("send_anyway")),
        ),
        _("Reply recorded."),
        "step-5",
    )


@step
@role_required(Role.ENGINEER)
def handover(request, pk):
    """R16: ask for the handover; the customer's screen then asks for their code."""
    visit = _own_visit(request, pk)
    form = HandoverForm(request.POST, visit=visit)
    if form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.request_handover(
                actor=request.user,
                visit=visit,
                to_engineer=data["engineer"],
                start=data["start"],
                end=data["end"],
                note=data["note"],
                reason=data["reason"],
                confirm_wording=bool(data.get("send_anyway")),
            ),
        )
        if done is not None:
            return redirect("visits:handover_consent", pk=visit.pk)
    return _field_page(request, visit, status=400, handover_form=form)


@never_cache
@role_required(Role.ENGINEER)
def handover_consent(request, pk):
    """R16, the customer's screen on the engineer's phone (no staff navigation): who takes over,
    when and why, and the code the customer's phone received. Only the customer's code hands
    the visit over (visits.services.confirm_handover)."""
    visit = _own_visit(request, pk)
    pending = selectors.pending_handover(visit)
    context = {"visit": visit, "handover": pending, "form": HandoverCodeForm()}
    status = 200
    if pending is None:
        done = selectors.handover_out(visit)
        if done is None:
            messages.info(request, _("No handover is waiting for the customer's code."))
            return redirect(_back(visit))
        return render(request, "visits/handover_consent.html", {"visit": visit, "done": done})
    if request.method == "POST":
        form = HandoverCodeForm(request.POST)
        context["form"] = form
        if form.is_valid():
            try:
                services.confirm_handover(
                    actor=request.user, visit=visit, code=form.cleaned_data["code"]
                )
            except RuleViolation as exc:
                if exc.code in ("locked", "code_expired", "not_under_way", "handed_over"):
                    # The request can't be agreed to any more: the screen says so, no form.
                    context["closed"] = exc.message
                else:
                    form.add_error("code", exc.message)
                status = exc.status
            else:
                return redirect("visits:handover_consent", pk=visit.pk)
        else:
            status = 400
    return render(request, "visits/handover_consent.html", context, status=status)


@step
@role_required(Role.ENGINEER)
def complaint(request, pk):
    return _with_form(
        request,
        pk,
        "complaint_form",
        ComplaintForm(request.POST),
        lambda v, d: services.report_complaint_on_site(actor=request.user, visit=v, **d),
        _("Reported to the supervisor."),
    )


@step
@role_required(Role.ENGINEER)
def no_survey(request, pk):
    return _with_form(
        request,
        pk,
        "no_survey_form",
        NoSurveyForm(request.POST),
        lambda v, d: services.record_no_survey(actor=request.user, visit=v, **d),
        _("Recorded why there is no signed survey."),
        "step-5",
    )


@step
@role_required(Role.ENGINEER)
def leave(request, pk):
    return _with_form(
        request,
        pk,
        "leave_form",
        LeaveForm(request.POST),
        lambda v, d: services.leave_visit(actor=request.user, visit=v, **d),
        _("You have left the visit."),
        "step-5",
    )


@step
@role_required(Role.SUPERVISOR)
def complaint_follow_up(request, pk):
    """R17: the supervisor records the follow-up from the dashboard; the service decides."""
    visit = get_visit(request, pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up_complaint(
                actor=request.user, visit=visit, note=form.cleaned_data["note"]
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Follow-up recorded."))
    else:
        messages.error(request, _("Write what was done about the complaint."))
    # The dashboard's form names the page to come back to; visits names no page above it.
    return redirect(back_to(request, reverse("visits:detail", args=[visit.pk])))
