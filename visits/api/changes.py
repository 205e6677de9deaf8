"""R11: reschedule and cancel a visit (the desk's), late ones as requests, and the supervisor's
decisions on those requests."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dispatch.api import DecisionSerializer
from dispatch.api_fields import TextField
from dispatch.dates import ApiMomentField
from dispatch.permissions import DESK, HasRole

from .. import selectors, services
from ..models import RescheduleRequest
from .serializers import (
    ConfirmWordingField,
    RescheduleRequestSerializer,
    UsernameField,
    VisitDetailSerializer,
    _body,
)


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


class CancelSerializer(serializers.Serializer):
    reason = TextField(help_text="Told to the customer with the apology.")
    customer_agreed = serializers.BooleanField(
        help_text="R11: apologised, gave the reason, and the customer agreed."
    )
    force_majeure = serializers.BooleanField(
        default=False, help_text="R11: under 2 h, a supervisor may cancel for force majeure."
    )
    confirm = ConfirmWordingField()


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


class ChangeActions:
    """Reschedule and cancel, directly or as a request (R11)."""

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
