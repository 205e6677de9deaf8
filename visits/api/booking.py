"""R1, R2, R7: book a visit, and the engineers' free/busy times for the booking dialog."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from dispatch.dates import ApiMomentField
from dispatch.models import Ticket

from .. import selectors, services
from .serializers import UsernameField, VisitDetailSerializer


class BookSerializer(serializers.Serializer):
    ticket = serializers.SlugRelatedField(slug_field="number", queryset=Ticket.objects.all())
    engineer = UsernameField()
    start = ApiMomentField()
    end = ApiMomentField()


class AvailabilityQuerySerializer(serializers.Serializer):
    engineer = UsernameField()
    start = ApiMomentField()
    end = ApiMomentField()
    exclude = serializers.IntegerField(required=False, help_text="A visit being rescheduled.")


class BusySerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class AvailabilitySerializer(serializers.Serializer):
    """Free/busy only: the time ranges, nothing about the visits that fill them."""

    free = serializers.BooleanField()
    busy = BusySerializer(many=True)


class BookingActions:
    """Book a visit; free/busy times."""

    @extend_schema(request=BookSerializer, responses={201: VisitDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = BookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visit = services.book_visit(
            actor=request.user,
            ticket=data["ticket"],
            engineer=data["engineer"],
            start=data["start"],
            end=data["end"],
        )
        return self._respond(visit, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[AvailabilityQuerySerializer], responses={200: AvailabilitySerializer}
    )
    @action(detail=False, methods=["get"])
    def availability(self, request):
        """R7 before booking: is the engineer free in [start, end)? Adjacent visits don't clash.
        The desk asks about anyone, an engineer about themselves (403 otherwise); the answer is
        free/busy time ranges only."""
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        busy = selectors.busy_times(
            request.user,
            engineer=data["engineer"],
            start=data["start"],
            end=data["end"],
            exclude=data.get("exclude"),
        )
        rows = [{"start": start, "end": end} for start, end in busy]
        return Response(AvailabilitySerializer({"free": not rows, "busy": rows}).data)
