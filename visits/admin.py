from django.contrib import admin

from dispatch.admin import ReadOnlyAdmin

from .models import (
    GradeThresholds,
    Measurement,
    MeasurementImport,
    MeasurementSample,
    RescheduleRequest,
    Violation,
    Visit,
    VisitHandover,
    VisitNote,
)


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "engineer", "start", "end", "status"]
    list_filter = ["status"]
    list_select_related = ["ticket", "engineer"]


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    list_display = ["visit", "phase", "network", "place", "rsrp_dbm", "sinr_db"]


@admin.register(MeasurementImport)
class MeasurementImportAdmin(ReadOnlyAdmin):
    list_display = ["visit", "file_name", "file_format", "sample_count", "imported_at"]
    list_filter = ["file_format"]


@admin.register(MeasurementSample)
class MeasurementSampleAdmin(ReadOnlyAdmin):
    list_display = ["visit", "place", "phase", "network", "rsrp_dbm", "sinr_db", "cell_id"]
    list_select_related = ["visit"]


@admin.register(GradeThresholds)
class GradeThresholdsAdmin(ReadOnlyAdmin):
    """Edited on the supervisor's page (visits:thresholds), through the service."""

    list_display = ["operator", "network", "rsrp_good", "rsrp_poor", "sinr_good", "sinr_poor"]


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    list_display = ["visit", "engineer", "kind", "occurred_at", "minutes", "approved_by"]
    list_filter = ["kind"]
    list_select_related = ["visit", "engineer", "approved_by"]


@admin.register(VisitNote)
class VisitNoteAdmin(ReadOnlyAdmin):
    list_display = ["visit", "customer_surname", "arrived_at", "departed_at", "filed_at"]


@admin.register(VisitHandover)
class VisitHandoverAdmin(ReadOnlyAdmin):
    """R16: read-only; how the customer consented is on the record. The code's secrets (nonce,
    HMAC) are not fields of the admin: nothing here opens a handover."""

    list_display = [
        "visit",
        "from_engineer",
        "to_engineer",
        "start",
        "state",
        "consent_method",
        "consented_at",
    ]
    list_filter = ["state", "consent_method"]
    list_select_related = ["visit", "from_engineer", "to_engineer"]
    exclude = ["secret_nonce", "code_hash"]


@admin.register(RescheduleRequest)
class RescheduleRequestAdmin(ReadOnlyAdmin):
    list_display = ["visit", "requested_by", "new_start", "state", "decided_by"]
    list_filter = ["state"]
