"""The grading thresholds of network tests (issue 18), a supervisor's, edited through the
service. The after-fix share and the hot cells are supervision's page
(supervision.network_tests)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from dispatch.forms import run_service
from dispatch.permissions import role_required
from dispatch.roles import Role

from .. import services
from ..models import GradeThresholds, Network
from ..services.samples import THRESHOLD_FIELDS

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
    rows = list(GradeThresholds.objects.select_related("updated_by"))
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
