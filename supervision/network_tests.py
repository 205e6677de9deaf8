"""The supervisor's page of network tests (issue 18): per team, the share of visits with a test
after the fix; the hot cells where tests found weak coverage, ranked; both exportable (CSV/XLSX,
neutralised like the dashboard's). The figures are visits' selectors (visits.coverage)."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dispatch.periods import Period
from dispatch.permissions import role_required
from dispatch.roles import Role
from visits import coverage

from .dashboard.export import export

PERIODS = (7, 30, 90)


def _tables(shares, cells) -> dict:
    return {
        "teams": (
            [_("Team"), _("Visits finished"), _("With an after-fix test"), _("Share (%)")],
            [[s.team, s.visits, s.with_after, s.share] for s in shares],
        ),
        "cells": (
            [
                _("Cell"),
                _("Network"),
                _("Visits with weak coverage"),
                _("Still weak after the fix"),
                _("Weak samples (%)"),
                _("Mean RSRP (dBm)"),
                _("Place"),
                _("Address"),
                _("Last tested"),
            ],
            [
                [
                    c["cell_id"],
                    c["network"].upper(),
                    c["weak_visits"],
                    c["still_weak_after"],
                    c["weak_share"],
                    c["mean_rsrp"],
                    c["place"],
                    c["address"],
                    c["last_tested"],
                ]
                for c in cells
            ],
        ),
    }


@require_GET
@role_required(Role.SUPERVISOR)
def report(request):
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    since, until = Period.last_days(days).bounds
    shares = coverage.after_fix_share(since, until)
    cells = coverage.weak_cells(since, until)
    fmt, table = request.GET.get("export"), request.GET.get("table")
    tables = _tables(shares, cells)
    if fmt in ("csv", "xlsx") and table in tables:
        headers, rows = tables[table]
        return export(f"network-tests-{table}", headers, rows, fmt)
    return render(
        request,
        "supervision/network_tests.html",
        {"shares": shares, "cells": cells, "days": days, "periods": PERIODS},
    )
