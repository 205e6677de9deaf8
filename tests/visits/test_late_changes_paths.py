"""Issue 12, items 1 and 10 on every path that reaches the services: the desk's dialogs, the
engineer's page and the API. Admin can't change visits (read-only), so it is no path."""

import pytest
from django.urls import reverse

from dispatch.models import Event, Notification
from tests.visits.conftest import AFTERNOON, at, minutes
from tests.visits.factories import at_work, confirmed, measured
from visits import services
from visits.models import RequestKind, RequestState, RescheduleRequest, Violation, VisitStatus

pytestmark = pytest.mark.django_db

BANNED = "这是我们公司的规定"
NEW = AFTERNOON + minutes(24 * 60)


def text(response) -> str:
    return response.content.decode()


def unresolved(visit):
    measured(at_work(visit))
    return services.record_outcome(
        actor=visit.engineer,
        visit=visit,
        resolved=False,
        summary="需优化基站参数",
        promised_reply_at=at(12, 0),
    )


class TestCancelDialog:
    def url(self, visit):
        return reverse("visits:cancel", args=[visit.pk])

    def test_r11_the_dialog_needs_the_customers_agreement(self, clock, login, dispatcher, visit):
        response = login(dispatcher).post(self.url(visit), {"reason": "客户出差"})
        assert response.status_code == 400
        assert "客户同意" in text(response)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED

    def test_r11_a_late_cancel_on_the_form_is_refused_then_sent_for_approval(
        self, clock, login, dispatcher, supervisor, visit
    ):
        clock.move_to(at(12, 30))
        client = login(dispatcher)
        page = text(client.get(self.url(visit)))
        assert "不可抗力" in page and 'name="force_majeure"' in page
        body = {"reason": "台风", "customer_agreed": "on"}
        response = client.post(self.url(visit), body)
        assert response.status_code == 400
        assert "主管" in text(response)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED

        response = client.post(self.url(visit), {**body, "force_majeure": "on"})
        assert response.status_code == 302
        req = RescheduleRequest.objects.get(visit=visit)
        assert (req.kind, req.state) == (RequestKind.CANCEL, RequestState.PENDING)
        desk = text(login(supervisor).get(reverse("visits:detail", args=[visit.pk])))
        assert "不足 2 小时的取消待主管审批" in desk

        login(supervisor).post(reverse("visits:decide", args=[req.pk]), {"approve": "1"})
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CANCELLED
        assert Violation.objects.get(visit=visit).approved_by == supervisor

    def test_r11_a_supervisor_cancels_late_on_the_form_for_force_majeure(
        self, clock, login, supervisor, visit
    ):
        clock.move_to(at(13, 0))
        response = login(supervisor).post(
            self.url(visit), {"reason": "台风", "customer_agreed": "on", "force_majeure": "on"}
        )
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CANCELLED
        assert Violation.objects.filter(visit=visit).exists()

    def test_r27_a_banned_reason_is_refused_once_then_sent_with_the_box_ticked(
        self, clock, login, dispatcher, visit
    ):
        client = login(dispatcher)
        body = {"reason": f"{BANNED}，只能取消", "customer_agreed": "on"}
        response = client.post(self.url(visit), body)
        assert response.status_code == 400
        page = text(response)
        assert f"“{BANNED}”" in page and "说明原因和您能做的事" in page
        assert 'name="send_anyway"' in page  # the confirmation box appears with the warning
        # The live warning while typing stays.
        assert 'hx-post="/language/check/"' in page

        response = client.post(self.url(visit), {**body, "send_anyway": "on"})
        assert response.status_code == 302
        event = Event.objects.get(visit=visit, kind="visit.cancelled")
        assert event.after["banned_phrases_confirmed"] == [BANNED]


class TestRescheduleDialog:
    def test_r27_a_banned_reason_is_refused_once_then_sent_with_the_box_ticked(
        self, clock, login, dispatcher, visit
    ):
        client = login(dispatcher)
        body = {
            "engineer": visit.engineer.pk,
            "day": "2026-11-24",
            "start_time": "14:00",
            "duration": 60,
            "reason": BANNED,
            "customer_agreed": "on",
        }
        url = reverse("visits:reschedule", args=[visit.pk])
        response = client.post(url, body)
        assert response.status_code == 400
        assert f"“{BANNED}”" in text(response) and 'name="send_anyway"' in text(response)
        assert client.post(url, {**body, "send_anyway": "on"}).status_code == 302
        event = Event.objects.get(visit=visit, kind="visit.rescheduled")
        assert event.after["banned_phrases_confirmed"] == [BANNED]


class TestEngineerPage:
    def test_r27_a_banned_late_notice_is_refused_once_then_sent(self, clock, login, visit):
        confirmed(visit)
        clock.move_to(at(13, 30))
        client = login(visit.engineer)
        url = reverse("visits:late", args=[visit.pk])
        body = {"new_arrival_time": "14:20", "reason": BANNED}
        response = client.post(url, body)
        assert response.status_code == 400
        assert f"“{BANNED}”" in text(response) and 'name="send_anyway"' in text(response)
        assert not Notification.objects.filter(template="visit_late").exists()
        assert client.post(url, {**body, "send_anyway": "on"}).status_code == 302
        assert BANNED in Notification.objects.get(template="visit_late").body

    def test_r27_a_banned_reply_by_sms_is_refused_once_then_sent(self, clock, login, visit):
        unresolved(visit)
        client = login(visit.engineer)
        url = reverse("visits:reply", args=[visit.pk])
        body = {"message": f"{BANNED}，明天才能处理。", "by_sms": "on"}
        response = client.post(url, body)
        assert response.status_code == 400
        assert f"“{BANNED}”" in text(response)
        assert client.post(url, {**body, "send_anyway": "on"}).status_code == 302
        visit.refresh_from_db()
        assert visit.status == VisitStatus.REPLIED
        assert Notification.objects.filter(template="visit_reply").exists()


def api_url(visit, action):
    return f"/api/visits/{visit.pk}/{action}/"


class TestApi:
    def test_r11_a_late_cancel_is_409_then_requested_and_approved(
        self, clock, as_user, dispatcher, supervisor, visit
    ):
        clock.move_to(at(12, 30))
        body = {"reason": "台风", "customer_agreed": True}
        response = as_user(dispatcher).post(api_url(visit, "cancel"), body, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "cancel_too_late"

        response = as_user(dispatcher).post(api_url(visit, "request-cancel"), body, format="json")
        assert response.status_code == 201
        assert response.json()["kind"] == "cancel"
        req_id = response.json()["id"]
        response = as_user(supervisor).post(f"/api/reschedule-requests/{req_id}/approve/", {})
        assert response.status_code == 200
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CANCELLED
        assert Violation.objects.filter(visit=visit).exists()

    def test_r11_cancel_needs_agreement_through_the_api(self, clock, as_user, dispatcher, visit):
        response = as_user(dispatcher).post(
            api_url(visit, "cancel"), {"reason": "客户出差", "customer_agreed": False}, "json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "customer_agreement_required"

    def test_r27_cancel_reason_needs_confirm(self, clock, as_user, dispatcher, visit):
        body = {"reason": BANNED, "customer_agreed": True}
        response = as_user(dispatcher).post(api_url(visit, "cancel"), body, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "banned_phrase"
        assert BANNED in response.json()["detail"]
        response = as_user(dispatcher).post(
            api_url(visit, "cancel"), {**body, "confirm": True}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["status"] == VisitStatus.CANCELLED

    def test_r27_reschedule_reason_needs_confirm(self, clock, as_user, dispatcher, visit):
        body = {
            "start": NEW.isoformat(),
            "end": (NEW + minutes(60)).isoformat(),
            "reason": BANNED,
            "customer_agreed": True,
        }
        response = as_user(dispatcher).post(api_url(visit, "reschedule"), body, format="json")
        assert (response.status_code, response.json()["code"]) == (400, "banned_phrase")
        response = as_user(dispatcher).post(
            api_url(visit, "reschedule"), {**body, "confirm": True}, format="json"
        )
        assert response.status_code == 201

    def test_r27_late_reschedule_request_needs_confirm(self, clock, as_user, dispatcher, visit):
        clock.move_to(at(13, 0))
        body = {
            "start": NEW.isoformat(),
            "end": (NEW + minutes(60)).isoformat(),
            "reason": BANNED,
            "customer_agreed": True,
        }
        url = api_url(visit, "request-reschedule")
        response = as_user(dispatcher).post(url, body, format="json")
        assert (response.status_code, response.json()["code"]) == (400, "banned_phrase")
        response = as_user(dispatcher).post(url, {**body, "confirm": True}, format="json")
        assert response.status_code == 201

    def test_r27_late_notice_reason_needs_confirm(self, clock, as_user, visit):
        confirmed(visit)
        clock.move_to(at(13, 30))
        body = {"new_arrival_at": at(14, 20).isoformat(), "reason": BANNED}
        response = as_user(visit.engineer).post(api_url(visit, "late-notice"), body, "json")
        assert (response.status_code, response.json()["code"]) == (400, "banned_phrase")
        response = as_user(visit.engineer).post(
            api_url(visit, "late-notice"), {**body, "confirm": True}, format="json"
        )
        assert response.status_code == 200
        event = Event.objects.get(visit=visit, kind="visit.late_notice")
        assert event.after["banned_phrases_confirmed"] == [BANNED]

    def test_r27_reply_by_sms_needs_confirm(self, clock, as_user, visit):
        unresolved(visit)
        body = {"message": BANNED, "by_sms": True}
        response = as_user(visit.engineer).post(api_url(visit, "reply"), body, format="json")
        assert (response.status_code, response.json()["code"]) == (400, "banned_phrase")
        response = as_user(visit.engineer).post(
            api_url(visit, "reply"), {**body, "confirm": True}, format="json"
        )
        assert response.status_code == 200

    def test_r27_a_reply_given_by_phone_is_recorded_as_said(self, clock, as_user, visit):
        unresolved(visit)
        body = {"message": BANNED, "by_sms": False}
        response = as_user(visit.engineer).post(api_url(visit, "reply"), body, format="json")
        assert response.status_code == 200
