"""REST API for visits: the same selectors and services as the pages (docs/design.md#reads).

Scoped by role and object: an engineer lists and acts on their own visits only (another's visit
is a 404); booking, rescheduling and cancelling are the desk's. A broken rule answers
400/403/409 with {"code", "detail"}.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, ExpressionWrapper, Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from dispatch.api import DecisionSerializer
from dispatch.api_fields import ModelSerializer, RowsMixin, TextField
from dispatch.dates import ApiMomentField, validate_day
from dispatch.json_input import BoundedJSONParser
from dispatch.models import Deadline, Ticket
from dispatch.pagination import VisitCursor
from dispatch.people import mask_phone
from dispatch.permissions import DESK, HasRole
from dispatch.roles import Role

from . import measurement_logs, selectors, services, verdicts
from .grading import Verdict
from .models import (
    ConsentChannel,
    DoorCheck,
    HandoverState,
    Measurement,
    MeasurementImport,
    NoSurveyReason,
    Phase,
    RescheduleRequest,
    Violation,
    Visit,
    VisitHandover,
    VisitNote,
    VisitStatus,
)
from .next_steps import NextSteps, next_steps
from .services.work import MEASUREMENT_FIELDS

User = get_user_model()
EVERYONE = (Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR)


class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)


class VisitDeadlineSerializer(ModelSerializer):
    class Meta:
        model = Deadline
        fields = ["id", "kind", "state", "due_at", "met_at", "overdue_at"]


class MeasurementLogSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The log: CSV or tab-separated text, at most 5 MB.")
    phase = serializers.ChoiceField(
        choices=Phase.choices,
        required=False,
        allow_blank=True,
        help_text="Before or after the fix, for an app's log (our template says it per line).",
    )
    place = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Where in the premises, for an app's log (our template says it per line).",
    )


class MeasurementImportSerializer(ModelSerializer):
    class Meta:
        model = MeasurementImport
        fields = ["id", "file_name", "file_format", "sample_count", "skipped", "imported_at"]


class VerdictSerializer(serializers.Serializer):
    place = serializers.CharField()
    phase = serializers.ChoiceField(choices=Phase.choices)
    network = serializers.CharField()
    verdict = serializers.ChoiceField(choices=list(Verdict.LABELS))
    samples = serializers.IntegerField()
    rsrp_dbm = serializers.DecimalField(max_digits=5, decimal_places=1)
    sinr_db = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    download_mbps = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    good_share = serializers.IntegerField(help_text="% of samples at or above the good RSRP line.")


class MeasurementLogsSerializer(serializers.Serializer):
    imports = MeasurementImportSerializer(many=True)
    verdicts = VerdictSerializer(many=True)


class MeasurementSerializer(ModelSerializer):
    class Meta:
        model = Measurement
        fields = ["id", *MEASUREMENT_FIELDS, "measured_at"]
        read_only_fields = ["id", "measured_at"]


class ViolationSerializer(ModelSerializer):
    engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Violation
        fields = ["kind", "engineer", "occurred_at", "minutes", "detail", "approved_by"]


class VisitNoteSerializer(ModelSerializer):
    class Meta:
        model = VisitNote
        fields = [
            "customer_surname",
            "arrived_at",
            "departed_at",
            "engineer_name",
            "contact_phone",
            "photo",
            "filed_at",
        ]
        read_only_fields = ["filed_at"]
        extra_kwargs = {"engineer_name": {"required": False}, "photo": {"required": False}}


class VisitNoteJsonSerializer(VisitNoteSerializer):
    """The note card in JSON: no photo (a file travels as multipart/form-data)."""

    class Meta(VisitNoteSerializer.Meta):
        fields = [f for f in VisitNoteSerializer.Meta.fields if f != "photo"]


class VisitSerializer(RowsMixin, ModelSerializer):
    """A visit in the list (read from `values()` rows, dispatch.api_fields.RowsMixin) and the
    base of the detail."""

    row_annotations = {
        "kit_complete": ExpressionWrapper(
            Q(kit_completed_at__isnull=False), output_field=BooleanField()
        )
    }
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    customer_name = TextField(source="ticket.customer_name", read_only=True)
    address = TextField(source="ticket.address", read_only=True)
    kit_complete = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "ticket",
            "customer_name",
            "address",
            "engineer",
            "start",
            "end",
            "status",
            "reconfirmed_at",
            "kit_complete",
            "kit_missing",
            "arrived_at",
            "arrival_punctual",
            "promised_reply_at",
            "replied_at",
        ]
        read_only_fields = fields

    def get_kit_complete(self, visit) -> bool:
        return visit.kit_completed_at is not None


class HandoverSerializer(ModelSerializer):
    """R16: a handover request and how the customer consented. Never the code: the customer's
    phone is masked, the code exists only in the SMS."""

    from_engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    to_engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    phone = serializers.SerializerMethodField(help_text="The customer's phone, masked.")
    consent_device_user = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Whose phone (session) the customer typed the code on.",
    )
    successor = serializers.SerializerMethodField(
        help_text="The receiving engineer's visit, once the customer agreed."
    )

    class Meta:
        model = VisitHandover
        fields = [
            "id",
            "visit",
            "from_engineer",
            "to_engineer",
            "start",
            "end",
            "reason",
            "note",
            "state",
            "created_at",
            "phone",
            "code_expires_at",
            "code_attempts",
            "consent_method",
            "consent_channel",
            "consent_device_user",
            "consented_at",
            "successor",
        ]
        read_only_fields = fields

    def get_phone(self, handover) -> str:
        return mask_phone(handover.phone)

    def get_successor(self, handover) -> int | None:
        if handover.state != HandoverState.CONFIRMED:
            return None
        return (
            Visit.objects.filter(handed_over_from=handover.visit_id)
            .values_list("pk", flat=True)
            .first()
        )


class HandoverInSerializer(ModelSerializer):
    """R16: the note for the engineer who takes the visit over, and the first engineer's tests
    (read-only), so the customer never repeats the story."""

    from_engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    to_engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    previous_visit = serializers.IntegerField(source="visit_id", read_only=True)
    measurements = MeasurementSerializer(source="visit.measurements", many=True, read_only=True)

    class Meta:
        model = VisitHandover
        fields = [
            "from_engineer",
            "to_engineer",
            "note",
            "created_at",
            "consent_method",
            "consented_at",
            "previous_visit",
            "measurements",
        ]
        read_only_fields = fields


class NextStepsSerializer(serializers.Serializer):
    """What the visit's engineer may do next, from the visit's transition map and the rules
    (visits.next_steps): the same answer the engineer's page gives, one flag per step."""

    def get_fields(self):
        return {
            name: serializers.BooleanField(read_only=True, help_text=step)
            for name, step in NextSteps.steps().items()
        }


class VisitDetailSerializer(VisitSerializer):
    rescheduled_from = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    measurements = MeasurementSerializer(many=True, read_only=True)
    deadlines = VisitDeadlineSerializer(many=True, read_only=True)
    violations = ViolationSerializer(many=True, read_only=True)
    note = serializers.SerializerMethodField()
    handed_over_from = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    handed_over_to = serializers.SerializerMethodField(
        help_text="R16: the receiving engineer's visit, once this one is handed over."
    )
    handovers = HandoverSerializer(
        many=True, read_only=True, help_text="R16: the handover requests of this visit."
    )
    handover_in = serializers.SerializerMethodField(
        help_text="R16: the handover that gave this visit's engineer the work."
    )
    no_survey_reason = serializers.CharField(
        read_only=True,
        help_text="R24: why there is no signed survey: refused, nobody_home, or empty.",
    )
    next_steps = serializers.SerializerMethodField(
        help_text="What the visit's engineer may do next: the steps the engineer's page offers."
    )

    class Meta(VisitSerializer.Meta):
        fields = [
            *VisitSerializer.Meta.fields,
            "rescheduled_from",
            "handed_over_from",
            "handed_over_to",
            "departed_at",
            "late_notified_at",
            "expected_arrival_at",
            "arrival_latitude",
            "arrival_longitude",
            "knocked_at",
            "call_failed_at",
            "no_answer_at",
            "door_checks",
            "work_started_at",
            "work_ended_at",
            "result_summary",
            "reply_message",
            "complaint_on_site",
            "complaint_note",
            "complaint_followed_up_at",
            "complaint_follow_up",
            "customer_tried",
            "no_survey_reason",
            "left_at",
            "closed_reason",
            "measurements",
            "deadlines",
            "violations",
            "note",
            "handovers",
            "handover_in",
            "next_steps",
        ]
        read_only_fields = fields

    def get_handed_over_to(self, visit) -> int | None:
        successor = getattr(visit, "handed_over_to", None)
        return successor.pk if successor else None

    @extend_schema_field(HandoverInSerializer(allow_null=True))
    def get_handover_in(self, visit):
        handover = selectors.handover_in(visit)
        return HandoverInSerializer(handover, context=self.context).data if handover else None

    @extend_schema_field(NextStepsSerializer)
    def get_next_steps(self, visit) -> dict[str, bool]:
        return next_steps(visit).actions()

    @extend_schema_field(VisitNoteSerializer(allow_null=True))
    def get_note(self, visit):
        note = getattr(visit, "note", None)
        return VisitNoteSerializer(note, context=self.context).data if note else None


class ConfirmWordingField(serializers.BooleanField):
    """R27: the free text bound for the customer has a banned phrase and is to be sent as
    written anyway (the first submit without it is refused, naming the phrase)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default", False)
        kwargs.setdefault("help_text", "R27: send the text as written despite a banned phrase.")
        super().__init__(**kwargs)


class BookSerializer(serializers.Serializer):
    ticket = serializers.SlugRelatedField(slug_field="number", queryset=Ticket.objects.all())
    engineer = UsernameField()
    start = ApiMomentField()
    end = ApiMomentField()


# Its request component would be "RescheduleRequest", the name of the pending request's record.
@extend_schema_serializer(component_name="RescheduleOrder")
class RescheduleSerializer(serializers.Serializer):
    start = ApiMomentField()
    end = ApiMomentField()
    engineer = UsernameField(required=False, help_text="Another engineer; default the same.")
    reason = TextField()
    customer_agreed = serializers.BooleanField(
        help_text="R11: apologised, and the new time is agreed with the customer."
    )
    force_majeure = serializers.BooleanField(
        default=False, help_text="R11: under 2 h, a supervisor may reschedule for force majeure."
    )
    confirm = ConfirmWordingField()


class RescheduleRequestSerializer(ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    new_engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = RescheduleRequest
        fields = [
            "id",
            "visit",
            "kind",
            "requested_by",
            "reason",
            "new_start",
            "new_end",
            "new_engineer",
            "state",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]
        read_only_fields = fields


class CancelSerializer(serializers.Serializer):
    reason = TextField(help_text="Told to the customer with the apology.")
    customer_agreed = serializers.BooleanField(
        help_text="R11: apologised, gave the reason, and the customer agreed."
    )
    force_majeure = serializers.BooleanField(
        default=False, help_text="R11: under 2 h, a supervisor may cancel for force majeure."
    )
    confirm = ConfirmWordingField()


class LateNoticeSerializer(serializers.Serializer):
    new_arrival_at = ApiMomentField()
    reason = TextField(max_length=100)
    confirm = ConfirmWordingField()


class ArrivalSerializer(serializers.Serializer):
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )


class DoorChecksSerializer(serializers.Serializer):
    door_checks = serializers.ListField(
        child=serializers.ChoiceField(choices=DoorCheck.choices),
        help_text="R14: every door check, ticked.",
    )


class OutcomeSerializer(serializers.Serializer):
    resolved = serializers.BooleanField()
    summary = TextField()
    promised_reply_at = ApiMomentField(
        required=False,
        allow_null=True,
        help_text="R15: when unresolved, ≤ end of the test + 4 h.",
    )
    test_ended_at = ApiMomentField(
        required=False,
        allow_null=True,
        help_text="R15: when the test ended, not later than now; default: the last measurement.",
    )
    customer_tried = serializers.BooleanField(
        default=False,
        help_text="R24: resolved needs this or a measurement in the after phase.",
    )


class ReplySerializer(serializers.Serializer):
    message = TextField()
    by_sms = serializers.BooleanField(default=False)
    confirm = ConfirmWordingField()


class HandoverRequestSerializer(serializers.Serializer):
    to_engineer = UsernameField(help_text="R16: the colleague who takes the visit over.")
    start = ApiMomentField(help_text="R16: when the colleague will be there, agreed (R9: −5 min).")
    end = ApiMomentField()
    reason = TextField(max_length=100, help_text="Why: told to the customer in the SMS (R27).")
    note = TextField(help_text="Everything the colleague needs to know.")
    confirm = ConfirmWordingField()


class HandoverCodeSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=12, help_text="R16: the code the customer's phone received, typed by them."
    )


class NoteSerializer(serializers.Serializer):
    note = TextField()


class NoSurveySerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=NoSurveyReason.choices)


class LeaveSerializer(serializers.Serializer):
    complained = serializers.BooleanField(
        allow_null=True, help_text="R17: did the customer complain about the service?"
    )
    complaint_note = TextField(required=False, allow_blank=True, default="")


class AvailabilityQuerySerializer(serializers.Serializer):
    engineer = UsernameField()
    start = ApiMomentField()
    end = ApiMomentField()
    exclude = serializers.IntegerField(required=False, help_text="A visit being rescheduled.")


class BusySerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class AvailabilitySerializer(serializers.Serializer):
    """Free/busy only: the time ranges, nothing about the visits that fill them."""

    free = serializers.BooleanField()
    busy = BusySerializer(many=True)


class VisitFilter(filters.FilterSet):
    # The days are held to dates the centre can convert (dispatch.dates), like every date field.
    day_from = filters.DateFilter(
        method="filter_day_from", help_text="First day (local date).", validators=[validate_day]
    )
    day_to = filters.DateFilter(
        method="filter_day_to", help_text="Last day (local date).", validators=[validate_day]
    )
    status = filters.ChoiceFilter(choices=VisitStatus.choices)
    engineer = filters.CharFilter(field_name="engineer__username")
    ticket = filters.CharFilter(field_name="ticket__number")

    class Meta:
        model = Visit
        fields = ["status", "engineer", "ticket"]

    def filter_day_from(self, queryset, name, value):
        return queryset.filter(start__gte=selectors.day_start(value))

    def filter_day_to(self, queryset, name, value):
        return queryset.filter(start__lt=selectors.day_start(value + timedelta(days=1)))


def _body(serializer_class):
    return extend_schema(request=serializer_class, responses={200: VisitDetailSerializer})


NO_BODY = extend_schema(request=None, responses={200: VisitDetailSerializer})


class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """On-site visits. Booking (R1, R2, R7), rescheduling (R11) and cancelling are the desk's;
    the field steps (R8–R10, R13–R17, R20) are the visit's engineer's."""

    throttle_scope = "visits"
    permission_classes = [HasRole]
    allowed_roles = EVERYONE
    filterset_class = VisitFilter
    pagination_class = VisitCursor  # no COUNT(*), no OFFSET (issue 14)

    # Who may take each step, asked of the services (which ask again under the row lock) before
    # the body is read: another's visit is 404, a step that isn't the user's 403, then the body
    # 400, whatever the order of the mistakes.
    who_acts = {
        **dict.fromkeys(
            (
                "reconfirm",
                "depart",
                "late_notice",
                "arrive",
                "knock",
                "call_failed",
                "no_answer",
                "note",
                "start_work",
                "outcome",
                "handover",
                "handover_confirm",
                "complaint",
                "no_survey",
                "leave",
            ),
            services.require_engineer,
        ),
        "complaint_follow_up": services.require_supervisor,
        "reply": services.require_replier,
        **dict.fromkeys(
            ("reschedule", "request_reschedule", "cancel", "request_cancel"), services.require_desk
        ),
    }

    def get_object(self):
        visit = super().get_object()
        check = self.who_acts.get(self.action)
        if self.action in ("measurements", "measurement_logs") and self.request.method == "POST":
            check = services.require_engineer
        if check is not None:
            check(self.request.user, visit)
        return visit

    def get_queryset(self):
        if self.action == "list":
            # Rows, not instances: the list's time is its serialisation (docs/benchmarks.md).
            return VisitSerializer.rows(selectors.visit_list(self.request.user))
        return selectors.visits_for(self.request.user).select_related("ticket", "engineer")

    def get_serializer_class(self):
        return {
            "list": VisitSerializer,
            "create": BookSerializer,
        }.get(self.action, VisitDetailSerializer)

    def _respond(self, visit, code=status.HTTP_200_OK):
        visit = selectors.visit_detail(self.request.user, visit.pk)
        return Response(VisitDetailSerializer(visit, context={"request": self.request}).data, code)

    def _act(self, serializer_class, call):
        # The visit first: one outside the user's scope is 404 whatever the body says.
        visit = self.get_object()
        data = {}
        if serializer_class is not None:
            serializer = serializer_class(data=self.request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        result = call(visit, data)
        return self._respond(result if isinstance(result, Visit) else visit)

    @extend_schema(request=BookSerializer, responses={201: VisitDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = BookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visit = services.book_visit(
            actor=request.user,
            ticket=data["ticket"],
            engineer=data["engineer"],
            start=data["start"],
            end=data["end"],
        )
        return self._respond(visit, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[AvailabilityQuerySerializer], responses={200: AvailabilitySerializer}
    )
    @action(detail=False, methods=["get"])
    def availability(self, request):
        """R7 before booking: is the engineer free in [start, end)? Adjacent visits don't clash.
        The desk asks about anyone, an engineer about themselves (403 otherwise); the answer is
        free/busy time ranges only."""
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        busy = selectors.busy_times(
            request.user,
            engineer=data["engineer"],
            start=data["start"],
            end=data["end"],
            exclude=data.get("exclude"),
        )
        rows = [{"start": start, "end": end} for start, end in busy]
        return Response(AvailabilitySerializer({"free": not rows, "busy": rows}).data)

    # The desk: R11.
    @extend_schema(request=RescheduleSerializer, responses={201: VisitDetailSerializer})
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        visit = self.get_object()
        serializer = RescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["confirm_wording"] = data.pop("confirm")
        new = services.reschedule_visit(actor=request.user, visit=visit, **data)
        return self._respond(new, status.HTTP_201_CREATED)

    @extend_schema(request=RescheduleSerializer, responses={201: RescheduleRequestSerializer})
    @action(detail=True, methods=["post"], url_path="request-reschedule")
    def request_reschedule(self, request, pk=None):
        """R11: under 2 h, for force majeure: waits for a supervisor's approval."""
        visit = self.get_object()
        serializer = RescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("force_majeure", None)
        data["confirm_wording"] = data.pop("confirm")
        req = services.request_late_reschedule(actor=request.user, visit=visit, **data)
        return Response(RescheduleRequestSerializer(req).data, status.HTTP_201_CREATED)

    @_body(CancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """R11: under 2 h only a supervisor, for force majeure; a dispatcher asks for approval
        (request-cancel)."""
        return self._act(
            CancelSerializer,
            lambda v, d: services.cancel_visit(
                actor=request.user,
                visit=v,
                reason=d["reason"],
                customer_agreed=d["customer_agreed"],
                force_majeure=d["force_majeure"],
                confirm_wording=d["confirm"],
            ),
        )

    @extend_schema(request=CancelSerializer, responses={201: RescheduleRequestSerializer})
    @action(detail=True, methods=["post"], url_path="request-cancel")
    def request_cancel(self, request, pk=None):
        """R11: a cancellation under 2 h, for force majeure: waits for a supervisor's approval."""
        visit = self.get_object()
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        req = services.request_late_cancel(
            actor=request.user,
            visit=visit,
            reason=data["reason"],
            customer_agreed=data["customer_agreed"],
            confirm_wording=data["confirm"],
        )
        return Response(RescheduleRequestSerializer(req).data, status.HTTP_201_CREATED)

    # The field, in the order of R21.
    @NO_BODY
    @action(detail=True, methods=["post"])
    def reconfirm(self, request, pk=None):
        return self._act(None, lambda v, d: services.reconfirm_visit(actor=request.user, visit=v))

    @NO_BODY
    @action(detail=True, methods=["post"])
    def depart(self, request, pk=None):
        return self._act(None, lambda v, d: services.depart_for_visit(actor=request.user, visit=v))

    @_body(LateNoticeSerializer)
    @action(detail=True, methods=["post"], url_path="late-notice")
    def late_notice(self, request, pk=None):
        return self._act(
            LateNoticeSerializer,
            lambda v, d: services.notify_late(
                actor=request.user,
                visit=v,
                new_arrival_at=d["new_arrival_at"],
                reason=d["reason"],
                confirm_wording=d["confirm"],
            ),
        )

    @_body(ArrivalSerializer)
    @action(detail=True, methods=["post"])
    def arrive(self, request, pk=None):
        return self._act(
            ArrivalSerializer,
            lambda v, d: services.record_arrival(actor=request.user, visit=v, **d),
        )

    @NO_BODY
    @action(detail=True, methods=["post"])
    def knock(self, request, pk=None):
        return self._act(None, lambda v, d: services.record_knock(actor=request.user, visit=v))

    @NO_BODY
    @action(detail=True, methods=["post"], url_path="call-failed")
    def call_failed(self, request, pk=None):
        return self._act(
            None, lambda v, d: services.record_failed_call(actor=request.user, visit=v)
        )

    @NO_BODY
    @action(detail=True, methods=["post"], url_path="no-answer")
    def no_answer(self, request, pk=None):
        return self._act(None, lambda v, d: services.mark_no_answer(actor=request.user, visit=v))

    @extend_schema(
        request={
            "application/json": VisitNoteJsonSerializer,
            "multipart/form-data": VisitNoteSerializer,
        },
        responses={201: VisitNoteSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[BoundedJSONParser, MultiPartParser])
    def note(self, request, pk=None):
        visit = self.get_object()
        is_json = request.content_type.startswith("application/json")
        serializer_class = VisitNoteJsonSerializer if is_json else VisitNoteSerializer
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.file_visit_note(
            actor=request.user, visit=visit, **serializer.validated_data
        )
        return Response(VisitNoteSerializer(note).data, status.HTTP_201_CREATED)

    @_body(DoorChecksSerializer)
    @action(detail=True, methods=["post"], url_path="start-work")
    def start_work(self, request, pk=None):
        return self._act(
            DoorChecksSerializer, lambda v, d: services.start_work(actor=request.user, visit=v, **d)
        )

    @extend_schema(
        methods=["post"], request=MeasurementSerializer, responses={201: MeasurementSerializer}
    )
    @extend_schema(methods=["get"], responses={200: MeasurementSerializer(many=True)})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def measurements(self, request, pk=None):
        visit = self.get_object()
        if request.method == "GET":
            return Response(MeasurementSerializer(visit.measurements.all(), many=True).data)
        serializer = MeasurementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        measurement = services.add_measurement(
            actor=request.user, visit=visit, **serializer.validated_data
        )
        return Response(MeasurementSerializer(measurement).data, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": MeasurementLogSerializer},
        responses={201: MeasurementLogsSerializer},
        description=(
            "Import a test log (our CSV template, CellMapper's CSV export, a G-NetTrack / "
            "G-NetReport log; docs/measurement-logs.md) while working on site. A file with wrong "
            "lines is refused whole: 400 with code log_invalid and every line's error under "
            "errors.file."
        ),
    )
    @extend_schema(methods=["get"], responses={200: MeasurementLogsSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="measurement-logs",
        parser_classes=[BoundedJSONParser, MultiPartParser],
        pagination_class=None,
    )
    def measurement_logs(self, request, pk=None):
        visit = self.get_object()
        if request.method == "POST":
            serializer = MeasurementLogSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data["file"]
            services.import_measurement_log(
                actor=request.user,
                visit=visit,
                file_name=upload.name,
                data=upload.read(measurement_logs.MAX_BYTES + 1),
                phase=serializer.validated_data.get("phase", ""),
                place=serializer.validated_data.get("place", ""),
            )
        body = {
            "imports": visit.measurement_imports.all(),
            "verdicts": verdicts.visit_verdicts(visit.pk),
        }
        code = status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK
        return Response(MeasurementLogsSerializer(body).data, code)

    @_body(OutcomeSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        return self._act(
            OutcomeSerializer,
            lambda v, d: services.record_outcome(actor=request.user, visit=v, **d),
        )

    @_body(ReplySerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        return self._act(
            ReplySerializer,
            lambda v, d: services.record_reply(
                actor=request.user,
                visit=v,
                message=d["message"],
                by_sms=d["by_sms"],
                confirm_wording=d["confirm"],
            ),
        )

    @extend_schema(request=HandoverRequestSerializer, responses={201: HandoverSerializer})
    @action(detail=True, methods=["post"])
    def handover(self, request, pk=None):
        """R16: ask the customer to agree to a colleague taking over: the customer gets an SMS
        with a one-time code; nothing changes hands until the code comes back (handover/confirm).
        A newer request replaces a pending one."""
        visit = self.get_object()
        serializer = HandoverRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        handover = services.request_handover(
            actor=request.user,
            visit=visit,
            to_engineer=data["to_engineer"],
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            note=data["note"],
            confirm_wording=data["confirm"],
        )
        return Response(HandoverSerializer(handover).data, status.HTTP_201_CREATED)

    @extend_schema(request=HandoverCodeSerializer, responses={200: HandoverSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="handover/confirm",
        url_name="handover-confirm",
    )
    def handover_confirm(self, request, pk=None):
        """R16: the customer's code, typed by the customer on the engineer's phone: the visit is
        handed over ("handed_over") and the receiving engineer's visit booked (`successor`). A
        wrong code is counted; after five the request is refused."""
        visit = self.get_object()
        serializer = HandoverCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handover = services.confirm_handover(
            actor=request.user,
            visit=visit,
            code=serializer.validated_data["code"],
            channel=ConsentChannel.API,
        )
        return Response(HandoverSerializer(handover).data)

    @_body(NoteSerializer)
    @action(detail=True, methods=["post"])
    def complaint(self, request, pk=None):
        return self._act(
            NoteSerializer,
            lambda v, d: services.report_complaint_on_site(actor=request.user, visit=v, **d),
        )

    @_body(NoSurveySerializer)
    @action(detail=True, methods=["post"], url_path="no-survey")
    def no_survey(self, request, pk=None):
        return self._act(
            NoSurveySerializer,
            lambda v, d: services.record_no_survey(actor=request.user, visit=v, **d),
        )

    @_body(LeaveSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        return self._act(
            LeaveSerializer,
            lambda v, d: services.leave_visit(actor=request.user, visit=v, **d),
        )

    @_body(NoteSerializer)
    @action(detail=True, methods=["post"], url_path="complaint-follow-up")
    def complaint_follow_up(self, request, pk=None):
        return self._act(
            NoteSerializer,
            lambda v, d: services.follow_up_complaint(actor=request.user, visit=v, **d),
        )


class RescheduleRequestViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """R11: late reschedules waiting for a supervisor; a supervisor approves or rejects."""

    throttle_scope = "visits"
    permission_classes = [HasRole]
    allowed_roles = DESK
    serializer_class = RescheduleRequestSerializer

    def get_queryset(self):
        if self.action == "list":
            return selectors.pending_requests()
        # A decided request is still found: deciding it again is a conflict (409, "decided
        # already: approved"), not a 404, for whoever lost the race to decide it.
        return RescheduleRequest.objects.all()

    def _decide(self, request, approve: bool):
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        req = services.decide_reschedule_request(
            actor=request.user,
            request=self.get_object(),
            approve=approve,
            note=serializer.validated_data["note"],
        )
        return Response(RescheduleRequestSerializer(req).data)

    @extend_schema(request=DecisionSerializer, responses={200: RescheduleRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, approve=True)

    @extend_schema(request=DecisionSerializer, responses={200: RescheduleRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, approve=False)
