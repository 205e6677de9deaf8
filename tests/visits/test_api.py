"""The visits API: the same rules as the services, scoped by role and object, in the schema."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dispatch.models import Deadline, Notification
from tests.factories import open_ticket
from tests.visits.conftest import AFTERNOON, at, minutes
from tests.visits.factories import MEASUREMENT, arrived, book, kit_done
from visits import services
from visits.models import DoorCheck, Violation, Visit, VisitStatus

pytestmark = pytest.mark.django_db


def url(visit=None, action=""):
    base = "/api/visits/" + (f"{visit.pk}/" if visit else "")
    return base + (f"{action}/" if action else "")


class TestBookingApi:
    def body(self, ticket, engineer, start=AFTERNOON):
        return {
            "ticket": ticket.number,
            "engineer": engineer.username,
            "start": start.isoformat(),
            "end": (start + minutes(60)).isoformat(),
        }

    def test_r7_book_then_a_clash_is_409_with_a_sentence(
        self, clock, as_user, dispatcher, ticket, engineer
    ):
        api = as_user(dispatcher)
        response = api.post(url(), self.body(ticket, engineer), format="json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert data["status"] == "booked" and data["engineer"] == engineer.username
        assert {d["kind"] for d in data["deadlines"]} == {"reconfirm", "arrival"}

        other = open_ticket(dispatcher)
        response = api.post(
            url(), self.body(other, engineer, AFTERNOON + minutes(30)), format="json"
        )
        assert response.status_code == 409
        assert response.json()["code"] == "engineer_busy"
        assert ticket.number in response.json()["detail"]

    def test_r26_a_booking_sms_the_provider_would_refuse_is_a_400_in_words(
        self, clock, as_user, dispatcher, engineer, settings
    ):
        """Issue 16: with Aliyun, each SMS variable holds at most 35 characters; a fault
        phenomenon longer than that can't go in the booking SMS, so the booking is refused,
        whole, with the reason, before anything is written."""
        settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKEND": "aliyun"}
        ticket = open_ticket(
            dispatcher, phenomenon="晚上七点到十一点之间客厅和卧室的手机信号时有时无，" * 2
        )
        response = as_user(dispatcher).post(url(), self.body(ticket, engineer), format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "sms_parameter_invalid"
        assert "故障现象" in response.json()["detail"] and "35" in response.json()["detail"]
        assert not Visit.objects.filter(ticket=ticket).exists()
        assert not Notification.objects.filter(ticket=ticket, channel="sms").exists()

    def test_r2_missing_phone_is_400(self, clock, as_user, dispatcher, engineer):
        ticket = open_ticket(dispatcher, phone="")
        response = as_user(dispatcher).post(url(), self.body(ticket, engineer), format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "contact_missing"

    def test_an_engineer_cannot_book(self, clock, as_user, engineer, ticket):
        response = as_user(engineer).post(url(), self.body(ticket, engineer), format="json")
        assert response.status_code == 403

    def test_r7_availability_before_booking(self, clock, as_user, dispatcher, visit):
        api = as_user(dispatcher)
        params = {
            "engineer": visit.engineer.username,
            "start": (AFTERNOON + minutes(30)).isoformat(),
            "end": (AFTERNOON + minutes(90)).isoformat(),
        }
        data = api.get(url(action="availability"), params).json()
        assert data["free"] is False and data["busy"][0]["start"] == visit.start.isoformat()
        params["exclude"] = visit.pk
        assert api.get(url(action="availability"), params).json()["free"] is True
        params.update(start=(AFTERNOON + minutes(60)).isoformat(), exclude="")
        params.pop("exclude")
        assert api.get(url(action="availability"), params).json()["free"] is True

    def test_r11_reschedule_late_is_409_and_a_request_waits_for_approval(
        self, clock, as_user, dispatcher, supervisor, visit
    ):
        clock.move_to(at(13, 0))
        body = {
            "start": (AFTERNOON + minutes(1440)).isoformat(),
            "end": (AFTERNOON + minutes(1500)).isoformat(),
            "reason": "台风",
            "customer_agreed": True,
        }
        api = as_user(dispatcher)
        response = api.post(url(visit, "reschedule"), body, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "reschedule_too_late"
        response = api.post(url(visit, "request-reschedule"), body, format="json")
        assert response.status_code == 201
        request_id = response.json()["id"]
        listed = api.get("/api/reschedule-requests/").json()
        assert [r["id"] for r in listed["results"]] == [request_id]
        # A dispatcher can't approve; a supervisor can.
        assert api.post(f"/api/reschedule-requests/{request_id}/approve/", {}).status_code == 403
        response = as_user(supervisor).post(f"/api/reschedule-requests/{request_id}/approve/", {})
        assert response.status_code == 200 and response.json()["state"] == "approved"
        assert Violation.objects.filter(visit=visit, approved_by=supervisor).exists()


class TestEngineerScope:
    def test_an_engineer_lists_only_their_own_visits(
        self, clock, as_user, dispatcher, visit, engineer2
    ):
        theirs = book(dispatcher, open_ticket(dispatcher), engineer2, AFTERNOON)
        rows = as_user(visit.engineer).get(url()).json()["results"]
        assert [r["id"] for r in rows] == [visit.pk]
        rows = as_user(dispatcher).get(url(), {"engineer": engineer2.username}).json()["results"]
        assert [r["id"] for r in rows] == [theirs.pk]

    def test_another_engineers_visit_is_404_to_read_and_to_act_on(
        self, clock, as_user, visit, engineer2
    ):
        api = as_user(engineer2)
        assert api.get(url(visit)).status_code == 404
        assert api.post(url(visit, "reconfirm")).status_code == 404
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED

    def test_list_filters_by_day(self, clock, as_user, dispatcher, visit, engineer2):
        book(dispatcher, open_ticket(dispatcher), engineer2, AFTERNOON + minutes(1440))
        api = as_user(dispatcher)
        rows = api.get(url(), {"day_from": "2026-11-23", "day_to": "2026-11-23"}).json()
        assert [r["id"] for r in rows["results"]] == [visit.pk]

    def test_the_list_is_one_query_whatever_the_rows(
        self, clock, as_user, dispatcher, engineer, django_assert_max_num_queries
    ):
        api = as_user(dispatcher)
        book(dispatcher, open_ticket(dispatcher), engineer, AFTERNOON)
        with django_assert_max_num_queries(6) as one:
            api.get(url())
        for i in range(1, 15):
            book(dispatcher, open_ticket(dispatcher), engineer, AFTERNOON + minutes(60 * i))
        with django_assert_max_num_queries(len(one.captured_queries)):
            assert len(api.get(url()).json()["results"]) == 15

    def test_the_list_shows_each_visit_as_its_own_page_does(
        self, clock, as_user, dispatcher, engineer, engineer2
    ):
        """Issue 14: the list is written from database rows, not visit objects; every field
        reads the same as the serializer gives the visit itself (times in the centre's zone,
        the kit flag, the missing items, the ticket's and engineer's names, empty ones null)."""
        from visits.api import VisitSerializer

        plain = book(dispatcher, open_ticket(dispatcher), engineer, AFTERNOON)
        done = arrived(book(dispatcher, open_ticket(dispatcher), engineer2, AFTERNOON))
        services.update_kit_status(actor=plain.engineer, visit=plain, missing=["万用表"])
        listed = as_user(dispatcher).get(url()).json()["results"]
        expected = VisitSerializer(
            Visit.objects.filter(pk__in=[plain.pk, done.pk]).order_by("start", "id"), many=True
        ).data
        assert listed == [dict(row) for row in expected]
        by_id = {row["id"]: row for row in listed}
        assert by_id[done.pk]["kit_complete"] is True and by_id[done.pk]["arrived_at"]
        assert by_id[plain.pk]["kit_missing"] == ["万用表"]
        assert by_id[plain.pk]["kit_complete"] is False and by_id[plain.pk]["arrived_at"] is None


class TestFieldApi:
    def test_the_engineer_walks_a_visit_through_the_api(self, clock, as_user, visit):
        api = as_user(visit.engineer)
        assert api.post(url(visit, "reconfirm")).json()["status"] == "confirmed"
        response = api.post(url(visit, "arrive"))
        assert response.status_code == 409 and response.json()["code"] == "kit_incomplete"
        kit_done(visit)
        clock.move_to(at(13, 50))
        data = api.post(
            url(visit, "arrive"), {"latitude": "23.1291", "longitude": "113.2644"}, format="json"
        ).json()
        assert data["status"] == "arrived" and data["arrival_punctual"] is True
        response = api.post(
            url(visit, "start-work"), {"door_checks": DoorCheck.values}, format="json"
        )
        assert response.json()["status"] == "at_work"
        response = api.post(url(visit, "measurements"), MEASUREMENT, format="json")
        assert response.status_code == 201
        bad = api.post(
            url(visit, "measurements"), {**MEASUREMENT, "rsrp_dbm": "-20"}, format="json"
        )
        assert bad.status_code == 400 and bad.json()["field"] == "rsrp_dbm"
        assert len(api.get(url(visit, "measurements")).json()) == 1
        data = api.post(
            url(visit, "outcome"),
            {
                "resolved": False,
                "summary": "需优化参数",
                "promised_reply_at": at(16, 0).isoformat(),
            },
            format="json",
        ).json()
        assert data["status"] == "unresolved"
        assert any(d["kind"] == "reply" and d["state"] == "open" for d in data["deadlines"])
        data = api.post(
            url(visit, "reply"), {"message": "参数已优化", "by_sms": True}, format="json"
        ).json()
        assert data["status"] == "replied"
        assert Deadline.objects.get(visit=visit, kind="reply").state == "met"

    def test_r13_visit_note_is_uploaded_with_its_photo(self, clock, as_user, visit):
        arrived(visit)
        api = as_user(visit.engineer)
        api.post(url(visit, "knock"))
        api.post(url(visit, "call-failed"))
        assert api.post(url(visit, "no-answer")).json()["code"] == "wait_not_over"
        clock.shift(minutes(10))
        assert api.post(url(visit, "no-answer")).json()["status"] == "no_answer"
        photo = SimpleUploadedFile("card.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
        response = api.post(
            url(visit, "note"),
            {
                "customer_surname": "赵",
                "arrived_at": at(13, 50).isoformat(),
                "departed_at": at(9, 10).isoformat(),
                "contact_phone": "13800139000",
                "photo": photo,
            },
            format="multipart",
        )
        assert response.status_code == 400
        assert response.json()["code"] == "departed_before_arrival"
        response = api.post(
            url(visit, "note"),
            {
                "customer_surname": "赵",
                "arrived_at": at(9, 0).isoformat(),
                "departed_at": at(9, 10).isoformat(),
                "contact_phone": "13800139000",
                "photo": SimpleUploadedFile("card.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
            },
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["photo"]
        assert Notification.objects.filter(key=f"visit:{visit.pk}:note").exists()

    def test_r13_the_note_times_and_phone_are_facts_through_the_api(self, clock, as_user, visit):
        # R13: the card's times agree with the recorded arrival, no-answer mark and clock.
        arrived(visit)  # 09:00
        api = as_user(visit.engineer)
        response = api.post(url(visit, "call-failed"))
        assert (response.status_code, response.json()["code"]) == (409, "knock_first")
        api.post(url(visit, "knock"))
        api.post(url(visit, "call-failed"))
        clock.shift(minutes(10))
        api.post(url(visit, "no-answer"))
        body = {
            "customer_surname": "赵",
            "arrived_at": at(7, 0).isoformat(),
            "departed_at": at(9, 10).isoformat(),
            "contact_phone": "13800139000",
        }
        for change, code in (
            ({}, "arrival_not_recorded"),
            ({"arrived_at": at(9, 0).isoformat(), "departed_at": at(9, 5).isoformat()}, None),
            ({"departed_at": at(9, 20).isoformat()}, "departure_in_future"),
            ({"departed_at": at(9, 10).isoformat(), "contact_phone": "10000"}, "hotline_phone"),
        ):
            body.update(change)
            response = api.post(url(visit, "note"), body, format="json")
            assert response.status_code == 400
            assert response.json()["code"] == (code or "departed_before_no_answer")
        body["contact_phone"] = "13800139000"
        assert api.post(url(visit, "note"), body, format="json").status_code == 201

    def test_r10_late_notice_through_the_api(self, clock, as_user, visit):
        api = as_user(visit.engineer)
        response = api.post(
            url(visit, "late-notice"),
            {"new_arrival_at": at(14, 20).isoformat(), "reason": "交通堵塞"},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["expected_arrival_at"]

    def test_r16_handover_answers_with_the_request_waiting_for_the_customer(
        self, clock, as_user, visit, engineer2
    ):
        arrived(visit)
        response = as_user(visit.engineer).post(
            url(visit, "handover"),
            {
                "to_engineer": engineer2.username,
                "start": at(16, 0).isoformat(),
                "end": at(17, 0).isoformat(),
                "note": "需登高",
                "reason": "需登高作业",
            },
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["to_engineer"] == engineer2.username
        assert response.json()["state"] == "pending"
        # R16: nothing changes hands before the customer's code.
        assert Visit.objects.get(pk=visit.pk).engineer == visit.engineer


def test_the_schema_documents_the_visit_endpoints(as_user, dispatcher):
    response = as_user(dispatcher).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/visits/",
        "/api/visits/availability/",
        "/api/visits/{id}/reschedule/",
        "/api/visits/{id}/request-reschedule/",
        "/api/visits/{id}/arrive/",
        "/api/visits/{id}/no-answer/",
        "/api/visits/{id}/note/",
        "/api/visits/{id}/measurements/",
        "/api/visits/{id}/outcome/",
        "/api/visits/{id}/handover/",
        "/api/visits/{id}/handover/confirm/",
        "/api/reschedule-requests/{id}/approve/",
    ):
        assert path in paths, path
