"""Every state change of a complaint ticket (docs/design.md#a-state-change): validate the rule,
write in one transaction, record an event, keep the deadlines in step."""

import hashlib
import json
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from phonenumber_field.phonenumber import to_python

from . import deadlines, events, rules
from .closing import close_blockers
from .corrections import after_correction, correction_violations
from .delivery import schedule_delivery
from .errors import Checks, PermissionDenied, RuleViolation, require_text
from .locks import (
    lock_counter,
    lock_notification,
    lock_ticket,
    lock_transfer_request,
    lock_waiver_request,
)
from .models import (
    ComplaintKind,
    Complexity,
    ContactChannel,
    CustomerContact,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Grid,
    IntakeKey,
    Notification,
    NotificationChannel,
    NotificationState,
    Ticket,
    TicketCounter,
    TicketStatus,
    TransferRequest,
    TransferRequestState,
    WaiverRequest,
)
from .notifications import TEMPLATE_LABELS, notify_staff
from .people import display_name
from .places import clean_coordinates
from .roles import Role, has_role, is_staff_member
from .selectors import e164
from .transitions import require_transition

User = get_user_model()

TEMPLATE_LABELS["ticket_contact_staff"] = gettext_lazy("Customer contact on your ticket")


def _next_number(now: datetime) -> str:
    day = timezone.localdate(now)
    TicketCounter.objects.get_or_create(day=day)
    TicketCounter.objects.filter(day=day).update(last=F("last") + 1)
    last = lock_counter(day).last
    return f"TS-{day:%Y%m%d}-{last:04d}"


def _clean_phone(phone) -> str:
    """django-phonenumber-field validation (region CN), with a message a dispatcher reads."""
    if not phone:
        return ""
    number = to_python(phone, region="CN")
    if number is None or not number.is_valid():
        raise RuleViolation(
            "invalid_phone",
            _("“%(phone)s” is not a valid phone number in China.") % {"phone": phone},
            field="phone",
        )
    return number


def _require_choice(value: str, choices, code: str, field: str, label: str) -> None:
    if value not in choices.values:
        raise RuleViolation(code, _("Choose a %(label)s.") % {"label": label}, field=field)


def require_open(ticket: Ticket) -> None:
    if ticket.is_closed:
        raise RuleViolation(
            "ticket_closed",
            _("Ticket %(number)s is closed.") % {"number": ticket.number},
            status=409,
        )


def owner_or_supervisor(actor, ticket: Ticket) -> bool:
    """R3: the first-contact owner answers for the ticket; a supervisor may act for them. Pages
    ask it to offer a form; the services decide with the same answer."""
    return ticket.owner_id == actor.pk or has_role(actor, Role.SUPERVISOR)


def require_owner_or_supervisor(actor, ticket: Ticket) -> None:
    if not owner_or_supervisor(actor, ticket):
        raise PermissionDenied(
            _("Only the ticket's owner (%(owner)s) or a supervisor may do this.")
            % {"owner": display_name(ticket.owner)}
        )


@transaction.atomic
def open_ticket(
    *,
    actor,
    kind: str,
    complexity: str = Complexity.SIMPLE,
    customer_name: str = "",
    contact_person: str = "",
    phone="",
    address: str = "",
    phenomenon: str = "",
    location_detail: str = "",
    customer_action: str = "",
    latitude=None,
    longitude=None,
    grid=None,
    intake_key: str = "",
    resubmit_window: timedelta | None = None,
) -> Ticket:
    """Take a complaint (受理).

    R2: a complaint is always taken, even without the customer's name or phone.
    R3: whoever takes it owns it. R5: it is classified by motive.
    R6: the acknowledgement deadline starts now (2 h simple, 24 h complex).
    R1: the three facts may still be missing here; booking a visit needs them.

    Issue 15: `intake_key` (the intake form's hidden key, the API's Idempotency-Key) takes the
    call once. Sent again (a double click, back and submit, a retry), the ticket or contact it
    made the first time comes back with `intake_replay` set: "same", or "changed" when the
    content differs. A new ticket has `intake_replay` None. `resubmit_window` (the page's): the
    same person sending the very same complaint again within it, under another key, resent the
    form too: a browser's back button fetches the form again with a new key but puts the typed
    text back.
    """
    if not is_staff_member(actor):
        raise PermissionDenied(_("Only dispatchers and supervisors take complaints."))
    fields = {
        "kind": kind,
        "complexity": complexity,
        "customer_name": customer_name,
        "contact_person": contact_person,
        "phone": phone,
        "address": address,
        "phenomenon": phenomenon,
        "location_detail": location_detail,
        "customer_action": customer_action,
        "latitude": latitude,
        "longitude": longitude,
        "grid": grid,
    }
    if not intake_key:
        return _take(actor, **fields)
    fingerprint = _fingerprint(fields)
    if resubmit_window is not None:
        resent = (
            IntakeKey.objects.select_related("ticket")
            .filter(
                actor=actor,
                fingerprint=fingerprint,
                created_at__gte=timezone.now() - resubmit_window,
            )
            .order_by("-created_at")
            .first()
        )
        if resent is not None:
            return _replay(resent, fingerprint)
    return _once(actor, intake_key, fingerprint, lambda: (_take(actor, **fields), None))


def _once(actor, key: str, fingerprint: str, make) -> Ticket:
    """Do `make()` (returning the ticket and the contact it made) once per key: the key's record
    is written in the same savepoint, so when the same key won a moment ago in a request that
    committed while this one waited, nothing of this one stays (the ticket's number neither)
    and the first one's answer comes back."""
    earlier = _intake(actor, key)
    if earlier is not None:
        return _replay(earlier, fingerprint)
    try:
        with transaction.atomic():
            ticket, contact = make()
            IntakeKey.objects.create(
                actor=actor, key=key, fingerprint=fingerprint, ticket=ticket, contact=contact
            )
    except IntegrityError:
        earlier = _intake(actor, key)
        if earlier is None:
            raise
        return _replay(earlier, fingerprint)
    ticket.intake_replay = None
    return ticket


def _take(actor, *, kind, complexity, phone, latitude, longitude, grid, **texts) -> Ticket:
    checks = Checks()
    with checks:
        _require_choice(kind, ComplaintKind, "invalid_kind", "kind", _("complaint kind"))
    with checks:
        _require_choice(complexity, Complexity, "invalid_complexity", "complexity", _("complexity"))
    with checks:
        phone = _clean_phone(phone)
    # Where the visit will go (optional): a pin and/or the centre's grid, for suggestions.
    with checks:
        latitude, longitude = clean_coordinates(latitude, longitude)
    checks.done()
    now = timezone.now()
    ticket = Ticket.objects.create(
        number=_next_number(now),
        phone=phone,
        latitude=latitude,
        longitude=longitude,
        grid=grid,
        kind=kind,
        complexity=complexity,
        owner=actor,
        created_by=actor,
        **{name: (value or "").strip() for name, value in texts.items()},
    )
    ticket.intake_replay = None
    due = deadlines.open_deadline(
        kind=DeadlineKind.ACKNOWLEDGE,
        ticket=ticket,
        due_at=ticket.created_at + rules.ack_window(complexity),
        responsible=actor,
    )
    events.ticket_opened_event(ticket=ticket, actor=actor, ack_due=due.due_at)
    return ticket


def _fingerprint(fields: dict) -> str:
    """What a request asked for, as a hash: the same key with other content is another request."""
    clean = {name: str(value or "").strip() for name, value in fields.items()}
    clean["phone"] = e164(clean["phone"]) or clean["phone"]
    return hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()


def _intake(actor, key: str) -> IntakeKey | None:
    return IntakeKey.objects.select_related("ticket").filter(actor=actor, key=key).first()


def _replay(earlier: IntakeKey, fingerprint: str) -> Ticket:
    ticket = earlier.ticket
    same = earlier.contact_id is not None or earlier.fingerprint == fingerprint
    ticket.intake_replay = "same" if same else "changed"
    ticket.intake_contact = earlier.contact_id
    return ticket


@transaction.atomic
def record_repeat_call(*, actor, ticket: Ticket, progress: str, intake_key: str = "") -> Ticket:
    """Issue 15: a caller with a ticket still open calls again; the call is recorded on that
    ticket as a customer contact (R6, record_contact: anyone at the desk may, the owner is told)
    instead of a second ticket. `intake_key` as in open_ticket: the intake form sent twice
    records the call once. Returns the ticket the call is on (`intake_replay` as open_ticket's)."""
    ticket = lock_ticket(ticket)

    def record():
        return ticket, record_contact(actor=actor, ticket=ticket, progress=progress)

    if not intake_key:
        record()
        ticket.intake_replay = None
        return ticket
    return _once(actor, intake_key, "", record)


# The details of a ticket that update_ticket completes or corrects, with the longest text each
# column holds (None: unbounded). number, status, owner and the dates change only through their
# own services.
TICKET_DETAILS: dict[str, int | None] = {
    "customer_name": 100,
    "contact_person": 100,
    "phone": None,
    "address": 255,
    "phenomenon": None,
    "location_detail": 255,
    "customer_action": None,
    "kind": None,
    "complexity": None,
    # Where the visit will go (planning): the centre's grid and a pin (both numbers or neither).
    "grid": None,
    "latitude": None,
    "longitude": None,
}
PIN = ("latitude", "longitude")


def _detail_value(ticket: Ticket, field: str) -> str:
    value = getattr(ticket, field)
    if field == "phone":
        return value.as_e164 if value else ""
    return _as_text(value)


def _checked_changes(actor, ticket: Ticket, changes: dict) -> dict:
    """update_ticket's checks, every one of them: the changed details, cleaned."""
    require_open(ticket)
    require_owner_or_supervisor(actor, ticket)
    unknown = sorted(set(changes) - set(TICKET_DETAILS))
    if unknown:
        raise RuleViolation(
            "unknown_field",
            _("These details can't be changed here: %(fields)s.") % {"fields": ", ".join(unknown)},
        )
    checks = Checks()
    clean: dict = {}
    for field, value in changes.items():
        if field not in PIN:
            with checks:
                clean[field] = _clean_detail(field, value)
    if any(field in changes for field in PIN):
        # A pin is a pair: the one not sent stays as it is.
        pin = [changes.get(f, getattr(ticket, f)) for f in PIN]
        with checks:
            clean.update(zip(PIN, clean_coordinates(*pin), strict=True))
    changed = {f: v for f, v in clean.items() if _as_text(v) != _detail_value(ticket, f)}
    if changed:
        for violation in correction_violations(ticket, changed):
            checks.add(violation)
    checks.done()
    return changed


def check_ticket_update(*, actor, ticket: Ticket, changes: dict) -> None:
    """update_ticket's checks without writing: a page whose form found some errors asks about
    the fields it could read, so the writer sees every error of the submit at once."""
    _checked_changes(actor, Ticket.objects.get(pk=ticket.pk), changes)


@transaction.atomic
def update_ticket(*, actor, ticket: Ticket, changes: dict) -> Ticket:
    """Complete or correct a ticket's details (issue 15): the customer's name, contact person,
    phone and address, the three facts of the fault (R1), its kind (R5) and complexity.

    R3: the ticket's owner or a supervisor acts. Every broken check is reported at once, each
    with its field. A ticket taken without its three facts or the customer's contact (R1, R2
    allow that) is completed here, and can then be booked.

    What the customer was told stays true: the apps above check and react through
    dispatch.corrections (visits: a pending visit keeps the facts and contact it was booked on,
    and the customer of a booked visit gets the corrected phone or address by SMS).
    R6: the acknowledgement promised at intake stands whatever the complexity becomes; only a
    recorded contact moves it.
    The event holds the changed fields, before and after.
    """
    ticket = lock_ticket(ticket)
    changed = _checked_changes(actor, ticket, changes)
    if not changed:
        return ticket
    before = {f: _detail_value(ticket, f) for f in changed}
    for field, value in changed.items():
        setattr(ticket, field, value)
    ticket.save(update_fields=[*changed, "updated_at"])
    after = {f: _detail_value(ticket, f) for f in changed}
    events.ticket_updated_event(ticket=ticket, actor=actor, before=before, after=after)
    after_correction(ticket, before, after, actor)
    return ticket


def _as_text(value) -> str:
    """A detail as the event records it and as changes are compared."""
    if hasattr(value, "as_e164"):
        return value.as_e164
    if isinstance(value, Grid):
        return value.name
    return "" if value is None else str(value)


def _clean_detail(field: str, value):
    if field == "phone":
        return _clean_phone(value)
    if field == "kind":
        _require_choice(value, ComplaintKind, "invalid_kind", "kind", _("complaint kind"))
        return value
    if field == "complexity":
        _require_choice(value, Complexity, "invalid_complexity", "complexity", _("complexity"))
        return value
    if field == "grid":
        if value in (None, "") or isinstance(value, Grid):
            return value or None
        grid = Grid.objects.filter(name=value).first() if isinstance(value, str) else None
        if grid is None:
            raise RuleViolation("invalid_grid", _("Choose one of the centre's grids."), field=field)
        return grid
    if not isinstance(value, str):
        raise RuleViolation("invalid", _("Write this as text."), field=field)
    value = value.strip()
    limit = TICKET_DETAILS[field]
    if limit is not None and len(value) > limit:
        raise RuleViolation(
            "too_long",
            _("At most %(limit)d characters (this has %(length)d).")
            % {"limit": limit, "length": len(value)},
            field=field,
        )
    return value


@transaction.atomic
def transfer_ticket(*, actor, ticket: Ticket, to_user, note: str) -> Ticket:
    """R4: hand the ticket over once, with a handover note; a second transfer needs a supervisor
    (the owner asks for it: dispatch.transfers.request_second_transfer).
    R3: the new owner takes the ticket's deadlines with it."""
    ticket = lock_ticket(ticket)
    require_open(ticket)
    # R4 before R3: whoever lost a race to transfer the ticket (its owner a moment ago) is told
    # it was transferred already, a conflict (409), not that it isn't theirs.
    if ticket.transfer_count >= 1 and not has_role(actor, Role.SUPERVISOR):
        raise RuleViolation(
            "second_transfer_needs_supervisor",
            _(
                "This ticket was transferred once already; a second transfer needs a "
                "supervisor's approval. Ask for it on the ticket."
            ),
            status=409,
        )
    require_owner_or_supervisor(actor, ticket)
    note = check_new_owner(ticket=ticket, to_user=to_user, note=note)
    return hand_over_ticket(ticket=ticket, actor=actor, to_user=to_user, note=note)


def check_new_owner(*, ticket: Ticket, to_user, note: str) -> str:
    """R4: a handover note, and a new owner at the desk who isn't the owner already; the note
    as it is kept."""
    note = (note or "").strip()
    checks = Checks()
    if not note:
        checks.add(
            RuleViolation(
                "handover_note_required",
                _("Write a handover note so the customer never has to repeat the story."),
                field="note",
            )
        )
    if not is_staff_member(to_user) or not to_user.is_active:
        checks.add(
            RuleViolation(
                "invalid_new_owner",
                _("A ticket can be handed to a dispatcher or supervisor only."),
                field="to_user",
            )
        )
    elif to_user.pk == ticket.owner_id:
        checks.add(
            RuleViolation(
                "same_owner", _("The ticket already belongs to this person."), field="to_user"
            )
        )
    checks.done()
    return note


def hand_over_ticket(*, ticket: Ticket, actor, to_user, note: str, request=None) -> Ticket:
    """The transfer itself, on a locked ticket whose checks passed (R3: the deadlines follow the
    new owner; R4: the count and the event, naming the approved request if there is one)."""
    previous = ticket.owner
    ticket.owner = to_user
    ticket.transfer_count += 1
    ticket.save(update_fields=["owner", "transfer_count", "updated_at"])
    deadlines.reassign_deadlines(ticket=ticket, from_user=previous, to_user=to_user)
    events.ticket_transferred_event(
        ticket=ticket, actor=actor, previous_owner=previous, note=note, request=request
    )
    return ticket


@transaction.atomic
def record_contact(
    *,
    actor,
    ticket: Ticket,
    progress: str,
    channel: str = ContactChannel.PHONE,
    answered: bool = False,
    new_promised_at: datetime | None = None,
) -> CustomerContact:
    """R6: record a contact with the customer.

    A definite answer meets the acknowledgement deadline. If it cannot be given yet, the contact
    reports progress and sets a new promised time: the promise due now is kept (the customer was
    contacted by then) and a new one opens. Only a recorded contact may move a deadline, and
    only as far as SEED_RULES["ACK_MAX_PROMISE_HOURS"]; further needs a supervisor.
    """
    ticket = lock_ticket(ticket)
    require_open(ticket)
    engineer_on_ticket = ticket.visits.filter(engineer=actor).exists()
    moves_promise = bool(answered or new_promised_at)
    # A repeat call (issue 15) is written down by whoever at the desk takes it, and the owner is
    # told; answering the customer or promising a new time stays the owner's (R3, R6).
    note_by_desk = is_staff_member(actor) and not moves_promise
    if not (engineer_on_ticket or note_by_desk or owner_or_supervisor(actor, ticket)):
        if is_staff_member(actor):
            raise PermissionDenied(
                _(
                    "Only the ticket's owner (%(owner)s) or a supervisor may give the customer "
                    "an answer or promise a new time. Record the call without them: the owner "
                    "is told."
                )
                % {"owner": display_name(ticket.owner)}
            )
        require_owner_or_supervisor(actor, ticket)
    _require_choice(channel, ContactChannel, "invalid_channel", "channel", _("channel"))
    progress = require_text(
        progress,
        code="progress_required",
        message=_("Write what the customer was told."),
        field="progress",
    )
    now = timezone.now()
    if answered and new_promised_at:
        raise RuleViolation(
            "answered_with_new_time",
            _("A contact either answers the customer or promises a new time, not both."),
            field="new_promised_at",
        )
    if new_promised_at is not None and new_promised_at <= now:
        raise RuleViolation(
            "promise_in_past",
            _("The new promised time must be in the future."),
            field="new_promised_at",
        )
    # R6: a promise far ahead is no promise; beyond the bound (setting) a supervisor decides.
    bound = rules.ack_promise_bound()
    beyond_bound = new_promised_at is not None and new_promised_at > now + bound
    if beyond_bound and not has_role(actor, Role.SUPERVISOR):
        raise RuleViolation(
            "promise_too_far",
            _(
                "A new time more than %(hours)d hours ahead needs a supervisor's decision: "
                "promise a nearer time, or ask a supervisor to record this contact."
            )
            % {"hours": int(bound.total_seconds() // 3600)},
            field="new_promised_at",
        )
    contact = CustomerContact.objects.create(
        ticket=ticket,
        actor=actor,
        channel=channel,
        progress=progress,
        answered=answered,
        new_promised_at=new_promised_at,
    )
    if answered or new_promised_at:
        deadlines.meet_deadline(kind=DeadlineKind.ACKNOWLEDGE, ticket=ticket, at=now)
    if new_promised_at:
        deadlines.open_deadline(
            kind=DeadlineKind.ACKNOWLEDGE,
            ticket=ticket,
            due_at=new_promised_at,
            responsible=ticket.owner,
        )
    if actor.pk != ticket.owner_id and not engineer_on_ticket:
        notify_staff(
            user=ticket.owner,
            template="ticket_contact_staff",
            context={"contact": contact, "actor_name": display_name(actor)},
            ticket=ticket,
            key=f"contact:{contact.pk}:owner",
        )
    events.ticket_contact_event(
        ticket=ticket, actor=actor, contact=contact, beyond_bound=beyond_bound
    )
    return contact


@transaction.atomic
def set_ticket_status(*, actor, ticket: Ticket, status: str, reason: str = "") -> Ticket:
    """Move a ticket along its transition map (used by visits: booked → in progress)."""
    ticket = lock_ticket(ticket)
    if status == ticket.status:
        return ticket
    require_transition(ticket, status)
    before = ticket.status
    ticket.status = status
    ticket.save(update_fields=["status", "updated_at"])
    events.ticket_status_event(ticket=ticket, actor=actor, previous=before, reason=reason)
    return ticket


# Promises to the customer a close must not drop (issue 12 item 3): met, or waived by a
# supervisor with a reason. R6 acknowledgement, R13 visit note, R15 promised reply.
OWED_ON_CLOSE = (DeadlineKind.ACKNOWLEDGE, DeadlineKind.VISIT_NOTE, DeadlineKind.REPLY)


def owed_promises(ticket: Ticket):
    """Open promises, and missed ones never kept, of the ticket and its visits."""
    return (
        Deadline.objects.filter(ticket=ticket, kind__in=OWED_ON_CLOSE)
        .filter(Q(state=DeadlineState.OPEN) | Q(state=DeadlineState.OVERDUE, met_at__isnull=True))
        .order_by("due_at", "pk")
    )


def owed_message(owed) -> str:
    listed = "、".join(
        _("%(kind)s due %(due)s")
        % {
            "kind": deadline.get_kind_display(),
            "due": timezone.localtime(deadline.due_at).strftime("%m-%d %H:%M"),
        }
        for deadline in owed
    )
    return _(
        "The customer is still owed: %(owed)s. Keep the promise first, or a supervisor waives "
        "it with a reason, which stays on the record."
    ) % {"owed": listed}


@transaction.atomic
def close_ticket(
    *,
    actor,
    ticket: Ticket,
    resolution: str,
    customer_told: bool = False,
    waive_reason: str = "",
    waiver_request=None,
) -> Ticket:
    """Close the ticket: R3 ownership ends here. Closing never drops a promise (issue 12):

    - a visit still to happen blocks the close (the apps above say so through
      dispatch.closing): it is cancelled through its own service first, or finished;
    - `customer_told`: the resolution was given to the customer, recorded as an answered
      contact, which meets the acknowledgement (R6);
    - a promise still owed (R6, R13, R15) is met first, or waived by a supervisor with
      `waive_reason`, kept in the event (with the `waiver_request` approved, when the owner
      asked for it: dispatch.waivers). Only then are the remaining deadlines cancelled.
    """
    ticket = lock_ticket(ticket)
    require_open(ticket)
    require_owner_or_supervisor(actor, ticket)
    resolution = (resolution or "").strip()
    if not resolution:
        raise RuleViolation(
            "resolution_required", _("Say how the complaint was resolved."), field="resolution"
        )
    blockers = close_blockers(ticket)
    if blockers:
        raise RuleViolation("visit_pending", " ".join(blockers), status=409)
    waive_reason = (waive_reason or "").strip()
    if customer_told:
        record_contact(actor=actor, ticket=ticket, progress=resolution, answered=True)
    owed = list(owed_promises(ticket))
    if owed and not waive_reason:
        raise RuleViolation("promises_owed", owed_message(owed), status=409, field="waive_reason")
    if owed and not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor may waive a promise owed to the customer."))
    waived = [
        {"kind": d.kind, "due_at": d.due_at.isoformat(), "state": d.state, "id": d.pk} for d in owed
    ]
    before = ticket.status
    require_transition(ticket, TicketStatus.CLOSED)
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = timezone.now()
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    cancelled = deadlines.cancel_deadlines(ticket=ticket)
    _settle_requests(ticket=ticket, actor=actor, keep=waiver_request)
    events.ticket_closed_event(
        ticket=ticket,
        actor=actor,
        previous=before,
        resolution=resolution,
        deadlines_cancelled=cancelled,
        customer_told=customer_told,
        waived=waived,
        waive_reason=waive_reason,
        request=waiver_request,
    )
    return ticket


def _settle_requests(*, ticket: Ticket, actor, keep=None) -> None:
    """A closed ticket leaves nothing to decide: a second transfer (R4) or a waiver (R6, R13,
    R15) still waiting is refused, saying why, and leaves the supervisors' inbox — else the
    inbox would offer a decision that can only fail. `keep`: the waiver being approved."""
    note = _("The ticket was closed meanwhile.")
    pending = (
        (TransferRequest, lock_transfer_request, events.ticket_transfer_rejected_event),
        (WaiverRequest, lock_waiver_request, events.ticket_waiver_rejected_event),
    )
    for model, lock, rejected_event in pending:
        waiting = model.objects.filter(ticket=ticket, state=TransferRequestState.PENDING)
        if keep is not None and model is WaiverRequest:
            waiting = waiting.exclude(pk=keep.pk)
        for request in waiting:
            request = lock(request)
            require_transition(request, TransferRequestState.REJECTED)
            request.state = TransferRequestState.REJECTED
            request.decided_by, request.decided_at = actor, timezone.now()
            request.decision_note = note
            request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
            rejected_event(ticket=ticket, actor=actor, request=request)


@transaction.atomic
def retry_notification(*, actor, notification: Notification) -> Notification:
    """A supervisor sends a failed message again (after the number or the gateway is fixed)."""
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor may send a message again."))
    notification = lock_notification(notification)
    if not notification.can_retry:
        raise RuleViolation("not_failed", _("Only a failed message can be sent again."), status=409)
    require_transition(notification, NotificationState.PENDING)
    notification.state = NotificationState.PENDING
    notification.attempts = 0
    notification.send_after = None
    notification.claimed_at = None
    notification.save(update_fields=["state", "attempts", "send_after", "claimed_at"])
    if notification.ticket_id:
        events.notification_retried_event(notification=notification, actor=actor)
    schedule_delivery()
    return notification


def mark_alerts_read(*, actor, ids: list[int] | None = None) -> int:
    """The person has seen their in-app alerts (all of them, or the ones given)."""
    alerts = Notification.objects.filter(
        recipient=actor, channel=NotificationChannel.IN_APP, read_at__isnull=True
    )
    if ids is not None:
        alerts = alerts.filter(pk__in=ids)
    return alerts.update(read_at=timezone.now())
