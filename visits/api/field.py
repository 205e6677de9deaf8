"""The engineer's steps at a visit (R8–R10, R13–R17, R20): re-confirm, set out, arrive, knock,
start, outcome, notes, replies, complaints, leave."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from dispatch.api_fields import TextField
from dispatch.dates import ApiMomentField
from dispatch.json_input import BoundedJSONParser

from .. import services
from ..models import DoorCheck, NoSurveyReason
from .serializers import (
    NO_BODY,
    ConfirmWordingField,
    VisitNoteJsonSerializer,
    VisitNoteSerializer,
    _body,
)


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


class NoteSerializer(serializers.Serializer):
    note = TextField()


class NoSurveySerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=NoSurveyReason.choices)


class LeaveSerializer(serializers.Serializer):
    complained = serializers.BooleanField(
        allow_null=True, help_text="R17: did the customer complain about the service?"
    )
    complaint_note = TextField(required=False, allow_blank=True, default="")


class FieldActions:
    """The engineer's steps at the visit."""

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
