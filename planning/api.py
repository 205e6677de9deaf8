"""Suggestions as JSON for the desk: the same selector as the booking page. Each suggestion
carries the body to POST to /api/visits/ to book it (the booking service checks again)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.api_errors import form_errors
from dispatch.api_fields import TextField
from dispatch.models import Ticket
from dispatch.permissions import DESK, HasRole
from dispatch.selectors import tickets_for

from .forms import SuggestForm
from .suggestions import suggest


class KeptSerializer(serializers.Serializer):
    code = TextField(help_text="engineer_free, arrives_early, two_hours_notice, working_hours")
    detail = TextField()


class BookBodySerializer(serializers.Serializer):
    ticket = TextField()
    engineer = TextField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class SuggestionSerializer(serializers.Serializer):
    engineer = TextField(source="engineer.username")
    engineer_name = TextField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    travel_minutes = serializers.IntegerField()
    depart_by = serializers.DateTimeField()
    day_load = serializers.IntegerField(help_text="The engineer's other visits that day.")
    grid_match = serializers.BooleanField()
    kept = KeptSerializer(many=True, help_text="The rules this slot keeps, in words.")
    reasons = serializers.ListField(child=TextField())
    book = serializers.SerializerMethodField()

    def get_book(self, s) -> BookBodySerializer:
        return {
            "ticket": self.context["ticket"].number,
            "engineer": s.engineer.username,
            "start": s.start.isoformat(),
            "end": s.end.isoformat(),
        }


class SuggestionsView(APIView):
    """The best few (engineer, slot) pairs for a ticket over the next days, ranked by the policy
    (the centre's by default), each with the rules it keeps: the engineer is free, arrives five
    minutes early with the travel time, moves an agreed time only with two hours' notice, and
    stays within working hours."""

    throttle_scope = "tickets"
    permission_classes = [HasRole]
    allowed_roles = DESK

    @extend_schema(
        parameters=[
            OpenApiParameter("duration", int, description="Minutes: 30, 60, 90, 120, …"),
            OpenApiParameter(
                "policy",
                str,
                enum=["balanced", "earliest", "least_travel", "even_workload", "grid_match"],
            ),
            OpenApiParameter("days", int, description="Days ahead: 1, 2, 3, 5 or 7"),
        ],
        responses=SuggestionSerializer(many=True),
    )
    def get(self, request, number):
        try:
            ticket = tickets_for(request.user).select_related("grid").get(number=number)
        except Ticket.DoesNotExist as exc:
            raise Http404 from exc
        form = SuggestForm(request.query_params)
        if not form.is_valid():
            raise form_errors(form)
        found = suggest(user=request.user, ticket=ticket, **form.values())
        return Response(SuggestionSerializer(found, many=True, context={"ticket": ticket}).data)
