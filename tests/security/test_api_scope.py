"""Regressions of what the permission matrix and schemathesis found (issue 8)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from checklists.models import KitRun
from dispatch.models import Event
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    "route, body",
    [
        ("visit-cancel", {"reason": "客户改期"}),
        ("visit-late-notice", {"new_arrival_at": "2026-11-22T15:30:00+08:00", "reason": "堵车"}),
        ("visit-complaint", {"note": "客户投诉服务态度"}),
        ("visit-outcome", {"outcome": "resolved", "summary": "已处理"}),
        ("visit-note", {"customer_surname": "钱"}),
        ("visit-handover", {"to_engineer": "sec_engineer", "reason": "换人"}),
        ("visit-handover-confirm", {"code": "123456"}),
        ("visit-request-reschedule", {"reason": "台风", "start": "2026-11-30T09:00:00+08:00"}),
        ("visit-request-cancel", {"reason": "台风", "customer_agreed": True}),
        ("kit-visit-tick", {"item": 1}),
    ],
)
def test_r21_another_engineers_visit_is_404_whatever_the_body(world, route, body):
    """An engineer sees only their own visits: a well-formed request on another engineer's
    visit answers 404 (not 400 from reading the body first) and changes nothing."""
    visit = world.other_visit
    events = Event.objects.filter(visit=visit).count()
    response = as_user(world.engineer).post(reverse(route, args=[visit.pk]), body, format="json")
    assert response.status_code == 404
    assert "detail" in response.json()
    assert Event.objects.filter(visit=visit).count() == events
    assert not KitRun.objects.filter(visit=visit).exists()


def test_the_ticket_api_detail_shows_the_deadline_summary_of_the_list(world):
    """The detail (and the answers to create/close) promised next_due_at and is_overdue in the
    schema but left is_overdue out and next_due_at empty: now they match the list."""
    api = as_user(world.dispatcher)
    row = next(
        r
        for r in api.get(reverse("ticket-list")).json()["results"]
        if r["number"] == world.ticket.number
    )
    detail = api.get(reverse("ticket-detail", args=[world.ticket.number])).json()
    assert row["next_due_at"] is not None
    assert detail["next_due_at"] == row["next_due_at"]
    assert detail["is_overdue"] is row["is_overdue"] is False


def test_the_kit_report_is_one_object_as_the_schema_says(world):
    response = as_user(world.supervisor).get(reverse("kit-report-list"))
    assert response.status_code == 200
    assert set(response.json()) == {"start", "end", "engineers", "missing", "never_opened"}
