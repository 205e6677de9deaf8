"""The demo loader puts weeks of visits through the services: every page has something real.

A seed costs several seconds of CPU: the tests that only read the demo share one seed
(TestTheSeededDemo), in one xdist worker (the "demo" group, `--dist loadgroup`)."""

import datetime as dt
import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from dispatch.models import Deadline, EngineerBase, Grid, Notification, StaffProfile, Ticket
from planning.optimizer import optimize_day
from planning.suggestions import suggest
from visits.models import (
    MeasurementImport,
    MeasurementSample,
    RescheduleRequest,
    Violation,
    Visit,
    VisitHandover,
    VisitStatus,
)

pytestmark = pytest.mark.django_db


# Seconds before a quarter hour on a Monday morning: the day's visits sit on 10:00 while the
# youngest tickets (taken minutes ago) are booked after it. The clock stands still while the
# demo loads (it runs each step at its own moment), so however long the seed takes on a busy
# machine, it is seeded at this moment: what the tests see doesn't depend on when they run.
SEEDED_AT = dt.datetime(2026, 11, 30, 10, 14, 50, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="class")
def seeded_demo(django_db_setup, django_db_blocker):
    """The demo, seeded once for a class in a transaction rolled back after it (each test's
    own changes roll back to a savepoint inside it, as pytest-django does)."""
    with time_machine.travel(SEEDED_AT, tick=False):
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            call_command("seed_demo", stdout=io.StringIO())
        yield
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.usefixtures("seeded_demo")
@pytest.mark.xdist_group("demo")
class TestTheSeededDemo:
    def test_history_and_a_busy_today(self):
        statuses = set(Visit.objects.values_list("status", flat=True))
        assert statuses >= {
            VisitStatus.RESOLVED,
            VisitStatus.REPLIED,
            VisitStatus.NO_ANSWER,
            VisitStatus.RESCHEDULED,
            VisitStatus.CANCELLED,
            VisitStatus.AT_WORK,
            VisitStatus.ARRIVED,
            VisitStatus.UNRESOLVED,
            VisitStatus.HANDED_OVER,
        }
        assert set(Violation.objects.values_list("kind", flat=True)) == {
            "late_arrival",
            "late_notice",
            "late_reschedule",
        }
        # Deadlines met, missed and still open.
        states = set(Deadline.objects.filter(visit__isnull=False).values_list("state", flat=True))
        assert states >= {"met", "overdue", "open"}
        assert RescheduleRequest.objects.filter(state="pending").count() == 1
        # R16: handovers agreed with the customer's code, one of them today with its successor still
        # awaiting the receiving engineer, and one request waiting for the customer's code.
        handed = VisitHandover.objects.filter(state="confirmed", consent_method="sms_code")
        assert handed.count() >= 2
        assert Visit.objects.filter(
            handed_over_from__isnull=False, arrived_at__isnull=True, start__gt=timezone.now()
        ).exists()
        waiting = VisitHandover.objects.get(state="pending")
        assert waiting.visit.status == VisitStatus.AT_WORK and waiting.is_live()
        # Issue 18: imported test logs in both formats, before and after, and a visit at work now
        # whose log graded weak coverage.
        assert set(MeasurementImport.objects.values_list("file_format", flat=True)) == {
            "seed",
            "gnettrack",
        }
        assert set(MeasurementSample.objects.values_list("phase", flat=True)) == {"before", "after"}
        assert MeasurementImport.objects.filter(visit__status=VisitStatus.AT_WORK).exists()
        # Issue 16: customer SMS delivered, and two failed ones with their reasons in words; every
        # member of staff has the mobile the group robot mentions them by.
        staff = get_user_model().objects.all()
        assert (
            staff.count() == StaffProfile.objects.exclude(mobile="").filter(user__in=staff).count()
        )
        sms_states = set(Notification.objects.filter(channel="sms").values_list("state", flat=True))
        assert sms_states >= {"delivered", "failed"}
        assert set(
            Notification.objects.filter(channel="sms", state="failed").values_list(
                "problem", flat=True
            )
        ) == {"invalid_number", "carrier"}
        # Issue 15: a ticket to complete, a repeat call on an open ticket, a corrected booking.
        from dispatch.models import CustomerContact

        assert Ticket.objects.filter(customer_name="", phone="", location_detail="").exists()
        assert CustomerContact.objects.filter(
            progress__startswith="客户再次来电", actor__username="supervisor"
        ).exists()
        assert Notification.objects.filter(template="visit_details_corrected").exists()
        assert Notification.objects.filter(
            template="ticket_contact_staff", recipient__username="dispatcher"
        ).exists()
        # Issue 15, the board books: tickets waiting for a visit beside the board (a visit called
        # off, nobody at the door), one to book and one whose details are to complete first.
        from visits.selectors import waiting_tickets

        waiting = waiting_tickets().tickets
        assert len(waiting) >= 3
        assert any(t.bookable for t in waiting) and any(not t.bookable for t in waiting)
        # Issue 15: the supervisor's approvals inbox holds a late reschedule (R11) and a second
        # transfer (R4), each in words.
        supervisor = Client()
        supervisor.force_login(get_user_model().objects.get(username="supervisor"))
        inbox = supervisor.get("/supervisor/approvals/")
        assert len(inbox.context["late_changes"]) == 1
        assert len(inbox.context["transfers"]) == 1
        assert "客户要求主管直接跟进" in inbox.content.decode()
        # ... and a waiver of a promise owed (R6).
        assert len(inbox.context["waivers"]) == 1
        assert "客户出国，手机已停机" in inbox.content.decode()
        # Every engineer has something in hand around now.
        now = timezone.now()
        for username in ("engineer1", "engineer2", "engineer3"):
            assert Visit.objects.filter(
                engineer__username=username, start__gte=now - timezone.timedelta(hours=6)
            ).exists()
        # An engineer's alert about their own visit, which leads to that visit's page (R8).
        alert = Notification.objects.get(
            channel="in_app", recipient__username="engineer1", deadline__kind="reconfirm"
        )
        visit = alert.deadline.visit
        assert visit.engineer == alert.recipient
        client = Client()
        client.force_login(alert.recipient)
        assert f'href="/visits/{visit.pk}/"' in client.get("/alerts/").content.decode()

    def test_seeded_seconds_before_a_quarter_hour_the_sweep_still_alerts_the_engineer(self):
        """Seeded at 10:14:50, the day's visits sit on 10:00 while the youngest tickets (taken
        minutes ago) are booked after it: the re-confirmation that fell due at 10:00 is still
        marked overdue by the sweep, with engineer1's alert, not silently by the loader (R8)."""
        alert = Notification.objects.get(
            channel="in_app", recipient__username="engineer1", deadline__kind="reconfirm"
        )
        assert timezone.localtime(alert.deadline.due_at).time() == dt.time(10, 0)
        assert alert.deadline.visit.engineer == alert.recipient
        assert alert.deadline.state == "overdue"

    def test_planning_placed_tickets_home_bases_and_a_day_the_optimizer_improves(self, dispatcher):
        """The demo shows planning for real (issue 19): placed tickets, home bases, a day the
        optimizer improves and a waiting ticket with suggestions."""
        assert Grid.objects.count() >= 5
        assert EngineerBase.objects.count() == 3
        assert Ticket.objects.filter(latitude__isnull=False).count() > 30
        plan = optimize_day(user=dispatcher, day=timezone.localdate() + timedelta(days=1))
        assert plan.moves and plan.saved_minutes > 0
        waiting = Ticket.objects.get(customer_name="林先生")
        assert waiting.latitude is not None and not waiting.visits.exists()
        assert suggest(user=dispatcher, ticket=waiting)


def test_without_the_dev_extras_the_demo_says_so_and_loads_nothing(monkeypatch):
    from django.core.management.base import CommandError

    from visits import demo

    monkeypatch.setattr(demo, "time_machine", None)
    with pytest.raises(CommandError, match=r"pip install -e '\.\[dev\]'"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Ticket.objects.exists()  # no half demo: tickets without their visits


def test_the_demo_has_customers_who_answered_on_their_links():
    """Issue 17: one customer confirmed, one moved the visit, one asked for a call back."""
    from dispatch.models import Event, EventKind
    from visits.models import CustomerLink

    call_command("seed_demo", stdout=io.StringIO())
    kinds = set(Event.objects.filter(kind__startswith="visit.customer_").values_list("kind"))
    assert kinds == {
        (EventKind.VISIT_CUSTOMER_CONFIRMED,),
        (EventKind.VISIT_CUSTOMER_MOVED,),
        (EventKind.VISIT_CUSTOMER_CALLBACK,),
    }
    assert CustomerLink.objects.filter(confirmed_at__isnull=False).count() == 1
    assert CustomerLink.objects.exclude(callback_note="").count() == 1
    moved = Event.objects.get(kind=EventKind.VISIT_CUSTOMER_MOVED)
    assert Visit.objects.get(pk=moved.after["new_visit"]).customer_link.expires_at > timezone.now()
