"""Pages of the outbox and the alerts: a person's alerts and overdue items (the badge links
here) and the supervisors' outbox."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dispatch import selectors, services
from dispatch.delivery import in_quiet_hours
from dispatch.errors import RuleViolation
from dispatch.forms import OutboxFilterForm
from dispatch.models import NOTIFICATION_TONES, Notification, NotificationState
from dispatch.notifications import template_label
from dispatch.pagination import CappedPaginator
from dispatch.permissions import role_required
from dispatch.redirects import back_to
from dispatch.roles import Role, is_staff_member


def _link_for(user, ticket, visit):
    """Where an alert leads: the ticket for the desk, the visit page for its engineer (who has
    no ticket page); nowhere for anyone else."""
    if ticket is None:
        return None
    if is_staff_member(user):
        return reverse("dispatch:ticket_detail", args=[ticket.number])
    if visit is not None and visit.engineer_id == user.pk:
        return reverse("visits:detail", args=[visit.pk])
    return None


@login_required
def alerts(request):
    user = request.user
    # The oldest items, one more to know whether there are others (the badge counts them all).
    items = list(selectors.overdue_items(user)[: selectors.OVERDUE_SHOWN + 1])
    overdue = [(d, _link_for(user, d.ticket, d.visit)) for d in items[: selectors.OVERDUE_SHOWN]]
    page = CappedPaginator(selectors.alerts_for(user), 30).get_page(request.GET.get("page"))
    rows = [(n, _link_for(user, n.ticket, n.deadline.visit if n.deadline else None)) for n in page]
    return render(
        request,
        "supervision/alerts.html",
        {
            "overdue": overdue,
            "overdue_more": len(items) > selectors.OVERDUE_SHOWN,
            "overdue_shown": selectors.OVERDUE_SHOWN,
            "page": page,
            "rows": rows,
            "unread": any(n.read_at is None for n in page),
        },
    )


@require_POST
@login_required
def alerts_read(request):
    count = services.mark_alerts_read(actor=request.user)
    if count:
        messages.success(request, _("Alerts marked as read."))
    return redirect("supervision:alerts")


@role_required(Role.SUPERVISOR)
def outbox(request):
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    # The outbox is the whole history of messages: the pages count at most ten ahead, and each
    # state is counted up to selectors.OUTBOX_COUNT_CAP (docs/benchmarks.md).
    page = CappedPaginator(selectors.outbox(**filters), 50).get_page(request.GET.get("page"))
    counts = selectors.outbox_counts()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/outbox.html",
        {
            "form": form,
            "page": page,
            "rows": [(n, template_label(n.template)) for n in page],
            "query": query.urlencode(),
            # Each state's count ("1,000+" past the cap), coloured by its tone when there is any.
            "counts": [
                (
                    state,
                    label,
                    f"{n:,}" if capped else n,
                    capped,
                    NOTIFICATION_TONES[state] if n else "",
                )
                for state, label in NotificationState.choices
                for n, capped in [counts[state]]
            ],
            "quiet_now": in_quiet_hours(timezone.now()),
            "quiet_start": settings.NOTIFICATIONS["QUIET_HOURS_START"],
            "quiet_end": settings.NOTIFICATIONS["QUIET_HOURS_END"],
            "now": timezone.now(),
        },
    )


@require_POST
@role_required(Role.SUPERVISOR)
def outbox_retry(request, pk):
    notification = get_object_or_404(Notification, pk=pk)
    try:
        services.retry_notification(actor=request.user, notification=notification)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message will be sent again."))
    return redirect(back_to(request, reverse("supervision:outbox")))
