"""Promises to the customer that must hold on every path (service, HTML form, API):
R15 counted from the test, R10's new arrival time, and messages the customer waits for
that quiet hours must not hold back."""

from datetime import datetime

import pytest
from django.urls import reverse

from dispatch.delivery import sendable
from dispatch.errors import RuleViolation
from dispatch.models import Deadline, DeadlineKind, Event, Notification
from dispatch.sweep import sweep_deadlines
from tests.visits.conftest import at
from tests.visits.factories import at_work, confirmed, measured
from visits import services
from visits.models import Violation, ViolationKind, VisitStatus

pytestmark = pytest.mark.django_db


def reply_sms(visit) -> Notification:
    return Notification.objects.get(key=f"visit:{visit.pk}:reply")


class TestReplyDuringQuietHours:
    """Quiet hours (21:00–08:00) hold messages nobody waits for; the promised reply (R15) is one
    the customer waits for: held until 08:00 it would reach them after the promise, while the
    record said "on time"."""

    @pytest.fixture
    def evening(self, clock, visit):
        clock.move_to(at(19, 0))
        measured(at_work(visit))
        services.record_outcome(
            actor=visit.engineer,
            visit=visit,
            resolved=False,
            summary="需优化基站参数",
            promised_reply_at=at(22, 0),
        )
        clock.move_to(at(21, 30))
        return visit

    def assert_sent_now(self, visit):
        sms = reply_sms(visit)
        assert sms.urgent and sms.send_after is None
        assert sendable(at(21, 30)).filter(pk=sms.pk).exists()

    def test_r15_the_reply_by_sms_goes_at_once_at_night(self, evening):
        services.record_reply(
            actor=evening.engineer, visit=evening, message="参数已优化，请您试用。", by_sms=True
        )
        self.assert_sent_now(evening)

    def test_r15_the_reply_form_sends_at_once_at_night(self, evening, login):
        response = login(evening.engineer).post(
            reverse("visits:reply", args=[evening.pk]),
            {"message": "参数已优化，请您试用。", "by_sms": "on"},
        )
        assert response.status_code == 302
        self.assert_sent_now(evening)

    def test_r15_the_reply_api_sends_at_once_at_night(self, evening, api):
        api.force_authenticate(evening.engineer)
        response = api.post(
            f"/api/visits/{evening.pk}/reply/",
            {"message": "参数已优化，请您试用。", "by_sms": True},
            format="json",
        )
        assert response.status_code == 200, response.content
        self.assert_sent_now(evening)


class TestReplyCountsFromTheTest:
    """R15 (seed 000: 答复时间不能超过测试时间后4小时): the four hours run from the end of the test,
    not from when the outcome is typed in."""

    @pytest.fixture
    def tested_at_nine(self, clock, visit):
        measured(at_work(visit))  # the last network test, at 09:00
        clock.move_to(at(12, 0))  # the outcome is recorded three hours later
        return visit

    def outcome(self, visit, promised, **extra):
        return services.record_outcome(
            actor=visit.engineer,
            visit=visit,
            resolved=False,
            summary="需优化基站参数",
            promised_reply_at=promised,
            **extra,
        )

    def test_r15_four_hours_from_the_last_test_not_from_the_record(self, tested_at_nine):
        for promised in (at(16, 0), at(13, 1)):
            with pytest.raises(RuleViolation) as exc:
                self.outcome(tested_at_nine, promised)
            assert exc.value.code == "reply_too_late" and "13:00" in exc.value.message
        self.outcome(tested_at_nine, at(13, 0))
        assert Deadline.objects.get(visit=tested_at_nine, kind=DeadlineKind.REPLY).due_at == at(
            13, 0
        )
        event = Event.objects.get(visit=tested_at_nine, kind="visit.unresolved")
        assert datetime.fromisoformat(event.after["test_ended_at"]) == at(9, 0)

    def test_r15_a_test_end_the_engineer_records_starts_the_clock(self, tested_at_nine):
        with pytest.raises(RuleViolation) as exc:
            self.outcome(tested_at_nine, at(13, 31), test_ended_at=at(9, 30))
        assert exc.value.code == "reply_too_late" and "13:30" in exc.value.message
        self.outcome(tested_at_nine, at(13, 30), test_ended_at=at(9, 30))
        tested_at_nine.refresh_from_db()
        assert tested_at_nine.status == VisitStatus.UNRESOLVED

    @pytest.mark.parametrize(
        ("test_end", "code"),
        [((12, 1), "test_end_in_future"), ((8, 59), "test_end_before_tests")],
    )
    def test_r15_the_test_end_is_a_fact(self, tested_at_nine, test_end, code):
        with pytest.raises(RuleViolation) as exc:
            self.outcome(tested_at_nine, at(13, 0), test_ended_at=at(*test_end))
        assert (exc.value.code, exc.value.field) == (code, "test_ended_at")

    def test_r15_the_outcome_form_counts_from_the_test(self, tested_at_nine, login):
        client = login(tested_at_nine.engineer)
        path = reverse("visits:outcome", args=[tested_at_nine.pk])
        form = {"resolved": "no", "summary": "需优化"}
        page = client.get(reverse("visits:detail", args=[tested_at_nine.pk])).content.decode()
        assert "13:00" in page  # the latest reply time is said before typing
        refused = client.post(path, {**form, "promised_reply_at": "2026-11-23T16:00"})
        assert refused.status_code == 400 and "13:00" in refused.content.decode()
        ok = client.post(
            path,
            {**form, "promised_reply_at": "2026-11-23T13:30", "test_ended_at": "2026-11-23T09:30"},
        )
        assert ok.status_code == 302
        tested_at_nine.refresh_from_db()
        assert tested_at_nine.promised_reply_at == at(13, 30)

    def test_r15_the_outcome_api_counts_from_the_test(self, tested_at_nine, api):
        api.force_authenticate(tested_at_nine.engineer)
        path = f"/api/visits/{tested_at_nine.pk}/outcome/"
        body = {"resolved": False, "summary": "需优化"}
        refused = api.post(
            path, {**body, "promised_reply_at": at(16, 0).isoformat()}, format="json"
        )
        assert refused.status_code == 400 and refused.json()["code"] == "reply_too_late"
        ok = api.post(
            path,
            {
                **body,
                "promised_reply_at": at(13, 30).isoformat(),
                "test_ended_at": at(9, 30).isoformat(),
            },
            format="json",
        )
        assert ok.status_code == 200, ok.content
        assert ok.json()["status"] == "unresolved"


class TestLateNoticeIsAPromise:
    """R10 (seed 002 §8.4: 提供准确的到达时间): the new arrival time in a late notice is a promise.
    The customer reads it as one, it is a stored deadline (the arrival row moves to it), and
    arriving after it is late again, counted against the engineer."""

    def notice(self, visit, new_time):
        return services.notify_late(
            actor=visit.engineer, visit=visit, new_arrival_at=new_time, reason="交通堵塞"
        )

    def violations(self, visit):
        return dict(Violation.objects.filter(visit=visit).values_list("kind", "minutes"))

    def test_r10_the_sms_gives_the_time_as_a_promise_not_an_estimate(self, clock, visit):
        confirmed(visit)
        clock.move_to(at(13, 30))
        self.notice(visit, at(14, 10))
        sms = Notification.objects.get(key__startswith=f"visit:{visit.pk}:late:")
        assert "预计" not in sms.body and "左右" not in sms.body
        assert "14:10前到达" in sms.body and "非常抱歉" in sms.body

    def test_r10_arriving_after_the_promised_time_is_late_again(self, clock, visit):
        confirmed(visit)
        clock.move_to(at(13, 30))
        self.notice(visit, at(14, 10))
        clock.move_to(at(14, 11))
        sweep_deadlines()  # the promise is a stored row the sweep watches
        arrival = Deadline.objects.filter(visit=visit, kind=DeadlineKind.ARRIVAL)
        assert arrival.get(state="overdue").due_at == at(14, 10)
        clock.move_to(at(14, 12))
        services.record_arrival(actor=visit.engineer, visit=visit)
        assert self.violations(visit) == {
            ViolationKind.LATE_ARRIVAL: 17,  # R9: from 13:55
            ViolationKind.LATE_AFTER_NOTICE: 2,  # R10: from the promised 14:10
        }

    def test_r10_arriving_by_the_promised_time_keeps_the_promise(self, clock, visit):
        confirmed(visit)
        clock.move_to(at(13, 30))
        self.notice(visit, at(14, 10))
        clock.move_to(at(14, 10))
        services.record_arrival(actor=visit.engineer, visit=visit)
        assert ViolationKind.LATE_AFTER_NOTICE not in self.violations(visit)

    def test_r10_a_second_notice_that_moves_the_time_later_breaks_the_first(self, clock, visit):
        confirmed(visit)
        clock.move_to(at(13, 30))
        self.notice(visit, at(14, 10))
        clock.move_to(at(14, 0))
        self.notice(visit, at(14, 30))
        assert self.violations(visit)[ViolationKind.LATE_AFTER_NOTICE] == 20

    def test_r10_the_pages_count_a_broken_promise(self, clock, visit, login):
        confirmed(visit)
        client = login(visit.engineer)
        clock.move_to(at(13, 30))
        response = client.post(
            reverse("visits:late", args=[visit.pk]),
            {"new_arrival_time": "14:10", "reason": "交通堵塞"},
        )
        assert response.status_code == 302
        clock.move_to(at(14, 12))
        client.post(reverse("visits:arrive", args=[visit.pk]), {})
        assert self.violations(visit)[ViolationKind.LATE_AFTER_NOTICE] == 2

    def test_r10_the_api_counts_a_broken_promise(self, clock, visit, api):
        confirmed(visit)
        api.force_authenticate(visit.engineer)
        clock.move_to(at(13, 30))
        response = api.post(
            f"/api/visits/{visit.pk}/late-notice/",
            {"new_arrival_at": at(14, 10).isoformat(), "reason": "交通堵塞"},
            format="json",
        )
        assert response.status_code == 200, response.content
        clock.move_to(at(14, 12))
        assert api.post(f"/api/visits/{visit.pk}/arrive/", {}, format="json").status_code == 200
        assert self.violations(visit)[ViolationKind.LATE_AFTER_NOTICE] == 2
