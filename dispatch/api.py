"""REST API for complaint tickets: the same selectors and services as the pages."""

import re

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors, services, transfers, waivers
from .api_errors import validate_all
from .api_fields import ModelSerializer, RowsMixin, TextField
from .errors import RuleViolation
from .models import (
    ComplaintKind,
    Complexity,
    ContactChannel,
    CustomerContact,
    Deadline,
    Grid,
    Ticket,
    TicketStatus,
    TransferRequest,
    WaiverRequest,
)
from .pagination import TicketCursor
from .permissions import DESK, HasRole
from .search import search

User = get_user_model()

# The API's Idempotency-Key header (issue 15): visible ASCII, as the draft standard says.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,64}")


class DeadlineSerializer(ModelSerializer):
    class Meta:
        model = Deadline
        fields = ["id", "kind", "state", "due_at", "met_at", "overdue_at", "visit"]


def _missing_facts(row) -> list[str]:
    """R1 as Ticket.missing_facts says it, for a list row."""
    facts = {name: row[name] for name in ("phenomenon", "location_detail", "customer_action")}
    return Ticket(**facts).missing_facts


class TicketSerializer(RowsMixin, ModelSerializer):
    """A ticket in the list (read from `values()` rows, dispatch.api_fields.RowsMixin: the
    list's time was DRF walking 21 fields of 50 instances, docs/benchmarks.md) and the base of
    the ticket's own page."""

    row_computed = {"missing_facts": _missing_facts}

    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    phone = PhoneNumberField(read_only=True)
    missing_facts = serializers.ListField(child=TextField(), read_only=True)
    next_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    grid = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "number",
            "status",
            "kind",
            "complexity",
            "customer_name",
            "contact_person",
            "phone",
            "address",
            "phenomenon",
            "location_detail",
            "customer_action",
            "latitude",
            "longitude",
            "grid",
            "missing_facts",
            "owner",
            "transfer_count",
            "created_at",
            "closed_at",
            "next_due_at",
            "is_overdue",
        ]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    deadlines = DeadlineSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "deadlines"]
        read_only_fields = fields


class OpenTicketSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ComplaintKind.choices)
    complexity = serializers.ChoiceField(choices=Complexity.choices, default=Complexity.SIMPLE)
    customer_name = TextField(required=False, allow_blank=True, max_length=100)
    contact_person = TextField(required=False, allow_blank=True, max_length=100)
    phone = PhoneNumberField(required=False, allow_blank=True, region="CN")
    address = TextField(required=False, allow_blank=True, max_length=255)
    phenomenon = TextField(required=False, allow_blank=True)
    location_detail = TextField(required=False, allow_blank=True, max_length=255)
    customer_action = TextField(required=False, allow_blank=True)
    # Where the visit will go (optional), for suggestions: a pin and/or the centre's grid.
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        min_value=-180,
        max_value=180,
    )
    grid = serializers.SlugRelatedField(
        slug_field="name", queryset=Grid.objects.all(), required=False, allow_null=True
    )


class UpdateTicketSerializer(OpenTicketSerializer):
    """PATCH: the details to complete or correct; those left out stay as they are."""

    kind = serializers.ChoiceField(choices=ComplaintKind.choices, required=False)
    complexity = serializers.ChoiceField(choices=Complexity.choices, required=False)


class TransferSerializer(serializers.Serializer):
    to_user = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True)
    )
    note = TextField()


class DecisionSerializer(serializers.Serializer):
    note = TextField(required=False, allow_blank=True, default="")


# Named apart from TransferSerializer's request body (the schema calls that "TransferRequest").
@extend_schema_serializer(component_name="SecondTransferRequest")
class TransferRequestSerializer(ModelSerializer):
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    to_user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = TransferRequest
        fields = [
            "id",
            "ticket",
            "requested_by",
            "to_user",
            "note",
            "state",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]
        read_only_fields = fields


class WaiverAskSerializer(serializers.Serializer):
    resolution = TextField()
    reason = TextField(help_text="Why the promise owed (R6, R13, R15) can't be kept.")


class WaiverRequestSerializer(ModelSerializer):
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    asked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = WaiverRequest
        fields = [
            "id",
            "ticket",
            "asked_by",
            "resolution",
            "reason",
            "state",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]
        read_only_fields = fields


class ContactSerializer(ModelSerializer):
    class Meta:
        model = CustomerContact
        fields = ["id", "channel", "progress", "answered", "new_promised_at", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"channel": {"default": ContactChannel.PHONE}}


class CloseSerializer(serializers.Serializer):
    resolution = TextField()
    customer_told = serializers.BooleanField(
        default=False,
        help_text="The resolution was given to the customer: meets the acknowledgement (R6).",
    )
    waive_reason = TextField(
        required=False,
        allow_blank=True,
        default="",
        help_text="A supervisor waives the promises still owed (R6, R13, R15), with a reason.",
    )


class TicketFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=TicketStatus.choices)
    kind = filters.ChoiceFilter(choices=ComplaintKind.choices)
    owner = filters.CharFilter(field_name="owner__username")
    # "true" or "false", else 400 (a BooleanFilter would let any other word through unfiltered).
    overdue = filters.TypedChoiceFilter(
        field_name="is_overdue",
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
    )

    q = filters.CharFilter(
        method="find_caller",
        max_length=100,
        help_text="Phone, name, address or ticket number: every word must match.",
    )

    class Meta:
        model = Ticket
        fields = ["status", "kind", "owner", "overdue", "q"]

    def find_caller(self, queryset, name, value):
        return search(queryset, value)


class TicketViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Complaint tickets. Creating, transferring, contacting and closing go through the services
    that enforce R1–R6; a broken rule answers 400/403/409 with {"code", "detail"}."""

    throttle_scope = "tickets"
    permission_classes = [HasRole]
    allowed_roles = DESK
    lookup_field = "number"
    filterset_class = TicketFilter
    pagination_class = TicketCursor  # no COUNT(*), no OFFSET (issue 14)

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.ticket_list(self.request.user).order_by().prefetch_related("deadlines")
        if self.action == "list":
            # Rows, not instances: the list's time is its serialisation (docs/benchmarks.md).
            return TicketSerializer.rows(selectors.ticket_list(self.request.user))
        return selectors.ticket_list(self.request.user)

    def get_serializer_class(self):
        return {
            "create": OpenTicketSerializer,
            "partial_update": UpdateTicketSerializer,
            "retrieve": TicketDetailSerializer,
            "transfer": TransferSerializer,
            "transfer_request": TransferSerializer,
            "waiver_request": WaiverAskSerializer,
            "contact": ContactSerializer,
            "close": CloseSerializer,
        }.get(self.action, TicketSerializer)

    def _respond(self, ticket, code=status.HTTP_200_OK):
        ticket = selectors.ticket_detail(self.request.user, ticket.number)
        return Response(TicketDetailSerializer(ticket).data, status=code)

    @extend_schema(
        request=OpenTicketSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Any text of up to 64 visible characters, new for each complaint: "
                "sent again (a retry), the ticket the first request took answers 200 instead of "
                "a second ticket; with another body, 409 idempotency_key_reused.",
            )
        ],
        responses={201: TicketDetailSerializer, 200: TicketDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "")
        if key and not IDEMPOTENCY_KEY.fullmatch(key):
            raise RuleViolation(
                "invalid_idempotency_key",
                _("The Idempotency-Key header is up to 64 visible characters."),
                field="Idempotency-Key",
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ticket = services.open_ticket(actor=request.user, intake_key=key, **data)
        if ticket.intake_replay == "changed":
            raise RuleViolation(
                "idempotency_key_reused",
                _(
                    "This Idempotency-Key took complaint %(number)s with other content; use a "
                    "new key for a new complaint."
                )
                % {"number": ticket.number},
                status=409,
            )
        response = self._respond(
            ticket, status.HTTP_200_OK if ticket.intake_replay else status.HTTP_201_CREATED
        )
        if ticket.intake_replay:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(request=UpdateTicketSerializer, responses={200: TicketDetailSerializer})
    def partial_update(self, request, number=None):
        """Complete or correct the ticket's details (the owner or a supervisor, R3). Every
        invalid field is answered at once under "errors". A booked visit's customer gets a
        corrected phone or address by SMS; what it was booked on can't be emptied."""
        ticket = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        data = validate_all(
            serializer,
            lambda readable: services.check_ticket_update(
                actor=request.user, ticket=ticket, changes=readable
            ),
        )
        ticket = services.update_ticket(actor=request.user, ticket=ticket, changes=dict(data))
        return self._respond(ticket)

    @extend_schema(request=TransferSerializer, responses={200: TicketDetailSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request, number=None):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.transfer_ticket(
            actor=request.user, ticket=self.get_object(), **serializer.validated_data
        )
        return self._respond(ticket)

    @extend_schema(request=TransferSerializer, responses={201: TransferRequestSerializer})
    @action(detail=True, methods=["post"], url_path="transfer-request")
    def transfer_request(self, request, number=None):
        """R4: the owner of a ticket transferred once asks a supervisor for a second transfer;
        409 when one is waiting already or none is needed."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        req = transfers.request_second_transfer(
            actor=request.user, ticket=self.get_object(), **serializer.validated_data
        )
        return Response(TransferRequestSerializer(req).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WaiverAskSerializer, responses={201: WaiverRequestSerializer})
    @action(detail=True, methods=["post"], url_path="waiver-request")
    def waiver_request(self, request, number=None):
        """R6, R13, R15: the owner of a ticket that can't close for a promise owed asks a
        supervisor to waive it; 409 when one is waiting already or nothing is owed."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        req = waivers.request_waiver(
            actor=request.user, ticket=self.get_object(), **serializer.validated_data
        )
        return Response(WaiverRequestSerializer(req).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ContactSerializer, responses={201: ContactSerializer})
    @action(detail=True, methods=["post"])
    def contact(self, request, number=None):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = services.record_contact(
            actor=request.user, ticket=self.get_object(), **serializer.validated_data
        )
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CloseSerializer, responses={200: TicketDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, number=None):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.close_ticket(
            actor=request.user, ticket=self.get_object(), **serializer.validated_data
        )
        return self._respond(ticket)


class _DecisionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Requests waiting for a supervisor (the approvals inbox's API); a supervisor approves or
    refuses through the request's service, which checks the role."""

    throttle_scope = "tickets"
    permission_classes = [HasRole]
    allowed_roles = DESK

    def pending(self):
        raise NotImplementedError

    def decided_too(self):
        raise NotImplementedError

    def decide(self, *, actor, request, approve: bool, note: str):
        raise NotImplementedError

    def get_queryset(self):
        if self.action == "list":
            return self.pending()
        # A decided request is still found: deciding it again is a conflict (409, "decided
        # already"), not a 404, for whoever lost the race to decide it.
        return self.decided_too()

    def _decide(self, request, approve: bool):
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        req = self.decide(
            actor=request.user,
            request=self.get_object(),
            approve=approve,
            note=serializer.validated_data["note"],
        )
        return Response(self.get_serializer(req).data)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, approve=True)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, approve=False)


@extend_schema_view(
    approve=extend_schema(request=DecisionSerializer, responses={200: TransferRequestSerializer}),
    reject=extend_schema(request=DecisionSerializer, responses={200: TransferRequestSerializer}),
)
class TransferRequestViewSet(_DecisionViewSet):
    """R4: second transfers waiting for a supervisor; a supervisor approves or refuses."""

    serializer_class = TransferRequestSerializer

    def pending(self):
        return selectors.pending_transfer_requests()

    def decided_too(self):
        return TransferRequest.objects.select_related("ticket", "requested_by", "to_user")

    def decide(self, **kwargs):
        return transfers.decide_transfer_request(**kwargs)


@extend_schema_view(
    approve=extend_schema(request=DecisionSerializer, responses={200: WaiverRequestSerializer}),
    reject=extend_schema(request=DecisionSerializer, responses={200: WaiverRequestSerializer}),
)
class WaiverRequestViewSet(_DecisionViewSet):
    """R6, R13, R15: waivers of a promise owed waiting for a supervisor; approving closes the
    ticket, refusing keeps it open."""

    serializer_class = WaiverRequestSerializer

    def pending(self):
        return selectors.pending_waiver_requests()

    def decided_too(self):
        return WaiverRequest.objects.select_related("ticket", "asked_by")

    def decide(self, **kwargs):
        return waivers.decide_waiver_request(**kwargs)
