"""Issue 19's measurements: suggestions for one ticket among the whole dataset, and a day of 40
engineers and 300 visits optimized, with the travel saved against the booked plan.

Isolated: it makes its own placed ticket, home bases and a day 90 days ahead (far beyond the
dataset's visits), measures, and removes the tickets and visits it made."""

import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

# Guangzhou, roughly: the box the bench's places are drawn from.
LAT, LNG, SPREAD = 23.13, 113.32, 0.08


def _point(rng):
    lat = Decimal(f"{LAT + rng.uniform(-SPREAD, SPREAD):.6f}")
    lng = Decimal(f"{LNG + rng.uniform(-SPREAD, SPREAD):.6f}")
    return lat, lng


def _suggestions(log, dispatcher, ticket, result_class):
    """suggest() for one ticket, 20 times after a warm-up, in two weeks of the dataset: now (every
    engineer booked an hour apart: all their visits read, no slot left) and at the end of the
    bookings (some days free: suggestions found, their reasons written). The query count must
    be the same in both, whatever the history."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from planning.suggestions import suggest
    from visits.models import Visit

    last = Visit.objects.filter(ticket__number__startswith="BN-").order_by("-start").first()
    weeks = {"now": timezone.now()}
    if last is not None:
        weeks["end of bookings"] = last.start - timedelta(days=1)
    timings, counts, found, cpu_ms = [], {}, {}, []
    for name, now in weeks.items():
        suggest(user=dispatcher, ticket=ticket, now=now)
        with CaptureQueriesContext(connection) as captured:
            found[name] = len(suggest(user=dispatcher, ticket=ticket, now=now))
        counts[name] = len(captured.captured_queries)
        cpu = time.process_time()
        for _ in range(20):
            started = time.perf_counter()
            suggest(user=dispatcher, ticket=ticket, now=now)
            timings.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000 / 20)
    timings.sort()
    p50, p95 = statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]
    constant = len(set(counts.values())) == 1
    shown = ", ".join(f"{name}: {found[name]} found, {counts[name]} queries" for name in weeks)
    # The app's own CPU per call, PostgreSQL's excluded: what a busy machine does not inflate.
    cpu = f"app CPU {statistics.mean(cpu_ms):.0f} ms a call"
    log(f"  suggestions: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {cpu} ({shown})")
    return result_class(
        "Suggestions for one ticket (engineer, slot, reasons)",
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms ({cpu}); {shown}",
        "p95 ≤ 200 ms, constant queries",
        p95 <= 200 and constant,
    )


def planning(log, dispatcher, engineers, result_class):
    from dispatch.dates import local_moment
    from dispatch.db import history_maintenance
    from dispatch.models import EngineerBase, Team, Ticket
    from planning.optimizer import optimize_day
    from visits.models import Visit

    rng = random.Random(19)
    engineers = list(engineers)[:40]
    for engineer in engineers:
        lat, lng = _point(rng)
        EngineerBase.objects.get_or_create(
            engineer=engineer, defaults={"home_latitude": lat, "home_longitude": lng}
        )
    stamp = timezone.now().strftime("%H%M%S")
    results = []

    def ticket(i):
        lat, lng = _point(rng)
        return Ticket(
            number=f"PL{stamp}{i:05d}",
            customer_name="压测客户",
            phone="+8613900000000",
            phenomenon="网速慢",
            location_detail="书房",
            customer_action="上网",
            kind="solve",
            owner=dispatcher,
            created_by=dispatcher,
            latitude=lat,
            longitude=lng,
        )

    one = Ticket.objects.bulk_create([ticket(0)])[0]
    results.append(_suggestions(log, dispatcher, one, result_class))

    # A day of 300 visits for 40 engineers, booked with no regard to where anyone is.
    day = timezone.localdate() + timedelta(days=90)
    team, _ = Team.objects.get_or_create(name="bench-planning")
    team.members.set(engineers)
    tickets = Ticket.objects.bulk_create([ticket(i) for i in range(1, 301)])
    starts = [8 * 60 + 90 * k for k in range(8)]  # 08:00, 09:30 … 18:30, an hour each
    visits = []
    for i, t in enumerate(tickets):
        engineer = engineers[i % len(engineers)]
        slot = (i // len(engineers)) % len(starts)
        start = local_moment(day) + timedelta(minutes=starts[slot])
        visits.append(
            Visit(
                ticket=t,
                engineer=engineer,
                start=start,
                end=start + timedelta(hours=1),
                booked_by=dispatcher,
            )
        )
    Visit.objects.bulk_create(visits)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        plan = optimize_day(user=dispatcher, day=day, team=team)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        travel = f"travel {plan.booked.travel} → {plan.optimized.travel} min"
        late, n = f"late {plan.booked.late} → {plan.optimized.late}", len(plan.moves)
        log(f"  optimize: {elapsed:.1f} s (CPU {cpu:.1f} s), {travel}, {late} min, {n} moves")
        results.append(
            result_class(
                "Optimize a day (40 engineers, 300 visits, OR-Tools)",
                f"{elapsed:.1f} s (CPU {cpu:.1f} s); {travel} (saved {plan.saved_minutes}), "
                f"{late} min; {n} moves",
                "≤ 10 s, travel saved > 0",
                elapsed <= 10 and plan.saved_minutes > 0,
            )
        )
    finally:
        with history_maintenance():
            Visit.objects.filter(ticket__in=tickets).delete()
            Ticket.objects.filter(pk__in=[t.pk for t in tickets] + [one.pk]).delete()
    return results
