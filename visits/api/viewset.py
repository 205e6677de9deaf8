"""VisitViewSet: the visits' routes, scoped by role and object, and who may take each step; its
actions come from one mixin a topic."""

from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from dispatch.pagination import VisitCursor
from dispatch.permissions import HasRole

from .. import selectors, services
from ..models import Visit
from .booking import BookingActions, BookSerializer
from .changes import ChangeActions
from .field import FieldActions
from .handover import HandoverActions
from .measurements import MeasurementActions
from .serializers import EVERYONE, VisitDetailSerializer, VisitFilter, VisitSerializer


class VisitViewSet(
    BookingActions,
    ChangeActions,
    FieldActions,
    MeasurementActions,
    HandoverActions,
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
