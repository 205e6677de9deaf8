"""The services decide who acts (issue 11): the field steps of R21 are the visit's engineer's
alone, the desk steps the dispatchers' and supervisors'. Each service refuses anyone else with
one domain error, so the page, the API, the admin and the tasks agree: a supervisor could take
the engineer's steps through the API while the pages refused."""

from datetime import timedelta

import pytest
from django.urls import reverse

from checklists import services as checklists
from dispatch.errors import PermissionDenied
from dispatch.models import Event, Notification
from surveys import services as surveys
from tests.visits.conftest import AFTERNOON, at
from tests.visits.factories import MEASUREMENT, book
from visits import services
from visits.models import DoorCheck, Visit, VisitStatus

pytestmark = pytest.mark.django_db

WHEN = AFTERNOON + timedelta(days=1)

# Each field step as its service call and a well-formed API body; the actor is never the
# visit's engineer here, so the refusal comes before any check of state or input.
FIELD_STEPS = {
    "reconfirm": (lambda a, v: services.reconfirm_visit(actor=a, visit=v), None),
    "depart": (lambda a, v: services.depart_for_visit(actor=a, visit=v), None),
    "late-notice": (
        lambda a, v: services.notify_late(
            actor=a, visit=v, new_arrival_at=at(14, 20), reason="堵车"
        ),
        {"new_arrival_at": at(14, 20).isoformat(), "reason": "堵车"},
    ),
    "arrive": (lambda a, v: services.record_arrival(actor=a, visit=v), {}),
    "knock": (lambda a, v: services.record_knock(actor=a, visit=v), None),
    "call-failed": (lambda a, v: services.record_failed_call(actor=a, visit=v), None),
    "no-answer": (lambda a, v: services.mark_no_answer(actor=a, visit=v), None),
    "note": (
        lambda a, v: services.file_visit_note(
            actor=a,
            visit=v,
            customer_surname="赵",
            arrived_at=at(13, 55),
            departed_at=at(14, 10),
            contact_phone="10000",
        ),
        {
            "customer_surname": "赵",
            "arrived_at": at(13, 55).isoformat(),
            "departed_at": at(14, 10).isoformat(),
            "contact_phone": "10000",
        },
    ),
    "start-work": (
        lambda a, v: services.start_work(actor=a, visit=v, door_checks=DoorCheck.values),
        {"door_checks": DoorCheck.values},
    ),
    "measurements": (
        lambda a, v: services.add_measurement(actor=a, visit=v, **MEASUREMENT),
        MEASUREMENT,
    ),
    "outcome": (
        lambda a, v: services.record_outcome(actor=a, visit=v, resolved=True, summary="已优化"),
        {"resolved": True, "summary": "已优化"},
    ),
    "reply": (
        lambda a, v: services.record_reply(actor=a, visit=v, message="已优化，请试用。"),
        {"message": "已优化，请试用。"},
    ),
    "handover": (
        lambda a, v: services.request_handover(
            actor=a,
            visit=v,
            to_engineer=v.engineer,
            start=WHEN,
            end=WHEN + timedelta(hours=1),
            note="需登高",
            reason="需登高作业",
        ),
        None,  # the body names an engineer: built in the test
    ),
    # R16: the customer's code is typed on the visit's engineer's phone, nobody else's.
    "handover/confirm": (
        lambda a, v: services.confirm_handover(actor=a, visit=v, code="123456"),
        {"code": "123456"},
    ),
    "complaint": (
        lambda a, v: services.report_complaint_on_site(actor=a, visit=v, note="态度差"),
        {"note": "态度差"},
    ),
}

# The steps of the other apps that are the engineer's too: the kit (R18-R20), the survey shown
# on site (R23) and the commitment card (R24).
OTHER_FIELD_STEPS = {
    "kit status": lambda a, v: services.update_kit_status(actor=a, visit=v, missing=[]),
    "open kit": lambda a, v: checklists.open_kit(actor=a, visit=v),
    "tick": lambda a, v: checklists.tick_item(actor=a, visit=v, item=1),
    "survey on site": lambda a, v: surveys.issue_link(
        actor=a, visit=v, channel="qr", base_url="https://seed.example.cn/"
    ),
    "card": lambda a, v: surveys.hand_over_card(actor=a, visit=v),
}

DESK_STEPS = {
    "reschedule": (
        lambda a, v: services.reschedule_visit(
            actor=a,
            visit=v,
            start=WHEN,
            end=WHEN + timedelta(hours=1),
            reason="客户出差",
            customer_agreed=True,
        ),
        {
            "start": WHEN.isoformat(),
            "end": (WHEN + timedelta(hours=1)).isoformat(),
            "reason": "客户出差",
            "customer_agreed": True,
        },
    ),
    "request-reschedule": (
        lambda a, v: services.request_late_reschedule(
            actor=a,
            visit=v,
            start=WHEN,
            end=WHEN + timedelta(hours=1),
            reason="台风",
            customer_agreed=True,
        ),
        {
            "start": WHEN.isoformat(),
            "end": (WHEN + timedelta(hours=1)).isoformat(),
            "reason": "台风",
            "customer_agreed": True,
        },
    ),
    "cancel": (
        lambda a, v: services.cancel_visit(
            actor=a, visit=v, reason="客户撤诉", customer_agreed=True
        ),
        {"reason": "客户撤诉", "customer_agreed": True},
    ),
    "request-cancel": (
        lambda a, v: services.request_late_cancel(
            actor=a, visit=v, reason="台风", customer_agreed=True
        ),
        {"reason": "台风", "customer_agreed": True},
    ),
}


def footprint(visit: Visit) -> tuple:
    """What a step would leave behind: the visit's row, its events, the customer's messages."""
    row = Visit.objects.filter(pk=visit.pk).values().get()
    return row, Event.objects.filter(visit=visit).count(), Notification.objects.count()


# --- the services -------------------------------------------------------------------------


@pytest.mark.parametrize("step", sorted(FIELD_STEPS))
@pytest.mark.parametrize("who", ["supervisor", "dispatcher2", "engineer2"])
def test_r21_a_field_step_is_the_visits_engineers_alone(request, visit, step, who):
    actor = request.getfixturevalue(who)
    before = footprint(visit)
    with pytest.raises(PermissionDenied) as exc:
        FIELD_STEPS[step][0](actor, visit)
    assert exc.value.code == "not_visit_engineer" and exc.value.status == 403
    assert visit.engineer.last_name in exc.value.message
    assert footprint(visit) == before


@pytest.mark.parametrize("step", sorted(OTHER_FIELD_STEPS))
@pytest.mark.parametrize("who", ["supervisor", "dispatcher2"])
def test_r21_the_kit_the_survey_on_site_and_the_card_are_the_engineers_too(
    request, visit, step, who
):
    before = footprint(visit)
    with pytest.raises(PermissionDenied) as exc:
        OTHER_FIELD_STEPS[step](request.getfixturevalue(who), visit)
    assert exc.value.code == "not_visit_engineer"
    assert footprint(visit) == before


@pytest.mark.parametrize("step", sorted(DESK_STEPS))
def test_the_desk_steps_are_not_the_engineers(visit, step):
    before = footprint(visit)
    with pytest.raises(PermissionDenied) as exc:
        DESK_STEPS[step][0](visit.engineer, visit)
    assert exc.value.code == "desk_only"
    assert footprint(visit) == before


def test_r15_r3_the_tickets_owner_may_still_give_the_reply_but_no_other_desk_user(
    visit, dispatcher, dispatcher2
):
    assert visit.ticket.owner == dispatcher
    with pytest.raises(PermissionDenied):
        services.record_reply(actor=dispatcher2, visit=visit, message="x")
    with pytest.raises(PermissionDenied) as exc:
        FIELD_STEPS["reconfirm"][0](dispatcher, visit)  # the owner takes no other field step
    assert exc.value.code == "not_visit_engineer"


def test_the_engineer_still_walks_their_own_visit(visit):
    services.reconfirm_visit(actor=visit.engineer, visit=visit)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.CONFIRMED


# --- the API: 403 with {"code", "detail"}, before the body is read ---------------------------


def body_for(step: str, visit: Visit, engineer2) -> dict:
    if step == "handover":
        return {
            "to_engineer": engineer2.username,
            "start": WHEN.isoformat(),
            "end": (WHEN + timedelta(hours=1)).isoformat(),
            "note": "需登高",
            "reason": "需登高作业",
        }
    return FIELD_STEPS[step][1] or {}


@pytest.mark.parametrize("step", sorted(FIELD_STEPS))
@pytest.mark.parametrize("who", ["supervisor", "dispatcher2"])
def test_r21_the_api_refuses_the_desk_a_field_step_with_403(
    request, as_user, visit, engineer2, step, who
):
    api = as_user(request.getfixturevalue(who))
    url = f"/api/visits/{visit.pk}/{step}/"
    before = footprint(visit)
    for body in (body_for(step, visit, engineer2), {}):
        response = api.post(url, body, format="json")
        assert response.status_code == 403, (body, response.content)
        assert response.json()["code"] == "not_visit_engineer"
        assert response.json()["detail"]
    assert footprint(visit) == before


@pytest.mark.parametrize("step", sorted(DESK_STEPS))
def test_the_api_refuses_the_engineer_a_desk_step_with_403(as_user, visit, step):
    api = as_user(visit.engineer)
    before = footprint(visit)
    for body in (DESK_STEPS[step][1], {}):
        response = api.post(f"/api/visits/{visit.pk}/{step}/", body, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "desk_only"
    assert footprint(visit) == before


def test_r20_the_kit_api_refuses_the_desk_a_tick_with_403(as_user, visit, supervisor):
    response = as_user(supervisor).post(
        reverse("kit-visit-tick", args=[visit.pk]), {"item": 1}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_visit_engineer"
    assert not hasattr(Visit.objects.get(pk=visit.pk), "kit_run")


def test_the_api_still_lets_the_engineer_walk_their_visit(as_user, visit):
    response = as_user(visit.engineer).post(f"/api/visits/{visit.pk}/reconfirm/")
    assert response.status_code == 200
    assert response.json()["status"] == VisitStatus.CONFIRMED


# --- the pages: refused, and nothing changes ------------------------------------------------


PAGE_STEPS = {
    "reconfirm": "reconfirm",
    "depart": "depart",
    "late-notice": "late",
    "arrive": "arrive",
    "knock": "knock",
    "call-failed": "call_failed",
    "no-answer": "no_answer",
    "note": "note",
    "start-work": "start_work",
    "measurements": "measure",
    "outcome": "outcome",
    "reply": "reply",
    "handover": "handover",
    "handover/confirm": "handover_consent",
    "complaint": "complaint",
}


def test_every_api_field_step_has_its_page():
    assert set(PAGE_STEPS) == set(FIELD_STEPS)


@pytest.mark.parametrize("step", sorted(PAGE_STEPS))
def test_r21_the_pages_refuse_the_desk_a_field_step(login, visit, supervisor, step):
    client = login(supervisor)
    before = footprint(visit)
    response = client.post(reverse(f"visits:{PAGE_STEPS[step]}", args=[visit.pk]), {})
    assert response.status_code == 403
    assert footprint(visit) == before


def test_r24_the_card_page_refuses_the_desk_with_the_sentence(login, visit, supervisor):
    response = login(supervisor).post(reverse("surveys:card", args=[visit.pk]), {"item": "card"})
    assert response.status_code == 403
    assert visit.engineer.last_name in response.content.decode()


def test_the_booking_is_the_desks(visit, dispatcher, ticket):
    """Sanity: the fixture's visit was booked by the desk through the same service."""
    assert visit.booked_by == dispatcher
    with pytest.raises(PermissionDenied):
        book(visit.engineer, ticket, visit.engineer, WHEN)
