"""Promises to the customer that must hold on every path (service, HTML form, API):
R15 counted from the test, R10's new arrival time, and messages the customer waits for
that quiet hours must not hold back."""

import pytest
from django.urls import reverse

from dispatch.delivery import sendable
from dispatch.models import Notification
from tests.visits.conftest import at
from tests.visits.factories import at_work, measured
from visits import services

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
