"""R4: a second transfer of a ticket, asked for by its owner and decided by a supervisor.

A ticket is transferred once (dispatch.services.transfer_ticket); after that only a supervisor
hands it on. The owner asks here, with the person and the handover note; the request waits in
the supervisor's approvals inbox, and is shown on the ticket, until a supervisor approves (the
transfer happens as asked, through the same hand-over as a first transfer) or refuses.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import events
from .errors import PermissionDenied, RuleViolation
from .locks import lock_ticket, lock_transfer_request
from .models import Ticket, TransferRequest, TransferRequestState
from .notifications import TEMPLATE_LABELS, notify_supervisors
from .people import display_name
from .roles import Role, has_role
from .services import check_new_owner, hand_over_ticket, require_open, require_owner_or_supervisor
from .transitions import require_transition

TEMPLATE_LABELS["ticket_transfer_request_staff"] = gettext_lazy(
    "Second transfer waiting for your approval"
)


def _pending_message(pending: TransferRequest) -> str:
    return _(
        "A second transfer of this ticket (to %(name)s) is waiting for a supervisor already."
    ) % {"name": display_name(pending.to_user)}


@transaction.atomic
def request_second_transfer(*, actor, ticket: Ticket, to_user, note: str) -> TransferRequest:
    """R4: the owner of a ticket transferred once asks a supervisor to hand it on again."""
    ticket = lock_ticket(ticket)
    require_open(ticket)
    require_owner_or_supervisor(actor, ticket)
    if has_role(actor, Role.SUPERVISOR):
        raise RuleViolation(
            "no_approval_needed",
            _("A supervisor transfers the ticket directly; no approval is needed."),
            status=409,
        )
    if ticket.transfer_count < 1:
        raise RuleViolation(
            "no_approval_needed",
            _("This ticket has not been transferred yet: transfer it directly."),
            status=409,
        )
    # The ticket's lock serialises askers; the partial unique index backs it (one pending).
    pending = (
        TransferRequest.objects.filter(ticket=ticket, state=TransferRequestState.PENDING)
        .select_related("to_user")
        .first()
    )
    if pending is not None:
        raise RuleViolation("transfer_request_pending", _pending_message(pending), status=409)
    note = check_new_owner(ticket=ticket, to_user=to_user, note=note)
    try:
        with transaction.atomic():
            request = TransferRequest.objects.create(
                ticket=ticket, requested_by=actor, to_user=to_user, note=note
            )
    except IntegrityError as exc:  # pragma: no cover - the ticket's lock comes first
        raise RuleViolation(
            "transfer_request_pending",
            _("A second transfer of this ticket is waiting for a supervisor already."),
            status=409,
        ) from exc
    events.ticket_transfer_requested_event(ticket=ticket, actor=actor, request=request)
    notify_supervisors(
        template="ticket_transfer_request_staff",
        context={"request": request},
        ticket=ticket,
        key=f"transfer-request:{request.pk}",
    )
    return request


@transaction.atomic
def decide_transfer_request(
    *, actor, request: TransferRequest, approve: bool, note: str = ""
) -> TransferRequest:
    """R4: a supervisor approves (the ticket goes to the person asked for, with the request's
    handover note) or refuses a second transfer."""
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor approves a second transfer."))
    if not isinstance(approve, bool):
        # No default decision: a caller that did not say approve or refuse decides nothing.
        raise RuleViolation("decision_required", _("Choose to approve or to reject the request."))
    request = lock_transfer_request(request)
    ticket = request.ticket
    decision = TransferRequestState.APPROVED if approve else TransferRequestState.REJECTED
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
        require_open(ticket)
        # The desk may have changed since the owner asked (the person left, or owns it now).
        check_new_owner(ticket=ticket, to_user=request.to_user, note=request.note)
        hand_over_ticket(
            ticket=ticket, actor=actor, to_user=request.to_user, note=request.note, request=request
        )
    else:
        events.ticket_transfer_rejected_event(ticket=ticket, actor=actor, request=request)
    request.state = decision
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return request
