"""Grading network tests: per place and phase, a verdict — good, weak coverage, interference,
capacity — with the figures behind it. Pure: samples and thresholds in, verdicts out.

The thresholds are the supervisor's (visits.GradeThresholds, per operator and network); the
defaults are the field-test grades the operators publish for LTE and NR (docs/measurement-logs.md):
RSRP ≥ -85 dBm good … < -105 dBm poor (LTE), SINR ≥ 13 dB good … < 0 dB poor.

The verdict reads the medians, in this order, as an engineer would:
1. median RSRP below the poor line: weak coverage (the signal does not reach);
2. else median SINR below the poor line: interference (the signal is there but drowned);
3. else median download below the minimum, or median latency above the maximum: capacity
   (a good radio link, a busy cell);
4. else good.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from statistics import median

from django.utils.translation import gettext_lazy as _


class Verdict:
    GOOD = "good"
    WEAK_COVERAGE = "weak_coverage"
    INTERFERENCE = "interference"
    CAPACITY = "capacity"

    LABELS = {
        GOOD: _("Good"),
        WEAK_COVERAGE: _("Weak coverage"),
        INTERFERENCE: _("Interference"),
        CAPACITY: _("Capacity"),
    }


@dataclass(frozen=True)
class Thresholds:
    rsrp_good: Decimal
    rsrp_poor: Decimal
    sinr_good: Decimal
    sinr_poor: Decimal
    download_min_mbps: Decimal
    latency_max_ms: int


# The operators' published field-test grades (LTE: 中国电信/移动 LTE 覆盖评估 RSRP ≥ -85 好,
# -85~-95 较好, -95~-105 一般, < -105 差; SINR ≥ 13 好, 0~13 一般, < 0 差; NR: SS-RSRP ≥ -80 好,
# < -110 差). Download and latency minimums: the home broadband-on-mobile promise.
DEFAULTS = {
    "4g": Thresholds(
        Decimal("-85"), Decimal("-105"), Decimal("13"), Decimal("0"), Decimal("10"), 100
    ),
    "5g": Thresholds(
        Decimal("-80"), Decimal("-110"), Decimal("15"), Decimal("0"), Decimal("100"), 50
    ),
}


@dataclass
class PlaceVerdict:
    place: str
    phase: str
    network: str
    verdict: str
    samples: int
    rsrp_dbm: Decimal
    sinr_db: Decimal | None
    download_mbps: Decimal | None
    latency_ms: int | None
    good_share: int  # % of samples at or above the good RSRP line
    poor_share: int  # % of samples below the poor RSRP line
    thresholds: Thresholds = field(repr=False, default=None)

    @property
    def label(self) -> str:
        return str(Verdict.LABELS[self.verdict])

    def as_data(self) -> dict:
        """Plain data, as the customer confirms it (the survey's snapshot)."""

        def text(value, places):
            return "" if value is None else f"{Decimal(value):.{places}f}"

        return {
            "kind": "verdict",
            "place": self.place,
            "phase": self.phase,
            "network": self.network,
            "verdict": self.verdict,
            "samples": self.samples,
            "rsrp_dbm": text(self.rsrp_dbm, 1),
            "sinr_db": text(self.sinr_db, 1),
            "download_mbps": text(self.download_mbps, 2),
            "latency_ms": self.latency_ms,
            "good_share": self.good_share,
        }


def _median(values):
    values = [Decimal(v) for v in values if v is not None]
    return Decimal(median(values)).quantize(Decimal("0.01")) if values else None


def verdict_for(figures: dict, limits: Thresholds) -> str:
    """The verdict of one place's medians (see the module's docstring for the order)."""
    if figures["rsrp_dbm"] < limits.rsrp_poor:
        return Verdict.WEAK_COVERAGE
    if figures["sinr_db"] is not None and figures["sinr_db"] < limits.sinr_poor:
        return Verdict.INTERFERENCE
    slow = (
        figures["download_mbps"] is not None and figures["download_mbps"] < limits.download_min_mbps
    )
    late = figures["latency_ms"] is not None and figures["latency_ms"] > limits.latency_max_ms
    if slow or late:
        return Verdict.CAPACITY
    return Verdict.GOOD


def _attribute(sample, name):
    return getattr(sample, name, None)


PHASE_ORDER = {"before": 0, "after": 1}


def grade(samples, thresholds: dict | None = None) -> list[PlaceVerdict]:
    """One verdict per (place, phase, network) of `samples` (objects or dicts with place, phase,
    network, rsrp_dbm, sinr_db, download_mbps, latency_ms), in the order places were first
    tested, before before after. `thresholds`: network -> Thresholds (DEFAULTS by default)."""
    thresholds = {**DEFAULTS, **(thresholds or {})}
    groups: dict[tuple, list] = {}
    for sample in samples:
        get = sample.get if isinstance(sample, dict) else partial(_attribute, sample)
        key = (get("place"), get("phase"), get("network"))
        groups.setdefault(key, []).append(get)
    first_seen = {}
    for place, _phase, _network in groups:
        first_seen.setdefault(place, len(first_seen))
    verdicts = []
    for (place, phase, network), gets in groups.items():
        limits = thresholds.get(network) or DEFAULTS["4g"]
        rsrps = [Decimal(g("rsrp_dbm")) for g in gets]
        latency = _median(g("latency_ms") for g in gets)
        figures = {
            "rsrp_dbm": _median(rsrps).quantize(Decimal("0.1")),
            "sinr_db": _median(g("sinr_db") for g in gets),
            "download_mbps": _median(g("download_mbps") for g in gets),
            "latency_ms": int(latency) if latency is not None else None,
        }
        if figures["sinr_db"] is not None:
            figures["sinr_db"] = figures["sinr_db"].quantize(Decimal("0.1"))
        verdicts.append(
            PlaceVerdict(
                place=place,
                phase=phase,
                network=network,
                verdict=verdict_for(figures, limits),
                samples=len(gets),
                good_share=round(100 * sum(r >= limits.rsrp_good for r in rsrps) / len(rsrps)),
                poor_share=round(100 * sum(r < limits.rsrp_poor for r in rsrps) / len(rsrps)),
                thresholds=limits,
                **figures,
            )
        )
    verdicts.sort(key=lambda v: (first_seen[v.place], PHASE_ORDER.get(v.phase, 2), v.network))
    return verdicts
