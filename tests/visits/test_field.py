"""The engineer's visit: R8 re-confirm, R9 five minutes early, R10 late notice, R20 kit gate,
R13 no answer and the visit note, R14 door checks, typed results, R15 reply, R16 handover,
R17 complaint on site. Time moves with time_machine."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Deadline, DeadlineKind, Event, Notification
from tests.visits.conftest import at, minutes
from tests.visits.factories import MEASUREMENT, arrived, at_work, confirmed, kit_done, measured
from visits import services
from visits.models import DoorCheck, Measurement, Violation, ViolationKind, VisitStatus

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def deadline(visit, kind, state="open"):
    return Deadline.objects.get(visit=visit, kind=kind, state=state)


class TestReconfirm:
    def test_r8_reconfirm_meets_the_deadline_and_texts_the_customer(self, clock, visit):
        clock.move_to(at(12, 30))
        services.reconfirm_visit(actor=visit.engineer, visit=visit)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CONFIRMED
        assert visit.reconfirmed_at == at(12, 30)
        met = deadline(visit, DeadlineKind.RECONFIRM, "met")
        assert met.met_at == at(12, 30)
        sms = Notification.objects.get(key=f"visit:{visit.pk}:reconfirmed")
        assert "再次确认" in sms.body and "14:00" in sms.body
        assert Event.objects.filter(visit=visit, kind="visit.reconfirmed").exists()

    def test_r8_no_departure_or_arrival_before_reconfirming(self, clock, visit):
        kit_done(visit)
        for step in (services.depart_for_visit, services.record_arrival):
            with pytest.raises(RuleViolation) as exc:
                step(actor=visit.engineer, visit=visit)
            assert exc.value.code == "not_reconfirmed"
            assert "再次确认" in exc.value.message

    def test_only_the_visits_engineer_acts(self, clock, visit, engineer2):
        with pytest.raises(PermissionDenied):
            services.reconfirm_visit(actor=engineer2, visit=visit)

    def test_r21_a_supervisor_does_not_act_for_the_engineer(self, clock, visit, supervisor):
        # Every field step, every path: tests/visits/test_who_acts.py.
        with pytest.raises(PermissionDenied):
            services.reconfirm_visit(actor=supervisor, visit=visit)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED


class TestArrival:
    def test_r20_arrival_is_refused_until_the_kit_is_complete_naming_what_is_missing(
        self, clock, visit
    ):
        services.reconfirm_visit(actor=visit.engineer, visit=visit)
        services.update_kit_status(actor=visit.engineer, visit=visit, missing=["鞋套", "垫布"])
        with pytest.raises(RuleViolation) as exc:
            services.record_arrival(actor=visit.engineer, visit=visit)
        assert exc.value.code == "kit_incomplete"
        assert exc.value.status == 409
        assert "鞋套" in exc.value.message and "垫布" in exc.value.message
        visit.refresh_from_db()
        assert visit.arrived_at is None

    def test_r20_an_unstarted_kit_check_is_refused_too(self, clock, visit):
        services.reconfirm_visit(actor=visit.engineer, visit=visit)
        with pytest.raises(RuleViolation) as exc:
            services.record_arrival(actor=visit.engineer, visit=visit)
        assert exc.value.code == "kit_incomplete"
        assert "七个一" in exc.value.message

    def test_r9_arrival_at_start_minus_5_is_punctual(self, clock, visit):
        confirmed(visit)
        clock.move_to(at(13, 55))
        services.record_arrival(actor=visit.engineer, visit=visit)
        visit.refresh_from_db()
        assert visit.arrival_punctual is True
        assert deadline(visit, DeadlineKind.ARRIVAL, "met").met_at == at(13, 55)
        assert not Violation.objects.exists()

    def test_r9_a_second_later_is_late_and_counts_against_the_engineer(self, clock, visit):
        confirmed(visit)
        clock.move_to(at(13, 58, 1))
        services.record_arrival(actor=visit.engineer, visit=visit)
        visit.refresh_from_db()
        assert visit.arrival_punctual is False
        violation = Violation.objects.get(visit=visit)
        assert violation.kind == ViolationKind.LATE_ARRIVAL
        assert violation.engineer == visit.engineer
        assert violation.minutes == 4  # 3 min 1 s after 13:55, rounded up
        event = Event.objects.get(visit=visit, kind="visit.arrived")
        assert event.after["punctual"] is False

    def test_r9_the_browsers_location_is_kept_when_given(self, clock, visit):
        confirmed(visit)
        services.record_arrival(
            actor=visit.engineer, visit=visit, latitude="23.135", longitude="113.3245"
        )
        visit.refresh_from_db()
        assert visit.arrival_latitude == Decimal("23.135000")
        assert visit.arrival_longitude == Decimal("113.324500")

    def test_an_impossible_location_is_refused(self, clock, visit):
        confirmed(visit)
        with pytest.raises(RuleViolation) as exc:
            services.record_arrival(actor=visit.engineer, visit=visit, latitude=123, longitude=1)
        assert exc.value.code == "invalid_location"

    def test_departing_puts_the_visit_en_route(self, clock, visit):
        confirmed(visit)
        services.depart_for_visit(actor=visit.engineer, visit=visit)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.EN_ROUTE and visit.departed_at == at(9, 0)
        services.record_arrival(actor=visit.engineer, visit=visit)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.ARRIVED


class TestLateNotice:
    def late(self, visit, new_time, reason="交通堵塞"):
        return services.notify_late(
            actor=visit.engineer, visit=visit, new_arrival_at=new_time, reason=reason
        )

    def test_r10_notice_15_minutes_ahead_is_in_time_and_moves_the_arrival_deadline(
        self, clock, visit
    ):
        confirmed(visit)
        clock.move_to(at(13, 45))
        self.late(visit, at(14, 20))
        assert not Violation.objects.exists()
        assert deadline(visit, DeadlineKind.ARRIVAL).due_at == at(14, 20)
        sms = Notification.objects.get(key__startswith=f"visit:{visit.pk}:late:")
        # 002 §8.4: apology and an accurate new arrival time.
        assert "非常抱歉" in sms.body and "交通堵塞" in sms.body and "14:20" in sms.body
        event = Event.objects.get(visit=visit, kind="visit.late_notice")
        assert event.after["in_time"] is True

    def test_r10_a_later_notice_is_sent_and_recorded_as_a_violation(self, clock, visit):
        confirmed(visit)
        clock.move_to(at(13, 50))
        self.late(visit, at(14, 20))
        violation = Violation.objects.get(visit=visit)
        assert (violation.kind, violation.minutes) == (ViolationKind.LATE_NOTICE, 5)
        assert Notification.objects.filter(key__startswith=f"visit:{visit.pk}:late:").exists()

    def test_r9_still_late_after_a_notice(self, clock, visit):
        confirmed(visit)
        clock.move_to(at(13, 30))
        self.late(visit, at(14, 10))
        clock.move_to(at(14, 8))
        services.record_arrival(actor=visit.engineer, visit=visit)
        visit.refresh_from_db()
        assert visit.arrival_punctual is False
        assert deadline(visit, DeadlineKind.ARRIVAL, "met").due_at == at(14, 10)
        assert Violation.objects.get(visit=visit).kind == ViolationKind.LATE_ARRIVAL

    @pytest.mark.parametrize(
        ("new_time", "code"),
        [((13, 55), "not_late"), ((8, 0), "arrival_in_past"), ((15, 0), "too_late_to_keep")],
    )
    def test_r10_the_new_time_must_make_sense(self, clock, visit, new_time, code):
        with pytest.raises(RuleViolation) as exc:
            self.late(visit, at(*new_time))
        assert exc.value.code == code

    def test_r10_a_reason_is_required(self, clock, visit):
        with pytest.raises(RuleViolation) as exc:
            self.late(visit, at(14, 20), reason=" ")
        assert exc.value.code == "reason_required"


class TestNoAnswer:
    def test_r13_no_answer_after_knock_wait_and_failed_call_opens_the_note_deadline(
        self, clock, visit
    ):
        arrived(visit)
        services.record_knock(actor=visit.engineer, visit=visit)
        clock.shift(minutes(3))
        services.record_failed_call(actor=visit.engineer, visit=visit)
        clock.shift(minutes(7))  # 10 minutes after the knock
        services.mark_no_answer(actor=visit.engineer, visit=visit)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.NO_ANSWER
        assert deadline(visit, DeadlineKind.VISIT_NOTE).due_at == at(9, 40)

    def test_r13_not_before_the_wait_is_over(self, clock, visit):
        arrived(visit)
        services.record_knock(actor=visit.engineer, visit=visit)
        services.record_failed_call(actor=visit.engineer, visit=visit)
        clock.shift(minutes(9))
        with pytest.raises(RuleViolation) as exc:
            services.mark_no_answer(actor=visit.engineer, visit=visit)
        assert exc.value.code == "wait_not_over"
        assert "09:10" in exc.value.message

    def test_r13_the_wait_follows_the_setting(self, clock, visit, settings):
        settings.SEED_RULES = {**settings.SEED_RULES, "NO_ANSWER_WAIT_MINUTES": 5}
        arrived(visit)
        services.record_knock(actor=visit.engineer, visit=visit)
        services.record_failed_call(actor=visit.engineer, visit=visit)
        clock.shift(minutes(5))
        services.mark_no_answer(actor=visit.engineer, visit=visit)

    def test_r13_knock_first_and_a_failed_call_is_needed(self, clock, visit):
        arrived(visit)
        with pytest.raises(RuleViolation) as exc:
            services.mark_no_answer(actor=visit.engineer, visit=visit)
        assert exc.value.code == "knock_first"
        services.record_knock(actor=visit.engineer, visit=visit)
        clock.shift(minutes(11))
        with pytest.raises(RuleViolation) as exc:
            services.mark_no_answer(actor=visit.engineer, visit=visit)
        assert exc.value.code == "call_first"

    def test_r13_the_wait_runs_from_the_first_knock(self, clock, visit):
        arrived(visit)
        services.record_knock(actor=visit.engineer, visit=visit)
        clock.shift(minutes(4))
        services.record_knock(actor=visit.engineer, visit=visit)
        visit.refresh_from_db()
        assert visit.knocked_at == at(9, 0)

    def no_answer(self, clock, visit):
        arrived(visit)
        services.record_knock(actor=visit.engineer, visit=visit)
        services.record_failed_call(actor=visit.engineer, visit=visit)
        clock.shift(minutes(10))
        return services.mark_no_answer(actor=visit.engineer, visit=visit)

    def note(self, visit, **overrides):
        data = {
            "customer_surname": "赵",
            "arrived_at": at(9, 0),
            "departed_at": at(9, 12),
            "contact_phone": "138 0013 9000",
        }
        data.update(overrides)
        return services.file_visit_note(actor=visit.engineer, visit=visit, **data)

    def test_r13_the_visit_note_meets_its_deadline_and_reaches_the_customer(self, clock, visit):
        self.no_answer(clock, visit)
        clock.shift(minutes(2))
        photo = SimpleUploadedFile("card.jpg", JPEG, content_type="image/jpeg")
        note = self.note(visit, photo=photo)
        assert note.engineer_name  # the engineer's name by default
        assert note.contact_phone == "13800139000"
        assert note.photo.name.endswith(".jpg")
        assert deadline(visit, DeadlineKind.VISIT_NOTE, "met").met_at == at(9, 12)
        sms = Notification.objects.get(key=f"visit:{visit.pk}:note")
        # The card's facts: surname, arrival and departure time, engineer, contact phone.
        for part in ("赵", "09:00", "09:12", note.engineer_name, "13800139000"):
            assert part in sms.body

    def test_r13_a_late_note_still_keeps_the_promise_late(self, clock, visit):
        self.no_answer(clock, visit)
        Deadline.objects.filter(visit=visit, kind=DeadlineKind.VISIT_NOTE).update(
            state="overdue", overdue_at=at(9, 40)
        )
        clock.move_to(at(10, 0))
        self.note(visit)
        late = deadline(visit, DeadlineKind.VISIT_NOTE, "overdue")
        assert late.met_at == at(10, 0)

    @pytest.mark.parametrize(
        ("overrides", "code"),
        [
            ({"customer_surname": ""}, "surname_required"),
            ({"contact_phone": "abc"}, "invalid_phone"),
            ({"departed_at": at(8, 0)}, "departed_before_arrival"),
            (
                {"photo": SimpleUploadedFile("x.jpg", b"MZ\x90", content_type="image/jpeg")},
                "photo_type",
            ),
        ],
    )
    def test_r13_the_note_needs_its_facts(self, clock, visit, overrides, code):
        self.no_answer(clock, visit)
        clock.shift(minutes(2))
        with pytest.raises(RuleViolation) as exc:
            self.note(visit, **overrides)
        assert exc.value.code == code

    def test_r13_the_call_comes_after_the_knock(self, clock, visit):
        arrived(visit)
        with pytest.raises(RuleViolation) as exc:
            services.record_failed_call(actor=visit.engineer, visit=visit)
        assert exc.value.code == "knock_first"
        visit.refresh_from_db()
        assert visit.call_failed_at is None

    def test_r13_the_notes_arrival_is_the_recorded_arrival(self, clock, visit):
        self.no_answer(clock, visit)  # arrived 09:00, no answer 09:10
        clock.shift(minutes(2))
        with pytest.raises(RuleViolation) as exc:
            self.note(visit, arrived_at=at(7, 0))
        assert (exc.value.code, exc.value.field) == ("arrival_not_recorded", "arrived_at")
        assert "09:00" in exc.value.message
        with pytest.raises(RuleViolation) as exc:
            self.note(visit, arrived_at=at(9, 6))
        assert exc.value.code == "arrival_not_recorded"
        assert self.note(visit, arrived_at=at(9, 5)).arrived_at == at(9, 5)  # within tolerance

    def test_r13_the_departure_is_after_the_no_answer_mark_and_not_in_the_future(
        self, clock, visit
    ):
        self.no_answer(clock, visit)  # no answer at 09:10
        with pytest.raises(RuleViolation) as exc:
            self.note(visit, departed_at=at(9, 5))
        assert (exc.value.code, exc.value.field) == ("departed_before_no_answer", "departed_at")
        assert "09:10" in exc.value.message
        with pytest.raises(RuleViolation) as exc:
            self.note(visit, departed_at=at(9, 11))  # the clock says 09:10
        assert (exc.value.code, exc.value.field) == ("departure_in_future", "departed_at")
        assert self.note(visit, departed_at=at(9, 10)).departed_at == at(9, 10)

    def test_r13_the_phone_is_the_engineers_own_not_the_hotline(self, clock, visit):
        self.no_answer(clock, visit)
        for phone, code in (("10000", "hotline_phone"), ("", "phone_required")):
            with pytest.raises(RuleViolation) as exc:
                self.note(visit, departed_at=at(9, 10), contact_phone=phone)
            assert (exc.value.code, exc.value.field) == (code, "contact_phone")

    def test_r13_a_note_only_after_no_answer(self, clock, visit):
        arrived(visit)
        with pytest.raises(RuleViolation) as exc:
            self.note(visit)
        assert exc.value.code == "not_no_answer"


class TestWork:
    def test_r14_work_starts_only_with_every_door_check(self, clock, visit):
        arrived(visit)
        with pytest.raises(RuleViolation) as exc:
            services.start_work(actor=visit.engineer, visit=visit, door_checks=[DoorCheck.BADGE])
        assert exc.value.code == "door_checks_incomplete"
        assert str(DoorCheck.SHOE_COVERS.label) in exc.value.message
        services.start_work(actor=visit.engineer, visit=visit, door_checks=DoorCheck.values)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.AT_WORK
        assert visit.door_checks == DoorCheck.values

    def test_r20_start_work_is_gated_on_the_kit_too(self, clock, visit, supervisor):
        arrived(visit)
        # Not reachable through the services (arrival is gated), so set the state directly.
        type(visit).objects.filter(pk=visit.pk).update(kit_completed_at=None, kit_missing=["垫布"])
        with pytest.raises(RuleViolation) as exc:
            services.start_work(actor=visit.engineer, visit=visit, door_checks=DoorCheck.values)
        assert exc.value.code == "kit_incomplete" and "垫布" in exc.value.message

    def test_measurements_are_typed_and_range_checked(self, clock, visit):
        at_work(visit)
        measured(visit)
        measured(visit, phase="after", rsrp_dbm="-85", sinr_db="12.5", call_result="ok")
        assert list(visit.measurements.values_list("phase", flat=True)) == ["before", "after"]
        for field, value in [("rsrp_dbm", "-20"), ("sinr_db", "60"), ("download_mbps", "-1")]:
            with pytest.raises(RuleViolation) as exc:
                measured(visit, **{field: value})
            assert exc.value.field == field
        with pytest.raises(RuleViolation) as exc:
            measured(visit, network="3g")
        assert exc.value.field == "network"
        assert Measurement.objects.count() == 2

    def test_measurements_only_while_at_work(self, clock, visit):
        arrived(visit)
        with pytest.raises(RuleViolation) as exc:
            services.add_measurement(actor=visit.engineer, visit=visit, **MEASUREMENT)
        assert exc.value.code == "not_at_work"

    def test_an_outcome_needs_a_test_first(self, clock, visit):
        at_work(visit)
        with pytest.raises(RuleViolation) as exc:
            services.record_outcome(actor=visit.engineer, visit=visit, resolved=True, summary="好")
        assert exc.value.code == "no_measurements"

    def test_resolved_on_site(self, clock, visit):
        measured(at_work(visit))
        measured(visit, phase="after", rsrp_dbm="-90", call_result="ok")  # R24: after the fix
        services.record_outcome(
            actor=visit.engineer, visit=visit, resolved=True, summary="调整天线后信号恢复"
        )
        visit.refresh_from_db()
        assert visit.status == VisitStatus.RESOLVED
        assert visit.work_ended_at == at(9, 0)
        assert not Deadline.objects.filter(visit=visit, kind=DeadlineKind.REPLY).exists()

    def test_r15_unresolved_promises_a_reply_within_four_hours_of_the_test(self, clock, visit):
        measured(at_work(visit))  # the test, at 09:00
        clock.move_to(at(10, 0))
        with pytest.raises(RuleViolation) as exc:
            services.record_outcome(
                actor=visit.engineer,
                visit=visit,
                resolved=False,
                summary="需优化基站参数",
                promised_reply_at=at(13, 1),
            )
        # R15 counts from the test (09:00), not from when the outcome is recorded (10:00).
        assert exc.value.code == "reply_too_late" and "13:00" in exc.value.message
        with pytest.raises(RuleViolation) as exc:
            services.record_outcome(
                actor=visit.engineer, visit=visit, resolved=False, summary="需优化基站参数"
            )
        assert exc.value.code == "reply_time_required"
        services.record_outcome(
            actor=visit.engineer,
            visit=visit,
            resolved=False,
            summary="需优化基站参数",
            promised_reply_at=at(13, 0),
        )
        visit.refresh_from_db()
        assert visit.status == VisitStatus.UNRESOLVED
        reply = deadline(visit, DeadlineKind.REPLY)
        assert (reply.due_at, reply.responsible) == (at(13, 0), visit.engineer)

    def unresolved(self, clock, visit):
        measured(at_work(visit))
        return services.record_outcome(
            actor=visit.engineer,
            visit=visit,
            resolved=False,
            summary="需优化基站参数",
            promised_reply_at=at(11, 0),
        )

    def test_r15_the_reply_meets_the_deadline_and_may_go_by_sms(self, clock, visit):
        self.unresolved(clock, visit)
        clock.move_to(at(10, 30))
        services.record_reply(
            actor=visit.engineer, visit=visit, message="基站参数已优化，请您试用。", by_sms=True
        )
        visit.refresh_from_db()
        assert visit.status == VisitStatus.REPLIED
        assert deadline(visit, DeadlineKind.REPLY, "met").met_at == at(10, 30)
        sms = Notification.objects.get(key=f"visit:{visit.pk}:reply")
        assert "基站参数已优化" in sms.body and "10000" in sms.body
        assert Event.objects.get(visit=visit, kind="visit.replied").after["on_time"] is True

    def test_r15_the_ticket_owner_may_give_the_reply(self, clock, visit, dispatcher):
        self.unresolved(clock, visit)
        services.record_reply(actor=dispatcher, visit=visit, message="已电话告知处理进展。")
        visit.refresh_from_db()
        assert visit.status == VisitStatus.REPLIED
        assert not Notification.objects.filter(key=f"visit:{visit.pk}:reply").exists()

    def test_r16_a_finished_visit_is_not_handed_over(self, clock, visit, engineer2):
        self.unresolved(clock, visit)
        with pytest.raises(RuleViolation) as exc:
            services.request_handover(
                actor=visit.engineer,
                visit=visit,
                to_engineer=engineer2,
                start=at(16, 0),
                end=at(17, 0),
                note="x",
                reason="需登高",
            )
        assert exc.value.code == "not_under_way"

    def test_r16_handover_mid_visit_waits_for_the_customers_code(self, clock, visit, engineer2):
        """The engineer's request alone changes nothing (tests/visits/test_handover.py walks
        the customer's consent, the successor and every path)."""
        at_work(visit)
        first = visit.engineer
        services.request_handover(
            actor=first,
            visit=visit,
            to_engineer=engineer2,
            start=at(16, 0),
            end=at(17, 0),
            note="室分天线需登高处理，客户下午在家",
            reason="需登高作业",
        )
        visit.refresh_from_db()
        assert (visit.engineer, visit.status) == (first, VisitStatus.AT_WORK)
        services.add_measurement(actor=first, visit=visit, **MEASUREMENT)

    def test_r17_a_complaint_on_site_reaches_the_supervisor(self, clock, visit, supervisor):
        arrived(visit)
        services.report_complaint_on_site(
            actor=visit.engineer, visit=visit, note="客户不满上次工程师迟到"
        )
        visit.refresh_from_db()
        assert visit.complaint_on_site is True
        alert = Notification.objects.get(recipient=supervisor)
        assert "客户不满上次工程师迟到" in alert.body and visit.ticket.number in alert.body
        with pytest.raises(RuleViolation) as exc:
            services.report_complaint_on_site(actor=visit.engineer, visit=visit, note="again")
        assert exc.value.code == "complaint_reported"

    def test_r17_not_before_arrival(self, clock, visit):
        with pytest.raises(RuleViolation) as exc:
            services.report_complaint_on_site(actor=visit.engineer, visit=visit, note="x")
        assert exc.value.code == "not_on_site"


def test_r20_the_kit_gate_speaks_first_even_before_reconfirming(clock, visit):
    """The checklists app's journey: whatever else is pending, an incomplete kit is named."""
    services.update_kit_status(actor=visit.engineer, visit=visit, missing=["工作牌"])
    for step in (services.record_arrival, services.start_work):
        kwargs = {"door_checks": DoorCheck.values} if step is services.start_work else {}
        with pytest.raises(RuleViolation) as exc:
            step(actor=visit.engineer, visit=visit, **kwargs)
        assert (exc.value.code, exc.value.status) == ("kit_incomplete", 409)
        assert "工作牌" in exc.value.message
