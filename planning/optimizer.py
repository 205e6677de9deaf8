"""Optimize a team's day: reassign engineers so the team travels less and arrives on time, never
moving a customer's agreed time (OR-Tools routing with time windows).

The model: one vehicle per engineer, starting and ending at their home base; each visit is a node
whose service starts at its agreed start, never earlier, and whose engineer must be there five
minutes before (R9): the transit from a node is its visit's length, the travel, and those five
minutes. Starting later than agreed is allowed only at a steep cost per minute (lateness), so the
booked plan, even one that is late somewhere, is always a solution; the solver starts from it
and only improves. Visits that can't move stay with their engineer: under way already, or
starting within two hours (R11). The order of an engineer's visits follows their agreed times.

Both plans are measured the same way (`measure`): leave home at the start of working hours, drive,
arrive five minutes early or count the minutes late.

Nothing is written here: each move is accepted by the dispatcher, one at a time, through
visits.services.reassign_visit (same checks as any change; the customer's standard SMS names the
new engineer).
"""

import logging
import time as stopwatch
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.dates import local_moment
from dispatch.errors import PermissionDenied
from dispatch.models import EngineerBase
from dispatch.people import display_name
from dispatch.places import UNKNOWN, home_place, ticket_place
from dispatch.roles import Role, is_staff_member
from dispatch.rules import ARRIVE_EARLY, RESCHEDULE_LEAD
from visits.models import INACTIVE_STATUSES, Visit, VisitStatus

from . import travel
from .suggestions import work_hours

User = get_user_model()
log = logging.getLogger(__name__)
LATE_COST = 100  # one minute late weighs as 100 minutes of driving
EARLY = int(ARRIVE_EARLY.total_seconds() // 60)
# A visit the desk may still move to another engineer: the visit's map lets it be rescheduled.
MOVABLE = Visit.states.sources(VisitStatus.RESCHEDULED)


@dataclass
class Stop:
    visit: Visit
    start: int  # minutes from the day's midnight
    length: int
    node: int
    movable: bool


@dataclass
class Measure:
    travel: int = 0
    late: int = 0
    late_visits: int = 0

    @property
    def cost(self) -> int:
        return self.travel + LATE_COST * self.late


@dataclass
class Move:
    visit: Visit
    from_engineer: object
    to_engineer: object

    @property
    def from_name(self) -> str:
        return display_name(self.from_engineer)

    @property
    def to_name(self) -> str:
        return display_name(self.to_engineer)


@dataclass
class DayPlan:
    day: date
    engineers: list
    booked: Measure
    optimized: Measure
    moves: list[Move] = field(default_factory=list)
    routes: dict = field(default_factory=dict)  # engineer pk → [Visit] in the optimized plan
    seconds: float = 0.0

    @property
    def saved_minutes(self) -> int:
        return self.booked.travel - self.optimized.travel

    @property
    def late_minutes_saved(self) -> int:
        return self.booked.late - self.optimized.late

    def engineer_routes(self) -> list[tuple]:
        """(engineer, [Visit]) for each engineer with a visit in the optimized plan."""
        names = {e.pk: e for e in self.engineers}
        return [(names[pk], visits) for pk, visits in self.routes.items() if visits]


def team_engineers(team=None) -> list:
    qs = User.objects.filter(is_active=True, groups__name=Role.ENGINEER)
    if team is not None:
        qs = qs.filter(teams=team)
    return list(qs.distinct().order_by("last_name", "first_name", "username"))


def _homes(engineers) -> dict:
    bases = EngineerBase.objects.filter(engineer__in=engineers)
    return {base.engineer_id: home_place(base) for base in bases}


def measure(routes: dict, stops: dict, minutes, depot: dict, work_start: int) -> Measure:
    """Travel and lateness of `routes` (engineer pk → [node] in time order)."""
    total = Measure()
    for engineer_pk, nodes in routes.items():
        if not nodes:
            continue
        at, clock = depot[engineer_pk], work_start
        for node in nodes:
            stop = stops[node]
            clock += minutes[at][node]
            total.travel += minutes[at][node]
            late = max(0, clock + EARLY - stop.start)
            if late:
                total.late += late
                total.late_visits += 1
            clock = max(clock + EARLY, stop.start) + stop.length
            at = node
        total.travel += minutes[at][depot[engineer_pk]]
    return total


def _solve(engineers, stops, minutes, depot, routes, work_start, seconds):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    count = len(engineers)
    nodes = len(minutes)
    manager = pywrapcp.RoutingIndexManager(nodes, count, list(range(count)), list(range(count)))
    routing = pywrapcp.RoutingModel(manager)

    def cost(i, j):
        return minutes[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def transit(i, j):
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        length = stops[a].length if a in stops else 0
        return length + minutes[a][b] + (EARLY if b in stops else 0)

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost))
    horizon = 3 * 24 * 60
    routing.AddDimension(routing.RegisterTransitCallback(transit), horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")
    for vehicle in range(count):
        time.CumulVar(routing.Start(vehicle)).SetRange(work_start, horizon)
    vehicle_of = {engineer.pk: v for v, engineer in enumerate(engineers)}
    for node, stop in stops.items():
        index = manager.NodeToIndex(node)
        # The agreed time: never earlier; later only at the lateness cost.
        time.CumulVar(index).SetRange(stop.start, horizon)
        time.SetCumulVarSoftUpperBound(index, stop.start, LATE_COST)
        if not stop.movable:
            routing.VehicleVar(index).SetValues([vehicle_of[stop.visit.engineer_id]])
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    parameters.time_limit.FromMilliseconds(int(seconds * 1000))
    routing.CloseModelWithParameters(parameters)
    initial = routing.ReadAssignmentFromRoutes(
        [routes.get(engineer.pk, []) for engineer in engineers], True
    )
    if initial is None:
        log.warning("The booked plan does not fit the model; solving from scratch.")
        solution = routing.SolveWithParameters(parameters)
    else:
        solution = routing.SolveFromAssignmentWithParameters(initial, parameters)
    if solution is None:
        log.warning("No better plan found (solver status %s).", routing.status())
        return routes
    found = {}
    for vehicle, engineer in enumerate(engineers):
        index, order = routing.Start(vehicle), []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node in stops:
                order.append(node)
            index = solution.Value(routing.NextVar(index))
        found[engineer.pk] = sorted(order, key=lambda n: stops[n].start)
    return found


def optimize_day(
    *, user, day: date, team=None, seconds: float | None = None, now: datetime | None = None
) -> DayPlan:
    """The team's day re-planned: who takes which visit, the travel saved, each move."""
    if not is_staff_member(user):
        raise PermissionDenied(_("Only dispatchers and supervisors plan the engineers' day."))
    started = stopwatch.perf_counter()
    now = now or timezone.now()
    engineers = team_engineers(team)
    midnight = local_moment(day)
    visits = list(
        Visit.objects.filter(
            engineer__in=engineers,
            start__gte=midnight,
            start__lt=midnight + timedelta(days=1),
        )
        .exclude(status__in=INACTIVE_STATUSES)
        .select_related("ticket", "engineer")
        .order_by("start", "id")
    )
    homes = _homes(engineers)
    places = [homes.get(e.pk, UNKNOWN) for e in engineers]
    depot = {e.pk: i for i, e in enumerate(engineers)}
    stops: dict[int, Stop] = {}
    routes: dict[int, list[int]] = {e.pk: [] for e in engineers}
    for visit in visits:
        node = len(places)
        places.append(ticket_place(visit.ticket))
        stops[node] = Stop(
            visit=visit,
            start=int((visit.start - midnight).total_seconds() // 60),
            length=max(1, int((visit.end - visit.start).total_seconds() // 60)),
            node=node,
            # R11: only a visit two hours away or more, not yet under way, may change engineer.
            movable=visit.status in MOVABLE and visit.start - now >= RESCHEDULE_LEAD,
        )
        routes[visit.engineer_id].append(node)
    minutes = travel.provider().matrix(places)
    hours = work_hours()
    work_start = hours[0].hour * 60 + hours[0].minute
    booked = measure(routes, stops, minutes, depot, work_start)
    plan = DayPlan(day=day, engineers=engineers, booked=booked, optimized=booked)
    if stops and len(engineers) > 1 and any(s.movable for s in stops.values()):
        limit = seconds if seconds is not None else settings.PLANNING["OPTIMIZE_SECONDS"]
        limit = min(limit, 0.5 + 0.03 * len(stops))
        found = _solve(engineers, stops, minutes, depot, routes, work_start, limit)
        optimized = measure(found, stops, minutes, depot, work_start)
        if optimized.cost < booked.cost:
            plan.optimized, routes = optimized, found
    by_pk = {e.pk: e for e in engineers}
    for engineer_pk, nodes in routes.items():
        plan.routes[engineer_pk] = [stops[n].visit for n in nodes]
        for node in nodes:
            visit = stops[node].visit
            if visit.engineer_id != engineer_pk:
                plan.moves.append(Move(visit, visit.engineer, by_pk[engineer_pk]))
    plan.moves.sort(key=lambda m: (m.visit.start, m.visit.pk))
    plan.seconds = stopwatch.perf_counter() - started
    return plan
