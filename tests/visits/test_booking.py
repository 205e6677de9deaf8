"""Booking a visit: R1, R2 and R7 in book_visit; the R8/R9 deadlines it opens; the R26 SMS."""

import pytest
from django.db import connection

from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Deadline, DeadlineKind, Event, Notification, TicketStatus
from tests.factories import open_ticket
from tests.visits.conftest import AFTERNOON, at, minutes
from tests.visits.factories import book
from visits import services
from visits.models import Visit, VisitStatus
from visits.services.common import display_name

pytestmark = pytest.mark.django_db


def open_deadline(visit, kind):
    return Deadline.objects.get(visit=visit, kind=kind, state="open")


class TestBookVisit:
    def test_r7_booking_opens_r8_and_r9_deadlines_and_moves_the_ticket(
        self, clock, dispatcher, ticket, engineer
    ):
        visit = book(dispatcher, ticket, engineer, AFTERNOON)

        assert visit.status == VisitStatus.BOOKED
        assert visit.booked_by == dispatcher
        # R8: re-confirm 60 min (setting) before; R9: arrive 5 min before.
        assert open_deadline(visit, DeadlineKind.RECONFIRM).due_at == at(13, 0)
        assert open_deadline(visit, DeadlineKind.ARRIVAL).due_at == at(13, 55)
        assert open_deadline(visit, DeadlineKind.ARRIVAL).responsible == engineer
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.IN_PROGRESS
        kinds = list(Event.objects.filter(ticket=ticket).values_list("kind", flat=True))
        assert "visit.booked" in kinds and "ticket.status" in kinds

    def test_r26_booking_sms_follows_the_standard_script(self, clock, dispatcher, ticket, engineer):
        visit = book(dispatcher, ticket, engineer, AFTERNOON)
        sms = Notification.objects.get(key=f"visit:{visit.pk}:booked")
        assert sms.channel == "sms"
        assert str(sms.to_phone) == str(ticket.phone)
        # 000 §3.4: "您反映xx地点…问题，我们需要现场测试"; the agreed time and the engineer.
        assert "赵先生" in sms.body
        assert "室内通话经常掉线" in sms.body
        assert "现场测试" in sms.body
        assert "14:00" in sms.body and "15:00" in sms.body
        assert display_name(engineer) in sms.body

    def test_r1_a_ticket_missing_facts_cannot_be_booked(self, clock, dispatcher, engineer):
        ticket = open_ticket(dispatcher, customer_action="")
        with pytest.raises(RuleViolation) as exc:
            book(dispatcher, ticket, engineer, AFTERNOON)
        assert exc.value.code == "facts_missing"
        assert "不能预约上门" in exc.value.message and "R1" not in exc.value.message
        assert not Visit.objects.exists()

    @pytest.mark.parametrize("missing", ["customer_name", "phone"])
    def test_r2_name_and_phone_are_needed_to_book(self, clock, dispatcher, engineer, missing):
        ticket = open_ticket(dispatcher, **{missing: ""})
        with pytest.raises(RuleViolation) as exc:
            book(dispatcher, ticket, engineer, AFTERNOON)
        assert exc.value.code == "contact_missing"
        assert "不能预约上门" in exc.value.message
        assert not Visit.objects.exists()

    def test_r7_an_overlapping_visit_is_refused_naming_the_clash(
        self, clock, dispatcher, ticket, engineer
    ):
        first = book(dispatcher, ticket, engineer, AFTERNOON)
        other = open_ticket(dispatcher, customer_name="钱女士")
        with pytest.raises(RuleViolation) as exc:
            book(dispatcher, other, engineer, AFTERNOON + minutes(30))
        assert exc.value.code == "engineer_busy"
        assert exc.value.status == 409
        assert first.ticket.number in exc.value.message
        assert "14:00" in exc.value.message
        assert Visit.objects.count() == 1

    def test_r7_adjacent_visits_are_allowed(self, clock, dispatcher, ticket, engineer):
        book(dispatcher, ticket, engineer, AFTERNOON)
        other = open_ticket(dispatcher)
        second = book(dispatcher, other, engineer, AFTERNOON + minutes(60))
        assert second.start == AFTERNOON + minutes(60)

    def test_r7_another_engineer_may_take_the_same_time(
        self, clock, dispatcher, ticket, engineer, engineer2
    ):
        book(dispatcher, ticket, engineer, AFTERNOON)
        book(dispatcher, open_ticket(dispatcher), engineer2, AFTERNOON)
        assert Visit.objects.filter(start=AFTERNOON).count() == 2

    def test_r7_the_database_refuses_an_overlap_the_service_did_not_see(
        self, clock, dispatcher, ticket, engineer, monkeypatch
    ):
        """A lost race (the check passed in both requests) becomes a 409, never a 500."""
        if connection.vendor != "postgresql":
            pytest.fail("the exclusion constraint is PostgreSQL's")
        book(dispatcher, ticket, engineer, AFTERNOON)
        monkeypatch.setattr(services.booking.slots, "check_engineer_free", lambda **kw: None)
        with pytest.raises(RuleViolation) as exc:
            book(dispatcher, open_ticket(dispatcher), engineer, AFTERNOON + minutes(15))
        assert exc.value.code == "engineer_busy"
        assert exc.value.status == 409
        assert Visit.objects.count() == 1

    def test_a_ticket_with_a_visit_to_come_is_not_booked_twice(
        self, clock, dispatcher, ticket, engineer, engineer2
    ):
        book(dispatcher, ticket, engineer, AFTERNOON)
        with pytest.raises(RuleViolation) as exc:
            book(dispatcher, ticket, engineer2, AFTERNOON + minutes(120))
        assert exc.value.code == "ticket_has_visit"

    def test_start_must_be_in_the_future_and_end_after_start(
        self, clock, dispatcher, ticket, engineer
    ):
        with pytest.raises(RuleViolation) as exc:
            book(dispatcher, ticket, engineer, at(8, 30))
        assert exc.value.code == "start_in_past"
        with pytest.raises(RuleViolation) as exc:
            services.book_visit(
                actor=dispatcher, ticket=ticket, engineer=engineer, start=AFTERNOON, end=AFTERNOON
            )
        assert exc.value.code == "end_before_start"

    def test_only_an_engineer_can_be_booked(self, clock, dispatcher, ticket, dispatcher2):
        with pytest.raises(RuleViolation) as exc:
            book(dispatcher, ticket, dispatcher2, AFTERNOON)
        assert exc.value.code == "not_an_engineer"

    def test_only_the_desk_books(self, clock, ticket, engineer):
        with pytest.raises(PermissionDenied):
            book(engineer, ticket, engineer, AFTERNOON)

    def test_closed_ticket_refuses(self, clock, dispatcher, ticket, engineer):
        from dispatch.services import close_ticket

        close_ticket(actor=dispatcher, ticket=ticket, resolution="客户撤诉", customer_told=True)
        with pytest.raises(RuleViolation) as exc:
            book(dispatcher, ticket, engineer, AFTERNOON)
        assert exc.value.code == "ticket_closed"

    def test_r8_a_visit_booked_inside_the_lead_is_reconfirmed_by_arrival_time(
        self, clock, dispatcher, ticket, engineer
    ):
        # Booked at 09:00 for 09:40: the 60-minute lead has passed already.
        visit = book(dispatcher, ticket, engineer, at(9, 40))
        assert open_deadline(visit, DeadlineKind.RECONFIRM).due_at == at(9, 35)
