"""A visit as the API shows it (list row and detail, with what is nested in it), the fields the
topics share, the list's filters, and the schema helpers of the actions."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, ExpressionWrapper, Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers

from dispatch.api_fields import ModelSerializer, RowsMixin, TextField
from dispatch.dates import validate_day
from dispatch.models import Deadline
from dispatch.people import mask_phone
from dispatch.roles import Role

from .. import selectors
from ..models import (
    HandoverState,
    Measurement,
    RescheduleRequest,
    Violation,
    Visit,
    VisitHandover,
    VisitNote,
    VisitStatus,
)
from ..next_steps import NextSteps, next_steps
from ..services.work import MEASUREMENT_FIELDS

User = get_user_model()


EVERYONE = (Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR)


class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)


class ConfirmWordingField(serializers.BooleanField):
    """R27: the free text bound for the customer has a banned phrase and is to be sent as
    written anyway (the first submit without it is refused, naming the phrase)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default", False)
        kwargs.setdefault("help_text", "R27: send the text as written despite a banned phrase.")
        super().__init__(**kwargs)


class VisitDeadlineSerializer(ModelSerializer):
    class Meta:
        model = Deadline
        fields = ["id", "kind", "state", "due_at", "met_at", "overdue_at"]


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
