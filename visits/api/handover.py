"""Hand a visit over to a colleague, who confirms it with the code."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from dispatch.api_fields import TextField
from dispatch.dates import ApiMomentField

from .. import services
from ..models import ConsentChannel
from .serializers import ConfirmWordingField, HandoverSerializer, UsernameField


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


class HandoverActions:
    """Hand the visit over; confirm it."""

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
