"""The deadline sweep: every kind of deadline comes due on time and notifies exactly once
(R6, R8, R9, R10, R13, R15; docs/design.md#deadlines)."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from dispatch import deadlines, services, tasks
from dispatch.models import (
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    Notification,
    NotificationChannel,
)
from dispatch.sweep import sweep_deadlines
from tests.dispatch.conftest import NOW
from tests.factories import make_user, open_ticket

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def alerts(deadline, what="overdue"):
    return Notification.objects.filter(
        deadline=deadline, template=f"deadline_{what}", channel=NotificationChannel.IN_APP
    )


def ack_deadline(ticket):
    return Deadline.objects.get(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE)


class TestAcknowledgementDeadline:
    def test_r6_comes_due_two_hours_after_intake_not_a_minute_before(self, dispatcher, supervisor):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher)
        deadline = ack_deadline(ticket)
        with time_machine.travel(NOW + timedelta(hours=2) - MINUTE, tick=False):
            assert sweep_deadlines().overdue == 0
        deadline.refresh_from_db()
        assert deadline.state == DeadlineState.OPEN

        with time_machine.travel(NOW + timedelta(hours=2), tick=False):
            result = sweep_deadlines()
        assert result.overdue == 1
        deadline.refresh_from_db()
        assert deadline.state == DeadlineState.OVERDUE
        assert deadline.overdue_at == NOW + timedelta(hours=2)
        # The owner and the supervisor each get one alert, under a unique key.
        assert {n.recipient for n in alerts(deadline)} == {dispatcher, supervisor}
        assert set(alerts(deadline).values_list("key", flat=True)) == {
            f"deadline:{deadline.pk}:overdue:{dispatcher.pk}",
            f"deadline:{deadline.pk}:overdue:{supervisor.pk}",
        }
        event = Event.objects.get(ticket=ticket, kind="deadline.overdue")
        assert event.actor is None
        assert event.after["kind"] == DeadlineKind.ACKNOWLEDGE
        assert event.after["responsible"] == dispatcher.username

    def test_r6_complex_complaint_due_after_24_hours(self, dispatcher):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher, complexity="complex")
        with time_machine.travel(NOW + timedelta(hours=23), tick=False):
            sweep_deadlines()
        assert ack_deadline(ticket).state == DeadlineState.OPEN
        with time_machine.travel(NOW + timedelta(hours=24, seconds=30), tick=False):
            sweep_deadlines()
        assert ack_deadline(ticket).state == DeadlineState.OVERDUE

    def test_r6_a_definite_reply_in_time_means_no_alert(self, dispatcher, supervisor):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher)
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            services.record_contact(
                actor=dispatcher, ticket=ticket, progress="已答复", answered=True
            )
        with time_machine.travel(NOW + timedelta(hours=3), tick=False):
            assert sweep_deadlines().overdue == 0
        assert not Notification.objects.filter(template="deadline_overdue").exists()
        assert not Event.objects.filter(kind="deadline.overdue").exists()

    def test_r6_a_new_promised_time_moves_the_alert(self, dispatcher):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher)
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            services.record_contact(
                actor=dispatcher,
                ticket=ticket,
                progress="正在排查",
                new_promised_at=NOW + timedelta(hours=6),
            )
        with time_machine.travel(NOW + timedelta(hours=3), tick=False):
            assert sweep_deadlines().overdue == 0
        with time_machine.travel(NOW + timedelta(hours=6), tick=False):
            assert sweep_deadlines().overdue == 1
        assert Deadline.objects.get(ticket=ticket, state=DeadlineState.OVERDUE).due_at == (
            NOW + timedelta(hours=6)
        )

    def test_closed_ticket_never_alerts(self, dispatcher):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher)
            services.close_ticket(
                actor=dispatcher, ticket=ticket, resolution="当场解决", customer_told=True
            )
        with time_machine.travel(NOW + timedelta(days=2), tick=False):
            assert sweep_deadlines().overdue == 0
        assert not Notification.objects.exists()


# The visits app opens these on a visit; the sweep treats them like any other deadline.
VISIT_DEADLINES = [
    # kind, due relative to the visit's start, rule
    (DeadlineKind.RECONFIRM, -timedelta(minutes=60), "R8"),
    (DeadlineKind.ARRIVAL, -timedelta(minutes=5), "R9"),
    (DeadlineKind.ARRIVAL, timedelta(minutes=10), "R10"),  # the time a late notice promised
    (DeadlineKind.VISIT_NOTE, timedelta(minutes=40), "R13"),
    (DeadlineKind.REPLY, timedelta(hours=5), "R15"),
]


@pytest.mark.parametrize(("kind", "offset", "rule"), VISIT_DEADLINES)
def test_visit_deadline_comes_due_and_alerts_engineer_owner_and_supervisor(
    kind, offset, rule, dispatcher, engineer, supervisor, make_visit
):
    start = NOW + timedelta(hours=3)
    with time_machine.travel(NOW, tick=False):
        ticket = open_ticket(dispatcher)
        services.record_contact(actor=dispatcher, ticket=ticket, progress="已预约", answered=True)
        visit = make_visit(ticket, engineer, start=start)
        deadline = deadlines.open_deadline(
            kind=kind, ticket=ticket, visit=visit, due_at=start + offset, responsible=engineer
        )
    with time_machine.travel(start + offset - MINUTE, tick=False):
        sweep_deadlines()
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.OPEN, rule

    with time_machine.travel(start + offset + timedelta(seconds=59), tick=False):
        assert sweep_deadlines().overdue == 1
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.OVERDUE, rule
    # The engineer, the ticket's owner (R3: answers to the customer) and the supervisor.
    assert {n.recipient for n in alerts(deadline)} == {engineer, dispatcher, supervisor}
    event = Event.objects.get(ticket=ticket, kind="deadline.overdue")
    assert event.visit == visit
    assert "工单" in alerts(deadline).get(recipient=engineer).body

    # A later sweep, and a met-late deadline, change nothing.
    with time_machine.travel(start + offset + timedelta(minutes=5), tick=False):
        assert sweep_deadlines().overdue == 0
        deadlines.meet_deadline(kind=kind, visit=visit)
    assert alerts(deadline).count() == 3
    assert Event.objects.filter(kind="deadline.overdue").count() == 1
    deadline.refresh_from_db()
    assert deadline.met_at is not None  # kept late: off the badge, still counted overdue


def test_sweeping_twice_notifies_once(dispatcher, supervisor):
    with time_machine.travel(NOW, tick=False):
        ticket = open_ticket(dispatcher)
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        first = sweep_deadlines()
        second = sweep_deadlines()
        tasks.sweep_deadlines()  # a retried Celery task
    assert (first.overdue, second.overdue) == (1, 0)
    assert Notification.objects.filter(template="deadline_overdue").count() == 2
    assert Event.objects.filter(ticket=ticket, kind="deadline.overdue").count() == 1


def test_inactive_people_are_not_alerted(dispatcher, supervisor):
    retired = make_user("supervisor", username="retired", is_active=False)
    with time_machine.travel(NOW, tick=False):
        open_ticket(dispatcher)
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        sweep_deadlines()
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {dispatcher.username, supervisor.username}
    assert retired.username not in recipients


def test_sweep_works_in_batches(settings, dispatcher):
    settings.DEADLINE_SWEEP = {**settings.DEADLINE_SWEEP, "BATCH_SIZE": 2}
    with time_machine.travel(NOW, tick=False):
        tickets = [open_ticket(dispatcher) for _ in range(5)]
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        result = sweep_deadlines()
    assert result.overdue == 5
    assert Deadline.objects.filter(state=DeadlineState.OVERDUE).count() == len(tickets)
    assert Notification.objects.filter(template="deadline_overdue").count() == 5


class TestDueSoon:
    def test_warns_the_responsible_person_once_30_minutes_before(self, dispatcher, supervisor):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher)  # R6: due at 12:00
        deadline = ack_deadline(ticket)
        with time_machine.travel(NOW + timedelta(minutes=89), tick=False):
            assert sweep_deadlines().warned == 0
        with time_machine.travel(NOW + timedelta(minutes=90), tick=False):
            assert sweep_deadlines().warned == 1
        with time_machine.travel(NOW + timedelta(minutes=100), tick=False):
            assert sweep_deadlines().warned == 0
        deadline.refresh_from_db()
        assert deadline.warned_at == NOW + timedelta(minutes=90)
        warning = alerts(deadline, "due_soon").get()
        assert warning.recipient == dispatcher  # supervisors hear only of missed deadlines
        assert "12:00" in warning.body
        # Then it falls due: the overdue alert is separate.
        with time_machine.travel(NOW + timedelta(hours=2), tick=False):
            assert sweep_deadlines().overdue == 1
        assert alerts(deadline, "due_soon").count() == 1
        assert alerts(deadline).count() == 2

    def test_window_is_a_setting(self, settings, dispatcher):
        settings.SEED_RULES = {**settings.SEED_RULES, "DUE_SOON_MINUTES": 60}
        with time_machine.travel(NOW, tick=False):
            open_ticket(dispatcher)
        with time_machine.travel(NOW + timedelta(minutes=60), tick=False):
            assert sweep_deadlines().warned == 1

    def test_a_deadline_found_already_overdue_gets_no_warning(self, dispatcher):
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher)
        with time_machine.travel(NOW + timedelta(hours=5), tick=False):
            result = sweep_deadlines()
        assert (result.overdue, result.warned) == (1, 0)
        assert not alerts(ack_deadline(ticket), "due_soon").exists()


def test_badge_counts_what_the_sweep_marked(client, dispatcher):
    with time_machine.travel(NOW, tick=False):
        open_ticket(dispatcher)
        open_ticket(dispatcher)
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        client.force_login(dispatcher)
        assert 'class="badge"' not in client.get("/tickets/").content.decode()
        sweep_deadlines()
        page = client.get("/tickets/").content.decode()
    assert 'class="badge" href="/alerts/"' in page
    assert ">2</a>" in page


def test_sweep_command(dispatcher, capsys):
    with time_machine.travel(NOW, tick=False):
        open_ticket(dispatcher)
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        call_command("sweep", "--deliver")
    out = capsys.readouterr().out
    assert "Overdue: 1" in out
    assert "sent 1" in out
    assert Notification.objects.get().state == "sent"


def test_sweep_query_uses_the_partial_index(dispatcher):
    open_ticket(dispatcher)
    from dispatch.models import Deadline as D

    qs = D.objects.filter(state=DeadlineState.OPEN, due_at__lte=timezone.now()).order_by("due_at")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert "deadline_open_due" in plan


def test_a_sweep_that_finds_nothing_asks_once_and_locks_nothing(
    dispatcher, django_assert_num_queries
):
    """Issue 14: the sweep runs every minute and mostly finds nothing; it asks whether
    anything is due (or due soon and not warned) in one query, before taking any row."""
    with time_machine.travel(NOW, tick=False):
        open_ticket(dispatcher)  # its acknowledgement is due in two hours
    with (
        time_machine.travel(NOW + timedelta(minutes=10), tick=False),
        django_assert_num_queries(1) as captured,
    ):
        result = sweep_deadlines()
    assert (result.overdue, result.warned, result.alerts) == (0, 0, 0)
    assert "FOR UPDATE" not in captured.captured_queries[0]["sql"]
    # Due soon, then due: the same question says yes, and the batches run.
    with time_machine.travel(NOW + timedelta(minutes=95), tick=False):
        assert sweep_deadlines().warned == 1
    with time_machine.travel(NOW + timedelta(minutes=100), tick=False):
        assert sweep_deadlines().warned == 0  # warned once: nothing to do
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        assert sweep_deadlines().overdue == 1


def test_the_empty_sweeps_question_reads_the_open_deadlines_index(dispatcher):
    from dispatch.sweep import _probe_sql

    open_ticket(dispatcher)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + _probe_sql(), {"now": now, "horizon": now + MINUTE})
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert plan.count("deadline_open_due") == 2
    assert "Index Only Scan using deadline_open_due" in plan


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_notify_exactly_once(dispatcher, supervisor):
    """Real concurrent connections (docs/design.md#tests). Eight threads sweep the same 30 due
    deadlines at once; every deadline is marked once, with one event and one alert per recipient."""
    with time_machine.travel(NOW, tick=False):
        for _ in range(30):
            open_ticket(dispatcher)
    barrier = threading.Barrier(8)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(sweep_deadlines(now=NOW + timedelta(hours=3)))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sum(r.overdue for r in results) == 30
    assert Deadline.objects.filter(state=DeadlineState.OVERDUE).count() == 30
    assert Event.objects.filter(kind="deadline.overdue").count() == 30
    assert Notification.objects.filter(template="deadline_overdue").count() == 60


def sweep_one_by_each_batch(when):
    """One due deadline through the one-statement batch (PostgreSQL), the next through the
    Python batch kept for SQLite."""
    from dispatch import sweep

    with time_machine.travel(when, tick=False):
        now = timezone.now()
        with transaction.atomic():
            sweep._overdue_batch(sweep._Run.begin(now, 1, sweep.SweepResult()))
        with transaction.atomic():
            sweep._overdue_batch_rows(sweep._Run.begin(now, 1, sweep.SweepResult()))


@pytest.mark.parametrize("with_visit", [False, True])
def test_set_based_batch_writes_what_the_row_by_row_batch_writes(
    with_visit, dispatcher, engineer, supervisor, make_visit
):
    """Issue 14: the sweep's one-statement batch (PostgreSQL) writes the same event and alert
    texts as the Python batch kept for SQLite: each template rendered once per kind, filled in
    by the database."""
    from dispatch import sweep

    start = NOW + timedelta(hours=3)
    with time_machine.travel(NOW, tick=False):
        tickets = [open_ticket(dispatcher), open_ticket(dispatcher)]
        if with_visit:
            for ticket in tickets:
                # R6 kept: only the visits' deadlines fall due.
                services.record_contact(
                    actor=dispatcher, ticket=ticket, progress="已预约", answered=True
                )
                visit = make_visit(ticket, engineer, start=start)
                start += timedelta(hours=2)
                deadlines.open_deadline(
                    kind=DeadlineKind.ARRIVAL,
                    ticket=ticket,
                    visit=visit,
                    due_at=visit.start,
                    responsible=engineer,
                )
    sweep_one_by_each_batch(start + timedelta(hours=1))
    # One ticket went through each batch: both wrote the texts the Python rendering gives.
    assert (
        Deadline.objects.filter(state=DeadlineState.OVERDUE, visit__isnull=not with_visit).count()
        == 2
    )
    for ticket in tickets:
        for deadline in Deadline.objects.filter(ticket=ticket, state=DeadlineState.OVERDUE):
            bodies = set(
                Notification.objects.filter(deadline=deadline).values_list("body", flat=True)
            )
            assert bodies == {
                sweep.staff_alert_body(
                    "deadline_overdue",
                    ticket=ticket,
                    deadline=deadline,
                    context=sweep._context(deadline),
                )
            }
            assert ticket.number in bodies.pop()
            event = Event.objects.get(ticket=ticket, kind="deadline.overdue")
            kind, due = deadline.get_kind_display(), sweep._moment(deadline.due_at)
            assert event.message == f"{kind}应于 {due} 前完成"
            assert event.after["due_at"] == deadline.due_at.isoformat()


@pytest.mark.parametrize(
    ("first", "last", "shown"), [("芳", "王", "王芳"), ("Ann", "Lee", "Ann Lee")]
)
def test_the_alert_names_the_person_responsible_as_every_page_does(first, last, shown, supervisor):
    """Issue 13: the sweep's alerts (its one-statement batch and its Python batch alike) name the
    person responsible by dispatch.people.display_name: a Latin name is not run together."""

    desk = make_user("dispatcher", first_name=first, last_name=last)
    with time_machine.travel(NOW, tick=False):
        tickets = [open_ticket(desk), open_ticket(desk)]
    sweep_one_by_each_batch(NOW + timedelta(hours=2))
    bodies = [
        body
        for ticket in tickets
        for body in alerts(ack_deadline(ticket)).values_list("body", flat=True)
    ]
    assert len(bodies) == 4  # two tickets, each to the owner and the supervisor
    assert all(f"前完成（{shown}）" in body for body in bodies)


@pytest.mark.django_db(transaction=True)
def test_delivery_is_asked_for_after_the_first_batch_and_once_at_the_end(
    settings, dispatcher, supervisor
):
    """Issue 14: a sweep asks the broker to deliver when its first batch with alerts has
    committed (those go at once) and once more after its last batch, not once a batch: three
    batches of one, two requests on the broker."""
    import os
    import uuid

    import redis

    from tests.broker import publishing_to

    settings.DEADLINE_SWEEP = {**settings.DEADLINE_SWEEP, "BATCH_SIZE": 1}
    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            open_ticket(dispatcher)
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    queue = f"test-sweep-{uuid.uuid4().hex}"
    with publishing_to(url, queue), time_machine.travel(NOW + timedelta(hours=2), tick=False):
        result = sweep_deadlines()
    client = redis.Redis.from_url(url)
    try:
        requests = client.llen(queue)
    finally:
        client.delete(queue)
    assert result.overdue == 3 and result.alerts == 6  # the owner and the supervisor, each
    assert requests == 2
