"""R6, R13, R15: a waiver of a promise still owed to the customer, asked for by the ticket's
owner and decided by a supervisor.

Closing never drops a promise (dispatch.services.close_ticket): while one is owed, only a
supervisor closes, with a reason. The owner asks here, with the resolution and the reason; the
request waits in the supervisor's approvals inbox, and is shown on the ticket, until a
supervisor approves (the ticket closes through close_ticket, the request's reason as the
waiver's, so every close rule holds on this path too) or refuses (the ticket stays open).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import events
from .closing import close_blockers
from .errors import Checks, PermissionDenied, RuleViolation, require_text
from .locks import lock_ticket, lock_waiver_request
from .models import Ticket, WaiverRequest, WaiverRequestState
from .notifications import TEMPLATE_LABELS, notify_supervisors
from .roles import Role, has_role
from .services import close_ticket, owed_promises, require_open, require_owner_or_supervisor
from .transitions import require_transition

TEMPLATE_LABELS["ticket_waiver_request_staff"] = gettext_lazy("Waiver waiting for your approval")


def _pending_conflict() -> RuleViolation:
    return RuleViolation(
        "waiver_request_pending",
        _("A waiver for this ticket is waiting for a supervisor already."),
        status=409,
    )


@transaction.atomic
def request_waiver(*, actor, ticket: Ticket, resolution: str, reason: str) -> WaiverRequest:
    """R6, R13, R15: the owner of a ticket that can't close while a promise is owed asks a
    supervisor to waive it; only when close_ticket would refuse for that promise alone."""
    ticket = lock_ticket(ticket)
    require_open(ticket)
    require_owner_or_supervisor(actor, ticket)
    if has_role(actor, Role.SUPERVISOR):
        raise RuleViolation(
            "no_approval_needed",
            _("A supervisor waives the promise when closing the ticket; no approval is needed."),
            status=409,
        )
    # The ticket's lock serialises askers; the partial unique index backs it (one pending).
    if WaiverRequest.objects.filter(ticket=ticket, state=WaiverRequestState.PENDING).exists():
        raise _pending_conflict()
    checks = Checks()
    with checks:
        resolution = require_text(
            resolution,
            code="resolution_required",
            message=_("Say how the complaint was resolved."),
            field="resolution",
        )
    with checks:
        reason = require_text(
            reason,
            code="waive_reason_required",
            message=_("Say why the promise to the customer can't be kept."),
            field="reason",
        )
    checks.done()
    blockers = close_blockers(ticket)
    if blockers:
        raise RuleViolation("visit_pending", " ".join(blockers), status=409)
    if not owed_promises(ticket).exists():
        raise RuleViolation(
            "nothing_owed",
            _("No promise to the customer is owed: close the ticket directly."),
            status=409,
        )
    try:
        with transaction.atomic():
            request = WaiverRequest.objects.create(
                ticket=ticket, asked_by=actor, resolution=resolution, reason=reason
            )
    except IntegrityError as exc:  # pragma: no cover - the ticket's lock comes first
        raise _pending_conflict() from exc
    events.ticket_waiver_requested_event(ticket=ticket, actor=actor, request=request)
    notify_supervisors(
        template="ticket_waiver_request_staff",
        context={"request": request},
        ticket=ticket,
        key=f"waiver-request:{request.pk}",
    )
    return request


@transaction.atomic
def decide_waiver_request(
    *, actor, request: WaiverRequest, approve: bool, note: str = ""
) -> WaiverRequest:
    """R6, R13, R15: a supervisor approves (the ticket closes through close_ticket, the promise
    waived with the request's reason) or refuses (the ticket stays open, the promise owed)."""
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor waives a promise owed to the customer."))
    if not isinstance(approve, bool):
        raise RuleViolation("decision_required", _("Choose to approve or to reject the request."))
    request = lock_waiver_request(request)
    ticket = request.ticket
    decision = WaiverRequestState.APPROVED if approve else WaiverRequestState.REJECTED
    require_transition(
        request,
        decision,
        _("This request has been decided already: %(state)s.")
        % {"state": request.get_state_display()},
        code="request_decided",
    )
    request.decided_by, request.decided_at = actor, timezone.now()
    request.decision_note = (note or "").strip()
    if approve:
        # Every close rule again, as the supervisor: a visit booked since still blocks it.
        close_ticket(
            actor=actor,
            ticket=ticket,
            resolution=request.resolution,
            waive_reason=request.reason,
            waiver_request=request,
        )
    else:
        events.ticket_waiver_rejected_event(ticket=ticket, actor=actor, request=request)
    request.state = decision
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return request
