"""The kit API: what the phone's script and other clients see (R18–R20)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checklists.models import ChecklistItem, KitRun
from dispatch.models import Event
from tests.checklists.factories import make_visit, run_item, tick_all
from tests.factories import make_user
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db


def kit_url(visit, action=""):
    return f"/api/kit/visits/{visit.pk}/{action + '/' if action else ''}"


def test_the_engineer_opens_the_kit_and_sees_every_item(api, visit):
    api.force_authenticate(visit.engineer)
    response = api.get(kit_url(visit))
    assert response.status_code == 200
    body = response.json()
    assert (body["done"], body["total"], body["complete"], body["editable"]) == (0, 9, False, True)
    assert body["items"][0]["label"] == "一张工作牌"
    assert body["items"][6]["substitute"] == "FAQ 手册"
    assert len(body["missing"]) == 9
    assert KitRun.objects.filter(visit=visit).exists()


def test_another_engineer_gets_404_and_desk_staff_read_without_opening(
    api, visit, engineer2, dispatcher
):
    api.force_authenticate(engineer2)
    assert api.get(kit_url(visit)).status_code == 404
    assert api.post(kit_url(visit, "tick"), {"item": 1}, format="json").status_code == 404
    api.force_authenticate(dispatcher)
    response = api.get(kit_url(visit))
    assert response.status_code == 200
    assert response.json()["editable"] is False
    assert not KitRun.objects.exists()  # only the engineer's own look opens the kit


def test_a_tick_saves_at_once_and_a_replay_is_harmless(api, visit):
    api.force_authenticate(visit.engineer)
    items = api.get(kit_url(visit)).json()["items"]
    badge = items[0]["id"]
    first = api.post(kit_url(visit, "tick"), {"item": badge, "ticked": True}, format="json")
    replay = api.post(kit_url(visit, "tick"), {"item": badge, "ticked": True}, format="json")
    assert first.status_code == replay.status_code == 200
    assert replay.json()["done"] == 1
    assert replay.json()["items"][0]["ticked"] is True
    assert Event.objects.filter(visit=visit, kind="kit.ticked").count() == 1
    untick = api.post(kit_url(visit, "tick"), {"item": badge, "ticked": False}, format="json")
    assert untick.json()["done"] == 0


def test_a_supervisor_reads_but_does_not_tick(api, visit, supervisor):
    run = tick_all(visit, except_codes=("badge",))
    api.force_authenticate(supervisor)
    response = api.post(
        kit_url(visit), {"item": run_item(visit, "badge").pk}, format="json"
    )  # retrieve is GET only
    assert response.status_code == 405
    response = api.post(
        kit_url(visit, "tick"), {"item": run_item(visit, "badge").pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_visit_engineer"
    assert run.items.filter(ticked_at__isnull=True).count() == 1


def test_the_gate_answers_409_with_the_missing_items_until_the_kit_is_done(api, visit):
    """R20 through the API: the arrival page asks this before letting the engineer arrive."""
    api.force_authenticate(visit.engineer)
    refused = api.get(kit_url(visit, "gate"))
    assert refused.status_code == 409
    assert refused.json()["code"] == "kit_incomplete"
    assert len(refused.json()["missing"]) == 9

    tick_all(visit, except_codes=("mat_cloth", "no_alcohol"))
    refused = api.get(kit_url(visit, "gate"))
    assert refused.status_code == 409
    assert refused.json()["missing"] == ["一张垫布", "本人声明：上门前未饮酒"]
    assert "一张垫布" in refused.json()["detail"]

    for code in ("mat_cloth", "no_alcohol"):
        api.post(kit_url(visit, "tick"), {"item": run_item(visit, code).pk}, format="json")
    ready = api.get(kit_url(visit, "gate"))
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "missing": []}
    visit.refresh_from_db()
    assert visit.kit_completed_at is not None


def test_ticks_are_refused_once_the_visit_is_on_site(api, visit):
    api.force_authenticate(visit.engineer)
    item = api.get(kit_url(visit)).json()["items"][0]["id"]
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.ARRIVED, arrived_at=timezone.now())
    response = api.post(kit_url(visit, "tick"), {"item": item}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "kit_closed"
    assert api.get(kit_url(visit)).json()["editable"] is False


def test_bad_input_is_400(api, visit):
    api.force_authenticate(visit.engineer)
    api.get(kit_url(visit))
    assert api.post(kit_url(visit, "tick"), {"item": "x"}, format="json").status_code == 400
    response = api.post(kit_url(visit, "tick"), {"item": 999999}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_item"


def test_english_labels_follow_the_request_language(api, visit):
    api.force_authenticate(visit.engineer)
    body = api.get(kit_url(visit), HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["items"][0]["label"] == "A work badge"
    assert body["items"][0]["label_zh"] == "一张工作牌"


def test_anonymous_is_refused(api, visit):
    assert api.get(kit_url(visit)).status_code == 401


# Items (supervisor)


def test_supervisors_add_reword_move_retire_and_restore_items(api, supervisor, engineer):
    api.force_authenticate(engineer)
    assert api.get("/api/kit/items/").status_code == 403
    api.force_authenticate(supervisor)
    listed = api.get("/api/kit/items/").json()
    assert len(listed) == 9

    created = api.post(
        "/api/kit/items/",
        {"group": "kit", "label_zh": "一个充电宝", "label_en": "A power bank", "required": False},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["position"] == 8

    patched = api.patch(f"/api/kit/items/{pk}/", {"label_zh": "一个移动电源"}, format="json")
    assert patched.json()["label_zh"] == "一个移动电源"
    moved = api.post(f"/api/kit/items/{pk}/move/", {"offset": -1}, format="json")
    assert moved.json()["position"] == 7
    retired = api.post(f"/api/kit/items/{pk}/retire/")
    assert retired.json()["active"] is False
    restored = api.post(f"/api/kit/items/{pk}/restore/")
    assert restored.json()["active"] is True
    kinds = list(ChecklistItem.objects.get(pk=pk).changes.values_list("kind", flat=True))
    assert sorted(kinds) == ["created", "edited", "moved", "restored", "retired"]

    bad = api.post("/api/kit/items/", {"group": "kit", "label_zh": ""}, format="json")
    assert bad.status_code == 400


def test_items_list_uses_a_constant_number_of_queries(
    api, supervisor, django_assert_max_num_queries
):
    api.force_authenticate(supervisor)
    with CaptureQueriesContext(connection) as few:
        api.get("/api/kit/items/")
    for n in range(10):
        ChecklistItem.objects.create(
            code=f"extra-{n}", group="kit", label_zh=f"物品{n}", position=20 + n
        )
    with django_assert_max_num_queries(len(few)):
        assert len(api.get("/api/kit/items/").json()) == 19


# Report (supervisor)


def test_report_counts_kits_completed_before_arrival(api, ticket, supervisor):
    a = make_user("engineer", username="eng_a")
    now = timezone.now()
    early = make_visit(ticket, a, start=now - timedelta(days=2))
    tick_all(early)
    Visit.objects.filter(pk=early.pk).update(
        arrived_at=early.kit_completed_at + timedelta(minutes=10), status=VisitStatus.ARRIVED
    )
    late = make_visit(ticket, a, start=now - timedelta(days=1))
    tick_all(late, except_codes=("water_bottle",))
    Visit.objects.filter(pk=late.pk).update(arrived_at=timezone.now(), status=VisitStatus.ARRIVED)

    api.force_authenticate(supervisor)
    body = api.get("/api/kit/report/").json()
    (row,) = body["engineers"]
    assert row == {
        "engineer": "eng_a",
        "visits": 2,
        "arrived": 2,
        "kit_before_arrival": 1,
        "rate": 0.5,
    }
    assert body["missing"][0]["item"] == "water_bottle"
    assert body["missing"][0]["missing"] == 1
    assert api.get("/api/kit/report/?start=2020-02-01&end=2020-01-01").status_code == 400


def test_r19_a_self_check_hours_old_is_refused_at_the_gate_and_at_arrival(api, visit):
    """R19 through the API: a self-check older than the window is ticked again before arrival."""
    import time_machine

    api.force_authenticate(visit.engineer)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        tick_all(visit)
        clock.shift(timedelta(minutes=100))
        refused = api.get(kit_url(visit, "gate"))
        assert (refused.status_code, refused.json()["code"]) == (409, "self_check_stale")
        arrive = api.post(f"/api/visits/{visit.pk}/arrive/", {}, format="json")
        assert (arrive.status_code, arrive.json()["code"]) == (409, "self_check_stale")
        body = api.get(kit_url(visit)).json()
        assert body["complete"] is False
        api.post(kit_url(visit, "tick"), {"item": run_item(visit, "self_check").pk}, format="json")
        assert api.get(kit_url(visit, "gate")).status_code == 200
        assert api.post(f"/api/visits/{visit.pk}/arrive/", {}, format="json").status_code == 200
