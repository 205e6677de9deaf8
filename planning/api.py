"""Planning as JSON for the desk, through the same services as the pages.

Suggestions: the same selector as the booking page; each carries the body to POST to
/api/visits/ to book it (the booking service checks again). The day optimizer: the plan of a
team's day (planning.optimizer.optimize_day, nothing written) and one move accepted at a time
(visits.services.reassign_visit: R7, R11, R26 — the same checks as the page's button)."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.api_errors import form_errors
from dispatch.api_fields import TextField
from dispatch.errors import RuleViolation
from dispatch.models import Ticket
from dispatch.people import display_name
from dispatch.permissions import DESK, HasRole
from dispatch.selectors import tickets_for
from visits import selectors as visit_selectors
from visits import services as visit_services
from visits.api import UsernameField, VisitDetailSerializer
from visits.models import Visit

from .forms import OptimizeForm, SuggestForm
from .optimizer import optimize_day
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


class MeasureSerializer(serializers.Serializer):
    travel_minutes = serializers.IntegerField(source="travel")
    late_minutes = serializers.IntegerField(
        source="late", help_text="Minutes late in all, against arriving five minutes early."
    )
    late_visits = serializers.IntegerField()


class AcceptBodySerializer(serializers.Serializer):
    visit = serializers.IntegerField()
    engineer = TextField()


class MoveSerializer(serializers.Serializer):
    visit = serializers.IntegerField(source="visit.pk")
    ticket = TextField(source="visit.ticket.number")
    start = serializers.DateTimeField(source="visit.start", help_text="Agreed: it does not move.")
    end = serializers.DateTimeField(source="visit.end")
    from_engineer = TextField(source="from_engineer.username")
    from_engineer_name = TextField(source="from_name")
    to_engineer = TextField(source="to_engineer.username")
    to_engineer_name = TextField(source="to_name")
    accept = serializers.SerializerMethodField(
        help_text="The body to POST to /api/planning/moves/ to accept this move."
    )

    def get_accept(self, move) -> AcceptBodySerializer:
        return {"visit": move.visit.pk, "engineer": move.to_engineer.username}


class RouteVisitSerializer(serializers.Serializer):
    visit = serializers.IntegerField(source="pk")
    ticket = TextField(source="ticket.number")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class RouteSerializer(serializers.Serializer):
    engineer = TextField()
    engineer_name = TextField()
    visits = RouteVisitSerializer(many=True)


class DayPlanSerializer(serializers.Serializer):
    day = serializers.DateField()
    booked = MeasureSerializer(help_text="The day as booked.")
    optimized = MeasureSerializer(help_text="The day with every move accepted.")
    travel_saved_minutes = serializers.IntegerField(source="saved_minutes")
    late_minutes_saved = serializers.IntegerField()
    seconds = serializers.FloatField(help_text="How long the plan took to draw up.")
    moves = MoveSerializer(many=True)
    routes = serializers.SerializerMethodField()

    def get_routes(self, plan) -> RouteSerializer(many=True):
        rows = [
            {"engineer": e.username, "engineer_name": display_name(e), "visits": visits}
            for e, visits in plan.engineer_routes()
        ]
        return RouteSerializer(rows, many=True).data


class DayPlanView(APIView):
    """A team's day (tomorrow unless `day` is given) re-planned: who takes which visit, the
    travel and lateness saved against the day as booked, and each move. No customer's agreed
    time changes, and a visit under way or within two hours keeps its engineer. Nothing is
    written: accept each move with POST /api/planning/moves/."""

    throttle_scope = "planning"
    permission_classes = [HasRole]
    allowed_roles = DESK

    @extend_schema(
        parameters=[
            OpenApiParameter("day", OpenApiTypes.DATE, description="Default: tomorrow."),
            OpenApiParameter("team", int, description="A team's id; default: every engineer."),
        ],
        responses=DayPlanSerializer,
    )
    def get(self, request):
        form = OptimizeForm(request.query_params)
        if not form.is_valid():
            raise form_errors(form)
        plan = optimize_day(user=request.user, **form.values())
        return Response(DayPlanSerializer(plan).data)


class AcceptMoveSerializer(serializers.Serializer):
    visit = serializers.IntegerField(help_text="The visit to give to another engineer.")
    engineer = UsernameField(help_text="The engineer who goes instead, at the same time.")


class AcceptMoveView(APIView):
    """Accept one move of the day plan: the visit goes to the other engineer at the same agreed
    time. The checks of any change: two hours' notice at least, the engineer free then (a
    booking or another move that got there first wins, and this one is refused with a
    sentence). The customer gets the standard booking SMS with the new engineer's name."""

    throttle_scope = "visits"
    permission_classes = [HasRole]
    allowed_roles = DESK

    @extend_schema(request=AcceptMoveSerializer, responses={201: VisitDetailSerializer})
    def post(self, request):
        serializer = AcceptMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visit = Visit.objects.filter(pk=data["visit"]).select_related("ticket").first()
        if visit is None:
            raise RuleViolation("visit_not_found", _("There is no such visit."), field="visit")
        new = visit_services.reassign_visit(
            actor=request.user,
            visit=visit,
            engineer=data["engineer"],
            reason=_("Day plan optimised"),
        )
        new = visit_selectors.visit_detail(request.user, new.pk)
        return Response(
            VisitDetailSerializer(new, context={"request": request}).data, status.HTTP_201_CREATED
        )
