"""R7's availability check shows free/busy, nothing more (issue 11, the leak).

Another person's calendar is free/busy only (time ranges: no ticket, customer or address) and
only for the desk; an engineer may ask about themselves alone. The same holds for the one
other path that tells an engineer about a colleague's time: the handover's clash message.
"""

import pytest

from dispatch.errors import PermissionDenied
from tests.factories import open_ticket
from tests.visits.conftest import AFTERNOON, minutes
from tests.visits.factories import arrived, book
from visits import selectors

pytestmark = pytest.mark.django_db

URL = "/api/visits/availability/"


def window(engineer, start: int = 30, end: int = 90) -> dict:
    """The engineer's time from `start` to `end` minutes after 14:00."""
    return {
        "engineer": engineer.username,
        "start": (AFTERNOON + minutes(start)).isoformat(),
        "end": (AFTERNOON + minutes(end)).isoformat(),
    }


def test_r7_an_engineer_cannot_read_another_engineers_calendar(as_user, visit, engineer2):
    response = as_user(engineer2).get(URL, window(visit.engineer))
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "not_your_calendar" and body["detail"]
    text = response.content.decode()
    for secret in (visit.ticket.number, visit.ticket.customer_name, visit.ticket.address):
        assert secret not in text


@pytest.mark.parametrize("role", ["dispatcher", "supervisor"])
def test_r7_the_desk_sees_free_busy_and_nothing_about_the_visit(request, as_user, visit, role):
    response = as_user(request.getfixturevalue(role)).get(URL, window(visit.engineer))
    assert response.status_code == 200
    assert response.json() == {
        "free": False,
        "busy": [{"start": "2026-11-23T14:00:00+08:00", "end": "2026-11-23T15:00:00+08:00"}],
    }
    text = response.content.decode()
    for secret in (visit.ticket.number, visit.ticket.customer_name, visit.ticket.address):
        assert secret not in text


def test_r7_an_engineer_asks_about_their_own_time(as_user, visit):
    api = as_user(visit.engineer)
    assert api.get(URL, window(visit.engineer)).json()["free"] is False
    later = window(visit.engineer, 60, 120)
    assert api.get(URL, later).json() == {"free": True, "busy": []}


def test_r7_adjacent_and_excluded_visits_are_free(as_user, dispatcher, visit):
    api = as_user(dispatcher)
    params = window(visit.engineer)
    assert api.get(URL, {**params, "exclude": visit.pk}).json()["free"] is True
    params = window(visit.engineer, 60, 90)
    assert api.get(URL, params).json()["free"] is True


def test_r7_the_selector_refuses_a_colleagues_calendar(visit, engineer2):
    with pytest.raises(PermissionDenied):
        selectors.busy_times(engineer2, engineer=visit.engineer, start=visit.start, end=visit.end)
    assert selectors.busy_times(
        visit.engineer, engineer=visit.engineer, start=visit.start, end=visit.end
    ) == [(visit.start, visit.end)]


def test_r16_a_handover_clash_names_the_time_not_the_colleagues_ticket(
    as_user, clock, dispatcher, ticket, visit, engineer2
):
    """The engineer handing over learns that the colleague is busy then, not for which ticket."""
    other = book(
        dispatcher, open_ticket(dispatcher, customer_name="孙女士"), engineer2, visit.start
    )
    arrived(visit)
    response = as_user(visit.engineer).post(
        f"/api/visits/{visit.pk}/handover/",
        {
            "to_engineer": engineer2.username,
            "start": visit.start.isoformat(),
            "end": visit.end.isoformat(),
            "note": "需登高",
            "reason": "需登高作业",
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "engineer_busy"
    assert other.ticket.number not in response.json()["detail"]
    assert "14:00" in response.json()["detail"]


def test_r21_no_other_read_path_shows_an_engineer_a_colleagues_visits(
    as_user, login, visit, engineer2
):
    """The other ways in: the list's ?engineer= filter stays inside the engineer's own visits,
    the day board is the desk's, and a colleague's visit page is 404."""
    api = as_user(engineer2)
    listed = api.get("/api/visits/", {"engineer": visit.engineer.username}).json()
    assert listed["results"] == []
    listed = api.get("/api/visits/", {"ticket": visit.ticket.number}).json()
    assert listed["results"] == []
    assert api.get(f"/api/visits/{visit.pk}/").status_code == 404
    page = login(engineer2)
    assert page.get("/visits/board/").status_code == 403
    assert page.get(f"/visits/{visit.pk}/").status_code == 404
