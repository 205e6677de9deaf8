"""Measurements at a visit, one by one or as an instrument's log file, and their verdicts."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from dispatch.api_fields import ModelSerializer
from dispatch.json_input import BoundedJSONParser

from .. import measurement_logs, services, verdicts
from ..grading import Verdict
from ..models import MeasurementImport, Phase
from .serializers import MeasurementSerializer


class MeasurementLogSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The log: CSV or tab-separated text, at most 5 MB.")
    phase = serializers.ChoiceField(
        choices=Phase.choices,
        required=False,
        allow_blank=True,
        help_text="Before or after the fix, for an app's log (our template says it per line).",
    )
    place = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Where in the premises, for an app's log (our template says it per line).",
    )


class MeasurementImportSerializer(ModelSerializer):
    class Meta:
        model = MeasurementImport
        fields = ["id", "file_name", "file_format", "sample_count", "skipped", "imported_at"]


class VerdictSerializer(serializers.Serializer):
    place = serializers.CharField()
    phase = serializers.ChoiceField(choices=Phase.choices)
    network = serializers.CharField()
    verdict = serializers.ChoiceField(choices=list(Verdict.LABELS))
    samples = serializers.IntegerField()
    rsrp_dbm = serializers.DecimalField(max_digits=5, decimal_places=1)
    sinr_db = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    download_mbps = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    good_share = serializers.IntegerField(help_text="% of samples at or above the good RSRP line.")


class MeasurementLogsSerializer(serializers.Serializer):
    imports = MeasurementImportSerializer(many=True)
    verdicts = VerdictSerializer(many=True)


class MeasurementActions:
    """Measurements and measurement logs."""

    @extend_schema(
        methods=["post"], request=MeasurementSerializer, responses={201: MeasurementSerializer}
    )
    @extend_schema(methods=["get"], responses={200: MeasurementSerializer(many=True)})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def measurements(self, request, pk=None):
        visit = self.get_object()
        if request.method == "GET":
            return Response(MeasurementSerializer(visit.measurements.all(), many=True).data)
        serializer = MeasurementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        measurement = services.add_measurement(
            actor=request.user, visit=visit, **serializer.validated_data
        )
        return Response(MeasurementSerializer(measurement).data, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": MeasurementLogSerializer},
        responses={201: MeasurementLogsSerializer},
        description=(
            "Import a test log (our CSV template, CellMapper's CSV export, a G-NetTrack / "
            "G-NetReport log; docs/measurement-logs.md) while working on site. A file with wrong "
            "lines is refused whole: 400 with code log_invalid and every line's error under "
            "errors.file."
        ),
    )
    @extend_schema(methods=["get"], responses={200: MeasurementLogsSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="measurement-logs",
        parser_classes=[BoundedJSONParser, MultiPartParser],
        pagination_class=None,
    )
    def measurement_logs(self, request, pk=None):
        visit = self.get_object()
        if request.method == "POST":
            serializer = MeasurementLogSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data["file"]
            services.import_measurement_log(
                actor=request.user,
                visit=visit,
                file_name=upload.name,
                data=upload.read(measurement_logs.MAX_BYTES + 1),
                phase=serializer.validated_data.get("phase", ""),
                place=serializer.validated_data.get("place", ""),
            )
        body = {
            "imports": visit.measurement_imports.all(),
            "verdicts": verdicts.visit_verdicts(visit.pk),
        }
        code = status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK
        return Response(MeasurementLogsSerializer(body).data, code)
