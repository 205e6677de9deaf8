"""Issue 15 item 5: every error of a submit at once, each next to its field, in words. A late
reschedule took three submits (the reason, the customer's agreement, force majeure: R11, R27),
a network test showed raw constraint names above its form (约束 "measurement_rsrp_range" 是无效的).
The customer's survey: tests/surveys/test_views.py (R22–R24). See docs/rules.md."""

import pytest
from django.urls import reverse

from tests.html import errors_of, field_blocks
from tests.visits.conftest import AFTERNOON, at, minutes
from tests.visits.factories import at_work
from visits.models import Measurement, RescheduleRequest, VisitStatus

pytestmark = pytest.mark.django_db


def test_r11_a_late_reschedule_says_everything_in_one_submit(clock, login, dispatcher, visit):
    """R11, R27: under two hours, with no reason, no agreement and no force majeure, one submit
    answers all three, at their fields; the visit stays."""
    clock.move_to(at(12, 30))
    new = AFTERNOON + minutes(24 * 60)
    response = login(dispatcher).post(
        reverse("visits:reschedule", args=[visit.pk]),
        {
            "engineer": visit.engineer_id,
            "day": new.date().isoformat(),
            "start_time": "14:00",
            "duration": "60",
            "reason": "",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    found = field_blocks(html)
    assert errors_of(found["reason"])
    assert "客户同意" in errors_of(found["customer_agreed"]) or "约定" in errors_of(
        found["customer_agreed"]
    )
    assert "不可抗力" in errors_of(found["force_majeure"])
    visit.refresh_from_db()
    assert visit.status == VisitStatus.BOOKED
    assert not RescheduleRequest.objects.exists()


def test_r11_the_forms_errors_and_the_services_together(clock, login, dispatcher, visit):
    """The day left empty (the form finds it) and the agreement and force majeure missing (the
    service finds them): one submit, all three."""
    clock.move_to(at(12, 30))
    response = login(dispatcher).post(
        reverse("visits:reschedule", args=[visit.pk]),
        {
            "engineer": visit.engineer_id,
            "day": "",
            "start_time": "14:00",
            "duration": "60",
            "reason": "台风预警",
        },
    )
    found = field_blocks(response.content.decode())
    assert errors_of(found["day"])
    assert errors_of(found["customer_agreed"])
    assert errors_of(found["force_majeure"])


def test_r11_a_taken_time_shows_at_the_time(clock, login, dispatcher, visit, ticket):
    """R7: the engineer's clash is said at the start time, with the rest."""
    from tests.factories import open_ticket
    from tests.visits.factories import book

    other = book(dispatcher, open_ticket(dispatcher, phone="13900139000"), visit.engineer, at(17))
    response = login(dispatcher).post(
        reverse("visits:reschedule", args=[visit.pk]),
        {
            "engineer": visit.engineer_id,
            "day": other.start.date().isoformat(),
            "start_time": "17:00",
            "duration": "60",
            "reason": "客户临时有事",
        },
    )
    found = field_blocks(response.content.decode())
    assert "17:00" in errors_of(found["start_time"])
    assert errors_of(found["customer_agreed"])


def test_r11_a_late_cancel_says_everything_in_one_submit(clock, login, dispatcher, visit):
    clock.move_to(at(12, 30))
    response = login(dispatcher).post(reverse("visits:cancel", args=[visit.pk]), {"reason": ""})
    found = field_blocks(response.content.decode())
    assert errors_of(found["reason"])
    assert errors_of(found["customer_agreed"])
    assert "不可抗力" in errors_of(found["force_majeure"])


def test_measurement_ranges_in_words_at_their_fields(clock, login, visit):
    """A network test out of range: each value's error at its field, in words, with the place
    left empty too; never a constraint's name."""
    clock.move_to(at(13, 50))
    at_work(visit)
    response = login(visit.engineer).post(
        reverse("visits:measure", args=[visit.pk]),
        {
            "phase": "before",
            "network": "4g",
            "place": "",
            "rsrp_dbm": "-20",
            "sinr_db": "99",
            "download_mbps": "3",
            "upload_mbps": "-1",
            "latency_ms": "85",
            "call_result": "ok",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "约束" not in html and "measurement_" not in html
    found = field_blocks(html)
    assert "-156" in errors_of(found["rsrp_dbm"]) and "-31" in errors_of(found["rsrp_dbm"])
    assert "-30" in errors_of(found["sinr_db"])
    assert errors_of(found["upload_mbps"])
    assert errors_of(found["place"])
    assert not errors_of(found["download_mbps"])
    assert not Measurement.objects.exists()


def test_measurement_api_answers_every_range_at_once(clock, api, visit):
    clock.move_to(at(13, 50))
    at_work(visit)
    api.force_authenticate(visit.engineer)
    response = api.post(
        f"/api/visits/{visit.pk}/measurements/",
        {
            "phase": "before",
            "network": "4g",
            "place": "客厅",
            "rsrp_dbm": "-20",
            "sinr_db": "99",
            "download_mbps": "3",
            "upload_mbps": "1",
            "latency_ms": 85,
            "call_result": "ok",
        },
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert {"rsrp_dbm", "sinr_db"} <= set(response.json()["errors"])
