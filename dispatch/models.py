"""The centre's data: complaint tickets, their audit trail, customer contacts, deadlines, the
message outbox, teams and the centre's map (grids, travel minutes, home bases). No workflows
here: every state change lives in dispatch.services."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from .transitions import StateMap


class ComplaintKind(models.TextChoices):
    # R5: classify the complaint by the customer's motive.
    PERCEPTION = "perception", _("Wants to be heard")  # 用户感知型
    SOLVE = "solve", _("Wants the problem solved")  # 解决问题型
    DIFFICULT = "difficult", _("Persistent, seeks compensation")  # 刁难纠缠型


class Complexity(models.TextChoices):
    # R6: simple complaints get a reply within 2 h, complex ones within 24 h.
    SIMPLE = "simple", _("Simple")
    COMPLEX = "complex", _("Complex")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


# The one transition map of a ticket, read by services and templates (docs/design.md#state-maps).
TICKET_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CLOSED}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}


class Ticket(models.Model):
    """A complaint ticket (投诉工单)."""

    states = StateMap(
        TICKET_TRANSITIONS,
        field="status",
        choices=TicketStatus,
        refusal=_("A ticket that is %(current)s cannot become %(new)s."),
    )

    number = models.CharField(_("ticket number"), max_length=20, unique=True, editable=False)
    # R2: name and phone may be missing at intake (the customer may refuse); booking needs them.
    customer_name = models.CharField(_("customer name"), max_length=100, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = PhoneNumberField(_("contact phone"), blank=True, region="CN")
    address = models.CharField(_("address"), max_length=255, blank=True)
    # R1: the three facts of a fault report.
    phenomenon = models.TextField(_("fault phenomenon"), blank=True)
    location_detail = models.CharField(_("specific location"), max_length=255, blank=True)
    customer_action = models.TextField(_("what the customer was doing"), blank=True)
    # Where the visit goes, for suggesting an engineer and a slot (planning): a pin and/or a grid
    # of the centre's map (below). Optional: without them the suggestions allow a cautious
    # travel time.
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    grid = models.ForeignKey(
        "Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    kind = models.CharField(_("complaint kind"), max_length=20, choices=ComplaintKind.choices)
    complexity = models.CharField(
        _("complexity"), max_length=10, choices=Complexity.choices, default=Complexity.SIMPLE
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    # R3: exactly one owner at all times.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="taken_tickets"
    )
    # R4: transferred at most once without a supervisor.
    transfer_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("taken at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("complaint ticket")
        verbose_name_plural = _("complaint tickets")
        indexes = [
            # The ticket list's order (make bench: without it, a sort of every ticket).
            models.Index(fields=["-created_at", "-id"], name="ticket_created"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_created"),
            models.Index(fields=["owner", "status"], name="ticket_owner_status"),
            models.Index(fields=["kind", "-created_at"], name="ticket_kind_created"),
            # Issue 15: a repeat caller's tickets, by the phone typed at intake.
            models.Index(fields=["phone"], name="ticket_phone"),
            # Issue 15: the board's tickets waiting for a visit (open), oldest first; a few of
            # the history (visits.selectors.waiting_tickets).
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="open"),
                name="ticket_open_created",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(status=TicketStatus.CLOSED),
                name="ticket_closed_at_only_when_closed",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__range=(-90, 90), longitude__range=(-180, 180)),
                name="ticket_coordinates_paired",
            ),
            models.CheckConstraint(
                condition=~Q(status=TicketStatus.CLOSED) | Q(closed_at__isnull=False),
                name="ticket_closed_has_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def missing_facts(self) -> list[str]:
        """R1: the facts still missing before this ticket can be dispatched."""
        labels = {
            "phenomenon": _("fault phenomenon"),
            "location_detail": _("specific location"),
            "customer_action": _("what the customer was doing"),
        }
        return [str(label) for field, label in labels.items() if not getattr(self, field).strip()]

    @property
    def missing_contact(self) -> list[str]:
        """R2: contact details still missing before a visit can be booked."""
        missing = []
        if not self.customer_name.strip():
            missing.append(str(_("customer name")))
        if not self.phone:
            missing.append(str(_("contact phone")))
        return missing

    @property
    def can_transition_to(self) -> frozenset[str]:
        return self.states.next(self.status)

    @property
    def is_closed(self) -> bool:
        """Nothing more happens to a ticket whose status leads nowhere (closed)."""
        return self.states.is_final(self.status)


class IntakeKey(models.Model):
    """Issue 15: one intake form, or one API POST with an Idempotency-Key, takes one call,
    however often it is sent (a double click, back and submit again, a client's retry).

    The form carries a fresh key in a hidden field; the first submit that uses it records here
    what it became (a new ticket, or a contact on the caller's ticket) and every later one is
    sent to that. `fingerprint` is the request's content: the API refuses a key used again for
    another body."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "CustomerContact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="intake_key_used_once"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.ticket_id}"


class TicketCounter(models.Model):
    """Per-day sequence behind the human-readable ticket number TS-YYYYMMDD-NNNN."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class TransferRequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# R4: a second transfer waits for one decision of a supervisor, and is decided once.
TRANSFER_REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    TransferRequestState.PENDING: frozenset(
        {TransferRequestState.APPROVED, TransferRequestState.REJECTED}
    ),
    TransferRequestState.APPROVED: frozenset(),
    TransferRequestState.REJECTED: frozenset(),
}


def decision_rules(prefix: str) -> tuple[list, list]:
    """A SupervisorDecision's index and constraints, named after its table: one pending question
    per ticket, and a decision time exactly when it is decided."""
    index = models.Index(fields=["state", "created_at"], name=f"{prefix}_state")
    return [index], [
        models.UniqueConstraint(
            fields=["ticket"], condition=Q(state="pending"), name=f"{prefix}_one_pending"
        ),
        models.CheckConstraint(
            condition=(
                Q(state="pending", decided_at__isnull=True)
                | (~Q(state="pending") & Q(decided_at__isnull=False))
            ),
            name=f"{prefix}_decided_at",
        ),
    ]


class SupervisorDecision(models.Model):
    """A question that waits for one decision of a supervisor, taken once (R4's second transfer,
    the waiver of a promise owed): its state, who decided, when and with what note."""

    states = StateMap(TRANSFER_REQUEST_TRANSITIONS, field="state", choices=TransferRequestState)

    state = models.CharField(
        _("state"),
        max_length=10,
        choices=TransferRequestState.choices,
        default=TransferRequestState.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def awaiting_decision(self) -> bool:
        return not self.states.is_final(self.state)


class TransferRequest(SupervisorDecision):
    """R4: a ticket transferred once already, to be handed on again: the owner asks, a supervisor
    approves (the transfer happens, to the person asked for) or refuses."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transfer_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Hand over to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("Handover note"))

    class Meta:
        ordering = ["created_at", "id"]
        # R4: one question at a time per ticket; a second one while it waits is a conflict.
        indexes, constraints = decision_rules("transfer_req")

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.to_user_id}"


# R6, R13, R15: a waiver of a promise owed is decided like a second transfer: it waits for one
# decision of a supervisor, taken once (the same states and map).
WaiverRequestState = TransferRequestState
WAIVER_REQUEST_TRANSITIONS = TRANSFER_REQUEST_TRANSITIONS


class WaiverRequest(SupervisorDecision):
    """R6, R13, R15: a ticket to be closed while a promise to the customer is still owed: its
    owner asks, with the resolution and the reason; a supervisor approves (the ticket closes,
    the promise waived with that reason) or refuses (the ticket stays open)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="waiver_requests")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField(_("Resolution"))
    reason = models.TextField(_("Reason for the waiver"))

    class Meta:
        ordering = ["created_at", "id"]
        # One question at a time per ticket; a second one while it waits is a conflict.
        indexes, constraints = decision_rules("waiver_req")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.state}"


class EventKind(models.TextChoices):
    """Every kind of event, once, with its label on the timelines (docs/design.md#events).
    Each has one helper that writes it: dispatch.events for the desk's kinds, visits.events,
    checklists.events and surveys.events for theirs."""

    TICKET_OPENED = "ticket.opened", _("Complaint taken")
    TICKET_TRANSFERRED = "ticket.transferred", _("Transferred")
    TICKET_TRANSFER_REQUESTED = (
        "ticket.transfer_requested",
        _("Second transfer sent for approval"),
    )
    TICKET_TRANSFER_REJECTED = "ticket.transfer_rejected", _("Second transfer refused")
    TICKET_WAIVER_REQUESTED = "ticket.waiver_requested", _("Waiver sent for approval")
    TICKET_WAIVER_REJECTED = "ticket.waiver_rejected", _("Waiver refused")
    TICKET_UPDATED = "ticket.updated", _("Details completed or corrected")
    TICKET_CONTACT = "ticket.contact", _("Customer contacted")
    TICKET_STATUS = "ticket.status", _("Status changed")
    TICKET_CLOSED = "ticket.closed", _("Closed")
    DEADLINE_OVERDUE = "deadline.overdue", _("Deadline overdue")
    NOTIFICATION_RETRIED = "notification.retried", _("Message sent again")
    VISIT_BOOKED = "visit.booked", _("Visit booked")
    VISIT_RESCHEDULED = "visit.rescheduled", _("Visit rescheduled")
    VISIT_DETAILS_CORRECTED = "visit.details_corrected", _("Customer told the corrected details")
    VISIT_REASSIGNED = "visit.reassigned", _("Visit given to another engineer, same time")
    VISIT_RESCHEDULE_REQUESTED = (
        "visit.reschedule_requested",
        _("Late reschedule sent for approval"),
    )
    VISIT_RESCHEDULE_REJECTED = "visit.reschedule_rejected", _("Late reschedule rejected")
    VISIT_CANCELLED = "visit.cancelled", _("Visit cancelled")
    VISIT_RECONFIRMED = "visit.reconfirmed", _("Visit re-confirmed with the customer")
    VISIT_KIT_COMPLETE = "visit.kit_complete", _("Kit and self-check complete")
    VISIT_KIT_REOPENED = "visit.kit_reopened", _("Kit check reopened")
    VISIT_DEPARTED = "visit.departed", _("Engineer on the way")
    VISIT_LATE_NOTICE = "visit.late_notice", _("Customer told the engineer will be late")
    VISIT_ARRIVED = "visit.arrived", _("Engineer arrived")
    VISIT_KNOCKED = "visit.knocked", _("Knocked at the door")
    VISIT_CALL_FAILED = "visit.call_failed", _("Customer not reached by phone")
    VISIT_NO_ANSWER = "visit.no_answer", _("No answer at the door")
    VISIT_NOTE_FILED = "visit.note_filed", _("Visit note filed")
    VISIT_WORK_STARTED = "visit.work_started", _("Work started on site")
    VISIT_MEASUREMENT = "visit.measurement", _("Network test recorded")
    VISIT_LOG_IMPORTED = "visit.log_imported", _("Network test log imported")
    VISIT_RESOLVED = "visit.resolved", _("Resolved on site")
    VISIT_UNRESOLVED = "visit.unresolved", _("Not resolved on site; reply promised")
    VISIT_REPLIED = "visit.replied", _("Promised reply given")
    # R16: a handover recorded before the customer's consent by code; no code writes it any
    # more (RETIRED_EVENT_KINDS), and old events still read in words.
    VISIT_HANDOVER = "visit.handover", _("Visit handed to another engineer")
    VISIT_HANDOVER_REQUESTED = (
        "visit.handover_requested",
        _("Handover asked; code sent to the customer"),
    )
    VISIT_HANDOVER_LOCKED = "visit.handover_locked", _("Handover refused after wrong codes")
    VISIT_HANDED_OVER = "visit.handed_over", _("Handed over with the customer's consent")
    VISIT_COMPLAINT = "visit.complaint", _("Customer complained on site")
    VISIT_COMPLAINT_FOLLOWED_UP = (
        "visit.complaint_followed_up",
        _("Supervisor followed up the complaint on site"),
    )
    VISIT_NO_SURVEY = "visit.no_survey", _("Recorded why there is no signed survey")
    VISIT_LEFT = "visit.left", _("Engineer left the site")
    # Issue 17: what the customer did on their appointment's link (no staff account acts).
    VISIT_CUSTOMER_CONFIRMED = "visit.customer_confirmed", _("Customer confirmed by the link")
    VISIT_CUSTOMER_MOVED = "visit.customer_moved", _("Customer moved the visit by the link")
    VISIT_CUSTOMER_CALLBACK = "visit.customer_callback", _("Customer asked for a call back")
    KIT_TICKED = "kit.ticked", _("Kit item ticked")
    KIT_UNTICKED = "kit.unticked", _("Kit item unticked")
    SURVEY_LINK_ISSUED = "survey.link_issued", _("Survey link issued")
    SURVEY_CODE_SENT = "survey.code_sent", _("Survey code sent to the customer")
    SURVEY_LINK_LOCKED = "survey.link_locked", _("Survey link locked after wrong codes")
    SURVEY_SIGNED = "survey.signed", _("Survey signed by the customer")
    SURVEY_WORK_ORDER_SIGNED = "survey.work_order_signed", _("Work order signed by the customer")
    SURVEY_CARD_HANDED_OVER = "survey.card_handed_over", _("Service commitment card handed over")


# Kinds kept for the events already written, that no helper writes any more.
RETIRED_EVENT_KINDS = frozenset({EventKind.VISIT_HANDOVER})


class Event(models.Model):
    """Append-only audit trail of every change to a ticket or one of its visits
    (docs/design.md#a-state-change)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    visit = models.ForeignKey(
        "visits.Visit", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    message = models.CharField(max_length=500, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Events are append-only.")


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    ON_SITE = "on_site", _("On site")


class CustomerContact(models.Model):
    """R6: a recorded contact with the customer; only such a contact may move a deadline."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="contacts")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    channel = models.CharField(
        _("channel"), max_length=10, choices=ContactChannel.choices, default=ContactChannel.PHONE
    )
    progress = models.TextField(_("progress reported"))
    answered = models.BooleanField(_("customer's question answered"), default=False)
    new_promised_at = models.DateTimeField(_("new promised reply time"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "-created_at"], name="contact_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.created_at:%Y-%m-%d %H:%M}"


class DeadlineKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledgement reply")  # R6
    RECONFIRM = "reconfirm", _("Re-confirmation")  # R8
    ARRIVAL = "arrival", _("Arrival")  # R9
    # R10 has no kind of its own: the new time a late notice promises moves the ARRIVAL row.
    VISIT_NOTE = "visit_note", _("Visit note")  # R13
    REPLY = "reply", _("Promised reply")  # R15


class DeadlineState(models.TextChoices):
    # Not yet due: 未到期, a word apart from an open ticket's 未结 (docs/glossary.md).
    OPEN = "open", pgettext_lazy("deadline", "Open")
    MET = "met", _("Met")
    OVERDUE = "overdue", _("Overdue")
    CANCELLED = "cancelled", _("Cancelled")


# An open promise is kept, missed (the sweep) or dropped (moved, or its visit called off). A
# missed one kept later stays overdue and records when it was kept (met_at).
DEADLINE_TRANSITIONS: dict[str, frozenset[str]] = {
    DeadlineState.OPEN: frozenset(
        {DeadlineState.MET, DeadlineState.OVERDUE, DeadlineState.CANCELLED}
    ),
    DeadlineState.MET: frozenset(),
    DeadlineState.OVERDUE: frozenset(),
    DeadlineState.CANCELLED: frozenset(),
}


class Deadline(models.Model):
    """A promise with a due time. The database is the truth; the Celery sweep only reads it."""

    states = StateMap(DEADLINE_TRANSITIONS, field="state", choices=DeadlineState)

    kind = models.CharField(_("kind"), max_length=20, choices=DeadlineKind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="deadlines")
    visit = models.ForeignKey(
        "visits.Visit", null=True, blank=True, on_delete=models.CASCADE, related_name="deadlines"
    )
    # Who must keep the promise (ticket owner or visit engineer); notified when it is missed.
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="deadlines",
    )
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(
        _("state"), max_length=10, choices=DeadlineState.choices, default=DeadlineState.OPEN
    )
    met_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The sweep's query: open deadlines by due time (partial: closed rows cost nothing).
            models.Index(fields=["due_at"], condition=Q(state="open"), name="deadline_open_due"),
            models.Index(fields=["ticket", "state"], name="deadline_ticket_state"),
            models.Index(fields=["state", "kind", "due_at"], name="deadline_state_kind_due"),
            models.Index(fields=["responsible", "state"], name="deadline_resp_state"),
            # The dashboard's per-engineer record: notes and replies due in the period.
            # The dashboard's per-engineer record, notes and replies due in the period and kept,
            # read from the index alone.
            models.Index(
                fields=["responsible", "kind", "due_at"],
                include=["state"],
                name="deadline_resp_kind_due",
            ),
            # The dashboard's sections: missed promises not yet kept, per kind, oldest first.
            models.Index(
                fields=["kind", "due_at"],
                condition=Q(state="overdue", met_at__isnull=True),
                name="deadline_overdue_unkept",
            ),
            # A person's missed, unkept promises: the badge on every page counts them (an
            # index-only scan), the alerts page lists them by due time.
            models.Index(
                fields=["responsible", "due_at"],
                condition=Q(state="overdue", met_at__isnull=True),
                name="deadline_resp_overdue_unkept",
            ),
            # A ticket's missed, unkept promises: the lists' overdue flag, per row shown.
            models.Index(
                fields=["ticket"],
                condition=Q(state="overdue", met_at__isnull=True),
                name="deadline_ticket_overdue_unkept",
            ),
            models.Index(fields=["kind", "due_at"], name="deadline_kind_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=DeadlineState.values), name="deadline_state_valid"
            ),
            # Each state carries the time it was reached (DEADLINE_TRANSITIONS: only an open
            # deadline moves, so an open one has none, and a cancelled one was never kept).
            models.CheckConstraint(
                condition=(
                    Q(
                        state=DeadlineState.OPEN,
                        met_at__isnull=True,
                        overdue_at__isnull=True,
                        cancelled_at__isnull=True,
                    )
                    | Q(
                        state=DeadlineState.MET,
                        met_at__isnull=False,
                        overdue_at__isnull=True,
                        cancelled_at__isnull=True,
                    )
                    | Q(
                        state=DeadlineState.OVERDUE,
                        overdue_at__isnull=False,
                        cancelled_at__isnull=True,
                    )
                    | Q(
                        state=DeadlineState.CANCELLED,
                        cancelled_at__isnull=False,
                        met_at__isnull=True,
                    )
                ),
                name="deadline_state_stamped",
            ),
            # One open deadline of a kind per ticket/visit: moving one replaces it.
            models.UniqueConstraint(
                fields=["kind", "ticket"],
                condition=Q(state="open", visit__isnull=True),
                name="deadline_one_open_per_ticket_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "visit"],
                condition=Q(state="open", visit__isnull=False),
                name="deadline_one_open_per_visit_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        """Still to be kept: its state may still change (DEADLINE_TRANSITIONS)."""
        return not self.states.is_final(self.state)


class NotificationChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    IN_APP = "in_app", _("In-app")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    # The carrier's receipt: the phone got it (an SMS through a provider; dispatch.receipts).
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class DeliveryProblem(models.TextChoices):
    """Why a message failed or waits, in words (the provider's own code is in last_error)."""

    THROTTLED = "throttled", _("The SMS provider asked us to slow down; it will be sent later")
    INVALID_NUMBER = "invalid_number", _("The number can't receive SMS: check the contact phone")
    PROVIDER_SETUP = "provider_setup", _("The SMS provider refused our template or signature")
    CARRIER = "carrier", _("The carrier could not deliver it to the phone")
    GATEWAY = "gateway", _("The SMS gateway failed")
    UNKNOWN = "unknown", _("Sent, but the gateway's answer was lost; checking with the provider")
    STALE = "stale", _("Not sent: what it carried no longer opens anything")


# A worker claims a pending message and sends it: sent, failed for good, or back to pending to
# be tried again (a retry, or a claim lost with its worker). A supervisor sends a failed one
# again (dispatch.services.retry_notification).
NOTIFICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    NotificationState.PENDING: frozenset({NotificationState.SENDING}),
    # A message whose answer was lost is looked up: the provider may say it is already delivered.
    NotificationState.SENDING: frozenset(
        {
            NotificationState.SENT,
            NotificationState.DELIVERED,
            NotificationState.FAILED,
            NotificationState.PENDING,
        }
    ),
    # The carrier's receipt (dispatch.receipts): the phone got it, or the carrier gave up.
    NotificationState.SENT: frozenset({NotificationState.DELIVERED, NotificationState.FAILED}),
    NotificationState.DELIVERED: frozenset(),
    NotificationState.FAILED: frozenset({NotificationState.PENDING}),
}
# How the outbox page colours a state: done, stuck, on its way.
NOTIFICATION_TONES = {
    NotificationState.SENT: "ok",
    NotificationState.DELIVERED: "ok",
    NotificationState.FAILED: "bad",
    NotificationState.PENDING: "warn",
    NotificationState.SENDING: "warn",
}


class Notification(models.Model):
    """The outbox: every SMS to a customer and every alert to staff (docs/design.md#messages).

    `key` makes a notification idempotent: the same deadline never notifies the same person twice.
    """

    states = StateMap(
        NOTIFICATION_TRANSITIONS,
        field="state",
        choices=NotificationState,
        refusal=_("A message that is “%(current)s” cannot become “%(new)s”."),
    )

    key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    to_phone = PhoneNumberField(blank=True, region="CN")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    deadline = models.ForeignKey(
        Deadline, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    template = models.CharField(max_length=40)
    # R23: a survey link or code is never stored; the body holds
    # dispatch.customer_secrets.MARK in its place and `secret_ref` names what the sending
    # backend derives it from.
    body = models.TextField()
    # A customer SMS: its template's variables (dispatch.sms), a secret masked as in the body.
    params = models.JSONField(default=dict, blank=True, editable=False)
    secret_ref = models.CharField(max_length=80, blank=True, editable=False)
    state = models.CharField(
        max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    # Customer messages about a visit that is about to happen, and staff alerts, go at once;
    # other customer messages (reminders, survey links) are held during quiet hours
    # (dispatch.delivery, settings.NOTIFICATIONS).
    urgent = models.BooleanField(_("urgent"), default=True)
    send_after = models.DateTimeField(_("not before"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Set when a worker takes the row to send it; a claim older than the lease was lost with its
    # worker and is taken again.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    external_id = models.CharField(_("gateway message id"), max_length=100, blank=True)
    # The last attempt may have reached the gateway without our hearing back (a worker killed
    # after the send, a timeout): ask the provider before sending again (dispatch.delivery).
    outcome_unknown = models.BooleanField(default=False, editable=False)
    # When the last send began: where the lookup of a lost outcome starts searching.
    attempted_at = models.DateTimeField(null=True, blank=True, editable=False)
    problem = models.CharField(
        _("problem"), max_length=20, choices=DeliveryProblem.choices, blank=True
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(state="pending"), name="notification_pending"
            ),
            models.Index(fields=["recipient", "read_at"], name="notification_recipient_read"),
            # The outbox, newest first (docs/benchmarks.md "Messages and events"): all messages,
            # and one state (the filter, and each state's count read as an index range).
            models.Index(fields=["-created_at", "-id"], name="notification_created"),
            models.Index(fields=["state", "-created_at", "-id"], name="notification_state_created"),
            # A person's alerts page, newest first (selectors.alerts_for).
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=Q(channel="in_app"),
                name="notification_inbox",
            ),
            # The receipts' pull: customer SMS sent and not yet confirmed (dispatch.receipts).
            models.Index(
                fields=["sent_at"],
                condition=Q(state="sent", channel="sms"),
                name="sms_awaiting_receipt",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(to_phone=""),
                name="notification_has_addressee",
            ),
            # A message being sent is claimed by a worker; a sent one says when it went.
            models.CheckConstraint(
                condition=~Q(state=NotificationState.SENDING) | Q(claimed_at__isnull=False),
                name="notification_sending_claimed",
            ),
            models.CheckConstraint(
                condition=~Q(state=NotificationState.SENT) | Q(sent_at__isnull=False),
                name="notification_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient_id or self.to_phone}"

    @property
    def tone(self) -> str:
        return NOTIFICATION_TONES[self.state]

    @property
    def can_retry(self) -> bool:
        """A supervisor sends again only what failed for good (retry_notification)."""
        return self.state == NotificationState.FAILED and self.states.allows(
            self.state, NotificationState.PENDING
        )

    @property
    def waiting(self) -> bool:
        """Queued, not yet taken by a worker (it may be held until `send_after`)."""
        return self.state == NotificationState.PENDING


class Team(models.Model):
    """A team of engineers (班组) under a supervisor; the dashboard compares teams."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="teams", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


# The centre's map (网格, travel minutes, engineers' home bases): reference data the centre edits
# in the admin, like its teams. It lives in the core app, so tickets can be placed on it and
# everything above (planning's suggestions and optimizer) reads it; nothing here changes a visit
# (docs/design.md#planning-suggestions-and-the-day-optimizer-issue-19).

LATITUDE = [MinValueValidator(-90), MaxValueValidator(90)]
LONGITUDE = [MinValueValidator(-180), MaxValueValidator(180)]


def latitude_field(label):
    return models.DecimalField(
        label, max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE
    )


def longitude_field(label):
    return models.DecimalField(
        label, max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE
    )


def both_or_neither(prefix: str, name: str) -> models.CheckConstraint:
    """Coordinates come in pairs: a latitude without its longitude places nothing."""
    lat, lng = f"{prefix}latitude", f"{prefix}longitude"
    return models.CheckConstraint(
        condition=Q(**{f"{lat}__isnull": True, f"{lng}__isnull": True})
        | Q(**{f"{lat}__isnull": False, f"{lng}__isnull": False}),
        name=name,
    )


class Grid(models.Model):
    """A grid (网格) of the centre's area: tickets are placed in one, engineers cover some."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    # Where the grid is, roughly: the straight-line estimate uses it for a ticket placed only by
    # its grid.
    latitude = latitude_field(_("centre latitude"))
    longitude = longitude_field(_("centre longitude"))
    team = models.ForeignKey(
        Team,
        verbose_name=_("team in charge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grids",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        constraints = [both_or_neither("", "grid_coordinates_paired")]

    def __str__(self) -> str:
        return self.name


class GridTravel(models.Model):
    """Minutes from one grid to another, as the centre knows them (traffic, river crossings).
    Takes precedence over the straight-line estimate; a missing pair is read in reverse."""

    origin = models.ForeignKey(
        Grid, verbose_name=_("from grid"), on_delete=models.CASCADE, related_name="+"
    )
    destination = models.ForeignKey(
        Grid, verbose_name=_("to grid"), on_delete=models.CASCADE, related_name="+"
    )
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(0), MaxValueValidator(600)]
    )

    class Meta:
        ordering = ["origin", "destination"]
        verbose_name = _("travel time between grids")
        verbose_name_plural = _("travel times between grids")
        constraints = [
            models.UniqueConstraint(fields=["origin", "destination"], name="grid_travel_pair"),
            models.CheckConstraint(condition=Q(minutes__lte=600), name="grid_travel_minutes"),
        ]

    def __str__(self) -> str:
        return f"{self.origin} → {self.destination}: {self.minutes}"


class EngineerBase(models.Model):
    """An engineer's home base (where the day starts and ends) and the grids they cover."""

    engineer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer"),
        on_delete=models.CASCADE,
        related_name="home_base",
    )
    home_latitude = latitude_field(_("home base latitude"))
    home_longitude = longitude_field(_("home base longitude"))
    home_grid = models.ForeignKey(
        Grid,
        verbose_name=_("home base grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    grids = models.ManyToManyField(
        Grid, verbose_name=_("grids covered"), related_name="engineers", blank=True
    )

    class Meta:
        verbose_name = _("engineer's home base")
        verbose_name_plural = _("engineers' home bases")
        constraints = [both_or_neither("home_", "engineer_base_coordinates_paired")]

    def __str__(self) -> str:
        return str(self.engineer)


class BannedPhrase(models.Model):
    """R27: a phrase never to be written to a customer (服务禁语). Data, editable in admin;
    seeded from seed 000 §3.3, 000 §1.4.13 and 004 §8.5 by a data migration."""

    phrase = models.CharField(_("phrase"), max_length=100, unique=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    suggestion = models.CharField(_("say instead"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["phrase"]
        verbose_name = _("banned phrase")
        verbose_name_plural = _("banned phrases")

    def __str__(self) -> str:
        return self.phrase


class Heartbeat(models.Model):
    """When a periodic task last finished, by name: the health check's proof that Celery beat
    and a worker are alive (dispatch.health). One row per task, overwritten each run."""

    name = models.CharField(max_length=60, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


class StaffProfile(models.Model):
    """What the centre knows of a member of staff beyond the login: the mobile number the
    group robot @-mentions them by (dispatch.robots)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    mobile = PhoneNumberField(_("mobile number"), blank=True, region="CN")

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)
