"""The day optimizer in the API (issue 19): the plan of a team's day and one move accepted at a
time, through the same services as the page (planning.optimizer, visits.services.reassign_visit:
R7, R11, R26). Errors are {"code", "detail"}; users never read a rule id."""

import re

import pytest
from django.urls import reverse

from dispatch.models import Notification, Team
from tests.factories import open_ticket
from tests.planning.conftest import PANYU, TIANHE, at
from tests.visits.factories import book
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db

RULE_ID = re.compile(r"\bR\d{1,2}\b")


def tomorrow() -> str:
    return at(0, day=1).date().isoformat()


def test_the_plan_lists_each_move_with_the_body_to_accept_it(crossed, dispatcher, near, far, api):
    a, b = crossed
    api.force_authenticate(dispatcher)
    answer = api.get(reverse("planning-day"), {"day": tomorrow()})
    assert answer.status_code == 200, answer.json()
    plan = answer.json()
    assert plan["day"] == tomorrow()
    assert plan["travel_saved_minutes"] > 60
    assert (
        plan["booked"]["travel_minutes"] - plan["optimized"]["travel_minutes"]
        == (plan["travel_saved_minutes"])
    )
    moves = {m["visit"]: m for m in plan["moves"]}
    assert moves[a.pk]["from_engineer"] == "far" and moves[a.pk]["to_engineer"] == "near"
    assert moves[a.pk]["accept"] == {"visit": a.pk, "engineer": "near"}
    assert moves[b.pk]["to_engineer_name"] == "王远"
    routes = {r["engineer"]: [v["visit"] for v in r["visits"]] for r in plan["routes"]}
    assert routes == {"near": [a.pk], "far": [b.pk]}


def test_accepting_a_move_keeps_the_time_and_texts_the_customer_the_new_name(
    crossed, dispatcher, near, api
):
    """R26: the customer's standard booking SMS names the engineer who now comes; R11: the
    agreed time is the same."""
    a, _b = crossed
    api.force_authenticate(dispatcher)
    move = next(
        m
        for m in api.get(reverse("planning-day"), {"day": tomorrow()}).json()["moves"]
        if m["visit"] == a.pk
    )
    answer = api.post(reverse("planning-move-accept"), move["accept"], format="json")
    assert answer.status_code == 201, answer.json()
    new = Visit.objects.get(pk=answer.json()["id"])
    assert (new.engineer, new.start, new.end) == (near, a.start, a.end)
    assert Visit.objects.get(pk=a.pk).status == VisitStatus.RESCHEDULED
    sms = Notification.objects.get(key=f"visit:{new.pk}:booked")
    assert sms.template == "visit_booked"
    assert sms.to_phone == a.ticket.phone
    assert "李近" in sms.body and "10:00" in sms.body


def test_every_move_accepted_leaves_every_customer_their_agreed_time(
    clock, dispatcher, near, far, api
):
    """The optimizer never proposes another time: a day booked badly (both engineers across
    town, one visit late as booked) is re-planned by engineer alone, and once every move is
    accepted each ticket's visit starts and ends exactly when agreed."""
    api.force_authenticate(dispatcher)
    booked = []
    for hour, place, engineer in (
        (8, TIANHE, far),  # from Panyu at 08:00 it is late: only another engineer can help
        (11, PANYU, near),
        (14, TIANHE, far),
        (17, PANYU, near),
    ):
        ticket = open_ticket(dispatcher, latitude=place[0], longitude=place[1])
        booked.append(book(dispatcher, ticket, engineer, at(hour, 15, day=1)))
    agreed = {v.ticket_id: (v.start, v.end) for v in booked}
    plan = api.get(reverse("planning-day"), {"day": tomorrow()}).json()
    assert plan["moves"], plan
    assert plan["optimized"]["late_minutes"] <= plan["booked"]["late_minutes"]
    for move in plan["moves"]:
        visit = Visit.objects.get(pk=move["visit"])
        assert (move["start"], move["end"]) == (
            visit.start.astimezone(at(0).tzinfo).isoformat(),
            visit.end.astimezone(at(0).tzinfo).isoformat(),
        )
        answer = api.post(reverse("planning-move-accept"), move["accept"], format="json")
        assert answer.status_code == 201, answer.json()
    now = {
        v.ticket_id: (v.start, v.end)
        for v in Visit.objects.filter(ticket_id__in=agreed).exclude(status="rescheduled")
    }
    assert now == agreed


def test_a_move_accepted_twice_is_refused_in_words(crossed, dispatcher, near, api):
    a, _b = crossed
    api.force_authenticate(dispatcher)
    body = {"visit": a.pk, "engineer": "near"}
    assert api.post(reverse("planning-move-accept"), body, format="json").status_code == 201
    again = api.post(reverse("planning-move-accept"), body, format="json")
    assert again.status_code == 409
    assert set(again.json()) >= {"code", "detail"}
    assert not RULE_ID.search(again.json()["detail"])


def test_r11_a_visit_within_two_hours_is_not_moved(clock, dispatcher, near, far, api):
    ticket = open_ticket(dispatcher, latitude=TIANHE[0], longitude=TIANHE[1])
    soon = book(dispatcher, ticket, far, at(10, 30))
    api.force_authenticate(dispatcher)
    plan = api.get(reverse("planning-day"), {"day": at(0).date().isoformat()}).json()
    assert plan["moves"] == []
    answer = api.post(
        reverse("planning-move-accept"), {"visit": soon.pk, "engineer": "near"}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "reassign_too_late"
    assert "2" in answer.json()["detail"] and not RULE_ID.search(answer.json()["detail"])


def test_r7_a_move_onto_an_engineer_booked_meanwhile_is_refused(crossed, dispatcher, near, api):
    a, _b = crossed
    book(dispatcher, open_ticket(dispatcher), near, a.start)
    api.force_authenticate(dispatcher)
    answer = api.post(
        reverse("planning-move-accept"), {"visit": a.pk, "engineer": "near"}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "engineer_busy"
    assert Visit.objects.get(pk=a.pk).status == VisitStatus.BOOKED


def test_bad_input_is_a_400_with_a_code_and_a_sentence(clock, dispatcher, near, api):
    api.force_authenticate(dispatcher)
    url = reverse("planning-day")
    assert api.get(url, {"day": "1900-01-01"}).json()["code"] == "date_out_of_range"
    assert api.get(url, {"day": "tomorrow"}).status_code == 400
    unknown = api.get(url, {"team": 99999})
    assert unknown.status_code == 400 and unknown.json()["code"] == "team_not_found"
    accept = reverse("planning-move-accept")
    empty = api.post(accept, {}, format="json")
    assert empty.status_code == 400 and set(empty.json()["errors"]) == {"visit", "engineer"}
    gone = api.post(accept, {"visit": 99999, "engineer": "nobody"}, format="json")
    assert gone.status_code == 400 and gone.json()["field"] == "engineer"
    missing = api.post(accept, {"visit": 99999, "engineer": "near"}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "visit_not_found"
    assert missing.json()["field"] == "visit"


def test_a_team_plans_its_own_engineers_only(crossed, dispatcher, near, far, api):
    team = Team.objects.create(name="天河组")
    team.members.set([near])
    api.force_authenticate(dispatcher)
    plan = api.get(reverse("planning-day"), {"day": tomorrow(), "team": team.pk}).json()
    assert plan["moves"] == []  # one engineer: nobody to swap with
    assert [r["engineer"] for r in plan["routes"]] == ["near"]


def test_only_the_desk_plans_and_accepts(crossed, near, api):
    a, _b = crossed
    api.force_authenticate(near)
    assert api.get(reverse("planning-day")).status_code == 403
    body = {"visit": a.pk, "engineer": "near"}
    assert api.post(reverse("planning-move-accept"), body, format="json").status_code == 403
