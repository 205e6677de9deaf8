"""Suggest the engineer and the slot for a ticket: the best few (engineer, start) pairs over the
next days, ranked by the centre's policy, each with its reasons and the rules it keeps, said in
words (docs/rules.md: R7 free, R9 five minutes early with the travel time, R11 two hours'
notice when it moves an agreed time, and the working hours of PLANNING).

A read: nothing is written here. Booking a suggestion goes through the booking service
(visits.services.book_visit / reschedule_visit), which checks again; a slot taken meanwhile is
refused there with a sentence.

Travel: one provider call (planning.travel), from every place an engineer could come from (home
bases, the places of their visits in the horizon) to the ticket. Leaving the ticket for the next
visit is taken as the same minutes as coming the other way.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import FloatField, Prefetch
from django.db.models.functions import Cast, Extract
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch.dates import local_moment
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import EngineerBase
from dispatch.people import display_name
from dispatch.places import Place, home_place, place_of, ticket_place
from dispatch.roles import Role, is_staff_member
from dispatch.rules import ARRIVE_EARLY, RESCHEDULE_LEAD
from visits.models import INACTIVE_STATUSES, Visit
from visits.services.booking import MAX_VISIT_LENGTH

from . import travel

User = get_user_model()

# How the centre ranks suggestions (PLANNING["POLICY"]); the desk may pick another per ticket.
POLICIES = {
    "balanced": gettext_lazy("Balanced"),
    "earliest": gettext_lazy("Earliest"),
    "least_travel": gettext_lazy("Least travel"),
    "even_workload": gettext_lazy("Even workload"),
    "grid_match": gettext_lazy("Grid and team first"),
}


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def work_hours() -> tuple[time, time]:
    return _clock(settings.PLANNING["WORK_START"]), _clock(settings.PLANNING["WORK_END"])


def default_policy() -> str:
    policy = settings.PLANNING["POLICY"]
    return policy if policy in POLICIES else "balanced"


@dataclass
class Kept:
    """A rule the suggestion keeps: a stable code for programs, the rule in words for people."""

    code: str
    detail: str


@dataclass
class Suggestion:
    engineer: object
    start: datetime
    end: datetime
    travel_minutes: int
    depart_by: datetime
    day_load: int
    grid_match: bool
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)

    @property
    def engineer_name(self) -> str:
        return display_name(self.engineer)


@dataclass
class Busy:
    """One of the engineer's visits: when, and where it is."""

    start: datetime
    end: datetime
    place: Place
    number: str


@dataclass
class Request:
    ticket: object
    duration: timedelta
    now: datetime
    days: int
    policy: str
    moving: Visit | None  # the agreed visit a suggestion would move (R11), if any


def _hm(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def _md_hm(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M")


def _engineers():
    bases = EngineerBase.objects.select_related("home_grid").prefetch_related("grids")
    return list(
        User.objects.filter(is_active=True, groups__name=Role.ENGINEER)
        .distinct()
        .order_by("last_name", "first_name", "username")
        .prefetch_related(Prefetch("teams"), Prefetch("home_base", queryset=bases))
    )


def _base(engineer) -> EngineerBase | None:
    try:
        return engineer.home_base
    except EngineerBase.DoesNotExist:
        return None


def _epoch(name: str):
    return Cast(Extract(name, "epoch", tzinfo=UTC), FloatField())


def _moment(seconds: float, zone) -> datetime:
    # In the centre's zone, like the day's slots (local_moment): two datetimes of one zone
    # compare without asking each for its offset, and the slots compare thousands of times.
    return datetime.fromtimestamp(seconds, zone)


def _busy(engineers, first: datetime, last: datetime, moving: Visit | None) -> dict[int, list]:
    # No visit is longer than the booking service allows, so the horizon's visits start after
    # `first - MAX_VISIT_LENGTH`: a range of the start index, whatever the history's size (a
    # bound on `end` alone would read every past visit; issue 19, 1M tickets).
    rows = (
        Visit.objects.filter(
            engineer__in=[e.pk for e in engineers],
            start__gte=first - MAX_VISIT_LENGTH,
            start__lt=last,
            end__gt=first,
        )
        .exclude(status__in=INACTIVE_STATUSES)
        .order_by("start")
        # Seconds since the epoch: a float is read many times faster than a timestamp's text,
        # and a busy week is thousands of rows.
        .annotate(start_s=_epoch("start"), end_s=_epoch("end"))
        .values_list(
            "pk",
            "engineer_id",
            "start_s",
            "end_s",
            "ticket__number",
            "ticket__latitude",
            "ticket__longitude",
            "ticket__grid_id",
        )
    )
    busy, zone = defaultdict(list), timezone.get_current_timezone()
    for pk, engineer_id, start, end, number, lat, lng, grid_id in rows:
        if moving is not None and pk == moving.pk:
            continue  # R11: the visit being moved gives its time back.
        busy[engineer_id].append(
            Busy(_moment(start, zone), _moment(end, zone), place_of(lat, lng, grid_id), number)
        )
    return busy


def _match(engineer, ticket) -> str | None:
    """Why this engineer is the ticket's grid's, in words; None if not."""
    if ticket.grid_id is None:
        return None
    base = _base(engineer)
    if base is not None and any(g.pk == ticket.grid_id for g in base.grids.all()):
        return _("Covers grid %(grid)s.") % {"grid": ticket.grid.name}
    team_id = ticket.grid.team_id
    if team_id is not None and any(t.pk == team_id for t in engineer.teams.all()):
        return _("In the team in charge of grid %(grid)s.") % {"grid": ticket.grid.name}
    return None


def _score(policy: str, s: Suggestion, now: datetime) -> tuple:
    hours = (s.start - now).total_seconds() / 3600
    if policy == "earliest":
        return (s.start, s.travel_minutes)
    if policy == "least_travel":
        return (s.travel_minutes, s.start)
    if policy == "even_workload":
        return (s.day_load, s.start)
    if policy == "grid_match":
        return (not s.grid_match, s.start)
    # Balanced, in hours: half an hour's travel weighs as an hour later, each other visit that
    # day as an hour, another grid's engineer as two.
    return (hours + s.travel_minutes / 30 + s.day_load + (0 if s.grid_match else 2), s.start)


def _kept(req: Request, s: Suggestion, source: str, next_visit: Busy | None, hours) -> None:
    """The rules this slot keeps, in words (R7, R9, R11, working hours)."""
    # R7: nobody else has the engineer then.
    s.kept.append(
        Kept(
            "engineer_free",
            _("%(engineer)s is free %(start)s–%(end)s: no other visit then.")
            % {"engineer": s.engineer_name, "start": _md_hm(s.start), "end": _hm(s.end)},
        )
    )
    # R9: there five minutes early, with the travel time from where the engineer is before.
    s.kept.append(
        Kept(
            "arrives_early",
            _(
                "Arrives five minutes early: about %(minutes)s minutes from %(source)s, leaving "
                "by %(depart)s."
            )
            % {"minutes": s.travel_minutes, "source": source, "depart": _hm(s.depart_by)},
        )
    )
    if next_visit is not None:
        s.reasons.append(
            _("Leaves time to reach the next visit (%(start)s) five minutes early.")
            % {"start": _hm(next_visit.start)}
        )
    if req.moving is not None:
        # R11: the agreed time changes with at least two hours' notice.
        s.kept.append(
            Kept(
                "two_hours_notice",
                _(
                    "Moves the agreed time (%(old)s) with at least two hours' notice; agree the "
                    "new time with the customer and apologise."
                )
                % {"old": _md_hm(req.moving.start)},
            )
        )
    s.kept.append(
        Kept(
            "working_hours",
            _("Within working hours (%(start)s–%(end)s).")
            % {"start": hours[0].strftime("%H:%M"), "end": hours[1].strftime("%H:%M")},
        )
    )


def _round_up(moment: datetime, step: timedelta, origin: datetime) -> datetime:
    steps = -(-(moment - origin) // step)
    return origin + max(0, steps) * step


class Day:
    """One engineer's visits around one day, in time order (R7 keeps an engineer's visits from
    overlapping, so they are in order of their ends too): each slot finds its neighbours by
    bisection, not by reading them all (make bench: suggestions for one ticket)."""

    def __init__(self, visits: list[Busy]):
        self.visits = visits
        self.ends = [v.end for v in visits]

    def around(self, start: datetime, end: datetime):
        """(overlapping, previous, following): the first visit overlapping [start, end) if any,
        else the visit ending last by `start` and the first starting from `end`."""
        i = bisect_right(self.ends, start)  # the first visit still going on after `start`
        following = self.visits[i] if i < len(self.visits) else None
        if following is not None and following.start < end:
            return following, None, None
        return None, self.visits[i - 1] if i else None, following


def _candidates(req: Request, engineer, day: date, visits: Day, minutes: dict, hours):
    """The engineer's possible starts on one day, each with what it needs (or None)."""
    step = timedelta(minutes=settings.PLANNING["SLOT_STEP_MINUTES"])
    work_start, work_end = local_moment(day, hours[0]), local_moment(day, hours[1])
    earliest = req.now + (RESCHEDULE_LEAD if req.moving is not None else timedelta(0))
    home = home_place(_base(engineer))
    start = _round_up(max(work_start, earliest), step, work_start)
    while start + req.duration <= work_end:
        end = start + req.duration
        # R7: no visit of the engineer overlaps.
        overlapping, previous, following = visits.around(start, end)
        if overlapping is not None:
            start = _round_up(max(overlapping.end, start + step), step, work_start)
            continue
        if previous is not None and previous.end < work_start:
            previous = None  # the day before: the engineer sets out from home
        origin = previous.place if previous else home
        travel_in = minutes[origin]
        buffer = timedelta(minutes=settings.PLANNING.get("BUFFER_MINUTES", 0))
        ready = (previous.end + buffer) if previous else work_start
        depart_by = start - ARRIVE_EARLY - timedelta(minutes=travel_in)
        # R9: from the previous visit (or home, from the start of the day) five minutes early;
        # and nobody leaves in the past.
        if depart_by < max(ready, req.now):
            start += step
            continue
        # R9 for the next visit: its engineer still gets there five minutes early.
        if following is not None:
            travel_out = minutes[following.place]
            if end + buffer + timedelta(minutes=travel_out) > following.start - ARRIVE_EARLY:
                start += step
                continue
        yield start, end, travel_in, depart_by, previous, following
        start += step


def _source(previous: Busy | None, home: Place) -> str:
    if previous is not None:
        return _("the visit before (ticket %(number)s, until %(end)s)") % {
            "number": previous.number,
            "end": _hm(previous.end),
        }
    if home.known:
        return _("the home base")
    return _("the home base (not located: a cautious estimate)")


def suggest(
    *,
    user,
    ticket,
    duration_minutes: int = 60,
    policy: str | None = None,
    days: int | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[Suggestion]:
    """The best `limit` (engineer, slot) pairs for `ticket`, at most one per engineer and day."""
    if not is_staff_member(user):
        raise PermissionDenied(_("Only dispatchers and supervisors book visits."))
    policy = policy if policy in POLICIES else default_policy()
    limit = limit or settings.PLANNING["SUGGESTIONS"]
    days = max(1, min(days or settings.PLANNING["HORIZON_DAYS"], 14))
    now = now or timezone.now()
    from visits.selectors import active_visit_of

    moving = active_visit_of(ticket)
    if moving is not None and now > moving.start - RESCHEDULE_LEAD:
        # R11: under two hours before the agreed time, no direct change is suggested.
        raise RuleViolation(
            "reschedule_too_late",
            _(
                "The agreed visit starts at %(start)s, less than two hours from now: a change "
                "needs a force-majeure reason and a supervisor's approval."
            )
            % {"start": _md_hm(moving.start)},
            status=409,
        )
    req = Request(ticket, timedelta(minutes=duration_minutes), now, days, policy, moving)
    hours = work_hours()
    today = timezone.localdate(now)
    day_list = [today + timedelta(days=i) for i in range(days)]
    engineers = _engineers()
    busy = _busy(
        engineers, local_moment(day_list[0]), local_moment(day_list[-1] + timedelta(days=1)), moving
    )
    # One provider call: from every place an engineer could come from, to the ticket.
    destination = ticket_place(ticket)
    origins = {home_place(_base(e)) for e in engineers}
    origins.update(v.place for visits in busy.values() for v in visits)
    origins = list(origins)
    minutes = dict(zip(origins, travel.provider().minutes_to(origins, destination), strict=True))

    best: dict[tuple[int, date], Suggestion] = {}
    for engineer in engineers:
        matched = _match(engineer, ticket)
        home = home_place(_base(engineer))
        mine = busy.get(engineer.pk, [])
        starts, ends = [v.start for v in mine], [v.end for v in mine]
        for day in day_list:
            start_of_day, end_of_day = local_moment(day), local_moment(day + timedelta(days=1))
            visits = Day(
                mine[
                    bisect_right(ends, start_of_day - timedelta(hours=12)) : bisect_left(
                        starts, end_of_day
                    )
                ]
            )
            load = bisect_left(starts, end_of_day) - bisect_left(starts, start_of_day)
            for start, end, travel_in, depart_by, previous, following in _candidates(
                req, engineer, day, visits, minutes, hours
            ):
                s = Suggestion(engineer, start, end, travel_in, depart_by, load, bool(matched))
                s.score = _score(policy, s, now)
                current = best.get((engineer.pk, day))
                if current is None or s.score < current.score:
                    s._context = (previous, following, home, matched)
                    best[(engineer.pk, day)] = s
    chosen = sorted(best.values(), key=lambda s: s.score)[:limit]
    for s in chosen:
        previous, following, home, matched = s._context
        _kept(req, s, _source(previous, home), following, hours)
        if matched:
            s.reasons.insert(0, matched)
        s.reasons.append(
            _("%(count)s other visit(s) that day.") % {"count": s.day_load}
            if s.day_load
            else _("No other visit that day.")
        )
        if not destination.known:
            s.reasons.append(
                _(
                    "The address has no pin or grid: a cautious %(minutes)s minutes are allowed "
                    "to get there."
                )
                % {"minutes": settings.PLANNING["UNKNOWN_TRAVEL_MINUTES"]}
            )
    return chosen


def customer_slots(visit: Visit, now: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """The times the customer may move their own visit to (issue 17), with the same engineer
    and length, each keeping every rule a suggestion keeps: R7 (the engineer's other visits,
    the exclusion constraint at booking), R9 (travel from the visit before, five minutes early,
    and to the visit after, with PLANNING["BUFFER_MINUTES"]), R11 (nothing within two hours)
    and the working hours. A read: the move itself is checked again by the booking service.
    Registered with visits.extensions (CUSTOMER_SLOTS); at most CUSTOMER_SLOTS_PER_DAY a day,
    spread over the day, over the next CUSTOMER_DAYS days."""
    now = now or timezone.now()
    if now > visit.start - RESCHEDULE_LEAD:
        return []  # R11: under two hours before the visit, nothing is offered.
    days = max(1, min(settings.PLANNING["CUSTOMER_DAYS"], 14))
    per_day = max(1, settings.PLANNING["CUSTOMER_SLOTS_PER_DAY"])
    req = Request(visit.ticket, visit.end - visit.start, now, days, "earliest", visit)
    hours = work_hours()
    today = timezone.localdate(now)
    day_list = [today + timedelta(days=i) for i in range(days)]
    engineer = visit.engineer
    busy = _busy(
        [engineer],
        local_moment(day_list[0]) - timedelta(hours=12),
        local_moment(day_list[-1] + timedelta(days=1)),
        visit,
    ).get(engineer.pk, [])
    base = EngineerBase.objects.filter(engineer=engineer).select_related("home_grid").first()
    origins = list({home_place(base), *(v.place for v in busy)})
    minutes = dict(
        zip(origins, travel.provider().minutes_to(origins, ticket_place(visit.ticket)), strict=True)
    )
    slots = []
    for day in day_list:
        found = [
            (start, end)
            for start, end, *_rest in _candidates(req, engineer, day, Day(busy), minutes, hours)
            if start != visit.start
        ]
        if len(found) > per_day:
            # Spread over the day: the first, the last and evenly between.
            step = (len(found) - 1) / (per_day - 1) if per_day > 1 else 0
            found = [found[round(i * step)] for i in range(per_day)]
        slots.extend(found)
    return slots


def travel_minutes(visit: Visit) -> int:
    """The engineer's expected travel to the visit (issue 17's departure SMS): from the visit
    before it that day, else from the home base; the provider's estimate."""
    previous = (
        Visit.objects.filter(
            engineer=visit.engineer,
            end__lte=visit.start,
            start__gte=local_moment(timezone.localdate(visit.start)),
        )
        .exclude(status__in=INACTIVE_STATUSES)
        .exclude(pk=visit.pk)
        .select_related("ticket")
        .order_by("-end")
        .first()
    )
    if previous is not None:
        origin = ticket_place(previous.ticket)
    else:
        base = EngineerBase.objects.filter(engineer=visit.engineer).first()
        origin = home_place(base)
    return travel.provider().minutes_to([origin], ticket_place(visit.ticket))[0]
