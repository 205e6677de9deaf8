"""REST API of the pre-visit check: the same selectors and services as the pages.

The phone's script ticks through `POST /api/kit/visits/<visit>/tick/`; `GET .../gate/` answers
409 with the missing items while the kit is incomplete (R20).
"""

from datetime import date, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dispatch.api_errors import form_errors
from dispatch.api_fields import ModelSerializer, TextField
from dispatch.errors import RuleViolation
from dispatch.permissions import DESK, HasRole
from dispatch.roles import Role
from visits.services import require_engineer

from . import selectors, services
from .forms import PeriodForm
from .models import ChecklistItem, ItemGroup


class KitItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = TextField(source="item.code")
    group = TextField()
    label = TextField()
    label_zh = TextField()
    label_en = TextField()
    substitute = TextField()
    required = serializers.BooleanField()
    ticked = serializers.BooleanField()
    ticked_at = serializers.DateTimeField(allow_null=True)
    used_substitute = serializers.BooleanField()


class KitSerializer(serializers.Serializer):
    visit = serializers.IntegerField(source="visit.pk")
    engineer = TextField(source="visit.engineer.username")
    complete = serializers.BooleanField()
    kit_completed_at = serializers.DateTimeField(source="visit.kit_completed_at", allow_null=True)
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    missing = serializers.ListField(child=TextField())
    editable = serializers.BooleanField()
    items = KitItemSerializer(many=True)


class TickSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    ticked = serializers.BooleanField(default=True)
    substitute = serializers.BooleanField(default=False)


class GateSerializer(serializers.Serializer):
    code = TextField(required=False)
    detail = TextField(required=False)
    ready = serializers.BooleanField()
    missing = serializers.ListField(child=TextField())


class KitViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The kit of one visit, looked up by the visit's id. Another engineer's visit is 404;
    only the visit's engineer ticks (403 otherwise)."""

    throttle_scope = "kit"
    permission_classes = [HasRole]
    allowed_roles = (Role.ENGINEER, *DESK)
    serializer_class = KitSerializer

    def get_queryset(self):
        return selectors.kit_visits_for(self.request.user)

    def get_object(self):
        visit = super().get_object()  # scoped: 404 for a visit the user may not see
        return selectors.kit_visit(self.request.user, visit.pk)

    def _state(self, visit):
        editable = visit.engineer_id == self.request.user.pk and services.kit_is_editable(visit)
        return KitSerializer(selectors.kit_state(visit, editable=editable)).data

    @extend_schema(responses={200: KitSerializer})
    def retrieve(self, request, *args, **kwargs):
        visit = self.get_object()
        is_engineer = visit.engineer_id == request.user.pk
        if is_engineer and services.kit_is_editable(visit) and not hasattr(visit, "kit_run"):
            services.open_kit(actor=request.user, visit=visit)
            visit = selectors.kit_visit(request.user, visit.pk)
        return Response(self._state(visit))

    @extend_schema(request=TickSerializer, responses={200: KitSerializer})
    @action(detail=True, methods=["post"])
    def tick(self, request, pk=None):
        visit = self.get_object()  # outside the user's scope: 404 whatever the body says
        require_engineer(request.user, visit)  # a field step: 403 before the body is read
        serializer = TickSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.tick_item(actor=request.user, visit=visit, **serializer.validated_data)
        return Response(self._state(selectors.kit_visit(request.user, visit.pk)))

    @extend_schema(
        responses={
            200: GateSerializer,
            409: OpenApiResponse(GateSerializer, description="R20: the kit is incomplete."),
        }
    )
    @action(detail=True, methods=["get"])
    def gate(self, request, pk=None):
        """R20: may this visit be started? 409 with the missing items while it may not."""
        visit = self.get_object()
        try:
            services.require_kit_complete(visit=visit)
        except RuleViolation as exc:
            body = {
                "code": exc.code,
                "detail": exc.message,
                "ready": False,
                "missing": selectors.kit_missing(visit),
            }
            return Response(body, status=exc.status)
        return Response({"ready": True, "missing": []})


class ItemSerializer(ModelSerializer):
    label = TextField(read_only=True)
    group = serializers.ChoiceField(choices=ItemGroup.choices)

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "code",
            "group",
            "label",
            "label_zh",
            "label_en",
            "substitute_zh",
            "substitute_en",
            "required",
            "position",
            "active",
        ]
        read_only_fields = ["id", "code", "position", "active"]


class MoveSerializer(serializers.Serializer):
    offset = serializers.ChoiceField(choices=[-1, 1])


class ItemViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The kit items (R20): supervisors add, reword, reorder, retire and restore them."""

    throttle_scope = "kit"
    permission_classes = [HasRole]
    allowed_roles = (Role.SUPERVISOR,)
    serializer_class = ItemSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.items_for_editing()

    def perform_create(self, serializer):
        serializer.instance = services.create_item(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_item(
            actor=self.request.user, item=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=MoveSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.move_item(
            actor=request.user, item=self.get_object(), offset=serializer.validated_data["offset"]
        )
        return Response(ItemSerializer(item).data)

    @extend_schema(request=None, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        item = services.set_item_active(actor=request.user, item=self.get_object(), active=False)
        return Response(ItemSerializer(item).data)

    @extend_schema(request=None, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        item = services.set_item_active(actor=request.user, item=self.get_object(), active=True)
        return Response(ItemSerializer(item).data)


class EngineerRowSerializer(serializers.Serializer):
    engineer = TextField(source="engineer.username")
    visits = serializers.IntegerField()
    arrived = serializers.IntegerField()
    kit_before_arrival = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class MissingRowSerializer(serializers.Serializer):
    item = TextField(source="item.code")
    label = TextField(source="item.label")
    missing = serializers.IntegerField()
    share = serializers.FloatField()


# One report object, though the route is the viewset's list: not an array in the schema.
@extend_schema_serializer(many=False)
class ReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    engineers = EngineerRowSerializer(many=True)
    missing = MissingRowSerializer(many=True)
    never_opened = serializers.IntegerField()


def _shift(day: str, days: int) -> str:
    """`day` moved by `days`, or `day` as it was when it is no date (the form then says so)."""
    try:
        return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
    except (ValueError, OverflowError):
        return day


class ReportViewSet(viewsets.ViewSet):
    """Completion before arrival per engineer, and the items most often missing, for a period
    (`?start=YYYY-MM-DD&end=YYYY-MM-DD`, default the last four weeks)."""

    throttle_scope = "kit"
    permission_classes = [HasRole]
    allowed_roles = (Role.SUPERVISOR,)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day (inclusive)"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (inclusive)"),
        ],
        responses={200: ReportSerializer},
    )
    def list(self, request):
        query = request.query_params.copy()
        if query.get("start") and not query.get("end"):  # one date alone: four weeks from it
            query["end"] = _shift(query["start"], days=27)
        elif query.get("end") and not query.get("start"):  # or up to it
            query["start"] = _shift(query["end"], days=-27)
        form = PeriodForm(query or None)
        if form.is_bound and not form.is_valid():
            raise form_errors(form)
        period = form.period()
        missing, never_opened = selectors.most_missing_items(period)
        data = {
            "start": period.start,
            "end": period.end,
            "engineers": selectors.kit_completion_by_engineer(period),
            "missing": missing,
            "never_opened": never_opened,
        }
        return Response(ReportSerializer(data).data, status=status.HTTP_200_OK)
