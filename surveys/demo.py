"""Demo surveys: three weeks of signed surveys with work orders, commitment cards and closing
SMS, so the supervisor's results and four-quadrant chart show something real.

Surveys go in through the services (issue, code, sign, hand over), each at the time it would
have happened; only the events' timestamps are then moved to those times (a demo loader's
privilege). Visits whose work has ended come from the visits demo when there is one; tickets
without a visit get a finished visit built directly, with its measurements.
"""

import math
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from dispatch.models import Event, EventKind, Notification, NotificationState
from dispatch.sites import site_url
from visits.models import INACTIVE_STATUSES, Measurement, Visit, VisitStatus

from . import rules, services
from .models import LinkChannel, SurveyResponse
from .phone_secrets import link_code

TARGET_SIGNED = 26

# How each demo engineer tends to be rated, so the engineers and the quadrants differ:
# engineer2 is often late (punctuality falls into 修补区), engineer3 leaves a mess.
PROFILES = {
    "engineer1": {"punctuality": 4.6, "manner": 4.7, "professionalism": 4.8, "tidiness": 4.5},
    "engineer2": {"punctuality": 3.0, "manner": 4.4, "professionalism": 4.5, "tidiness": 4.1},
    "engineer3": {"punctuality": 4.2, "manner": 4.5, "professionalism": 4.3, "tidiness": 3.4},
}
COMMENTS = [
    "师傅很专业，讲解得很清楚，谢谢！",
    "来得有点晚，希望下次准时。",
    "测试很仔细，信号好多了。",
    "穿了鞋套，走的时候把地方收拾干净了，很满意。",
    "问题还没完全解决，希望尽快回复。",
    "态度很好，耐心解答了我的问题。",
    "走的时候地上有点脏，其他都好。",
    "希望以后遇到问题也能这么快处理。",
]
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; 22081212C) AppleWebKit/537.36 Chrome/120.0 Mobile",
]
SLOTS = (9, 10, 11, 14, 15, 16, 17)


def _free(engineer, start: datetime, end: datetime) -> bool:
    return not (
        Visit.objects.filter(engineer=engineer, start__lt=end, end__gt=start)
        .exclude(status__in=INACTIVE_STATUSES)
        .exists()
    )


def _slot(engineer, day: datetime, rng) -> datetime | None:
    hours = list(SLOTS)
    rng.shuffle(hours)
    for hour in hours:
        start = day.replace(hour=hour, minute=rng.choice((0, 30)), second=0, microsecond=0)
        if _free(engineer, start, start + timedelta(hours=1)):
            return start
    return None


def _measure(visit: Visit, rng, resolved: bool) -> None:
    at = visit.work_started_at
    before = Decimal(rng.randint(-121, -108))
    after = before + Decimal(rng.randint(18, 30) if resolved else rng.randint(2, 6))
    for phase, rsrp, speed in (
        ("before", before, 2.5),
        ("after", after, 45.0 if resolved else 6.0),
    ):
        at += timedelta(minutes=12)
        Measurement.objects.create(
            visit=visit,
            phase=phase,
            network=rng.choice(("4g", "5g")),
            place=rng.choice(("客厅", "主卧", "书房", "办公室靠窗")),
            rsrp_dbm=rsrp,
            sinr_db=Decimal(rng.randint(-3, 18)),
            download_mbps=Decimal(f"{speed * rng.uniform(0.7, 1.3):.2f}"),
            upload_mbps=Decimal(f"{speed / 5 * rng.uniform(0.7, 1.3):.2f}"),
            latency_ms=rng.randint(25, 90),
            call_result="ok" if phase == "after" and resolved else "dropped",
            measured_at=at,
            recorded_by=visit.engineer,
        )


def _finished_visit(demo, ticket, engineer, start: datetime, resolved=None) -> Visit:
    rng = demo.rng
    resolved = rng.random() < 0.8 if resolved is None else resolved
    arrived = start - timedelta(minutes=rng.choice((9, 7, 6, 5, 2)))
    visit = Visit.objects.create(
        ticket=ticket,
        engineer=engineer,
        booked_by=demo.staff["dispatcher"],
        start=start,
        end=start + timedelta(hours=1),
        status=VisitStatus.RESOLVED if resolved else VisitStatus.UNRESOLVED,
        reconfirmed_at=start - timedelta(hours=2),
        kit_completed_at=start - timedelta(minutes=40),
        departed_at=start - timedelta(minutes=35),
        arrived_at=arrived,
        arrival_punctual=arrived <= start - timedelta(minutes=5),
        work_started_at=start + timedelta(minutes=5),
        work_ended_at=start + timedelta(minutes=rng.randint(40, 55)),
        result_summary="调整室内分布系统天线方向，复测信号恢复正常"
        if resolved
        else "室外基站需扩容，已上报网络优化，约定时间内回复",
        promised_reply_at=None if resolved else start + timedelta(hours=4),
    )
    _measure(visit, rng, resolved)
    return visit


def _ensure_visits(demo, now: datetime) -> list[Visit]:
    """Ended visits without a survey, oldest first; tickets with no visit get one."""
    engineers = [demo.staff[name] for name in ("engineer1", "engineer2", "engineer3")]
    ended = list(
        Visit.objects.filter(
            status__in=rules.WORK_ENDED_STATUSES,
            work_ended_at__isnull=False,
            survey_response__isnull=True,
        ).order_by("work_ended_at")
    )
    missing = TARGET_SIGNED + 3 - len(ended)
    candidates = [t for t in demo.tickets if not t.visits.exists()]
    for i, ticket in enumerate(candidates[: max(0, missing)]):
        engineer = engineers[i % len(engineers)]
        day = max(ticket.created_at + timedelta(days=1), now - timedelta(days=20))
        day = timezone.localtime(day)
        if day.date() >= timezone.localdate(now):
            continue
        start = _slot(engineer, day, demo.rng)
        if start is not None:
            ended.append(_finished_visit(demo, ticket, engineer, start))
    return sorted(ended, key=lambda v: v.work_ended_at)


def _strokes(rng) -> dict:
    """A handwritten-looking signature: a few wavy strokes drawn with a finger."""
    width, height, t, strokes = 340, 200, 0, []
    x = rng.randint(20, 40)
    for _ in range(rng.randint(2, 4)):
        length = rng.randint(50, 90)
        base = rng.randint(80, 120)
        amp, freq, phase = rng.uniform(15, 35), rng.uniform(0.08, 0.16), rng.uniform(0, 6)
        points = []
        for step in range(0, length, 4):
            px = min(width - 5, x + step)
            py = base + amp * math.sin(freq * step + phase) + rng.uniform(-2, 2)
            points.append([round(px, 1), round(max(5, min(height - 5, py)), 1), t])
            t += rng.randint(12, 20)
        strokes.append({"type": "touch", "points": points})
        x += length + rng.randint(5, 15)
        t += rng.randint(120, 300)
    return {"width": width, "height": height, "strokes": strokes}


def _score(rng, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.6))))


def _answers(rng, engineer, visit: Visit) -> dict:
    profile = PROFILES.get(engineer.username, PROFILES["engineer1"])
    resolved = visit.status == VisitStatus.RESOLVED
    answers = {code: _score(rng, mean) for code, mean in profile.items()}
    answers["result"] = _score(rng, 4.6 if resolved else 3.2)
    answers["resolved"] = "yes" if resolved and rng.random() < 0.95 else "no"
    answers["comments"] = rng.choice(COMMENTS) if rng.random() < 0.6 else ""
    return answers


def _sign(demo, visit: Visit, channel: str) -> SurveyResponse:
    rng = demo.rng
    engineer = visit.engineer
    issued_at = visit.work_ended_at + timedelta(minutes=2)
    issued = services.issue_link(
        actor=engineer,
        visit=visit,
        channel=channel,
        base_url=site_url(),
        now=issued_at,
    )
    binding = ""
    actor = None
    signed_at = issued_at + timedelta(minutes=rng.randint(3, 9))
    if channel != LinkChannel.SMS:
        # The customer asks for the code and types it in (R23). The outbox holds only a mask:
        # the demo, playing the customer's phone, derives the code the SMS would carry.
        link = services.send_code(link=issued.link, now=issued_at + timedelta(minutes=1))
        code = link_code(link, link.code_sends, rules.CODE_DIGITS)
        binding = services.verify_code(
            link=issued.link, code=code, now=issued_at + timedelta(minutes=2)
        )
        actor = engineer if channel == LinkChannel.DEVICE else None
    response = services.sign_survey(
        actor=actor,
        token=issued.token,
        answers=_answers(rng, engineer, visit),
        work_order_confirmed=True,
        strokes=_strokes(rng),
        binding=binding,
        ip_address=f"10.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        user_agent=rng.choice(USER_AGENTS),
        now=signed_at,
    )
    # In the story the SMS reached the customer before they signed; left pending, the worker
    # would now find their link used and not send them (R23).
    Notification.objects.filter(
        ticket=visit.ticket,
        template__in=["survey_link", "survey_code"],
        state=NotificationState.PENDING,
    ).update(state=NotificationState.SENT, sent_at=issued_at + timedelta(minutes=1), attempts=1)
    if rng.random() < 0.9:
        services.hand_over_card(actor=engineer, visit=visit, now=signed_at + timedelta(minutes=1))
    # Put the survey's events at the times they happened (the services stamped "now").
    for event in Event.objects.filter(visit=visit, kind__startswith="survey."):
        when = {
            EventKind.SURVEY_LINK_ISSUED: issued_at,
            EventKind.SURVEY_CODE_SENT: issued_at + timedelta(minutes=1),
            EventKind.SURVEY_CARD_HANDED_OVER: signed_at + timedelta(minutes=1),
        }.get(event.kind, signed_at)
        Event.objects.filter(pk=event.pk).update(created_at=when)
    return response


def seed(demo) -> None:
    now = timezone.now()
    visits = _ensure_visits(demo, now)
    recent = now - timedelta(hours=20)
    older = [v for v in visits if v.work_ended_at < recent]
    channels = [LinkChannel.SMS] * 6 + [LinkChannel.QR] * 2 + [LinkChannel.DEVICE] * 2
    # Leave the two most recent finished visits unsigned: one waiting on an SMS link, one with
    # nothing yet, so the engineers' survey list shows every state.
    to_sign = older[:-2][:TARGET_SIGNED]
    for visit in to_sign:
        _sign(demo, visit, demo.rng.choice(channels))
    waiting = older[-2:] + [v for v in visits if v.work_ended_at >= recent]
    if waiting:
        services.issue_link(
            actor=waiting[0].engineer,
            visit=waiting[0],
            channel=LinkChannel.SMS,
            base_url=site_url(),
        )
    _today(demo, now)


def _today(demo, now: datetime) -> None:
    """A visit of engineer1 finished twenty minutes ago: the hand-off page to try first."""
    engineer = demo.staff["engineer1"]
    start = (timezone.localtime(now) - timedelta(hours=1, minutes=10)).replace(
        second=0, microsecond=0
    )
    ticket = next(
        (
            t
            for t in reversed(demo.tickets)
            if not t.visits.exists() and t.created_at < start - timedelta(hours=2)
        ),
        None,
    )
    if ticket is None or not _free(engineer, start, start + timedelta(hours=1)):
        return
    visit = _finished_visit(demo, ticket, engineer, start, resolved=True)
    Visit.objects.filter(pk=visit.pk).update(work_ended_at=now - timedelta(minutes=20))
