"""R11: rescheduling with 2 hours' notice, reason, apology and agreement; later only for force
majeure with a supervisor's approval, counted as a violation. Cancelling."""

import pytest

from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Deadline, DeadlineKind, Event, Notification, TicketStatus
from tests.factories import open_ticket
from tests.visits.conftest import AFTERNOON, at, minutes
from tests.visits.factories import book, confirmed
from visits import services
from visits.models import RequestState, Violation, ViolationKind, Visit, VisitStatus

pytestmark = pytest.mark.django_db

NEW = AFTERNOON + minutes(24 * 60)  # the same time tomorrow


def reschedule(actor, visit, start=NEW, **kwargs):
    args = {
        "reason": "客户临时出差",
        "customer_agreed": True,
        "start": start,
        "end": start + minutes(60),
    }
    args.update(kwargs)
    return services.reschedule_visit(actor=actor, visit=visit, **args)


class TestReschedule:
    def test_r11_with_two_hours_notice_the_visit_moves_and_history_is_kept(
        self, clock, dispatcher, visit
    ):
        clock.move_to(at(12, 0))  # exactly 2 h before 14:00
        new = reschedule(dispatcher, visit)

        visit.refresh_from_db()
        assert visit.status == VisitStatus.RESCHEDULED
        assert visit.closed_reason == "客户临时出差"
        assert new.rescheduled_from == visit
        assert new.status == VisitStatus.BOOKED
        assert (new.start, new.engineer) == (NEW, visit.engineer)
        # The old promises are off; the new visit has its own.
        assert not Deadline.objects.filter(visit=visit, state="open").exists()
        assert Deadline.objects.get(visit=new, kind=DeadlineKind.ARRIVAL, state="open").due_at == (
            NEW - minutes(5)
        )
        assert Event.objects.filter(visit=visit, kind="visit.rescheduled").exists()
        assert not Violation.objects.exists()

    def test_r26_the_customer_gets_an_apology_with_reason_and_new_time(
        self, clock, dispatcher, visit
    ):
        new = reschedule(dispatcher, visit)
        sms = Notification.objects.get(key=f"visit:{new.pk}:rescheduled")
        # 000 §3.4: "非常抱歉，由于…原因…"
        assert "非常抱歉" in sms.body
        assert "客户临时出差" in sms.body
        assert "11月23日 14:00" in sms.body and "11月24日 14:00" in sms.body

    def test_r11_a_visit_may_move_within_its_own_time(self, clock, dispatcher, visit):
        new = reschedule(dispatcher, visit, start=AFTERNOON + minutes(30))
        assert new.start == AFTERNOON + minutes(30)

    def test_r11_to_another_engineer(self, clock, dispatcher, visit, engineer2):
        new = reschedule(dispatcher, visit, engineer=engineer2)
        assert new.engineer == engineer2
        assert Deadline.objects.get(visit=new, kind=DeadlineKind.ARRIVAL).responsible == engineer2

    def test_r11_reason_and_agreement_are_required(self, clock, dispatcher, visit):
        with pytest.raises(RuleViolation) as exc:
            reschedule(dispatcher, visit, reason=" ")
        assert exc.value.code == "reason_required"
        with pytest.raises(RuleViolation) as exc:
            reschedule(dispatcher, visit, customer_agreed=False)
        assert exc.value.code == "customer_agreement_required"
        assert Visit.objects.count() == 1

    def test_r11_under_two_hours_is_refused_with_the_rule_explained(self, clock, dispatcher, visit):
        clock.move_to(at(12, 1))
        with pytest.raises(RuleViolation) as exc:
            reschedule(dispatcher, visit, force_majeure=True)
        assert exc.value.code == "reschedule_too_late"
        assert exc.value.status == 409
        assert "2" in exc.value.message and "119" in exc.value.message
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED

    def test_r11_a_supervisor_may_move_it_late_for_force_majeure_as_a_violation(
        self, clock, supervisor, visit
    ):
        clock.move_to(at(13, 0))
        new = reschedule(supervisor, visit, reason="台风", force_majeure=True)
        violation = Violation.objects.get(visit=visit)
        assert violation.kind == ViolationKind.LATE_RESCHEDULE
        assert violation.engineer == visit.engineer
        assert violation.approved_by == supervisor
        assert violation.minutes == 60  # an hour short of the 2 hours' notice
        assert new.status == VisitStatus.BOOKED

    def test_r11_a_supervisor_without_force_majeure_is_refused_too(self, clock, supervisor, visit):
        clock.move_to(at(13, 0))
        with pytest.raises(RuleViolation) as exc:
            reschedule(supervisor, visit)
        assert exc.value.code == "reschedule_too_late"

    def test_r11_clash_with_the_engineers_other_visit(self, clock, dispatcher, visit):
        other = book(dispatcher, open_ticket(dispatcher), visit.engineer, NEW)
        with pytest.raises(RuleViolation) as exc:
            reschedule(dispatcher, visit)
        assert exc.value.code == "engineer_busy"
        assert other.ticket.number in exc.value.message
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED  # the whole change rolled back

    def test_a_visit_under_way_is_not_rescheduled(self, clock, dispatcher, visit):
        confirmed(visit)
        services.depart_for_visit(actor=visit.engineer, visit=visit)
        with pytest.raises(RuleViolation) as exc:
            reschedule(dispatcher, visit)
        assert exc.value.code == "invalid_transition"

    def test_only_the_desk_reschedules(self, clock, visit):
        with pytest.raises(PermissionDenied):
            reschedule(visit.engineer, visit)


class TestLateRescheduleRequest:
    def request(self, actor, visit, **kwargs):
        args = {
            "reason": "台风",
            "customer_agreed": True,
            "start": NEW,
            "end": NEW + minutes(60),
        }
        args.update(kwargs)
        return services.request_late_reschedule(actor=actor, visit=visit, **args)

    def test_r11_a_dispatchers_late_change_waits_for_a_supervisor(
        self, clock, dispatcher, supervisor, visit
    ):
        clock.move_to(at(13, 0))
        req = self.request(dispatcher, visit)
        assert req.state == RequestState.PENDING
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED
        # The supervisors hear of it in the app.
        alert = Notification.objects.get(recipient=supervisor)
        assert visit.ticket.number in alert.body and "台风" in alert.body
        with pytest.raises(RuleViolation) as exc:
            self.request(dispatcher, visit)
        assert exc.value.code == "request_pending"

    def test_r11_approval_moves_the_visit_and_records_the_violation(
        self, clock, dispatcher, supervisor, visit
    ):
        clock.move_to(at(13, 0))
        req = self.request(dispatcher, visit)
        clock.move_to(at(13, 10))
        services.decide_reschedule_request(actor=supervisor, request=req, approve=True)

        req.refresh_from_db()
        assert (req.state, req.decided_by) == (RequestState.APPROVED, supervisor)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.RESCHEDULED
        assert visit.rescheduled_to.start == NEW
        violation = Violation.objects.get(visit=visit, kind=ViolationKind.LATE_RESCHEDULE)
        # Counted from when it was asked for: 13:00 is 60 minutes short of 12:00.
        assert (violation.minutes, violation.approved_by) == (60, supervisor)

    def test_r11_rejection_keeps_the_visit(self, clock, dispatcher, supervisor, visit):
        clock.move_to(at(13, 0))
        req = self.request(dispatcher, visit)
        services.decide_reschedule_request(
            actor=supervisor, request=req, approve=False, note="请按时上门"
        )
        req.refresh_from_db()
        assert req.state == RequestState.REJECTED
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED
        assert not Violation.objects.exists()
        assert Event.objects.filter(visit=visit, kind="visit.reschedule_rejected").exists()

    def test_r11_only_a_supervisor_decides_and_only_once(
        self, clock, dispatcher, supervisor, visit
    ):
        clock.move_to(at(13, 0))
        req = self.request(dispatcher, visit)
        with pytest.raises(PermissionDenied):
            services.decide_reschedule_request(actor=dispatcher, request=req, approve=True)
        services.decide_reschedule_request(actor=supervisor, request=req, approve=False)
        with pytest.raises(RuleViolation) as exc:
            services.decide_reschedule_request(actor=supervisor, request=req, approve=True)
        assert exc.value.code == "request_decided"

    def test_r11_not_late_is_rescheduled_directly(self, clock, dispatcher, visit):
        with pytest.raises(RuleViolation) as exc:
            self.request(dispatcher, visit)
        assert exc.value.code == "reschedule_not_late"


class TestCancel:
    def test_cancel_calls_off_deadlines_tells_the_customer_and_reopens_the_ticket(
        self, clock, dispatcher, visit
    ):
        services.cancel_visit(
            actor=dispatcher, visit=visit, reason="客户问题已自行恢复", customer_agreed=True
        )
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CANCELLED
        assert not Deadline.objects.filter(visit=visit, state="open").exists()
        assert Deadline.objects.filter(visit=visit, state="cancelled").count() == 2
        assert Notification.objects.filter(key=f"visit:{visit.pk}:cancelled").exists()
        visit.ticket.refresh_from_db()
        assert visit.ticket.status == TicketStatus.OPEN
        # The engineer's time is free again (R7).
        again = book(dispatcher, visit.ticket, visit.engineer, AFTERNOON)
        assert again.status == VisitStatus.BOOKED

    def test_cancel_needs_a_reason(self, clock, dispatcher, visit):
        with pytest.raises(RuleViolation) as exc:
            services.cancel_visit(actor=dispatcher, visit=visit, reason="", customer_agreed=True)
        assert exc.value.code == "reason_required"

    def test_cancel_rejects_a_pending_late_reschedule(self, clock, dispatcher, supervisor, visit):
        clock.move_to(at(13, 0))
        req = services.request_late_reschedule(
            actor=dispatcher,
            visit=visit,
            reason="台风",
            customer_agreed=True,
            start=NEW,
            end=NEW + minutes(60),
        )
        # R11: under 2 hours only a supervisor cancels, for force majeure.
        services.cancel_visit(
            actor=supervisor,
            visit=visit,
            reason="台风，客户取消",
            customer_agreed=True,
            force_majeure=True,
        )
        req.refresh_from_db()
        assert req.state == RequestState.REJECTED

    def test_once_the_engineer_is_on_the_way_it_cannot_be_cancelled(self, clock, dispatcher, visit):
        confirmed(visit)
        services.depart_for_visit(actor=visit.engineer, visit=visit)
        with pytest.raises(RuleViolation) as exc:
            services.cancel_visit(actor=dispatcher, visit=visit, reason="x", customer_agreed=True)
        assert exc.value.status == 409
        assert "on site" in exc.value.message or "现场" in exc.value.message
