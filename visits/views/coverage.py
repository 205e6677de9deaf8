"""The supervisor's pages of network tests (issue 18): the after-fix share per team and the hot
cells of weak coverage, exportable; the grading thresholds, edited through the service."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from dispatch.dashboard.export import export
from dispatch.forms import run_service
from dispatch.periods import Period
from dispatch.permissions import role_required
from dispatch.roles import Role

from .. import coverage, services
from ..models import GradeThresholds, Network
from ..services.samples import THRESHOLD_FIELDS

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
        "visits/coverage.html",
        {"shares": shares, "cells": cells, "days": days, "periods": PERIODS},
    )


FIELDS = list(THRESHOLD_FIELDS)


class ThresholdsForm(forms.Form):
    """The model's fields, checked by the service (not by the model's constraints)."""

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and "data" not in kwargs and not args:
            kwargs["initial"] = {name: getattr(instance, name) for name in FIELDS}
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(GradeThresholds, fields=FIELDS))
        for field in self.fields.values():
            field.widget.attrs.update(inputmode="text")


class AddThresholdsForm(forms.Form):
    operator = forms.CharField(
        label=gettext_lazy("Operator"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("As the test app names it; empty for all operators."),
    )
    network = forms.ChoiceField(
        label=gettext_lazy("Network"), choices=Network.choices, widget=forms.RadioSelect
    )


def _thresholds_page(request, forms_by_pk: dict, status: int = 200, add_form=None):
    rows = list(GradeThresholds.objects.all())
    pairs = [
        (row, forms_by_pk.get(row.pk) or ThresholdsForm(instance=row, prefix=f"t{row.pk}"))
        for row in rows
    ]
    context = {"rows": pairs, "add_form": add_form or AddThresholdsForm(prefix="add")}
    return render(request, "visits/thresholds.html", context, status=status)


@require_POST
@role_required(Role.SUPERVISOR)
def add_thresholds(request):
    """Thresholds for one more operator and network; the service decides."""
    form = AddThresholdsForm(request.POST, prefix="add")
    if form.is_valid() and run_service(
        form, lambda: services.add_thresholds(actor=request.user, **form.cleaned_data)
    ):
        messages.success(request, _("Thresholds added; adjust them below."))
        return redirect("visits:thresholds")
    return _thresholds_page(request, {}, status=400, add_form=form)


@require_GET
@role_required(Role.SUPERVISOR)
def thresholds(request):
    return _thresholds_page(request, {})


@require_POST
@role_required(Role.SUPERVISOR)
def update_thresholds(request, pk):
    """One row: the service checks and saves (a supervisor's)."""
    row = get_object_or_404(GradeThresholds, pk=pk)
    form = ThresholdsForm(request.POST, prefix=f"t{pk}")
    if form.is_valid() and run_service(
        form,
        lambda: services.update_thresholds(actor=request.user, thresholds=row, **form.cleaned_data),
    ):
        messages.success(request, _("Thresholds saved; new verdicts use them."))
        return redirect("visits:thresholds")
    return _thresholds_page(request, {row.pk: form}, status=400)
