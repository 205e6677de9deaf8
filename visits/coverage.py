"""The supervisor's view of network tests (issue 18; selectors, no writes): per team, the share
of finished visits with a test after the fix (R24), and the cells where the tests found weak
coverage, ranked — the centre's list of hot complaint cells."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Exists, Max, OuterRef, Q

from dispatch.models import Team

from .models import Measurement, MeasurementSample, Network, Phase, Visit, VisitStatus
from .verdicts import thresholds_for

FINISHED = (VisitStatus.RESOLVED, VisitStatus.UNRESOLVED, VisitStatus.REPLIED)


@dataclass
class TeamShare:
    team: str
    visits: int = 0
    with_after: int = 0

    @property
    def share(self) -> int | None:
        return round(100 * self.with_after / self.visits) if self.visits else None


def after_fix_share(since: datetime, until: datetime) -> list[TeamShare]:
    """Per team (by name), the visits whose work ended in [since, until) and how many of them
    have a network test after the fix, typed or imported. Two queries."""
    after = Q(phase=Phase.AFTER, visit=OuterRef("pk"))
    per_engineer = {
        row["engineer"]: row
        for row in Visit.objects.filter(
            status__in=FINISHED, work_ended_at__gte=since, work_ended_at__lt=until
        )
        .annotate(
            typed_after=Exists(Measurement.objects.filter(after)),
            imported_after=Exists(MeasurementSample.objects.filter(after)),
        )
        .values("engineer")
        .annotate(
            visits=Count("pk"),
            with_after=Count("pk", filter=Q(typed_after=True) | Q(imported_after=True)),
        )
    }
    shares = {}
    for team_name, member in Team.objects.values_list("name", "members").order_by("name"):
        share = shares.setdefault(team_name, TeamShare(team_name))
        row = per_engineer.get(member)
        if row:
            share.visits += row["visits"]
            share.with_after += row["with_after"]
    return list(shares.values())


def weak_cells(since: datetime, until: datetime, limit: int = 50) -> list[dict]:
    """Cells of the imported samples taken in [since, until) with weak coverage (RSRP below
    the poor line for all operators), ranked by the visits that found it, then by the weak
    samples. One query."""
    poor = thresholds_for("")
    weak = Q(network=Network.G4, rsrp_dbm__lt=poor["4g"].rsrp_poor) | Q(
        network=Network.G5, rsrp_dbm__lt=poor["5g"].rsrp_poor
    )
    rows = (
        MeasurementSample.objects.filter(measured_at__gte=since, measured_at__lt=until)
        .exclude(cell_id="")
        .values("cell_id", "network")
        .annotate(
            samples=Count("pk"),
            weak_samples=Count("pk", filter=weak),
            visits=Count("visit", distinct=True),
            weak_visits=Count("visit", filter=weak, distinct=True),
            still_weak_after=Count("visit", filter=weak & Q(phase=Phase.AFTER), distinct=True),
            mean_rsrp=Avg("rsrp_dbm"),
            last_tested=Max("measured_at"),
            address=Max("visit__ticket__address"),
            place=Max("place", filter=weak),
        )
        .filter(weak_samples__gt=0)
        .order_by("-weak_visits", "-weak_samples", "cell_id")[:limit]
    )
    cells = list(rows)
    for cell in cells:
        cell["weak_share"] = round(100 * cell["weak_samples"] / cell["samples"])
        cell["mean_rsrp"] = round(cell["mean_rsrp"], 1)
    return cells
