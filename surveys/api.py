"""REST API of the survey: issue a link, read signed surveys and the questions.

There is deliberately no endpoint that writes a signed survey (R23): the customer signs on the
page behind the token, and signed records are immutable (no update or delete either).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from dispatch.api_fields import ModelSerializer, TextField
from dispatch.permissions import HasRole
from dispatch.roles import Role
from dispatch.sites import site_url

from . import selectors, services
from .models import Answer, LinkChannel, Question, SurveyLink, SurveyResponse

STAFF = (Role.ENGINEER, Role.DISPATCHER, Role.SUPERVISOR)


class IssueLinkSerializer(serializers.Serializer):
    visit = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=LinkChannel.choices)


class SurveyLinkSerializer(ModelSerializer):
    phone = TextField(source="masked_phone", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = SurveyLink
        fields = ["id", "visit", "channel", "phone", "issued_at", "expires_at", "url"]
        read_only_fields = fields

    def get_url(self, link) -> str | None:
        # The SMS link goes to the customer's phone only; QR and engineer's-phone links are for
        # the engineer's screen, and the page behind them asks for the customer's SMS code.
        if link.channel == LinkChannel.SMS:
            return None
        return self.context.get("url")


class AnswerSerializer(ModelSerializer):
    class Meta:
        model = Answer
        fields = ["code", "kind", "text", "importance", "score", "yes", "comment"]
        read_only_fields = fields


class SurveyResponseSerializer(ModelSerializer):
    ticket = TextField(source="visit.ticket.number", read_only=True)
    engineer = TextField(source="visit.engineer.username", read_only=True)

    class Meta:
        model = SurveyResponse
        fields = ["id", "visit", "ticket", "engineer", "signed_at", "channel", "verified_by_code"]
        read_only_fields = fields


class SurveyResponseDetailSerializer(SurveyResponseSerializer):
    answers = AnswerSerializer(many=True, read_only=True)
    verified = serializers.SerializerMethodField()

    class Meta(SurveyResponseSerializer.Meta):
        fields = [
            *SurveyResponseSerializer.Meta.fields,
            "ip_address",
            "user_agent",
            "work_order_text",
            "measurements",
            "signature_strokes",
            "digest",
            "verified",
            "answers",
        ]
        read_only_fields = fields

    def get_verified(self, response) -> bool:
        return response.verify()


class QuestionSerializer(ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "code", "kind", "text", "text_en", "importance", "position", "required"]
        read_only_fields = fields


class SurveyLinkViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Issue a survey link for a visit whose work has ended (R22, R23). Refused with
    {"code", "detail"}: 403 not the visit's engineer, 409 work not ended or already signed."""

    throttle_scope = "survey-links"
    error_statuses = ("404",)  # a visit outside the user's scope (dispatch.api_schema)
    permission_classes = [HasRole]
    allowed_roles = STAFF
    serializer_class = IssueLinkSerializer

    def get_queryset(self):
        return SurveyLink.objects.none()

    @extend_schema(request=IssueLinkSerializer, responses={201: SurveyLinkSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = selectors.visits_for(request.user).filter(pk=serializer.validated_data["visit"])
        visit = visit.first()
        if visit is None:
            return Response(
                {"code": "not_found", "detail": "No such visit."}, status=status.HTTP_404_NOT_FOUND
            )
        issued = services.issue_link(
            actor=request.user,
            visit=visit,
            channel=serializer.validated_data["channel"],
            base_url=site_url(request),
        )
        data = SurveyLinkSerializer(issued.link, context={"url": issued.url}).data
        return Response(data, status=status.HTTP_201_CREATED)


class SurveyResponseViewSet(viewsets.ReadOnlyModelViewSet):
    """Signed surveys, read-only: an engineer sees their own visits', the desk sees all.
    The detail says whether the record still matches its SHA-256 digest."""

    throttle_scope = "surveys"
    permission_classes = [HasRole]
    allowed_roles = STAFF

    def get_queryset(self):
        qs = selectors.responses_for(self.request.user)
        if self.action == "retrieve":
            return qs.prefetch_related("answers")
        return qs

    def get_serializer_class(self):
        if self.action == "retrieve":
            return SurveyResponseDetailSerializer
        return SurveyResponseSerializer


class QuestionViewSet(viewsets.ReadOnlyModelViewSet):
    """The survey items in use, with their importance (R25)."""

    throttle_scope = "surveys"
    permission_classes = [HasRole]
    allowed_roles = STAFF
    serializer_class = QuestionSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.questions()
