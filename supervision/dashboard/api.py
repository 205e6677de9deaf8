"""The dashboard as JSON for supervisors: the same selectors as the page, the same filters."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.api_errors import form_errors
from dispatch.api_fields import ModelSerializer, TextField
from dispatch.models import Deadline
from dispatch.people import display_name
from dispatch.permissions import HasRole
from dispatch.roles import Role

from .board import read_board


class OverdueSerializer(ModelSerializer):
    ticket = TextField(source="ticket.number")
    customer = TextField(source="ticket.customer_name")
    responsible = serializers.SerializerMethodField()
    last_contact_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = Deadline
        fields = ["id", "kind", "ticket", "customer", "responsible", "due_at", "last_contact_at"]

    def get_responsible(self, deadline) -> str:
        return display_name(deadline.responsible)


class RecordSerializer(serializers.Serializer):
    engineer = serializers.SerializerMethodField()
    teams = serializers.ListField(child=TextField())
    visits = serializers.IntegerField()
    punctuality = serializers.FloatField(allow_null=True)
    late_notices = serializers.IntegerField()
    late_reschedules = serializers.IntegerField()
    kit_rate = serializers.FloatField(allow_null=True)
    no_answer = serializers.IntegerField()
    notes_rate = serializers.FloatField(allow_null=True)
    replies_rate = serializers.FloatField(allow_null=True)
    surveys = serializers.IntegerField()
    satisfaction = serializers.FloatField(allow_null=True)

    def get_engineer(self, record) -> str:
        return display_name(record.engineer)


class DashboardSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    overdue = OverdueSerializer(many=True)
    due_soon = OverdueSerializer(many=True)
    engineers = RecordSerializer(many=True)


class DashboardView(APIView):
    """Overdue promises first (R15 replies, R6 acknowledgements, R13 notes, R9 arrivals), what
    falls due within the hour, and each engineer's rule record over the period."""

    throttle_scope = "dashboard"
    permission_classes = [HasRole]
    allowed_roles = (Role.SUPERVISOR,)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="First day, YYYY-MM-DD"),
            OpenApiParameter("end", str, description="Last day, YYYY-MM-DD"),
            OpenApiParameter("engineer", int),
            OpenApiParameter("team", int),
            OpenApiParameter("kind", str, description="Deadline kind"),
        ],
        responses=DashboardSerializer,
    )
    def get(self, request):
        board = read_board(request.query_params)
        if not board.valid:
            raise form_errors(board.period_form, board.scope_form)
        body = {
            "start": board.period.start,
            "end": board.period.end,
            "overdue": [d for _kind, rows in board.watchlist.sections for d in rows],
            "due_soon": board.watchlist.soon,
            "engineers": board.records,
        }
        return Response(DashboardSerializer(body).data)
