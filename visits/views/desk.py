"""The dispatcher's pages: the day/week board, booking from a ticket with conflicts shown before
submitting, the desk view of a visit, and the reschedule and cancel dialogs (R7, R11)."""

import math
from datetime import date, datetime, timedelta
from functools import cache
from html import escape

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dispatch.errors import RuleViolation
from dispatch.forms import DecisionForm, run_service
from dispatch.models import Notification, Ticket
from dispatch.people import display_name
from dispatch.permissions import DESK, role_required
from dispatch.redirects import back_to
from dispatch.roles import Role, has_role
from dispatch.rules import RESCHEDULE_LEAD
from dispatch.selectors import tickets_for

from .. import extensions, selectors, services, verdicts
from ..forms import BoardForm, BookingForm, CancelForm, RescheduleForm, SlotForm
from ..models import RescheduleRequest, Visit, VisitStatus
from ..services.booking import clash_message
from .common import get_visit, preview_sms, timeline


class Window:
    """The hours the day board spans: the working day, widened to show any visit outside it.
    Moments are seconds since 1970, as the board reads them (selectors.BoardVisit)."""

    def __init__(self, day: date | None = None):
        self.day = day
        self.first_hour = selectors.WORKDAY_START.hour
        self.last_hour = selectors.WORKDAY_END.hour
        self.midnight = selectors.day_start(day).timestamp() if day else 0.0

    @property
    def minutes(self) -> int:
        return (self.last_hour - self.first_hour) * 60

    def widen(self, start: float, end: float) -> None:
        first = (start - self.midnight) / 3600
        last = (end - self.midnight) / 3600
        self.first_hour = max(0, min(self.first_hour, math.floor(first)))
        self.last_hour = min(24, max(self.last_hour, math.ceil(last)))

    def origin(self) -> datetime:
        return selectors.day_start(self.day) + timedelta(hours=self.first_hour)

    def positions(self):
        """Left and width, in % of the window, of a block on the day board, (start, end) → two
        strings as CSS wants them (never 1e-05), written once here rather than by a filter per
        block. Once the window is widened."""
        origin = self.origin().timestamp()
        minutes = float(self.minutes)

        def position(start: float, end: float) -> tuple[str, str]:
            first = max(0.0, (start - origin) / 60)
            last = min(minutes, (end - origin) / 60)
            return f"{100 * first / minutes:.3f}", f"{100 * max(0.0, last - first) / minutes:.3f}"

        return position

    def hours(self) -> list[dict]:
        return [
            {"label": f"{h:02d}", "left": round(100 * (h - self.first_hour) * 60 / self.minutes, 3)}
            for h in range(self.first_hour, self.last_hour + 1, 2)
        ]


# The board's blocks and chips are written as markup here, one f-string each: as template nodes,
# a day's ~1,000 blocks and a week's ~6,700 chips were most of the page's time
# (docs/benchmarks.md, "Board"). Every value in them is escaped (html.escape, as Django's).


def _week(rows, today: date) -> None:
    """The week view's cells, per engineer and day: the visit chips, and under them the free
    hours left ("free 1.5 h") or "full" for a day to come with no free time, each wording made
    once per number of minutes rather than by a blocktranslate and a filter per cell."""
    label = cache(escape)  # a handful of statuses

    @cache
    def free(minutes: int) -> str:
        return _("free %(h)s h") % {"h": floatformat(round(minutes / 60, 1), "-1")}

    for row in rows:
        for board_day in row.days:
            chips = []
            for visit in board_day.visits:  # selectors.BoardVisit's fields
                _pk, _who, _at, _to, status, number, name, url, start_hm, end_hm, state = visit
                chips.append(
                    f'<a class="chip status-{status}" href="{url}" '
                    f'title="{escape(number)} · {label(state)}">'
                    f"{start_hm}–{end_hm} {escape(name)}</a>"
                )
            board_day.chips = mark_safe("".join(chips))  # noqa: S308 - every value is escaped
            minutes = board_day.free_minutes
            if minutes:
                board_day.note = free(minutes)
            elif board_day.visits and board_day.day >= today:
                board_day.note = _("full")
            else:
                board_day.note = ""


def _visit_blocks(visits, position, label) -> str:
    """The day view's visits of one engineer."""
    blocks = []
    for visit in visits:  # selectors.BoardVisit's fields
        _pk, _who, start_at, end_at, status, number, name, url, start_hm, end_hm, state = visit
        left, width = position(start_at, end_at)
        name = escape(name)
        blocks.append(
            f'<a class="slot busy status-{status}" style="left:{left}%;width:{width}%" '
            f'href="{url}" title="{start_hm}–{end_hm} {escape(number)} {name} · '
            f'{label(state)}"><span>{start_hm}</span><span>{name}</span></a>'
        )
    return mark_safe("".join(blocks))  # noqa: S308 - every value above is escaped


def _free_blocks(free, position, *, book: str, engineer, day: date) -> str:
    """The day view's free time of one engineer; when a ticket is being booked (`book`, the
    booking form's address), each cell a link that opens the form filled in."""
    word = escape(_("Free"))
    blocks = []
    if book:
        who = escape(display_name(engineer))
        link = f"{escape(book)}?engineer={engineer.pk}&amp;day={day:%Y-%m-%d}"
        book_label = _("Book %(who)s %(s)s–%(e)s")
    for start, end in free:
        left, width = position(start.timestamp(), end.timestamp())
        start_hm = f"{timezone.localtime(start):%H:%M}"
        end_hm = f"{timezone.localtime(end):%H:%M}"
        if book:
            minutes = min(60, int((end - start).total_seconds() // 60))
            aria = book_label % {"who": who, "s": start_hm, "e": end_hm}
            blocks.append(
                f'<a class="slot free cell" style="left:{left}%;width:{width}%" '
                f'href="{link}&amp;start_time={start_hm}&amp;duration={minutes}" '
                f'aria-label="{aria}" title="{word} {start_hm}–{end_hm}">'
                f"<span>{start_hm}</span></a>"
            )
        else:
            blocks.append(
                f'<span class="slot free" style="left:{left}%;width:{width}%" '
                f'title="{word} {start_hm}–{end_hm}"><span>{word}</span>'
                f"<span>{start_hm}–{end_hm}</span></span>"
            )
    return mark_safe("".join(blocks))  # noqa: S308 - every value above is escaped


# A free time is offered in cells of at most an hour when a ticket is being booked (issue 15):
# a click on one opens the booking form with that engineer and time. A cell starts on a quarter
# hour and lasts one at least (the free time left of "now" at 10:14 is offered from 10:30).
CELL = timedelta(hours=1)
QUARTER = timedelta(minutes=15)


def _cells(start, end) -> list[tuple]:
    """A free time cut at the hours: 09:20–11:00 → 09:30–10:00, 10:00–11:00."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    start = hour + QUARTER * math.ceil((start - hour) / QUARTER)
    cells = []
    while end - start >= QUARTER:
        step = min(end, start.replace(minute=0, second=0, microsecond=0) + CELL)
        if step - start >= QUARTER:
            cells.append((start, step))
        start = step
    return cells


def _decorate(rows, day: date, highlight: dict | None, book: str = "") -> Window:
    """Block markup for the day view: visits, free time (in cells of an hour, each a link to the
    booking form `book`, when a ticket is being booked) and the proposed slot's geometry."""
    window = Window(day)
    for row in rows:
        for _pk, _who, start_at, end_at, *_rest in row.days[0].visits:
            window.widen(start_at, end_at)
    if highlight:
        window.widen(highlight["start"].timestamp(), highlight["end"].timestamp())
    position = window.positions()
    if highlight:
        left, width = position(highlight["start"].timestamp(), highlight["end"].timestamp())
        highlight.update(left=left, width=width)
    label = cache(escape)  # a handful of statuses
    for row in rows:
        board_day = row.days[0]
        board_day.visit_markup = _visit_blocks(board_day.visits, position, label)
        free = board_day.free
        if book:
            free = [cell for s, e in free for cell in _cells(s, e)]
        board_day.free_markup = _free_blocks(
            free, position, book=book, engineer=row.engineer, day=board_day.day
        )
    return window


def _now_line(window: Window, day: date) -> dict | None:
    """Today's "now" on the day board, where the server drew it; static/js/board.js moves it."""
    now = timezone.now()
    origin = window.origin()
    if day != timezone.localdate() or not origin <= now <= origin + timedelta(
        minutes=window.minutes
    ):
        return None
    left, width = window.positions()(now.timestamp(), now.timestamp())
    return {
        "hm": f"{timezone.localtime(now):%H:%M}",
        "origin": origin.isoformat(),
        "left": left,
        "width": width,
    }


def _legend(view: str, booking: bool) -> list[dict]:
    """Every colour of the board, in words; the status names are the visits' own."""
    label = dict(VisitStatus.choices)

    def names(*statuses) -> str:
        return "、".join(str(label[s]) for s in statuses)

    S = VisitStatus
    keys = [
        {"css": "busy", "label": names(S.BOOKED, S.CONFIRMED, S.EN_ROUTE, S.ARRIVED, S.AT_WORK)},
        {"css": "busy status-resolved", "label": names(S.RESOLVED, S.REPLIED, S.HANDED_OVER)},
        {"css": "busy status-unresolved", "label": names(S.UNRESOLVED, S.NO_ANSWER)},
    ]
    if view == "week":
        keys.append({"css": "today", "label": _("Today's column")})
        return keys
    keys.append({"css": "free", "label": _("Free")})
    if booking:
        keys += [
            {"css": "proposed", "label": _("The time being booked")},
            {"css": "proposed clash", "label": _("The time being booked, taken already")},
        ]
    keys.append({"css": "now", "label": _("Now")})
    return keys


def _ticket(request, number: str) -> Ticket:
    try:
        return tickets_for(request.user).get(number=number)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def board_context(day: date, view: str = "day", ticket=None, highlight=None) -> dict:
    if view == "week":
        monday = day - timedelta(days=day.weekday())
        days = [monday + timedelta(days=i) for i in range(7)]
        step = timedelta(days=7)
    else:
        days, step = [day], timedelta(days=1)
    rows = selectors.board(days)
    book_url = reverse("visits:book", args=[ticket.number]) if ticket else ""
    now_line = None
    if view == "day":
        window = _decorate(rows, day, highlight, book_url)
        now_line = _now_line(window, day)
    else:
        window = Window()
        _week(rows, timezone.localdate())
    return {
        "rows": rows,
        "days": days,
        "day": day,
        "view": view,
        "prev_day": day - step,
        "next_day": day + step,
        "today": timezone.localdate(),
        "hours": window.hours(),
        "window_hours": window.last_hour - window.first_hour,
        "booking_ticket": ticket,
        "book_url": book_url,
        "highlight": highlight,
        "now_line": now_line,
        "window_minutes": window.minutes,
        "legend": _legend(view, ticket is not None),
    }


@role_required(*DESK)
def board(request):
    form = BoardForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    day = data.get("day") or timezone.localdate()
    view = data.get("view") or "day"
    number = request.GET.get("ticket")
    ticket = _ticket(request, number) if number else None
    context = board_context(day, view, ticket)
    # Issue 15: the tickets waiting for a visit, beside the board; one is picked to book it.
    context["waiting"] = selectors.waiting_tickets()
    # "Choose a time" opens the day shown, or today from the week view.
    context["pick_day"] = f"{day if view == 'day' else timezone.localdate():%Y-%m-%d}"
    # Planning's day optimizer, when installed (visits names no page above it).
    context["optimize_url"] = extensions.desk_page(extensions.OPTIMIZE_DAY, day)
    if has_role(request.user, Role.SUPERVISOR):
        context["pending_requests"] = selectors.pending_requests()
    return render(request, "visits/board.html", context)


def _slot_initial_from(request) -> dict:
    return {
        key: request.GET[key]
        for key in ("engineer", "day", "start_time", "duration")
        if request.GET.get(key)
    }


def _slot_initial(request) -> dict:
    return {"day": timezone.localdate(), "duration": 60, **_slot_initial_from(request)}


def _check(form, *, ticket: Ticket, visit: Visit | None = None) -> dict:
    """R7 before submitting: is the slot free, and what SMS will the customer get (R26)?"""
    result = {"ok": False, "problem": None, "sms": None, "highlight": None}
    reason = form.data.get("reason") if form.is_bound else None
    form = SlotForm(form.data if form.is_bound else None)  # the slot only, not the reason
    if not form.is_valid() or "start" not in form.cleaned_data:
        return result
    data = form.cleaned_data
    engineer, start, end = data["engineer"], data["start"], data["end"]
    result["highlight"] = {"engineer_id": engineer.pk, "start": start, "end": end}
    try:
        services.check_slot(start=start, end=end)
        clash = selectors.first_clash(engineer=engineer, start=start, end=end, exclude=visit)
        if clash is not None:
            raise RuleViolation("engineer_busy", clash_message(engineer, clash), status=409)
        result["ok"] = True
    except RuleViolation as exc:
        result["problem"] = exc.message
    result["highlight"]["ok"] = result["ok"]
    draft = Visit(ticket=ticket, engineer=engineer, start=start, end=end)
    if visit is None:
        result["sms"] = preview_sms("visit_booked", draft)
    else:
        reason = reason or _("(reason)")
        result["sms"] = preview_sms(
            "visit_rescheduled", draft, old_start=visit.start, reason=reason
        )
    return result


def _day_of(form) -> date:
    slot = SlotForm(form.data if form.is_bound else None)
    return slot.cleaned_data["day"] if slot.is_valid() else timezone.localdate()


@role_required(*DESK)
def book(request, number):
    ticket = _ticket(request, number)
    form = BookingForm(request.POST or None, initial=_slot_initial(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        visit = run_service(
            form,
            lambda: services.book_visit(
                actor=request.user,
                ticket=ticket,
                engineer=data["engineer"],
                start=data["start"],
                end=data["end"],
            ),
        )
        if visit is not None:
            messages.success(
                request,
                _("Visit booked for %(start)s; the customer gets the booking SMS.")
                % {"start": timezone.localtime(visit.start).strftime("%m-%d %H:%M")},
            )
            return redirect("visits:detail", pk=visit.pk)
    check_form = form if form.is_bound else BookingForm(_slot_initial(request))
    check = _check(check_form, ticket=ticket)
    day = _day_of(check_form)
    context = {
        "ticket": ticket,
        "form": form,
        "check": check,
        "active_visit": selectors.active_visit_of(ticket),
        # Suggested engineers and times (planning), loaded into the page when installed.
        "suggestions_url": extensions.desk_page(extensions.SUGGESTIONS, ticket),
        **board_context(day, "day", ticket, check["highlight"]),
    }
    return render(request, "visits/book.html", context, status=400 if form.errors else 200)


@role_required(*DESK)
def check(request):
    """htmx: the conflict check, the SMS preview and the engineer's day, as the form changes."""
    visit = None
    if request.GET.get("visit"):
        visit = get_visit(request, request.GET["visit"])
        ticket = visit.ticket
        form = RescheduleForm(request.GET)
    else:
        ticket = _ticket(request, request.GET.get("ticket", ""))
        form = BookingForm(request.GET)
    result = _check(form, ticket=ticket, visit=visit)
    day = _day_of(form)
    context = {
        "check": result,
        "ticket": ticket,
        **board_context(day, "day", ticket, result["highlight"]),
    }
    return render(request, "visits/_slot_check.html", context)


def _desk_page(request, visit: Visit, status: int = 200, **extra):
    outbox = Notification.objects.filter(key__startswith=f"visit:{visit.pk}:", channel="sms")
    context = {
        "visit": visit,
        "timeline": timeline(visit),
        "outbox": outbox.order_by("created_at"),
        "can_move": VisitStatus.RESCHEDULED in visit.can_transition_to,
        "late_for_reschedule": services.is_late_for_reschedule(visit),
        "is_supervisor": has_role(request.user, Role.SUPERVISOR),
        "decision_form": DecisionForm(),
        # Issue 18: the imported test logs and the before-and-after verdicts.
        "imports": list(visit.measurement_imports.all()),
        "verdicts": verdicts.visit_verdicts(visit.pk),
        **extra,
    }
    return render(request, "visits/visit_desk.html", context, status=status)


def _dialog(request, visit, template, form, status=200):
    now = timezone.now()
    context = {
        "visit": visit,
        "ticket": visit.ticket,  # the SMS preview says whose phone it goes to
        "form": form,
        "minutes_left": max(0, int((visit.start - now).total_seconds() // 60)),
        "late": services.is_late_for_reschedule(visit, now),
        "deadline": visit.start - RESCHEDULE_LEAD,
        "can_move": VisitStatus.RESCHEDULED in visit.can_transition_to,
        "is_supervisor": has_role(request.user, Role.SUPERVISOR),
    }
    if template == "visits/reschedule.html":
        check_form = form if form.is_bound else RescheduleForm(_reschedule_initial(visit))
        context["check"] = _check(check_form, ticket=visit.ticket, visit=visit)
    return render(request, template, context, status=status)


def _reschedule_initial(visit: Visit) -> dict:
    start = timezone.localtime(visit.start)
    return {
        "engineer": visit.engineer_id,
        "day": start.date(),
        "start_time": start.strftime("%H:%M"),
        "duration": visit.duration_minutes,
    }


@role_required(*DESK)
def reschedule(request, pk):
    """R11: reason, apology, new time agreed with the customer; under 2 h only for force
    majeure with a supervisor's approval (a dispatcher's request waits for one)."""
    visit = get_visit(request, pk)
    # A suggestion (planning) opens the dialog with its engineer and time filled in.
    initial = {**_reschedule_initial(visit), **_slot_initial_from(request)}
    form = RescheduleForm(request.POST or None, initial=initial)
    if form.is_bound:  # an empty POST shows the dialog, as a GET does
        valid = form.is_valid()
        data = form.cleaned_data
        args = {
            "actor": request.user,
            "visit": visit,
            "start": data.get("start"),
            "end": data.get("end"),
            "engineer": data.get("engineer"),
            "reason": data.get("reason", ""),
            "customer_agreed": data.get("customer_agreed", False),
            "confirm_wording": form.wording_confirmed(),
        }
        force_majeure = data.get("force_majeure", False)
        # R11: the service says whether this change is sent to a supervisor or made now.
        to_supervisor = services.needs_supervisor_approval(
            actor=request.user, visit=visit, force_majeure=force_majeure
        )
        if not valid:
            # Issue 15: what the form could read is checked too, so every error shows now.
            run_service(
                form, lambda: services.check_reschedule(**args, force_majeure=force_majeure)
            )
        elif to_supervisor:
            req = run_service(form, lambda: services.request_late_reschedule(**args))
            if req is not None:
                messages.warning(
                    request,
                    _("Sent to a supervisor for approval; the visit stays as it is until then."),
                )
                return redirect("visits:detail", pk=visit.pk)
        else:
            new = run_service(
                form,
                lambda: services.reschedule_visit(**args, force_majeure=force_majeure),
            )
            if new is not None:
                messages.success(
                    request, _("Visit rescheduled; the customer gets the apology SMS.")
                )
                return redirect("visits:detail", pk=new.pk)
    status = 400 if form.errors else 200
    return _dialog(request, visit, "visits/reschedule.html", form, status)


@role_required(*DESK)
def cancel(request, pk):
    """R11: reason, apology and the customer's agreement; under 2 h only for force majeure with
    a supervisor's approval (a dispatcher's request waits for one), as with a reschedule."""
    visit = get_visit(request, pk)
    form = CancelForm(request.POST or None)
    if form.is_bound:  # an empty POST shows the dialog, as a GET does
        valid = form.is_valid()
        data = form.cleaned_data
        args = {
            "actor": request.user,
            "visit": visit,
            "reason": data.get("reason", ""),
            "customer_agreed": data.get("customer_agreed", False),
            "confirm_wording": form.wording_confirmed(),
        }
        force_majeure = data.get("force_majeure", False)
        # R11: the service says whether this change is sent to a supervisor or made now.
        to_supervisor = services.needs_supervisor_approval(
            actor=request.user, visit=visit, force_majeure=force_majeure
        )
        if not valid:
            run_service(form, lambda: services.check_cancel(**args, force_majeure=force_majeure))
        elif to_supervisor:
            if run_service(form, lambda: services.request_late_cancel(**args)) is not None:
                messages.warning(
                    request,
                    _("Sent to a supervisor for approval; the visit stays as it is until then."),
                )
                return redirect("visits:detail", pk=visit.pk)
        elif run_service(
            form,
            lambda: services.cancel_visit(**args, force_majeure=force_majeure),
        ):
            messages.success(request, _("Visit cancelled; the customer gets the apology SMS."))
            return redirect("visits:detail", pk=visit.pk)
    status = 400 if form.errors else 200
    return _dialog(request, visit, "visits/cancel.html", form, status)


@require_POST
@role_required(Role.SUPERVISOR)
def decide(request, pk):
    """R11: a supervisor approves or rejects a late reschedule, on the visit's page or in the
    approvals inbox (whose form names itself as `next`: it goes back there)."""
    try:
        req = RescheduleRequest.objects.get(pk=pk)
    except RescheduleRequest.DoesNotExist as exc:
        raise Http404 from exc
    inbox = request.POST.get("next")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        if inbox:
            return redirect(back_to(request, reverse("visits:detail", args=[req.visit_id])))
        visit = get_visit(request, req.visit_id)
        return _desk_page(request, visit, status=400, decision_form=form)
    approve = form.cleaned_data["approve"]
    result = run_service(
        form,
        lambda: services.decide_reschedule_request(
            actor=request.user, request=req, approve=approve, note=form.cleaned_data.get("note", "")
        ),
    )
    if result is None:
        for error in form.non_field_errors():
            messages.error(request, error)
    elif approve:
        messages.success(request, _("Late change approved; counted as a violation."))
        new = Visit.objects.filter(rescheduled_from_id=req.visit_id).first()
        if new is not None and not inbox:
            return redirect("visits:detail", pk=new.pk)
    else:
        messages.info(request, _("Late reschedule rejected; the visit stays as booked."))
    return redirect(back_to(request, reverse("visits:detail", args=[req.visit_id])))
