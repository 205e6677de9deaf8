"""On-site visits (上门测试) and their measurements. Workflows live in visits.services."""

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from dispatch.db import PostgresExclusionConstraint, TsTzRange
from dispatch.rules import ARRIVE_EARLY
from dispatch.transitions import StateMap


class VisitStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CONFIRMED = "confirmed", _("Confirmed")
    EN_ROUTE = "en_route", _("En route")
    ARRIVED = "arrived", _("Arrived")
    AT_WORK = "at_work", _("At work")
    NO_ANSWER = "no_answer", _("No answer")
    RESOLVED = "resolved", _("Resolved")
    UNRESOLVED = "unresolved", _("Unresolved")
    REPLIED = "replied", _("Replied")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")
    # R16: handed to another engineer mid-visit, with the customer's consent; the receiving
    # engineer's visit (`handed_over_to`) continues the work.
    HANDED_OVER = "handed_over", _("Handed over mid-visit")


class NoSurveyReason(models.TextChoices):
    """R22/R24: why the customer did not sign the survey and work order."""

    REFUSED = "refused", _("The customer refused to sign")
    NOBODY_HOME = "nobody_home", _("Nobody was home at the end of the work")


S = VisitStatus
# The one transition map of a visit (docs/design.md#state-maps): the services check every change
# of status against it (Visit.states), the engineer's page and the API ask it what may come next
# (visits.next_steps).
VISIT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.BOOKED: frozenset({S.CONFIRMED, S.RESCHEDULED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.EN_ROUTE, S.ARRIVED, S.RESCHEDULED, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ARRIVED}),
    S.ARRIVED: frozenset({S.AT_WORK, S.NO_ANSWER, S.HANDED_OVER}),
    S.AT_WORK: frozenset({S.RESOLVED, S.UNRESOLVED, S.HANDED_OVER}),
    S.NO_ANSWER: frozenset(),
    S.RESOLVED: frozenset(),
    S.UNRESOLVED: frozenset({S.REPLIED}),
    S.REPLIED: frozenset(),
    S.RESCHEDULED: frozenset(),
    S.CANCELLED: frozenset(),
    S.HANDED_OVER: frozenset(),
}
# Visits that hold the engineer's time: everything but a visit moved away or called off. A visit
# handed over mid-visit (R16) holds it like a finished one: its engineer was there, arrived on
# time or late (R9), and its slot is the record of that; the successor holds the receiving
# engineer's time.
INACTIVE_STATUSES = frozenset({S.RESCHEDULED, S.CANCELLED})
# R22: the work is over and its result recorded, whatever it was; the survey and leaving follow.
WORK_ENDED_STATUSES = frozenset({S.RESOLVED, S.UNRESOLVED, S.REPLIED})


class Visit(models.Model):
    """An appointment for an on-site network test, and what happened there."""

    states = StateMap(
        VISIT_TRANSITIONS,
        field="status",
        choices=VisitStatus,
        refusal=_("A visit that is “%(current)s” cannot become “%(new)s”."),
    )

    ticket = models.ForeignKey(
        "dispatch.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="visits"
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    start = models.DateTimeField(_("appointment start"))
    end = models.DateTimeField(_("appointment end"))
    status = models.CharField(
        _("status"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="booked_visits"
    )
    # R11: a reschedule closes this visit and books its successor; history is kept.
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_to"
    )
    # R16: a handover mid-visit ends this visit and books its successor for the receiving
    # engineer, who does their own kit, self-check and door checks; history is kept.
    handed_over_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="handed_over_to"
    )

    reconfirmed_at = models.DateTimeField(_("re-confirmed at"), null=True, blank=True)  # R8
    kit_completed_at = models.DateTimeField(_("kit complete at"), null=True, blank=True)  # R20
    # R20: labels of the kit/self-check items still unticked, kept by the checklists app, so the
    # gate can say what is missing without visits importing checklists.
    kit_missing = models.JSONField(_("kit items missing"), default=list, blank=True)
    # R19: when the oldest required self-check tick was made; it counts only within the window
    # before arrival (SEED_RULES["SELF_CHECK_WINDOW_MINUTES"]). Kept by the checklists app.
    self_checked_at = models.DateTimeField(_("self-check done at"), null=True, blank=True)
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)  # R9
    arrival_punctual = models.BooleanField(_("punctual"), null=True, blank=True)  # R9
    arrival_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    arrival_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    knocked_at = models.DateTimeField(_("knocked at"), null=True, blank=True)  # R13
    call_failed_at = models.DateTimeField(_("call unanswered at"), null=True, blank=True)  # R13
    no_answer_at = models.DateTimeField(_("no answer at"), null=True, blank=True)  # R13
    work_started_at = models.DateTimeField(_("work started at"), null=True, blank=True)
    work_ended_at = models.DateTimeField(_("work ended at"), null=True, blank=True)
    result_summary = models.TextField(_("result"), blank=True)
    promised_reply_at = models.DateTimeField(_("promised reply time"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)  # R15
    complaint_on_site = models.BooleanField(_("customer complained on site"), default=False)  # R17
    complaint_note = models.TextField(_("what the customer complained about"), blank=True)
    # R17: the supervisor's follow-up of a complaint on site; until it is recorded the
    # complaint stays on the supervisor's dashboard.
    complaint_followed_up_at = models.DateTimeField(
        _("complaint followed up at"), null=True, blank=True
    )
    complaint_follow_up = models.TextField(_("complaint follow-up"), blank=True)
    complaint_followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # R24: "resolved" needs the customer to have tried the service after the fix (an after-fix
    # measurement, or this record).
    customer_tried = models.BooleanField(_("the customer tried the service"), default=False)
    # R21 step 5: when the engineer left, and why there is no signed survey if there is none.
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    no_survey_reason = models.CharField(
        _("why there is no signed survey"),
        max_length=20,
        choices=NoSurveyReason.choices,
        blank=True,
    )
    # R10: when the customer was told the engineer will be late, and the new arrival time.
    late_notified_at = models.DateTimeField(_("late notice sent at"), null=True, blank=True)
    expected_arrival_at = models.DateTimeField(_("new arrival time"), null=True, blank=True)
    # R14: the door checks ticked before work starts (codes of DoorCheck).
    door_checks = models.JSONField(_("door checks"), default=list, blank=True)
    reply_message = models.TextField(_("reply to the customer"), blank=True)  # R15
    # R11: why a visit was rescheduled or cancelled, by whom and when.
    closed_reason = models.TextField(_("reason"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="closed_visits",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            # An engineer's visits by time. It carries what the dashboard counts per engineer
            # (selectors.engineer_visit_stats), so that record is read from the index alone.
            models.Index(
                fields=["engineer", "start"],
                include=[
                    "status",
                    "arrived_at",
                    "arrival_punctual",
                    "kit_completed_at",
                    "no_answer_at",
                ],
                name="visit_engineer_start",
            ),
            models.Index(fields=["start"], name="visit_start"),
            models.Index(fields=["ticket", "start"], name="visit_ticket_start"),
            models.Index(fields=["status", "start"], name="visit_status_start"),
            # R17: the complaints on site still awaiting their follow-up, on the dashboard; a
            # few rows however many visits there were (a sequential scan of them all before).
            models.Index(
                fields=["arrived_at", "id"],
                condition=Q(complaint_on_site=True, complaint_followed_up_at__isnull=True),
                name="visit_complaint_awaiting",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="visit_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=VisitStatus.values), name="visit_status_valid"
            ),
            # R7: no engineer is booked for two overlapping visits, even under concurrent
            # requests (btree_gist). A no-op on SQLite, where the service check and the single
            # writer keep the rule.
            PostgresExclusionConstraint(
                name="visit_no_double_booking",
                expressions=[
                    ("engineer", RangeOperators.EQUAL),
                    (TsTzRange("start", "end"), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status__in=["rescheduled", "cancelled"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status not in INACTIVE_STATUSES

    @property
    def can_transition_to(self) -> frozenset[str]:
        return self.states.next(self.status)

    @property
    def punctual_by(self):
        """R9: the latest punctual arrival, five minutes before the appointment."""
        return self.start - ARRIVE_EARLY

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class DoorCheck(models.TextChoices):
    """R14: at the door, before any work."""

    BADGE = "badge", _("Showed the badge and introduced myself")
    PERMISSION = "permission", _("Entered with the customer's permission")
    SHOE_COVERS = "shoe_covers", _("Wearing shoe covers")
    EXPLAINED = "explained", _("Explained the work to be done")
    SUPERVISION_FORM = "supervision_form", _("Handed over the service supervision form")


class Network(models.TextChoices):
    G4 = "4g", "4G"
    G5 = "5g", "5G"


class CallResult(models.TextChoices):
    OK = "ok", _("Call OK")
    DROPPED = "dropped", _("Call dropped")
    FAILED = "failed", _("Call failed")


class Phase(models.TextChoices):
    BEFORE = "before", _("Before the fix")
    AFTER = "after", _("After the fix")


class Measurement(models.Model):
    """One network test on site: typed values, several per visit, before and after a fix."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="measurements")
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, default=Phase.BEFORE)
    network = models.CharField(_("network"), max_length=4, choices=Network.choices)
    place = models.CharField(_("place in the premises"), max_length=100)
    rsrp_dbm = models.DecimalField(_("RSRP (dBm)"), max_digits=5, decimal_places=1)
    sinr_db = models.DecimalField(_("SINR (dB)"), max_digits=4, decimal_places=1)
    download_mbps = models.DecimalField(_("download (Mbps)"), max_digits=7, decimal_places=2)
    upload_mbps = models.DecimalField(_("upload (Mbps)"), max_digits=7, decimal_places=2)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"))
    call_result = models.CharField(_("call test"), max_length=10, choices=CallResult.choices)
    measured_at = models.DateTimeField(_("measured at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["measured_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rsrp_dbm__gte=-156) & Q(rsrp_dbm__lte=-31),
                name="measurement_rsrp_range",
            ),
            models.CheckConstraint(
                condition=Q(sinr_db__gte=-30) & Q(sinr_db__lte=50), name="measurement_sinr_range"
            ),
            models.CheckConstraint(
                condition=Q(download_mbps__gte=0) & Q(upload_mbps__gte=0),
                name="measurement_speed_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.network} {self.place}"


class LogFormat(models.TextChoices):
    """The test logs the engineer imports (docs/measurement-logs.md)."""

    SEED = "seed", _("Our CSV template")
    CELLMAPPER = "cellmapper", "CellMapper"
    GNETTRACK = "gnettrack", "G-NetTrack / G-NetReport"


class MeasurementImport(models.Model):
    """One test log imported on the visit's work step: its samples are MeasurementSample rows."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="measurement_imports")
    file_name = models.CharField(_("file"), max_length=200)
    file_format = models.CharField(_("format"), max_length=12, choices=LogFormat.choices)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    sample_count = models.PositiveIntegerField(_("samples"))
    skipped = models.PositiveIntegerField(_("lines without a signal reading"), default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        ordering = ["imported_at", "id"]
        verbose_name = _("imported test log")
        verbose_name_plural = _("imported test logs")
        constraints = [
            # The same file twice on one visit would count its samples twice.
            models.UniqueConstraint(
                fields=["visit", "file_sha256"], name="measurement_import_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.file_name}"


class MeasurementSample(models.Model):
    """One line of an imported test log. Bulk-inserted; graded per place and phase."""

    upload = models.ForeignKey(MeasurementImport, on_delete=models.CASCADE, related_name="samples")
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="samples")
    line = models.PositiveIntegerField(_("line of the file"))
    measured_at = models.DateTimeField(_("measured at"))
    place = models.CharField(_("place in the premises"), max_length=100)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    network = models.CharField(_("network"), max_length=4, choices=Network.choices)
    operator = models.CharField(_("operator"), max_length=40, blank=True)
    rsrp_dbm = models.DecimalField(_("RSRP (dBm)"), max_digits=5, decimal_places=1)
    rsrq_db = models.DecimalField(
        _("RSRQ (dB)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    sinr_db = models.DecimalField(
        _("SINR (dB)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    cell_id = models.CharField(_("cell id"), max_length=32, blank=True)
    pci = models.PositiveSmallIntegerField("PCI", null=True, blank=True)
    download_mbps = models.DecimalField(
        _("download (Mbps)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    upload_mbps = models.DecimalField(
        _("upload (Mbps)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    call_result = models.CharField(
        _("call test"), max_length=10, choices=CallResult.choices, blank=True
    )

    class Meta:
        ordering = ["measured_at", "id"]
        verbose_name = _("imported test sample")
        verbose_name_plural = _("imported test samples")
        indexes = [
            models.Index(fields=["visit", "phase", "place"], name="sample_visit_phase_place"),
            models.Index(fields=["cell_id", "measured_at"], name="sample_cell_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rsrp_dbm__gte=-156) & Q(rsrp_dbm__lte=-31), name="sample_rsrp_range"
            ),
            models.CheckConstraint(
                condition=Q(rsrq_db__gte=-43) & Q(rsrq_db__lte=20), name="sample_rsrq_range"
            ),
            models.CheckConstraint(
                condition=Q(sinr_db__gte=-30) & Q(sinr_db__lte=50), name="sample_sinr_range"
            ),
            models.CheckConstraint(condition=Q(pci__lte=1007), name="sample_pci_range"),
            models.CheckConstraint(
                condition=Q(phase__in=Phase.values) & Q(network__in=Network.values),
                name="sample_phase_network_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.place} {self.measured_at:%H:%M:%S}"


class GradeThresholds(models.Model):
    """The lines a network test is graded by, per operator and network, edited by a supervisor
    (visits.services.update_thresholds). An empty operator is the default for all."""

    operator = models.CharField(
        _("operator"),
        max_length=40,
        blank=True,
        help_text=_("As the test app names it; empty for all operators."),
    )
    network = models.CharField(_("network"), max_length=4, choices=Network.choices)
    rsrp_good = models.DecimalField(_("RSRP good from (dBm)"), max_digits=5, decimal_places=1)
    rsrp_poor = models.DecimalField(_("RSRP poor below (dBm)"), max_digits=5, decimal_places=1)
    sinr_good = models.DecimalField(_("SINR good from (dB)"), max_digits=4, decimal_places=1)
    sinr_poor = models.DecimalField(_("SINR poor below (dB)"), max_digits=4, decimal_places=1)
    download_min_mbps = models.DecimalField(
        _("download at least (Mbps)"), max_digits=7, decimal_places=2
    )
    latency_max_ms = models.PositiveIntegerField(_("latency at most (ms)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["operator", "network"]
        verbose_name = _("grading thresholds")
        verbose_name_plural = _("grading thresholds")
        constraints = [
            models.UniqueConstraint(fields=["operator", "network"], name="thresholds_one_per_net"),
            models.CheckConstraint(
                condition=Q(rsrp_good__gt=models.F("rsrp_poor"))
                & Q(sinr_good__gt=models.F("sinr_poor")),
                name="thresholds_good_above_poor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator or '*'} {self.network}"


class ViolationKind(models.TextChoices):
    LATE_ARRIVAL = "late_arrival", _("Late arrival")  # R9
    LATE_NOTICE = "late_notice", _("Late notice under 15 minutes")  # R10
    # R10: the new arrival time of a late notice is a promise; arriving after it, or moving it
    # later with another notice, breaks it.
    LATE_AFTER_NOTICE = "late_after_notice", _("Late again after a late notice")  # R10
    # R11: a reschedule or a cancellation with less than 2 hours' notice.
    LATE_RESCHEDULE = "late_reschedule", _("Late change under 2 hours")


class Violation(models.Model):
    """A broken time rule of a visit, counted against the engineer on the supervisor's dashboard.

    One row per visit and kind (a second late notice for the same visit is the same breach).
    `minutes` says by how much: minutes late (R9), minutes short of the 15-minute notice (R10),
    minutes after the new arrival time a late notice promised (R10), minutes short of the 2-hour
    notice (R11).
    """

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="violations")
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer"),
        on_delete=models.PROTECT,
        related_name="visit_violations",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ViolationKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    # R11: the supervisor who approved a late reschedule.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approved_violations",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        indexes = [
            models.Index(fields=["engineer", "kind", "occurred_at"], name="violation_eng_kind_at"),
            models.Index(fields=["kind", "occurred_at"], name="violation_kind_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["visit", "kind"], name="violation_one_per_visit_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=ViolationKind.values), name="violation_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.kind}"


def visit_note_photo_path(instance, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"visit-notes/{instance.visit_id}.{suffix}"


class VisitNote(models.Model):
    """R13: the visit note card (到访留言卡) left when nobody answered the door."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="note")
    customer_surname = models.CharField(_("customer's surname"), max_length=20)
    arrived_at = models.DateTimeField(_("arrival time"))
    departed_at = models.DateTimeField(_("departure time"))
    engineer_name = models.CharField(_("engineer's name"), max_length=100)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    photo = models.FileField(
        _("photo of the card left"), upload_to=visit_note_photo_path, blank=True
    )
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    filed_at = models.DateTimeField(_("filed at"))

    class Meta:
        verbose_name = _("visit note")
        verbose_name_plural = _("visit notes")
        constraints = [
            models.CheckConstraint(
                condition=Q(departed_at__gte=models.F("arrived_at")),
                name="visit_note_departed_after_arrival",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.customer_surname}"


class HandoverState(models.TextChoices):
    """R16: a handover request waits for the customer's code; a newer request replaces it."""

    PENDING = "pending", _("Waiting for the customer's code")
    CONFIRMED = "confirmed", _("Agreed by the customer")
    SUPERSEDED = "superseded", _("Replaced by a newer request")
    LOCKED = "locked", _("Refused after too many wrong codes")


# R16: a request waits for the customer's code; it ends agreed, replaced by a newer one, or
# refused after wrong codes, once.
HANDOVER_TRANSITIONS: dict[str, frozenset[str]] = {
    HandoverState.PENDING: frozenset(
        {HandoverState.CONFIRMED, HandoverState.SUPERSEDED, HandoverState.LOCKED}
    ),
    HandoverState.CONFIRMED: frozenset(),
    HandoverState.SUPERSEDED: frozenset(),
    HandoverState.LOCKED: frozenset(),
}


class ConsentMethod(models.TextChoices):
    """R16: how the customer's consent to a handover was given."""

    SMS_CODE = "sms_code", _("The customer typed the code sent to their phone")
    # Handovers recorded before consent was taken on the customer's side.
    ENGINEER_TICK = "engineer_tick", _("Ticked by the engineer (before consent by code)")


class ConsentChannel(models.TextChoices):
    PAGE = "page", _("The customer's screen on the engineer's phone")
    API = "api", _("The engineer's phone app")


class VisitHandover(models.Model):
    """R16: a visit under way handed to another engineer, with the customer's own consent.

    The engineer asks (to whom, when the receiving engineer will be there, why, and a note for
    the colleague); the customer gets an SMS with a one-time code and types it on the customer's
    screen of the engineer's phone. Only then is the visit handed over: it ends as "handed over"
    and its successor is booked for the receiving engineer (`Visit.handed_over_from`). The code
    is derived when the SMS is sent (visits.services.handover) and only its HMAC is kept; the row
    records how the consent was given: by the code, on whose phone, through which path, when.
    """

    states = StateMap(
        HANDOVER_TRANSITIONS,
        field="state",
        choices=HandoverState,
        refusal=_("A handover request that is “%(current)s” cannot become “%(new)s”."),
    )

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="handovers")
    from_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handovers_given"
    )
    to_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receiving engineer"),
        on_delete=models.PROTECT,
        related_name="handovers_taken",
    )
    note = models.TextField(_("handover note"))
    # Told to the customer in the SMS (R26, checked for banned phrases, R27).
    reason = models.CharField(_("reason given to the customer"), max_length=100, blank=True)
    # The receiving engineer's time, agreed with the customer (blank on old records).
    start = models.DateTimeField(_("receiving engineer's start"), null=True, blank=True)
    end = models.DateTimeField(_("receiving engineer's end"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=HandoverState.choices, default=HandoverState.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    # The customer's phone the code went to, and the code's secrets: the code is derived from
    # the nonce with the server's key when the SMS is sent; only its HMAC is kept.
    phone = PhoneNumberField(_("customer phone"), region="CN", blank=True)
    secret_nonce = models.CharField(max_length=32, blank=True, editable=False)
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(_("code valid until"), null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(_("codes tried"), default=0)
    # How the customer consented: the code, typed on whose phone (the session it was typed in),
    # through which path, when.
    consent_method = models.CharField(
        _("consent given by"), max_length=20, choices=ConsentMethod.choices, blank=True
    )
    consent_channel = models.CharField(
        _("consent typed on"), max_length=10, choices=ConsentChannel.choices, blank=True
    )
    consent_device_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("phone the code was typed on (session)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consented_at = models.DateTimeField(_("customer agreed at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("visit handover")
        verbose_name_plural = _("visit handovers")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=HandoverState.values), name="handover_state_valid"
            ),
            # R16: a handover happened only with the customer's consent, recorded as given.
            models.CheckConstraint(
                condition=~Q(state="confirmed")
                | (Q(consented_at__isnull=False) & ~Q(consent_method="")),
                name="handover_confirmed_has_consent",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="handover_end_after_start"
            ),
            # One request waits for the customer at a time, and a visit is handed over once
            # (records from before consent by code changed the engineer in place, maybe twice).
            models.UniqueConstraint(
                fields=["visit"], condition=Q(state="pending"), name="handover_one_pending"
            ),
            models.UniqueConstraint(
                fields=["visit"],
                condition=Q(state="confirmed", consent_method="sms_code"),
                name="handover_one_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.from_engineer_id}→{self.to_engineer_id}"

    def is_live(self, now=None) -> bool:
        """Still waiting for the customer's code, and the code has not expired."""
        now = now or timezone.now()
        return (
            self.state == HandoverState.PENDING
            and self.code_expires_at is not None
            and now < self.code_expires_at
        )


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# R11: a late change waits for one decision, approve or reject, and is decided once.
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestState.PENDING: frozenset({RequestState.APPROVED, RequestState.REJECTED}),
    RequestState.APPROVED: frozenset(),
    RequestState.REJECTED: frozenset(),
}


class RequestKind(models.TextChoices):
    RESCHEDULE = "reschedule", _("Reschedule")
    CANCEL = "cancel", _("Cancellation")


class RescheduleRequest(models.Model):
    """R11: a late change (a reschedule or a cancellation under 2 hours' notice), for force
    majeure, waiting for a supervisor. A cancellation has no new time."""

    states = StateMap(REQUEST_TRANSITIONS, field="state", choices=RequestState)

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="reschedule_requests")
    kind = models.CharField(
        _("change"), max_length=10, choices=RequestKind.choices, default=RequestKind.RESCHEDULE
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("force majeure reason"))
    new_start = models.DateTimeField(_("new start"), null=True, blank=True)
    new_end = models.DateTimeField(_("new end"), null=True, blank=True)
    new_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"], name="reschedule_req_state")]
        constraints = [
            models.UniqueConstraint(
                fields=["visit"], condition=Q(state="pending"), name="reschedule_req_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(new_end__gt=models.F("new_start")), name="reschedule_req_end_after"
            ),
            # A reschedule names its new time and engineer; a cancellation has none.
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="reschedule",
                        new_start__isnull=False,
                        new_end__isnull=False,
                        new_engineer__isnull=False,
                    )
                    | Q(kind="cancel", new_start__isnull=True, new_engineer__isnull=True)
                ),
                name="reschedule_req_kind_fields",
            ),
            # A decided request says when; a pending one has no decision yet.
            models.CheckConstraint(
                condition=(
                    Q(state=RequestState.PENDING, decided_at__isnull=True)
                    | (~Q(state=RequestState.PENDING) & Q(decided_at__isnull=False))
                ),
                name="reschedule_req_decided_at",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == RequestKind.CANCEL:
            return f"{self.visit_id} ✕"
        return f"{self.visit_id} → {self.new_start:%Y-%m-%d %H:%M}"

    @property
    def awaiting_decision(self) -> bool:
        return not self.states.is_final(self.state)


class CustomerLink(models.Model):
    """The customer's short link to their appointment (issue 17): confirm it, move it to a free
    slot, ask for a call back, add it to a calendar, without an account.

    One per visit; a move books a new visit, which gets its own link (the old one then shows
    that the visit was moved). Only the SHA-256 of the token is stored: the token is an HMAC,
    keyed by the server's SECRET_KEY, of the random nonce, derived again only by the backend
    that sends the SMS (visits.services.customer, dispatch.customer_secrets). It opens the
    page until the visit starts; after that the page shows the visit's state.
    """

    visit = models.OneToOneField(
        Visit, on_delete=models.CASCADE, related_name="customer_link", verbose_name=_("visit")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    secret_nonce = models.CharField(max_length=32)
    issued_at = models.DateTimeField(_("issued at"))
    # The visit's start: the link acts until then.
    expires_at = models.DateTimeField(_("acts until"))
    confirmed_at = models.DateTimeField(_("confirmed by the customer at"), null=True, blank=True)
    callback_asked_at = models.DateTimeField(_("call back asked for at"), null=True, blank=True)
    callback_note = models.CharField(_("customer's note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("customer link")
        verbose_name_plural = _("customer links")

    def __str__(self) -> str:
        return f"{self.visit_id}"

    def acts(self, now=None) -> bool:
        """The link still acts for the customer: before the visit starts, on a pending visit."""
        return (now or timezone.now()) < self.expires_at
