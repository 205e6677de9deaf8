"""Issue 12, items 1 and 10 through the service.

R11: a cancellation inside the 2-hour window is a late change like a late reschedule (force
majeure, a supervisor's approval, a violation on the record); every cancellation needs a reason
and the customer's agreement, and the customer's SMS apologises in the standard phrasing.
R27: every free text bound for a customer is refused once when it holds a banned phrase, and
sent only with a confirmation recorded in the event.
"""

import pytest

from dispatch.errors import RuleViolation
from dispatch.models import Event, Notification, TicketStatus
from tests.visits.conftest import AFTERNOON, at, minutes
from tests.visits.factories import book, confirmed
from visits import services
from visits.models import RequestKind, RequestState, Violation, ViolationKind, VisitStatus

pytestmark = pytest.mark.django_db

NEW = AFTERNOON + minutes(24 * 60)
BANNED = "这是我们公司的规定"


def cancel(actor, visit, **kwargs):
    args = {"reason": "客户临时出差", "customer_agreed": True}
    args.update(kwargs)
    return services.cancel_visit(actor=actor, visit=visit, **args)


class TestR11CancelInsideTwoHours:
    def test_r11_a_dispatcher_cannot_cancel_a_visit_under_two_hours_away(
        self, clock, dispatcher, visit
    ):
        clock.move_to(at(12, 30))  # 90 minutes before 14:00
        with pytest.raises(RuleViolation) as exc:
            cancel(dispatcher, visit)
        assert exc.value.code == "cancel_too_late"
        assert exc.value.status == 409
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED
        assert not Notification.objects.filter(key=f"visit:{visit.pk}:cancelled").exists()

    def test_r11_cancel_then_rebook_is_no_way_round_the_two_hours(self, clock, dispatcher, visit):
        clock.move_to(at(13, 0))
        with pytest.raises(RuleViolation):
            cancel(dispatcher, visit)
        # The ticket still has its visit: it can't be booked a second time either.
        with pytest.raises(RuleViolation) as exc:
            book(dispatcher, visit.ticket, visit.engineer, NEW)
        assert exc.value.code == "ticket_has_visit"

    def test_r11_a_supervisor_cancels_late_for_force_majeure_as_a_violation(
        self, clock, supervisor, visit
    ):
        clock.move_to(at(13, 0))  # 60 minutes short of the 2-hour notice
        cancel(supervisor, visit, reason="台风", force_majeure=True)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CANCELLED
        violation = Violation.objects.get(visit=visit)
        assert violation.kind == ViolationKind.LATE_RESCHEDULE
        assert (violation.minutes, violation.approved_by) == (60, supervisor)
        assert violation.engineer == visit.engineer
        event = Event.objects.get(visit=visit, kind="visit.cancelled")
        assert event.after["force_majeure"] is True
        assert event.after["approved_by"] == supervisor.username

    def test_r11_a_supervisor_without_force_majeure_is_refused(self, clock, supervisor, visit):
        clock.move_to(at(13, 0))
        with pytest.raises(RuleViolation) as exc:
            cancel(supervisor, visit)
        assert exc.value.code == "cancel_too_late"

    def test_r11_a_dispatchers_late_cancel_waits_for_a_supervisor(
        self, clock, dispatcher, supervisor, visit
    ):
        clock.move_to(at(12, 30))
        req = services.request_late_cancel(
            actor=dispatcher, visit=visit, reason="台风", customer_agreed=True
        )
        assert (req.kind, req.state) == (RequestKind.CANCEL, RequestState.PENDING)
        assert req.new_start is None
        # The supervisor hears of it.
        alert = Notification.objects.get(recipient=supervisor, ticket=visit.ticket)
        assert "取消" in alert.body
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED

        clock.move_to(at(12, 45))
        services.decide_reschedule_request(actor=supervisor, request=req, approve=True)
        visit.refresh_from_db()
        req.refresh_from_db()
        assert req.state == RequestState.APPROVED
        assert visit.status == VisitStatus.CANCELLED
        violation = Violation.objects.get(visit=visit)
        # Counted from when it was asked (12:30), 30 minutes short of the notice.
        assert (violation.minutes, violation.approved_by) == (30, supervisor)
        assert Notification.objects.filter(key=f"visit:{visit.pk}:cancelled").exists()

    def test_r11_a_rejected_late_cancel_keeps_the_visit(self, clock, dispatcher, supervisor, visit):
        clock.move_to(at(12, 30))
        req = services.request_late_cancel(
            actor=dispatcher, visit=visit, reason="台风", customer_agreed=True
        )
        services.decide_reschedule_request(actor=supervisor, request=req, approve=False)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED
        assert not Violation.objects.exists()

    def test_r11_a_cancel_with_notice_is_not_sent_for_approval(self, clock, dispatcher, visit):
        with pytest.raises(RuleViolation) as exc:
            services.request_late_cancel(
                actor=dispatcher, visit=visit, reason="台风", customer_agreed=True
            )
        assert exc.value.code == "cancel_not_late"


class TestR11CancelAlways:
    def test_r11_cancel_needs_the_customers_agreement(self, clock, dispatcher, visit):
        with pytest.raises(RuleViolation) as exc:
            cancel(dispatcher, visit, customer_agreed=False)
        assert exc.value.code == "customer_agreement_required"
        assert exc.value.field == "customer_agreed"

    def test_r11_cancel_needs_a_reason(self, clock, dispatcher, visit):
        with pytest.raises(RuleViolation) as exc:
            cancel(dispatcher, visit, reason="  ")
        assert exc.value.code == "reason_required"

    def test_r26_the_cancel_sms_apologises_with_the_reason(self, clock, dispatcher, visit):
        cancel(dispatcher, visit)
        sms = Notification.objects.get(key=f"visit:{visit.pk}:cancelled")
        # 000 §3.4: "非常抱歉，由于…原因…"
        assert "非常抱歉" in sms.body
        assert "客户临时出差" in sms.body
        assert "11月23日 14:00" in sms.body
        assert not Violation.objects.exists()

    def test_r11_with_notice_the_ticket_can_be_booked_again(self, clock, dispatcher, visit):
        cancel(dispatcher, visit)
        visit.ticket.refresh_from_db()
        assert visit.ticket.status == TicketStatus.OPEN
        assert book(dispatcher, visit.ticket, visit.engineer, NEW).status == VisitStatus.BOOKED


class TestR27EveryCustomerText:
    def test_r27_a_cancel_reason_with_a_banned_phrase_is_refused_once(
        self, clock, dispatcher, visit
    ):
        with pytest.raises(RuleViolation) as exc:
            cancel(dispatcher, visit, reason=f"{BANNED}，只能取消")
        assert exc.value.code == "banned_phrase"
        assert exc.value.field == "reason"
        assert f"“{BANNED}”" in exc.value.message
        assert "说明原因和您能做的事" in exc.value.message  # the suggested rewording
        assert not Notification.objects.filter(key=f"visit:{visit.pk}:cancelled").exists()

        cancel(dispatcher, visit, reason=f"{BANNED}，只能取消", confirm_wording=True)
        event = Event.objects.get(visit=visit, kind="visit.cancelled")
        assert event.after["banned_phrases_confirmed"] == [BANNED]

    def test_r27_a_reschedule_reason_is_checked(self, clock, dispatcher, visit):
        args = {"start": NEW, "end": NEW + minutes(60), "customer_agreed": True}
        with pytest.raises(RuleViolation) as exc:
            services.reschedule_visit(actor=dispatcher, visit=visit, reason=BANNED, **args)
        assert exc.value.code == "banned_phrase"
        new = services.reschedule_visit(
            actor=dispatcher, visit=visit, reason=BANNED, confirm_wording=True, **args
        )
        event = Event.objects.get(visit=visit, kind="visit.rescheduled")
        assert event.after["banned_phrases_confirmed"] == [BANNED]
        assert BANNED in Notification.objects.get(key=f"visit:{new.pk}:rescheduled").body

    def test_r27_a_late_reschedule_request_is_checked(self, clock, dispatcher, visit):
        clock.move_to(at(13, 0))
        args = {"start": NEW, "end": NEW + minutes(60), "customer_agreed": True}
        with pytest.raises(RuleViolation) as exc:
            services.request_late_reschedule(actor=dispatcher, visit=visit, reason=BANNED, **args)
        assert exc.value.code == "banned_phrase"
        services.request_late_reschedule(
            actor=dispatcher, visit=visit, reason=BANNED, confirm_wording=True, **args
        )
        event = Event.objects.get(visit=visit, kind="visit.reschedule_requested")
        assert event.after["banned_phrases_confirmed"] == [BANNED]

    def test_r27_a_late_notice_reason_is_checked(self, clock, visit):
        confirmed(visit)
        clock.move_to(at(13, 30))
        args = {"new_arrival_at": at(14, 20)}
        with pytest.raises(RuleViolation) as exc:
            services.notify_late(actor=visit.engineer, visit=visit, reason=BANNED, **args)
        assert exc.value.code == "banned_phrase"
        assert not Notification.objects.filter(template="visit_late").exists()
        services.notify_late(
            actor=visit.engineer, visit=visit, reason=BANNED, confirm_wording=True, **args
        )
        event = Event.objects.get(visit=visit, kind="visit.late_notice")
        assert event.after["banned_phrases_confirmed"] == [BANNED]

    def test_r27_clean_text_needs_no_confirmation(self, clock, dispatcher, visit):
        cancel(dispatcher, visit, reason="客户临时出差")
        event = Event.objects.get(visit=visit, kind="visit.cancelled")
        assert event.after["banned_phrases_confirmed"] == []


class TestR11WhoDecidesALateChange:
    """R11: one service says whether a change goes to a supervisor or is made now; the desk's
    reschedule and cancel dialogs both ask it (visits.views.desk)."""

    @pytest.mark.parametrize(
        ("role", "clock_at", "force_majeure", "to_supervisor"),
        [
            ("dispatcher", at(12, 30), True, True),  # late, force majeure: a request
            ("dispatcher", at(12, 30), False, False),  # late, no force majeure: refused later
            ("dispatcher", at(11, 0), True, False),  # 3 hours away: done directly
            ("supervisor", at(12, 30), True, False),  # a supervisor decides it themself
        ],
    )
    def test_r11_a_late_force_majeure_change_by_a_non_supervisor_goes_for_approval(
        self, request, clock, visit, role, clock_at, force_majeure, to_supervisor
    ):
        clock.move_to(clock_at)
        actor = request.getfixturevalue(role)
        assert (
            services.needs_supervisor_approval(
                actor=actor, visit=visit, force_majeure=force_majeure
            )
            is to_supervisor
        )

    def test_r11_the_desk_sends_a_dispatchers_late_cancel_to_a_supervisor(
        self, client, clock, dispatcher, visit
    ):
        clock.move_to(at(12, 30))
        client.force_login(dispatcher)
        response = client.post(
            f"/visits/{visit.pk}/cancel/",
            {"reason": "台风", "customer_agreed": "on", "force_majeure": "on"},
        )
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED
        req = visit.reschedule_requests.get()
        assert (req.kind, req.state) == (RequestKind.CANCEL, RequestState.PENDING)
