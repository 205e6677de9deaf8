"""The supervisor's dashboard page, its live partial, exports and in-place actions (htmx)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dispatch import services
from dispatch.forms import ContactForm, TransferForm, run_service
from dispatch.links import url_format
from dispatch.models import DeadlineKind, Ticket
from dispatch.notifications import template_label
from dispatch.people import display_name
from dispatch.permissions import role_required
from dispatch.roles import Role
from dispatch.selectors import failed_customer_sms
from visits import selectors as visit_selectors

from ..approvals import inbox
from . import charts, selectors
from .board import read_board
from .export import export

User = get_user_model()


def _pct(value):
    return "" if value is None else value


def _record_row(record, name, teams=""):
    return [
        name,
        teams,
        record.visits,
        _pct(record.punctuality),
        record.late_notices,
        record.late_reschedules,
        _pct(record.kit_rate),
        record.no_answer,
        _pct(record.notes_rate),
        _pct(record.replies_rate),
        record.surveys,
        _pct(record.satisfaction),
    ]


def _tables(board):
    """Every table of the page as (headers, rows), for the exports."""
    now = timezone.now()
    overdue_rows = [
        [
            DeadlineKind(d.kind).label,
            d.ticket.number,
            d.ticket.customer_name,
            display_name(d.responsible),
            d.due_at,
            int((now - d.due_at).total_seconds() // 60),
            d.last_contact_at,
        ]
        for _kind, rows in board.watchlist.sections
        for d in rows
    ]
    record_headers = [
        _("Engineer"),
        _("Teams"),
        _("Visits"),
        _("Punctuality %"),
        _("Late notices"),
        _("Late reschedules"),
        _("Kit before arrival %"),
        _("No answer"),
        _("Notes on time %"),
        _("Replies on time %"),
        _("Surveys"),
        _("Satisfaction (1–5)"),
    ]
    people = [_record_row(r, display_name(r.engineer), "、".join(r.teams)) for r in board.records]
    team_rows = [[row[0], *row[2:]] for row in (_record_row(t, t.engineer) for t in board.teams)]
    return {
        "overdue": (
            [
                _("Deadline"),
                _("Ticket"),
                _("Customer"),
                _("Responsible"),
                _("Due at"),
                _("Overdue (min)"),
                _("Last contact"),
            ],
            overdue_rows,
        ),
        "engineers": (record_headers, people),
        "teams": ([_("Team"), *record_headers[2:]], team_rows),
        "weekly": (
            [_("Week"), _("Arrivals"), _("Punctuality %"), _("Kit before arrival %")],
            [
                [w["week"].date(), w["arrived"], w["punctuality"], w["kit_rate"]]
                for w in board.trend
            ],
        ),
    }


@dataclass(frozen=True, slots=True)
class WatchRow:
    """One overdue row of the page, as it prints it."""

    pk: int
    number: str
    ticket_url: str
    actions_url: str
    customer: str
    responsible: str
    due_iso: str
    due: str
    overdue_by: str
    last_contact: str


def _watch_rows(deadlines, now) -> list[WatchRow]:
    """The overdue rows formatted once here, not by the template: its two `{% url %}`, three
    `|date` and a `|timesince` per row were 18 ms of the page's ~100 for its 80 rows (make
    bench, docs/benchmarks.md). The same text: local times, the names as every page says them."""
    ticket_url = url_format("dispatch:ticket_detail")
    actions_url = url_format("supervision:dashboard_row_actions")

    def moment(value):
        return f"{timezone.localtime(value):%m-%d %H:%M}" if value else ""

    return [
        WatchRow(
            pk=d.pk,
            number=d.ticket.number,
            ticket_url=ticket_url.format(d.ticket.number),
            actions_url=f"{actions_url.format(d.ticket.number)}?row={d.pk}",
            customer=d.ticket.customer_name or "—",
            responsible=display_name(d.responsible),
            due_iso=timezone.localtime(d.due_at).isoformat(),
            due=moment(d.due_at),
            overdue_by=timesince(d.due_at, now),
            last_contact=moment(d.last_contact_at),
        )
        for d in deadlines
    ]


@role_required(Role.SUPERVISOR)
def dashboard(request):
    board = read_board(request.GET)
    table = request.GET.get("table")
    if request.GET.get("export") in ("csv", "xlsx"):
        tables = _tables(board)
        if table in tables:
            headers, rows = tables[table]
            return export(table, headers, rows, request.GET["export"])

    records, trend = board.records, board.trend
    now = timezone.now()
    sections = board.watchlist.sections
    names = [display_name(r.engineer) for r in records]
    context = {
        "board": board,
        "period": board.period,
        "sections": [
            (DeadlineKind(kind).label, kind, _watch_rows(rows, now))
            for kind, rows in sections
            if rows
        ],
        "clear_sections": [DeadlineKind(kind).label for kind, rows in sections if not rows],
        "soon": board.watchlist.soon,
        "records": records,
        "teams": board.teams,
        "trend": trend,
        "query": request.GET.urlencode(),
        "limit": selectors.SECTION_LIMIT,
        "all_overdue_url": reverse("dispatch:ticket_list") + "?overdue=on",
        "now": now,
        # R17: complaints on site stay here until the supervisor records the follow-up.
        "complaints": list(
            visit_selectors.complaints_awaiting_follow_up()[: selectors.SECTION_LIMIT]
        ),
        # Customer SMS that failed (issue 16): until a supervisor sends them again.
        "failed_sms": [
            (n, template_label(n.template))
            for n in failed_customer_sms()[: selectors.SECTION_LIMIT]
        ],
        # Issue 17: what customers did on their appointment links today.
        "customers_today": selectors.customers_today(),
        "punctuality_chart": charts.bar_chart(
            _("Punctuality by engineer"),
            list(zip(names, [r.punctuality for r in records], strict=True)),
        ),
        "replies_chart": charts.bar_chart(
            _("Replies on time by engineer"),
            list(zip(names, [r.replies_rate for r in records], strict=True)),
        ),
        "trend_chart": charts.line_chart(
            _("Weekly trend"),
            {
                _("Punctuality"): [w["punctuality"] for w in trend],
                _("Kit before arrival"): [w["kit_rate"] for w in trend],
            },
            [w["week"].strftime("%m-%d") for w in trend],
        ),
    }
    if request.headers.get("HX-Request"):
        return render(request, "supervision/dashboard/live.html", context)
    # Issue 15: the approvals inbox is a region of the page, refreshed on its own.
    context |= inbox(request, back=request.get_full_path())
    return render(request, "supervision/dashboard/page.html", context)


@require_GET
@role_required(Role.SUPERVISOR)
def row_actions(request, number):
    """The contact and reassign forms of one overdue row, loaded when "Act" is opened: the page
    itself stays light however many rows it shows (make bench)."""
    ticket = get_object_or_404(Ticket, number=number)
    row = request.GET.get("row", "")
    return render(
        request,
        "supervision/dashboard/row_actions.html",
        {
            "ticket": ticket,
            "row": row if row.isdigit() else ticket.pk,
            "transfer_users": TransferForm(ticket=ticket).fields["to_user"].queryset,
        },
    )


def _refresh():
    """Tell the page to reload its live part; the row the action was on disappears if kept."""
    response = HttpResponse(status=204)
    response["HX-Trigger"] = "dashboard-refresh"
    return response


@require_POST
@role_required(Role.SUPERVISOR)
def contact(request, number):
    """R6: record a customer contact from the dashboard row."""
    ticket = get_object_or_404(Ticket, number=number)
    form = ContactForm(request.POST)
    if form.is_valid() and run_service(
        form,
        lambda: services.record_contact(actor=request.user, ticket=ticket, **form.cleaned_data),
    ):
        return _refresh()
    # 200, not 4xx: htmx swaps the errors into the row only for a successful response.
    return render(request, "supervision/dashboard/row_errors.html", {"form": form})


@require_POST
@role_required(Role.SUPERVISOR)
def reassign(request, number):
    """R3/R4: a supervisor hands the ticket to someone else from the dashboard row."""
    ticket = get_object_or_404(Ticket, number=number)
    form = TransferForm(request.POST, ticket=ticket)
    if form.is_valid() and run_service(
        form,
        lambda: services.transfer_ticket(
            actor=request.user,
            ticket=ticket,
            to_user=form.cleaned_data["to_user"],
            note=form.cleaned_data["note"],
        ),
    ):
        return _refresh()
    # 200, not 4xx: htmx swaps the errors into the row only for a successful response.
    return render(request, "supervision/dashboard/row_errors.html", {"form": form})
