"""Demo data for the centre: staff of every role and three weeks of complaint tickets.

Data goes in through the services, as a dispatcher would enter it; only the timestamps are then
moved into the past (a demo loader's privilege) so the pages show weeks of history.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import F, Max
from django.utils import timezone

from . import services
from .models import (
    ComplaintKind,
    Complexity,
    Deadline,
    DeadlineState,
    DeliveryProblem,
    Event,
    EventKind,
    Notification,
    NotificationChannel,
    NotificationState,
    StaffProfile,
    Team,
    Ticket,
)
from .sweep import sweep_deadlines
from .transfers import request_second_transfer
from .waivers import request_waiver

User = get_user_model()

STAFF = [
    # username, password, role, surname, given name
    ("dispatcher", "dispatch-demo-1", "dispatcher", "王", "芳"),
    ("engineer1", "engineer-demo-1", "engineer", "李", "强"),
    ("engineer2", "engineer-demo-2", "engineer", "张", "伟"),
    ("engineer3", "engineer-demo-3", "engineer", "刘", "洋"),
    ("supervisor", "supervise-demo-1", "supervisor", "陈", "静"),
]

CUSTOMERS = [
    ("赵先生", "13800138001", "天河区体育西路 191 号 12 楼"),
    ("钱女士", "13900139002", "越秀区中山五路 33 号 6 栋 402"),
    ("孙先生", "13700137003", "海珠区新港中路 397 号 B 座"),
    ("周女士", "15800158004", "番禺区市桥街大北路 88 号"),
    ("吴先生", "18600186005", "白云区机场路 1312 号 3 楼"),
    ("郑女士", "13600136006", "黄埔区开发大道 228 号"),
    ("冯先生", "15900159007", "荔湾区芳村大道 11 号 2 单元"),
    ("陈女士", "18800188008", "天河区珠江新城华夏路 8 号"),
]
FAULTS = [
    ("室内通话经常掉线", "客厅和主卧", "在家中接打电话时"),
    ("手机没有信号", "地下车库负二层", "停车后准备打电话时"),
    ("4G 上网很慢，网页打不开", "办公室靠窗工位", "上午开视频会议时"),
    ("5G 信号时有时无", "阳台和书房", "看在线视频时"),
    ("通话有杂音、断续", "厨房", "晚上做饭时接电话"),
    ("短信收不到验证码", "卧室", "登录网上银行时"),
]


@dataclass
class Demo:
    """What the loader made, for the other apps' demo loaders to build on."""

    staff: dict[str, object] = field(default_factory=dict)
    tickets: list[Ticket] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(516))


def ensure_staff(demo: Demo) -> list[tuple[str, str, str]]:
    logins = []
    for username, password, role, last, first in STAFF:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"last_name": last, "first_name": first}
        )
        user.set_password(password)
        user.is_staff = role == "supervisor"
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        # The mobile the group robot @-mentions them by (dispatch.robots): made-up numbers.
        StaffProfile.objects.update_or_create(
            user=user, defaults={"mobile": f"+86139000{len(logins):05d}"}
        )
        demo.staff[username] = user
        logins.append((role, username, password))
    return logins


def shift_ticket(ticket: Ticket, age: timedelta) -> None:
    """Move a ticket and everything it has so far into the past by `age`."""
    Ticket.objects.filter(pk=ticket.pk).update(created_at=ticket.created_at - age)
    for deadline in Deadline.objects.filter(ticket=ticket):
        Deadline.objects.filter(pk=deadline.pk).update(
            due_at=deadline.due_at - age, created_at=deadline.created_at - age
        )
    for event in Event.objects.filter(ticket=ticket):
        Event.objects.filter(pk=event.pk).update(created_at=event.created_at - age)
    ticket.refresh_from_db()


def seed_tickets(demo: Demo, count: int = 36) -> None:
    rng = demo.rng
    dispatcher, supervisor = demo.staff["dispatcher"], demo.staff["supervisor"]
    for i in range(count):
        name, phone, address = CUSTOMERS[i % len(CUSTOMERS)]
        phenomenon, place, action = FAULTS[i % len(FAULTS)]
        ticket = services.open_ticket(
            actor=dispatcher if i % 5 else supervisor,
            kind=rng.choice(ComplaintKind.values),
            complexity=Complexity.COMPLEX if i % 3 == 0 else Complexity.SIMPLE,
            customer_name=name,
            contact_person=name,
            phone=phone,
            address=f"广州市{address}",
            phenomenon=phenomenon,
            location_detail=place,
            customer_action=action,
        )
        # Older tickets first; the newest few are from today and still open.
        age = timedelta(days=21 * (count - i) / count, minutes=rng.randint(0, 600))
        if i >= count - 4:
            age = timedelta(minutes=rng.randint(5, 90))
        if i % 4 != 3 and i < count - 4:
            services.record_contact(
                actor=ticket.owner,
                ticket=ticket,
                progress="已向客户说明将安排工程师上门测试。",
                answered=True,
            )
        shift_ticket(ticket, age)
        demo.tickets.append(ticket)


def seed_teams(demo: Demo) -> None:
    """Two teams (班组) under the demo supervisor, so the dashboard can compare them."""
    staff = demo.staff
    for name, members in (("天河一组", ("engineer1", "engineer2")), ("越秀二组", ("engineer3",))):
        team, _ = Team.objects.get_or_create(
            name=name, defaults={"supervisor": staff["supervisor"]}
        )
        team.members.set([staff[username] for username in members])


def seed_desk_day(demo: Demo) -> None:
    """Issue 15, the desk's day: a complaint taken without its facts or the caller's name and
    phone (the ticket page asks to complete it), and a repeat call recorded by the supervisor
    on the dispatcher's open ticket (a contact; the dispatcher is alerted). Not in
    demo.tickets: the visits' loader books those."""
    dispatcher, supervisor = demo.staff["dispatcher"], demo.staff["supervisor"]
    bare = services.open_ticket(
        actor=dispatcher,
        kind=ComplaintKind.PERCEPTION,
        phenomenon="家里宽带和手机都上不了网，客户情绪激动，未留姓名电话",
    )
    shift_ticket(bare, timedelta(minutes=25))
    repeat = next(t for t in reversed(demo.tickets) if t.owner_id == dispatcher.pk)
    services.record_repeat_call(
        actor=supervisor,
        ticket=repeat,
        progress=f"客户再次来电；故障现象：{repeat.phenomenon}，询问何时上门",
    )


def seed_second_transfer(demo: Demo) -> None:
    """Issue 15 (R4): a ticket the supervisor took and handed to the dispatcher, who asks to hand
    it on a second time: it waits in the supervisor's approvals inbox, shown on the ticket. Not
    in demo.tickets: nothing else acts on it."""
    dispatcher, supervisor = demo.staff["dispatcher"], demo.staff["supervisor"]
    name, phone, address = CUSTOMERS[5]
    phenomenon, place, action = FAULTS[3]
    ticket = services.open_ticket(
        actor=supervisor,
        kind=ComplaintKind.SOLVE,
        complexity=Complexity.COMPLEX,
        customer_name=name,
        contact_person=name,
        phone=phone,
        address=f"广州市{address}",
        phenomenon=phenomenon,
        location_detail=place,
        customer_action=action,
    )
    services.transfer_ticket(
        actor=supervisor,
        ticket=ticket,
        to_user=dispatcher,
        note="客户已说明故障现象、位置和操作，请安排上门测试。",
    )
    request = request_second_transfer(
        actor=dispatcher,
        ticket=ticket,
        to_user=supervisor,
        note="客户要求主管直接跟进，并投诉此前答复不及时；故障现象、位置和操作已记录。",
    )
    age = timedelta(minutes=40)
    shift_ticket(ticket, age)
    type(request).objects.filter(pk=request.pk).update(created_at=request.created_at - age)


def seed_waiver_request(demo: Demo) -> None:
    """Issue 15 (R6, R13, R15): a ticket the dispatcher can't close while its acknowledgement is
    owed (the customer can't be reached); the dispatcher asks for a waiver, which waits in the
    supervisor's approvals inbox, shown on the ticket. Not in demo.tickets: nothing else acts
    on it."""
    dispatcher = demo.staff["dispatcher"]
    name, phone, address = CUSTOMERS[6]
    phenomenon, place, action = FAULTS[5]
    ticket = services.open_ticket(
        actor=dispatcher,
        kind=ComplaintKind.SOLVE,
        complexity=Complexity.SIMPLE,
        customer_name=name,
        contact_person=name,
        phone=phone,
        address=f"广州市{address}",
        phenomenon=phenomenon,
        location_detail=place,
        customer_action=action,
    )
    request = request_waiver(
        actor=dispatcher,
        ticket=ticket,
        resolution="核查为短信中心临时故障，已恢复，验证码可正常接收。",
        reason="客户出国，手机已停机，无法回复确认；故障已由后台核实恢复。",
    )
    age = timedelta(minutes=15)
    shift_ticket(ticket, age)
    type(request).objects.filter(pk=request.pk).update(created_at=request.created_at - age)


def seed(demo: Demo) -> None:
    seed_teams(demo)
    seed_tickets(demo)
    seed_desk_day(demo)
    seed_second_transfer(demo)
    seed_waiver_request(demo)


def sweep_history(demo: Demo) -> None:
    """Run the deadline sweep over the demo's past as beat would have: each missed deadline is
    marked overdue a minute after it fell due and its alerts are delivered then; alerts older
    than a week have been read. Called by seed_demo after every app has loaded its data."""
    now = timezone.now()
    due_times = (
        Deadline.objects.filter(state=DeadlineState.OPEN, due_at__lte=now)
        .order_by("due_at")
        .values_list("due_at", flat=True)
    )
    for due in sorted(set(due_times)):
        at = due + timedelta(minutes=1)
        last_alert = Notification.objects.aggregate(last=Max("id"))["last"] or 0
        last_event = Event.objects.aggregate(last=Max("id"))["last"] or 0
        sweep_deadlines(now=at)
        Notification.objects.filter(id__gt=last_alert).update(
            created_at=at, state=NotificationState.SENT, sent_at=at, attempts=1
        )
        Event.objects.filter(id__gt=last_event, kind=EventKind.DEADLINE_OVERDUE).update(
            created_at=at
        )
    Notification.objects.filter(created_at__lt=now - timedelta(days=7)).update(
        read_at=F("created_at") + timedelta(hours=2)
    )


def sms_outcomes(demo: Demo) -> None:
    """What the carriers answered for the demo's customer SMS (issue 16): the older ones were
    delivered; the latest booking SMS went to a number that can't receive SMS and the latest
    other one was refused by the carrier, so both show on their ticket, the dashboard and the
    outbox (with "Send again"). Called by seed_demo after every app has loaded its data."""
    now = timezone.now()
    customer = Notification.objects.filter(channel=NotificationChannel.SMS)
    customer.filter(created_at__lt=now - timedelta(hours=2)).update(
        state=NotificationState.DELIVERED,
        attempts=1,
        sent_at=F("created_at") + timedelta(seconds=5),
        delivered_at=F("created_at") + timedelta(seconds=12),
        external_id="demo",
    )
    booked = customer.filter(template="visit_booked").order_by("-created_at").first()
    if booked:
        Notification.objects.filter(pk=booked.pk).update(
            state=NotificationState.FAILED,
            attempts=1,
            problem=DeliveryProblem.INVALID_NUMBER,
            last_error="Aliyun isv.MOBILE_NUMBER_ILLEGAL: 非法手机号",
        )
    other = customer.exclude(template="visit_booked").order_by("-created_at").first()
    if other:
        Notification.objects.filter(pk=other.pk).update(
            state=NotificationState.FAILED,
            attempts=1,
            sent_at=F("created_at") + timedelta(seconds=5),
            problem=DeliveryProblem.CARRIER,
            last_error="MK:0001",
        )
