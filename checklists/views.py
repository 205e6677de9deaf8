"""Pages of the pre-visit check: the engineer's kit on the phone, the supervisor's items and
report. Views read through selectors and change state through services."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dispatch.errors import RuleViolation
from dispatch.forms import run_service
from dispatch.permissions import DESK, role_required
from dispatch.roles import Role
from dispatch.rules import self_check_window
from visits.models import Visit

from . import selectors, services
from .forms import ItemForm, PeriodForm, TickForm
from .models import ChecklistItem


def _get_visit(request, pk) -> Visit:
    try:
        return selectors.kit_visit(request.user, pk)
    except Visit.DoesNotExist as exc:
        raise Http404 from exc


def _visit_page(visit: Visit) -> str:
    """The visit's own page: the engineer goes back to step 3 from here."""
    return reverse("visits:detail", args=[visit.pk])


@role_required(Role.ENGINEER, *DESK)
def visit_kit(request, pk):
    """R21 step 2: the engineer ticks the kit and self-check on the phone, one tap an item."""
    visit = _get_visit(request, pk)
    is_engineer = visit.engineer_id == request.user.pk
    editable = is_engineer and services.kit_is_editable(visit)
    if editable and not hasattr(visit, "kit_run"):
        services.open_kit(actor=request.user, visit=visit)
        visit = _get_visit(request, pk)
    state = selectors.kit_state(visit, editable=editable)
    return render(
        request,
        "checklists/visit_kit.html",
        {
            "visit": visit,
            "state": state,
            "visit_page": _visit_page(visit),
            "self_check_minutes": int(self_check_window().total_seconds() // 60),
        },
    )


@require_POST
@role_required(Role.ENGINEER)
def visit_kit_tick(request, pk):
    """The tap without JavaScript: a plain form post, then back to the list at the same item."""
    visit = _get_visit(request, pk)
    form = TickForm(request.POST)
    anchor = ""
    if form.is_valid():
        data = form.cleaned_data
        anchor = f"#kit-item-{data['item']}"
        try:
            services.tick_item(
                actor=request.user,
                visit=visit,
                item=data["item"],
                ticked=data["ticked"],
                substitute=data["substitute"],
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("That tap could not be read; please try again."))
    return redirect(reverse("checklists:visit_kit", args=[visit.pk]) + anchor)


@role_required(Role.ENGINEER)
def my_kits(request):
    return render(
        request,
        "checklists/my_kits.html",
        {"visits": selectors.upcoming_kits(request.user)[:50]},
    )


# Supervisor: the items (R20) and the report.


def _items_page(request, form=None, status=200):
    items = list(selectors.items_for_editing())
    return render(
        request,
        "checklists/items.html",
        {
            "active_items": [item for item in items if item.active],
            "retired_items": [item for item in items if not item.active],
            "form": form or ItemForm(),
            "changes": selectors.recent_item_changes(),
        },
        status=status,
    )


@role_required(Role.SUPERVISOR)
def items(request):
    return _items_page(request)


@require_POST
@role_required(Role.SUPERVISOR)
def item_add(request):
    form = ItemForm(request.POST)
    if form.is_valid() and run_service(
        form, lambda: services.create_item(actor=request.user, **form.cleaned_data)
    ):
        messages.success(request, _("Item added. Kits opened from now on ask it."))
        return redirect("checklists:items")
    return _items_page(request, form=form, status=400)


@role_required(Role.SUPERVISOR)
def item_edit(request, pk):
    item = get_object_or_404(ChecklistItem, pk=pk)
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        # ModelForm validation must not touch the row: the service saves it.
        data = {field: form.cleaned_data[field] for field in form.Meta.fields}
        item.refresh_from_db()
        if run_service(form, lambda: services.update_item(actor=request.user, item=item, **data)):
            messages.success(request, _("Item saved. Kits already opened keep their wording."))
            return redirect("checklists:items")
    return render(
        request,
        "checklists/item_form.html",
        {"form": form, "item": item},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required(Role.SUPERVISOR)
def item_move(request, pk):
    item = get_object_or_404(ChecklistItem, pk=pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.move_item(actor=request.user, item=item, offset=offset)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    return redirect(reverse("checklists:items") + f"#item-{item.pk}")


@require_POST
@role_required(Role.SUPERVISOR)
def item_active(request, pk):
    item = get_object_or_404(ChecklistItem, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_item_active(actor=request.user, item=item, active=active)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("“%(item)s” is back in use.") % {"item": item.label}
            if active
            else _("“%(item)s” retired: no longer asked on new kits.") % {"item": item.label},
        )
    return redirect("checklists:items")


@role_required(Role.SUPERVISOR)
def report(request):
    """Completion before arrival per engineer and week, and the items most often missing."""
    form = PeriodForm(request.GET or None)
    period = form.period()
    if not form.is_bound:
        form = PeriodForm(initial={"start": period.start, "end": period.end})
    weeks, week_rows = selectors.kit_completion_by_week(period)
    missing, never_opened = selectors.most_missing_items(period)
    return render(
        request,
        "checklists/report.html",
        {
            "form": form,
            "period": period,
            "engineers": selectors.kit_completion_by_engineer(period),
            "weeks": weeks,
            "week_rows": week_rows,
            "missing": missing,
            "never_opened": never_opened,
        },
    )
