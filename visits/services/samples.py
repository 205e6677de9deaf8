"""Imported network-test logs (issue 18): the engineer imports a phone app's log on the work
step; a supervisor edits the grading thresholds.

An import reads the file BEFORE taking the visit's lock (a 10,000-line log takes a moment to
parse and must not hold the ticket's row meanwhile), then stores its samples in one short locked
transaction with bulk_create. Who may import is asked twice: before reading (so nobody makes the
server read a file for a visit that isn't theirs) and again under the lock (the state may have
changed meanwhile)."""

import hashlib
import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.locks import lock_grade_thresholds
from dispatch.roles import Role, has_role

from .. import events, measurement_logs
from ..models import (
    GradeThresholds,
    LogFormat,
    MeasurementImport,
    MeasurementSample,
    Network,
    Phase,
    Visit,
)
from ..next_steps import at_work
from .common import lock_visit, require_engineer

logger = logging.getLogger(__name__)


class LogRejected(RuleViolation):
    """A log with wrong lines: nothing is imported; `errors` lists each line's problem."""

    def __init__(self, parsed: measurement_logs.ParsedLog):
        super().__init__(
            "log_invalid",
            ngettext(
                "The file was not imported: %(count)s line has an error. Correct it and import "
                "the file again.",
                "The file was not imported: %(count)s lines have errors. Correct them and import "
                "the file again.",
                parsed.error_count,
            )
            % {"count": parsed.error_count},
            field="file",
        )
        self.lines = parsed.messages


def _require_on_site(actor, visit: Visit) -> None:
    """The visit's engineer, while working on site: a test log is evidence of this visit."""
    require_engineer(actor, visit)
    if not at_work(visit):
        raise RuleViolation(
            "not_at_work", _("Network tests are recorded while working on site."), status=409
        )


def import_measurement_log(
    *, actor, visit: Visit, file_name: str, data: bytes, phase: str = "", place: str = ""
) -> MeasurementImport:
    """Import a test log (our CSV template, CellMapper, G-NetTrack / G-NetReport): parsed outside
    the lock, stored in one short transaction (_store_samples). `phase` and `place` say where and
    when an app's log was taken (the apps know neither); our template has them per line."""
    # Read again (no lock yet): the caller's copy may predate its own last step.
    visit = Visit.objects.get(pk=visit.pk)
    _require_on_site(actor, visit)
    place = (place or "").strip()[:100]
    if phase and phase not in Phase.values:
        raise RuleViolation("invalid_choice", _("Choose before or after the fix."), field="phase")
    now = timezone.now()
    slack = timedelta(minutes=measurement_logs.CLOCK_SLACK_MINUTES)
    try:
        parsed = measurement_logs.parse(
            data,
            phase=phase,
            place=place,
            earliest=(visit.arrived_at or visit.start) - slack,
            latest=now + slack,
        )
    except measurement_logs.NotALog as exc:
        raise RuleViolation("not_a_log", str(exc), field="file") from None
    if parsed.format != LogFormat.SEED:
        # The app logs carry neither: asked on the form, before anything is stored.
        if not phase:
            raise RuleViolation(
                "phase_required",
                _("Say whether this log was taken before or after the fix."),
                field="phase",
            )
        if not place:
            raise RuleViolation(
                "place_required", _("Say where in the premises the log was taken."), field="place"
            )
    if parsed.error_count:
        raise LogRejected(parsed)
    return _store_samples(
        actor=actor,
        visit=visit,
        file_name=(file_name or "log.csv")[-200:],
        sha256=hashlib.sha256(data).hexdigest(),
        parsed=parsed,
    )


@transaction.atomic
def _store_samples(*, actor, visit, file_name, sha256, parsed) -> MeasurementImport:
    visit = lock_visit(visit)
    _require_on_site(actor, visit)
    if MeasurementImport.objects.filter(visit=visit, file_sha256=sha256).exists():
        raise RuleViolation(
            "already_imported", _("This file is already imported on this visit."), status=409
        )
    try:
        with transaction.atomic():
            upload = MeasurementImport.objects.create(
                visit=visit,
                file_name=file_name,
                file_format=parsed.format,
                file_sha256=sha256,
                sample_count=len(parsed.samples),
                skipped=parsed.skipped,
                imported_by=actor,
                imported_at=timezone.now(),
            )
    except IntegrityError:  # the same file, sent twice at once
        raise RuleViolation(
            "already_imported", _("This file is already imported on this visit."), status=409
        ) from None
    MeasurementSample.objects.bulk_create(
        (
            MeasurementSample(upload=upload, visit_id=visit.pk, **vars(sample))
            for sample in parsed.samples
        ),
        batch_size=2000,
    )
    places = sorted({(s.place, s.phase) for s in parsed.samples})
    events.visit_log_imported_event(
        upload=upload, actor=actor, places=[f"{place} ({phase})" for place, phase in places[:20]]
    )
    return upload


THRESHOLD_FIELDS = (
    "rsrp_good",
    "rsrp_poor",
    "sinr_good",
    "sinr_poor",
    "download_min_mbps",
    "latency_max_ms",
)


def _require_grader(actor) -> None:
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(
            _("Only a supervisor changes how network tests are graded."), code="supervisor_only"
        )


@transaction.atomic
def add_thresholds(*, actor, operator: str, network: str) -> GradeThresholds:
    """A supervisor adds the thresholds of one operator and network (or, with no operator, the
    ones for all operators), starting from the lines in force for it."""
    from ..verdicts import thresholds_for

    _require_grader(actor)
    operator = (operator or "").strip()[:40]
    if network not in Network.values:
        raise RuleViolation("invalid_choice", _("Choose 4G or 5G."), field="network")
    if GradeThresholds.objects.filter(operator=operator, network=network).exists():
        raise RuleViolation(
            "thresholds_exist",
            _("These thresholds exist already; change them below."),
            field="operator",
            status=409,
        )
    start = thresholds_for(operator)[network]
    try:
        with transaction.atomic():
            row = GradeThresholds.objects.create(
                operator=operator,
                network=network,
                updated_by=actor,
                **{name: getattr(start, name) for name in THRESHOLD_FIELDS},
            )
    except IntegrityError:  # added at the same moment by another supervisor
        raise RuleViolation(
            "thresholds_exist",
            _("These thresholds exist already; change them below."),
            field="operator",
            status=409,
        ) from None
    logger.info("grading thresholds %s added by %s", row, actor.username)
    return row


@transaction.atomic
def update_thresholds(*, actor, thresholds: GradeThresholds, **values) -> GradeThresholds:
    """A supervisor moves the lines network tests are graded by. Good lies above poor; every
    value within what a phone can measure."""
    _require_grader(actor)
    row = lock_grade_thresholds(thresholds)
    limits = {
        "rsrp_good": measurement_logs.LIMITS["rsrp_dbm"],
        "rsrp_poor": measurement_logs.LIMITS["rsrp_dbm"],
        "sinr_good": measurement_logs.LIMITS["sinr_db"],
        "sinr_poor": measurement_logs.LIMITS["sinr_db"],
        "download_min_mbps": measurement_logs.LIMITS["download_mbps"],
        "latency_max_ms": measurement_logs.LIMITS["latency_ms"],
    }
    before = {name: str(getattr(row, name)) for name in THRESHOLD_FIELDS}
    for name in THRESHOLD_FIELDS:
        if name not in values:
            continue
        low, high = limits[name]
        try:
            number = Decimal(str(values[name]))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not low <= number <= high:
            raise RuleViolation(
                "out_of_range",
                _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high},
                field=name,
            )
        setattr(row, name, int(number) if name == "latency_max_ms" else number)
    for good, poor in (("rsrp_good", "rsrp_poor"), ("sinr_good", "sinr_poor")):
        if getattr(row, good) <= getattr(row, poor):
            raise RuleViolation(
                "good_below_poor", _("The good line must lie above the poor line."), field=good
            )
    row.updated_by = actor
    row.save()
    # No ticket to hang an event on: the row keeps who and when, the log what changed.
    logger.info(
        "grading thresholds %s changed by %s: %s -> %s",
        row,
        actor.username,
        before,
        {name: str(getattr(row, name)) for name in THRESHOLD_FIELDS},
    )
    return row
