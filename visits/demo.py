"""Demo visits: three weeks of history and a busy today, entered through the services.

The clock is moved with time-machine (a dev dependency, installed by `make run`) so every
service runs at the moment it would have run, and its rules hold: punctual and late arrivals,
late notices, reschedules (one approved late, one pending), no-answer visits with notes on time
and late, unresolved visits with replies on time, late and still due, handovers mid-visit agreed
with the customer's code (one today whose successor awaits the receiving engineer, one waiting
for the customer's code). Where the deadline sweep would have marked a promise overdue before it
was kept, the loader does the same.
"""

from datetime import datetime, timedelta

from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone

from dispatch.errors import RuleViolation
from dispatch.models import Deadline, DeadlineState, Notification, NotificationState
from dispatch.rules import reconfirm_lead
from dispatch.services import close_ticket, update_ticket

from . import services
from .models import DoorCheck, Visit
from .services.handover import handover_code

try:
    import time_machine
except ImportError:  # pragma: no cover - production installs without dev extras
    time_machine = None

M = timedelta(minutes=1)
H = timedelta(hours=1)
PLACES = ["客厅", "主卧", "书房", "阳台", "厨房", "地下车库"]


class Clock:
    """Run each service at its own moment; mark what the sweep would have marked overdue."""

    def __init__(self):
        self.now = timezone.now().replace(second=0, microsecond=0)
        # From this moment on, the sweep (seed_demo's, as beat would) marks deadlines overdue
        # and alerts, not the loader: a step a few minutes later (a booking just after a young
        # ticket was taken) must not silently mark what falls due before it.
        self.sweep_from: datetime | None = None

    def __call__(self, when: datetime, call, *args, **kwargs):
        cutoff = when if self.sweep_from is None else min(when, self.sweep_from)
        with time_machine.travel(when, tick=False):
            Deadline.objects.filter(
                visit__isnull=False, state=DeadlineState.OPEN, due_at__lt=cutoff
            ).update(state=DeadlineState.OVERDUE, overdue_at=F("due_at") + M)
            return call(*args, **kwargs)


def _measure(clock, when, visit, rng, phase, good):
    rsrp = rng.randint(-95, -75) if good else rng.randint(-122, -108)
    sinr = rng.randint(8, 22) if good else rng.randint(-6, 2)
    clock(
        when,
        services.add_measurement,
        actor=visit.engineer,
        visit=visit,
        phase=phase,
        network=rng.choice(["4g", "5g"]),
        place=rng.choice(PLACES),
        rsrp_dbm=rsrp,
        sinr_db=sinr,
        download_mbps=round(rng.uniform(40, 300) if good else rng.uniform(0.5, 6), 2),
        upload_mbps=round(rng.uniform(10, 60) if good else rng.uniform(0.1, 2), 2),
        latency_ms=rng.randint(18, 45) if good else rng.randint(90, 300),
        call_result="ok" if good else rng.choice(["dropped", "failed"]),
    )


# Demo cells (ECGI): the first three cover poorly, so the supervisor's hot cells rank them.
CELLS = ["460-11-95201-1", "460-11-95201-2", "460-11-95377-3", "460-11-96012-1", "460-11-96540-2"]
GNETTRACK_HEADER = (
    "Timestamp\tLongitude\tLatitude\tSpeed\tOperatorname\tCGI\tNetworkTech\tLevel\tQual"
    "\tSNR\tDL_bitrate\tUL_bitrate\tPCI\tPINGAVG"
)


def _log(rng, end: datetime, *, place: str, phase: str, good: bool, gnettrack: bool) -> bytes:
    """A phone app's test log (issue 18): a sample every 5 seconds for five minutes before
    `end`, as G-NetTrack writes it or in our CSV template."""
    cell = rng.choice(CELLS[3:] if good else CELLS[:3])
    lines = []
    for n in range(60):
        at = timezone.localtime(end - (60 - n) * 5 * timedelta(seconds=1))
        rsrp = rng.randint(-95, -78) if good else rng.randint(-121, -104)
        sinr = rng.randint(8, 22) if good else rng.randint(-5, 6)
        down = rng.uniform(30, 120) if good else rng.uniform(0.5, 8)
        ping = rng.randint(18, 45) if good else rng.randint(70, 180)
        if gnettrack:
            rsrq = rng.randint(-16, -8)
            lines.append(
                f"{at:%Y.%m.%d_%H.%M.%S}\t113.32\t23.13\t0\tChina Telecom\t{cell}\tLTE\t{rsrp}"
                f"\t{rsrq}\t{sinr}\t{down * 1000:.0f}\t{down * 200:.0f}\t301\t{ping}"
            )
        else:
            lines.append(
                f"{at:%Y-%m-%d %H:%M:%S},{place},{phase},4G,{rsrp},,{sinr},{cell},,"
                f"{down:.2f},{down / 5:.2f},{ping},{'ok' if good else 'dropped'}"
            )
    header = GNETTRACK_HEADER if gnettrack else TEMPLATE_HEADER
    return ("\n".join([header, *lines]) + "\n").encode()


TEMPLATE_HEADER = (
    "time,place,phase,network,rsrp_dbm,rsrq_db,sinr_db,cell_id,pci,download_mbps,upload_mbps,"
    "latency_ms,call_result"
)


def _import_log(clock, when, visit, rng, phase, *, good, gnettrack=False):
    place = rng.choice(PLACES[:3])
    data = _log(rng, when, place=place, phase=phase, good=good, gnettrack=gnettrack)
    clock(
        when,
        services.import_measurement_log,
        actor=visit.engineer,
        visit=visit,
        file_name=f"{'gnettrack' if gnettrack else 'test'}-{phase}.{'txt' if gnettrack else 'csv'}",
        data=data,
        phase=phase,
        place=place,
    )


def _book(clock, demo, when, ticket, start, minutes=60, engineer=None):
    """Book with the first engineer free at `start` (R7), moving by an hour if nobody is."""
    people = [demo.staff[f"engineer{i}"] for i in (1, 2, 3)]
    demo.rng.shuffle(people)
    if engineer is not None:
        people = [engineer]
    for shift in range(6):
        for person in people:
            try:
                return clock(
                    when,
                    services.book_visit,
                    actor=demo.staff["dispatcher"],
                    ticket=ticket,
                    engineer=person,
                    start=start + shift * H,
                    end=start + shift * H + minutes * M,
                )
            except RuleViolation as exc:
                if exc.code != "engineer_busy":
                    raise
    raise RuntimeError(f"no engineer free for {ticket}")


def _engineers_from(demo, first) -> list:
    """`first`, then the other demo engineers."""
    people = [demo.staff[f"engineer{n}"] for n in (1, 2, 3)]
    return [first, *(p for p in people if p != first)]


def _to_door(clock, visit, *, late_by=None, notice=None):
    """Re-confirm, kit, depart and arrive: 7 minutes early unless `late_by` (R8, R20, R9, R10).
    A handover's successor was confirmed by the customer's code already (R16)."""
    s, eng = visit.start, visit.engineer
    if visit.reconfirmed_at is None:
        clock(s - 100 * M, services.reconfirm_visit, actor=eng, visit=visit)
    clock(s - 50 * M, services.update_kit_status, actor=eng, visit=visit, missing=[])
    clock(s - 45 * M, services.depart_for_visit, actor=eng, visit=visit)
    if notice is not None:
        minutes_before, reason = notice
        clock(
            s - minutes_before * M,
            services.notify_late,
            actor=eng,
            visit=visit,
            new_arrival_at=s + (late_by or 10 * M),
            reason=reason,
        )
    arrival = s + late_by if late_by else s - 7 * M
    clock(arrival, services.record_arrival, actor=eng, visit=visit, latitude=23.13, longitude=113.3)
    return arrival


def _work(clock, visit, rng, started, *, resolved=True, reply=None):
    """Door checks (R14), tests before and after, the outcome (R15) and maybe the reply."""
    eng = visit.engineer
    clock(started, services.start_work, actor=eng, visit=visit, door_checks=DoorCheck.values)
    _measure(clock, started + 8 * M, visit, rng, "before", good=False)
    # Most engineers import their test app's log too (issue 18).
    logged = rng.random() < 0.7
    if logged:
        _import_log(clock, started + 14 * M, visit, rng, "before", good=False)
    if resolved:
        _measure(clock, started + 35 * M, visit, rng, "after", good=True)
        if logged:
            _import_log(clock, started + 40 * M, visit, rng, "after", good=True)
        clock(
            started + 45 * M,
            services.record_outcome,
            actor=eng,
            visit=visit,
            resolved=True,
            summary=rng.choice(
                ["调整室分天线方向后信号恢复", "更换故障光模块，通话正常", "优化小区参数，速率恢复"]
            ),
        )
        return
    ended = started + 40 * M
    clock(
        ended,
        services.record_outcome,
        actor=eng,
        visit=visit,
        resolved=False,
        summary="周边基站需优化参数，需后台处理",
        promised_reply_at=ended + 3 * H,
    )
    if reply is not None:
        clock(
            ended + reply,
            services.record_reply,
            actor=eng,
            visit=visit,
            message="后台已完成基站参数优化，请您试用，如仍有问题请随时联系我们。",
            by_sms=True,
        )


def _ask_handover(clock, demo, visit, when, start, *, reason, note):
    """R16: the engineer asks a free colleague to take over at `start`; the customer gets the
    SMS with the code. Returns the request."""
    for other in _engineers_from(demo, visit.engineer)[1:]:
        try:
            return clock(
                when,
                services.request_handover,
                actor=visit.engineer,
                visit=visit,
                to_engineer=other,
                start=start,
                end=start + 60 * M,
                reason=reason,
                note=note,
            )
        except RuleViolation as exc:
            if exc.code != "engineer_busy":
                raise
    raise RuntimeError(f"no engineer free to take over {visit}")


def _hand_over(clock, demo, visit, when, start, *, reason, note) -> Visit:
    """R16: asked, and agreed by the customer typing the code from their SMS on the engineer's
    phone two minutes later; returns the receiving engineer's visit."""
    handover = _ask_handover(clock, demo, visit, when, start, reason=reason, note=note)
    # The customer reads the code off their own phone: the loader derives it as the SMS did.
    code = handover_code(handover)
    clock(when + 2 * M, services.confirm_handover, actor=visit.engineer, visit=visit, code=code)
    return Visit.objects.get(handed_over_from=visit)


def _no_answer(clock, visit, *, note_after):
    eng = visit.engineer
    arrival = _to_door(clock, visit)
    clock(arrival + 1 * M, services.record_knock, actor=eng, visit=visit)
    clock(arrival + 5 * M, services.record_failed_call, actor=eng, visit=visit)
    gone = arrival + 12 * M
    clock(gone, services.mark_no_answer, actor=eng, visit=visit)
    if note_after is not None:
        name = visit.ticket.customer_name
        clock(
            gone + note_after,
            services.file_visit_note,
            actor=eng,
            visit=visit,
            customer_surname=name[:1],
            arrived_at=arrival,
            departed_at=gone,
            contact_phone="13800138100",  # R13: the engineer's own phone
        )


def _history(clock, demo, ticket, i):
    """One complaint's visit(s), a day or two after it was taken."""
    rng = demo.rng
    booked = ticket.created_at + rng.randint(15, 50) * M
    day = timezone.localtime(ticket.created_at + timedelta(days=1)).replace(
        hour=rng.choice([9, 10, 11, 14, 15, 16]), minute=rng.choice([0, 30]), second=0
    )
    visit = _book(clock, demo, booked, ticket, day)
    kind = i % 13
    if kind == 1:  # R11 with notice, to another day (another engineer if need be)
        for engineer in _engineers_from(demo, visit.engineer):
            try:
                visit = clock(
                    max(booked + 10 * M, visit.start - 20 * H),
                    services.reschedule_visit,
                    actor=demo.staff["dispatcher"],
                    visit=visit,
                    start=visit.start + 24 * H,
                    end=visit.end + 24 * H,
                    engineer=engineer,
                    reason="客户临时出差",
                    customer_agreed=True,
                )
                break
            except RuleViolation as exc:
                if exc.code != "engineer_busy":
                    raise
    if kind == 2:  # R11 under 2 h: force majeure, approved by the supervisor (a violation)
        for engineer in _engineers_from(demo, visit.engineer):
            try:
                request = clock(
                    visit.start - 70 * M,
                    services.request_late_reschedule,
                    actor=demo.staff["dispatcher"],
                    visit=visit,
                    start=visit.start + 24 * H,
                    end=visit.end + 24 * H,
                    engineer=engineer,
                    reason="台风预警，暂停户外作业",
                    customer_agreed=True,
                )
                break
            except RuleViolation as exc:
                if exc.code != "engineer_busy":
                    raise
        clock(
            visit.start - 60 * M,
            services.decide_reschedule_request,
            actor=demo.staff["supervisor"],
            request=request,
            approve=True,
            note="台风天气，同意改约",
        )
        visit = Visit.objects.get(rescheduled_from=visit)
    if kind == 3:  # called off
        clock(
            visit.start - 5 * H,
            services.cancel_visit,
            actor=demo.staff["dispatcher"],
            visit=visit,
            reason="客户反映信号已恢复，取消上门",
            customer_agreed=True,
        )
        return
    if kind == 4:  # R9 late, no notice
        arrival = _to_door(clock, visit, late_by=rng.randint(4, 25) * M)
        _work(clock, visit, rng, arrival + 4 * M)
    elif kind == 5:  # R10 notice in time, still late for R9
        arrival = _to_door(clock, visit, late_by=12 * M, notice=(40, "交通堵塞"))
        _work(clock, visit, rng, arrival + 4 * M)
    elif kind == 6:  # R10 notice under 15 minutes
        arrival = _to_door(clock, visit, late_by=15 * M, notice=(8, "前一单延误"))
        _work(clock, visit, rng, arrival + 4 * M)
    elif kind == 7:  # R13 no answer, note on time; a new visit two days later
        _no_answer(clock, visit, note_after=8 * M)
        retry = _book(clock, demo, visit.start + 2 * H, ticket, visit.start + 48 * H)
        _work(clock, retry, rng, _to_door(clock, retry) + 3 * M)
    elif kind == 8:  # R13 note filed late
        _no_answer(clock, visit, note_after=55 * M)
    elif kind == 9:  # R15 unresolved, reply on time
        _work(clock, visit, rng, _to_door(clock, visit) + 3 * M, resolved=False, reply=2 * H)
    elif kind == 10:  # R15 unresolved, reply late
        _work(clock, visit, rng, _to_door(clock, visit) + 3 * M, resolved=False, reply=5 * H)
    elif kind == 11:  # R16 handover mid-visit with the customer's code, R17 complaint on site
        started = _to_door(clock, visit) + 3 * M
        clock(
            started,
            services.start_work,
            actor=visit.engineer,
            visit=visit,
            door_checks=DoorCheck.values,
        )
        clock(
            started + 5 * M,
            services.report_complaint_on_site,
            actor=visit.engineer,
            visit=visit,
            note="客户抱怨上次投诉处理太慢",
        )
        _measure(clock, started + 10 * M, visit, rng, "before", good=False)
        visit = _hand_over(
            clock,
            demo,
            visit,
            started + 15 * M,
            started + 75 * M,
            reason="需登高更换室分天线",
            note="客厅和主卧RSRP约-115，室分天线老化，需登高更换；客户下午在家",
        )
        # R16: the receiving engineer's own kit, self-check, door checks and tests.
        _work(clock, visit, rng, _to_door(clock, visit) + 3 * M)
    else:  # the usual: five minutes early, fixed on site
        _work(clock, visit, rng, _to_door(clock, visit) + 3 * M)
    visit.refresh_from_db()
    if visit.status == "resolved" and i % 2 == 0:
        clock(
            visit.work_ended_at + 2 * H,
            close_ticket,
            actor=ticket.owner,
            ticket=ticket,
            resolution="上门测试已解决，客户确认正常",
            customer_told=True,
        )


def _today(clock, demo, tickets):
    """A busy day around now, whatever the time of seeding (every time is relative to now)."""
    rng = demo.rng
    now = clock.now.replace(minute=clock.now.minute // 15 * 15)  # visits on the quarter hour
    clock.sweep_from = now
    e1, e2, e3 = (demo.staff[f"engineer{n}"] for n in (1, 2, 3))
    older, newest = tickets[:7], tickets[7:]

    def booked_for(ticket, start, engineer, minutes=60):
        when = max(ticket.created_at + 2 * M, min(start - 20 * H, now - 10 * M))
        return _book(clock, demo, when, ticket, start, minutes, engineer)

    # engineer1: at work now (on time), one whose re-confirmation (R8, an hour before) fell due
    # on the quarter hour, so the sweep alerts engineer1 and the alert leads to the visit, and
    # one tomorrow. The sweep, not the loader, marks it overdue (Clock.sweep_from), even when a
    # later step runs past that quarter hour (a ticket taken minutes ago is booked after it).
    a = booked_for(older[0], now - 45 * M, e1, 90)
    arrival = _to_door(clock, a)
    clock(arrival + 3 * M, services.start_work, actor=e1, visit=a, door_checks=DoorCheck.values)
    _measure(clock, arrival + 15 * M, a, rng, "before", good=False)
    # Issue 18: the G-NetTrack log of the test before the fix, graded on the work step.
    _import_log(clock, arrival + 22 * M, a, rng, "before", good=False, gnettrack=True)
    # R16: engineer1 asks for a colleague to take `a` over; the customer's code is still to come
    # (the SMS went now: on the demo's customer phone, var/sms/, with NOTIFICATION_BACKEND=file).
    # Asked at the seeding minute, past the quarter hour: so before the visit whose
    # re-confirmation falls due then is booked below.
    _ask_handover(
        clock,
        demo,
        a,
        clock.now,  # not the quarter hour: the code lives minutes from the seeding
        now + 4 * H,
        reason="需要光纤熔接设备",
        note="光猫到分纤箱的尾纤断裂，需熔接；已测客厅、书房，RSRP约-112",
    )
    # R16: handed over four hours ago with the customer's code; the colleague (engineer2) is
    # awaited later today and does their own kit, self-check and door checks.
    k = booked_for(older[6], now - 4 * H, e1)
    arrival = _to_door(clock, k)
    clock(arrival + 3 * M, services.start_work, actor=e1, visit=k, door_checks=DoorCheck.values)
    _measure(clock, arrival + 12 * M, k, rng, "before", good=False)
    _hand_over(
        clock,
        demo,
        k,
        arrival + 20 * M,
        now + 5 * H,
        reason="需登高作业，由持证同事处理",
        note="阳台外墙天线松动，需登高加固；已测客厅、阳台，客户下午在家",
    )
    booked_for(newest[0], now + reconfirm_lead(), e1)
    tomorrow = timezone.localtime(now + timedelta(days=1)).replace(hour=10, minute=0)
    booked_for(newest[1], tomorrow, e1)
    # Issue 15: the desk corrects the address of a booked visit; the customer gets the
    # corrected appointment by SMS, the engineer an alert.
    corrected = newest[1]
    clock(
        now - 8 * M,
        update_ticket,
        actor=corrected.owner,
        ticket=corrected,
        changes={"address": corrected.address + " 1203 室"},
    )
    # engineer2: at a door nobody opens (the wait is over), one later with the kit done,
    # and one whose late reschedule waits for the supervisor.
    d = booked_for(older[1], now - 15 * M, e2)
    arrival = _to_door(clock, d, late_by=1 * M)
    clock(arrival + 1 * M, services.record_knock, actor=e2, visit=d)
    clock(arrival + 6 * M, services.record_failed_call, actor=e2, visit=d)
    e = booked_for(newest[2], now + 3 * H, e2)
    clock(now - 5 * M, services.reconfirm_visit, actor=e2, visit=e)
    clock(now - 4 * M, services.update_kit_status, actor=e2, visit=e, missing=[])
    f = booked_for(older[5], now + 75 * M, e2)
    clock(
        now - 3 * M,
        services.request_late_reschedule,
        actor=demo.staff["dispatcher"],
        visit=f,
        start=f.start + 24 * H,
        end=f.end + 24 * H,
        reason="暴雨红色预警",
        customer_agreed=True,
    )
    # engineer3: fixed this morning, a reply still due, a note still due, a late notice sent.
    g = booked_for(older[2], now - 5 * H, e3)
    _work(clock, g, rng, _to_door(clock, g) + 3 * M)
    h = booked_for(older[3], now - 3 * H, e3)
    _work(clock, h, rng, _to_door(clock, h) + 3 * M, resolved=False)
    i = booked_for(older[4], now - 15 * M, e3)
    _no_answer(clock, i, note_after=None)
    j = booked_for(newest[3], now + 2 * H, e3)
    clock(now - 2 * M, services.reconfirm_visit, actor=e3, visit=j)
    clock(
        now - 1 * M,
        services.notify_late,
        actor=e3,
        visit=j,
        new_arrival_at=j.start + 15 * M,
        reason="前一单未完成",
    )
    _customers_on_links(clock, demo, now)


def _customers_on_links(clock, demo, now):
    """Issue 17: three customers answered their booking SMS on the short link this morning:
    one confirmed (engineer3's visit page and the ticket show it), one moved the visit to a
    free time (a new link by SMS), one asked to be called back (the owner's R6 contact, with
    its alert). The supervisor's dashboard lists them under "customers today"."""
    from dispatch.demo import CUSTOMERS, FAULTS
    from dispatch.services import open_ticket

    from .models import CustomerLink
    from .services import customer
    from .services.links import link_token

    e3 = demo.staff["engineer3"]
    day = timezone.localtime(now + 48 * H).replace(hour=9, minute=0)
    visits = []
    for k in range(3):
        name, phone, address = CUSTOMERS[(k + 5) % len(CUSTOMERS)]
        phenomenon, place, action = FAULTS[(k + 2) % len(FAULTS)]
        ticket = clock(
            now - (90 - k) * M,
            open_ticket,
            actor=demo.staff["dispatcher"],
            kind="solve",
            complexity="simple",
            customer_name=name,
            contact_person=name,
            phone=phone,
            address=f"广州市{address}",
            phenomenon=phenomenon,
            location_detail=place,
            customer_action=action,
        )
        visits.append(_book(clock, demo, now - (80 - k) * M, ticket, day + 2 * k * H, 60, e3))

    def token(visit):
        return link_token(CustomerLink.objects.get(visit=visit))

    confirmed, moving, calling = visits
    clock(now - 40 * M, customer.confirm, actor=None, token=token(confirmed))
    clock(
        now - 25 * M,
        customer.ask_callback,
        actor=None,
        token=token(calling),
        note="白天上班，请傍晚六点后来电",
    )
    slots = clock(now - 10 * M, customer.slots, moving)
    clock(now - 10 * M, customer.move, actor=None, token=token(moving), start=slots[-1][0])


def seed(demo) -> None:
    if time_machine is None:
        # Half a demo (tickets without their visits) would mislead: say what is missing.
        raise CommandError(
            "The demo replays weeks of visits through the services at past moments, which "
            "needs time-machine from the development extras: pip install -e '.[dev]' "
            "(make run installs them)."
        )
    clock = Clock()
    tickets = sorted(demo.tickets, key=lambda t: t.created_at)
    history, today = tickets[:-11], tickets[-11:]
    for i, ticket in enumerate(history):
        _history(clock, demo, ticket, i)
    _today(clock, demo, today)
    # Messages from before today were delivered long ago; only the last hour's are pending.
    Notification.objects.filter(
        template__startswith="visit_",
        state=NotificationState.PENDING,
        created_at__lt=clock.now - H,
    ).update(state=NotificationState.SENT, sent_at=F("created_at") + M)
