"""Reading a visit's network tests as verdicts (selectors, no writes): the thresholds in force,
the typed tests and the imported samples together, graded per place and phase
(visits.grading), and the words an engineer starts the outcome and the reply from (R26)."""

import hashlib
import json
from collections import Counter
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .grading import DEFAULTS, PlaceVerdict, Thresholds, Verdict, grade
from .models import GradeThresholds, MeasurementSample, Phase

SAMPLE_FIELDS = (
    "place",
    "phase",
    "network",
    "rsrp_dbm",
    "sinr_db",
    "download_mbps",
    "latency_ms",
)


def thresholds_for(operator: str = "") -> dict[str, Thresholds]:
    """network -> Thresholds: the operator's own rows, else the rows for all operators, else the
    published defaults."""
    found = dict(DEFAULTS)
    rows = GradeThresholds.objects.filter(operator__in={"", operator or ""}).order_by("operator")
    for row in rows:  # "" first, then the operator's own, which wins
        found[row.network] = Thresholds(
            row.rsrp_good,
            row.rsrp_poor,
            row.sinr_good,
            row.sinr_poor,
            row.download_min_mbps,
            row.latency_max_ms,
        )
    return found


def visit_operator(visit_id: int) -> str:
    """The operator most of the visit's imported samples name (empty when none do)."""
    counts = Counter(
        MeasurementSample.objects.filter(visit_id=visit_id)
        .exclude(operator="")
        .values_list("operator", flat=True)[:1000]
    )
    return counts.most_common(1)[0][0] if counts else ""


def visit_tests(visit_id: int) -> list[dict]:
    """Every network test of the visit as plain rows: typed ones and imported samples."""
    from .models import Measurement

    typed = Measurement.objects.filter(visit_id=visit_id).values(*SAMPLE_FIELDS)
    imported = MeasurementSample.objects.filter(visit_id=visit_id).values(*SAMPLE_FIELDS)
    return [*typed, *imported]


def visit_verdicts(visit_id: int) -> list[PlaceVerdict]:
    return grade(visit_tests(visit_id), thresholds_for(visit_operator(visit_id)))


def samples_digest(upload_id: int) -> str:
    """SHA-256 over an import's samples as stored: a changed sample changes it."""
    digest = hashlib.sha256()
    rows = (
        MeasurementSample.objects.filter(upload_id=upload_id)
        .order_by("line", "id")
        .values_list(
            "line",
            "measured_at",
            "place",
            "phase",
            "network",
            "operator",
            "rsrp_dbm",
            "rsrq_db",
            "sinr_db",
            "cell_id",
            "pci",
            "download_mbps",
            "upload_mbps",
            "latency_ms",
            "call_result",
        )
        .iterator(chunk_size=2000)
    )
    for row in rows:
        digest.update(json.dumps(row, default=_plain, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat()


def _figures(v: PlaceVerdict) -> str:
    parts = [_("RSRP %(value)s dBm") % {"value": v.rsrp_dbm}]
    if v.sinr_db is not None:
        parts.append(_("SINR %(value)s dB") % {"value": v.sinr_db})
    if v.download_mbps is not None:
        parts.append(_("download %(value)s Mbps") % {"value": v.download_mbps})
    return _(", ").join(parts)


def verdict_line(v: PlaceVerdict) -> str:
    return _("%(place)s, %(phase)s: %(verdict)s (%(figures)s)") % {
        "place": v.place,
        "phase": Phase(v.phase).label,
        "verdict": v.label,
        "figures": _figures(v),
    }


def _after_verdicts(verdicts: list[PlaceVerdict]) -> list[PlaceVerdict]:
    after = [v for v in verdicts if v.phase == Phase.AFTER]
    return after or verdicts


def suggested_summary(verdicts: list[PlaceVerdict]) -> str:
    """R26: the outcome in the standard phrasing, from the figures; the engineer edits it."""
    if not verdicts:
        return ""
    lines = [_("Test results:")] + [verdict_line(v) for v in verdicts]
    problems = [v for v in _after_verdicts(verdicts) if v.verdict != Verdict.GOOD]
    if not problems:
        lines.append(_("After the fix the signal is good everywhere we tested."))
    else:
        lines.append(
            _("Still to solve: %(places)s.")
            % {"places": "、".join(f"{v.place}（{v.label}）" for v in problems)}
        )
    return "\n".join(lines)


CAUSES = {
    Verdict.WEAK_COVERAGE: gettext_noop("the signal is weak at %(places)s"),
    Verdict.INTERFERENCE: gettext_noop("there is interference at %(places)s"),
    Verdict.CAPACITY: gettext_noop("the network is busy at %(places)s"),
}


def suggested_reply(verdicts: list[PlaceVerdict], customer_name: str = "") -> str:
    """R26: the promised reply in the standard phrasing (002 §8.1), from the verdicts after the
    fix; R27's banned-phrase check still runs when it is sent."""
    problems = [v for v in _after_verdicts(verdicts) if v.verdict != Verdict.GOOD]
    if not problems:
        return _(
            "Hello, about the network problem you reported: our tests show the signal is now "
            "good where you use your phone. If anything else goes wrong, please call 10000."
        )
    causes = []
    for verdict in (Verdict.WEAK_COVERAGE, Verdict.INTERFERENCE, Verdict.CAPACITY):
        places = "、".join(v.place for v in problems if v.verdict == verdict)
        if places:
            causes.append(_(CAUSES[verdict]) % {"places": places})
    return _(
        "Hello, about the network problem you reported: our tests found that %(causes)s. "
        "We are arranging the fix and will tell you the result at the time we agreed. Thank "
        "you for your patience."
    ) % {"causes": _("; ").join(causes)}
