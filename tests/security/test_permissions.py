"""The permission matrix: every URL of the project, visited by every role (issue 8).

URLs are enumerated from the resolver, so a URL added without a row here fails
`test_every_url_is_in_the_matrix`. Each row names the object its URL needs and the answer each
role gets to a GET and to a POST, in the order of COLUMNS:

    anonymous  dispatcher  supervisor  engineer (own object)  engineer (another engineer's object)

Codes: L = redirect to the login page, A = redirect to the admin's login page, otherwise the
HTTP status. An anonymous visitor is sent to the login page (pages) or refused with 401 (API); a
role without access gets 403; an engineer asking for another engineer's visit (or its kit,
survey, reschedule request) gets 404, as if it did not exist (R21: an engineer sees only their
own visits). POSTs carry no body: a 400/409 shows the request reached the rule checks, which only
the roles allowed through get to; every POST runs in a savepoint rolled back afterwards.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.matrix import COLUMNS, Clients
from tests.security.world import build_world, url_patterns

pytestmark = pytest.mark.django_db

MATRIX = {
    "login": ("", "200 302 302 302 302", "200 302 302 302 302"),
    "logout": ("", "405 405 405 405 405", "L L L L L"),
    "set_language": ("", "302 302 302 302 302", "302 302 302 302 302"),
    # Open to all, no secret in the answer; 503 as no sweep has run in this world.
    "health": ("", "503 503 503 503 503", "405 405 405 405 405"),
    "health-live": ("", "200 200 200 200 200", "405 405 405 405 405"),
    "api-dashboard": ("", "401 403 200 403 403", "401 403 405 403 403"),
    "ticket-list": ("", "401 200 200 403 403", "401 400 400 403 403"),
    "ticket-detail": ("ticket", "401 200 200 403 403", "401 405 405 403 403"),
    "ticket-close": ("ticket", "401 405 405 403 403", "401 400 400 403 403"),
    "ticket-contact": ("ticket", "401 405 405 403 403", "401 400 400 403 403"),
    "ticket-transfer": ("ticket", "401 405 405 403 403", "401 400 400 403 403"),
    "visit-list": ("", "401 200 200 200 200", "401 400 400 400 400"),
    "visit-availability": ("", "401 400 400 400 400", "401 405 405 405 405"),
    "visit-detail": ("visit", "401 200 200 200 404", "401 405 405 405 405"),
    "visit-arrive": ("visit", "401 405 405 405 405", "401 403 409 409 404"),
    "visit-call-failed": ("visit", "401 405 405 405 405", "401 403 409 409 404"),
    "visit-cancel": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-complaint": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-depart": ("visit", "401 405 405 405 405", "401 403 409 409 404"),
    "visit-handover": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-knock": ("visit", "401 405 405 405 405", "401 403 409 409 404"),
    "visit-late-notice": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-measurements": ("visit", "401 200 200 200 404", "401 400 400 400 404"),
    "visit-no-answer": ("visit", "401 405 405 405 405", "401 403 409 409 404"),
    "visit-note": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-outcome": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-reconfirm": ("visit", "401 405 405 405 405", "401 403 409 409 404"),
    "visit-reply": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-request-cancel": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-request-reschedule": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-reschedule": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "visit-start-work": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "reschedule-request-list": ("", "401 200 200 403 403", "401 405 405 403 403"),
    "reschedule-request-approve": ("request", "401 405 405 403 403", "401 403 409 403 403"),
    "reschedule-request-reject": ("request", "401 405 405 403 403", "401 403 200 403 403"),
    "kit-visit-detail": ("visit", "401 200 200 200 404", "401 405 405 405 405"),
    "kit-visit-gate": ("visit", "401 409 409 409 404", "401 405 405 405 405"),
    "kit-visit-tick": ("visit", "401 405 405 405 405", "401 400 400 400 404"),
    "kit-item-list": ("", "401 403 200 403 403", "401 403 400 403 403"),
    "kit-item-detail": ("item", "401 403 405 403 403", "401 403 405 403 403"),
    "kit-item-move": ("item", "401 403 405 403 403", "401 403 400 403 403"),
    "kit-item-restore": ("item", "401 403 405 403 403", "401 403 200 403 403"),
    "kit-item-retire": ("item", "401 403 405 403 403", "401 403 200 403 403"),
    "kit-report-list": ("", "401 403 200 403 403", "401 403 405 403 403"),
    "survey-link-list": ("", "401 405 405 405 405", "401 201 201 201 404"),
    "survey-response-list": ("", "401 200 200 200 200", "401 405 405 405 405"),
    "survey-response-detail": ("response", "401 200 200 200 404", "401 405 405 405 405"),
    "survey-question-list": ("", "401 200 200 200 200", "401 405 405 405 405"),
    "survey-question-detail": ("question", "401 200 200 200 200", "401 405 405 405 405"),
    "api-schema": ("", "401 200 200 200 200", "401 405 405 405 405"),
    "api-docs": ("", "L 200 200 200 200", "L 405 405 405 405"),
    "visits:board": ("", "L 200 200 403 403", "L 200 200 403 403"),
    "visits:book": ("ticket", "L 200 200 403 403", "L 200 200 403 403"),
    "visits:check": ("", "L 200 200 403 403", "L 200 200 403 403"),
    "visits:reschedule": ("visit", "L 200 200 403 403", "L 200 200 403 403"),
    "visits:cancel": ("visit", "L 200 200 403 403", "L 200 200 403 403"),
    "visits:decide": ("request", "405 405 405 405 405", "L 403 400 403 403"),
    "visits:today": ("", "L 403 403 200 200", "L 403 403 200 200"),
    "visits:detail": ("visit", "L 200 200 200 404", "L 200 200 200 404"),
    "visits:reconfirm": ("visit", "405 405 405 405 405", "L 403 403 302 404"),
    "visits:depart": ("visit", "405 405 405 405 405", "L 403 403 302 404"),
    "visits:late": ("visit", "405 405 405 405 405", "L 403 403 400 404"),
    "visits:arrive": ("visit", "405 405 405 405 405", "L 403 403 302 404"),
    "visits:knock": ("visit", "405 405 405 405 405", "L 403 403 302 404"),
    "visits:call_failed": ("visit", "405 405 405 405 405", "L 403 403 302 404"),
    "visits:no_answer": ("visit", "405 405 405 405 405", "L 403 403 302 404"),
    "visits:note": ("visit", "405 405 405 405 405", "L 403 403 400 404"),
    "visits:start_work": ("visit", "405 405 405 405 405", "L 403 403 400 404"),
    "visits:measure": ("visit", "405 405 405 405 405", "L 403 403 400 404"),
    "visits:outcome": ("visit", "405 405 405 405 405", "L 403 403 400 404"),
    "visits:reply": ("visit", "405 405 405 405 405", "L 403 403 400 404"),
    "visits:handover": ("visit", "405 405 405 405 405", "L 403 403 400 404"),
    "visits:complaint": ("visit", "405 405 405 405 405", "L 403 403 400 404"),
    "checklists:my_kits": ("", "L 403 403 200 200", "L 403 403 200 200"),
    "checklists:visit_kit": ("visit", "L 200 200 200 404", "L 200 200 200 404"),
    "checklists:visit_kit_tick": ("visit", "405 405 405 405 405", "L 403 403 302 404"),
    "checklists:items": ("", "L 403 200 403 403", "L 403 200 403 403"),
    "checklists:item_add": ("", "405 405 405 405 405", "L 403 400 403 403"),
    "checklists:item_edit": ("item", "L 403 200 403 403", "L 403 200 403 403"),
    "checklists:item_move": ("item", "405 405 405 405 405", "L 403 302 403 403"),
    "checklists:item_active": ("item", "405 405 405 405 405", "L 403 302 403 403"),
    "checklists:report": ("", "L 403 200 403 403", "L 403 200 403 403"),
    "surveys:home": ("", "L 302 302 302 302", "L 302 302 302 302"),
    "surveys:visits": ("", "L 200 200 200 200", "L 200 200 200 200"),
    "surveys:handoff": ("visit", "L 200 200 200 404", "L 200 200 200 404"),
    "surveys:handoff_status": ("visit", "L 200 200 200 404", "L 200 200 200 404"),
    "surveys:issue": ("visit", "405 405 405 405 405", "L 302 302 302 404"),
    "surveys:card": ("visit", "405 405 405 405 405", "L 400 400 400 404"),
    "surveys:customer": ("token", "200 200 200 200 200", "200 200 200 200 200"),
    "surveys:results": ("", "L 403 200 403 403", "L 403 200 403 403"),
    "surveys:comments": ("", "L 403 200 403 403", "L 403 200 403 403"),
    "surveys:response": ("response", "L 200 200 200 404", "L 200 200 200 404"),
    "surveys:signature": ("response", "L 200 200 200 404", "L 200 200 200 404"),
    "surveys:questions": ("", "L 403 200 403 403", "L 403 200 403 403"),
    "surveys:question_new": ("", "L 403 200 403 403", "L 403 200 403 403"),
    "surveys:question_edit": ("question", "L 403 200 403 403", "L 403 200 403 403"),
    "dispatch:home": ("", "L 200 302 302 302", "L 200 302 302 302"),
    "dispatch:ticket_list": ("", "L 200 200 403 403", "L 200 200 403 403"),
    "dispatch:ticket_create": ("", "L 200 200 403 403", "L 200 200 403 403"),
    "dispatch:ticket_detail": ("ticket", "L 200 200 403 403", "L 200 200 403 403"),
    "dispatch:ticket_transfer": ("ticket", "405 405 405 405 405", "L 400 400 403 403"),
    "dispatch:ticket_contact": ("ticket", "405 405 405 405 405", "L 400 400 403 403"),
    "dispatch:ticket_close": ("ticket", "405 405 405 405 405", "L 400 400 403 403"),
    "dispatch:supervisor": ("", "L 403 200 403 403", "L 403 200 403 403"),
    "dispatch:dashboard_row_actions": ("ticket", "L 403 200 403 403", "405 405 405 405 405"),
    "dispatch:dashboard_contact": ("ticket", "405 405 405 405 405", "L 403 200 403 403"),
    "dispatch:dashboard_reassign": ("ticket", "405 405 405 405 405", "L 403 200 403 403"),
    "dispatch:alerts": ("", "L 200 200 200 200", "L 200 200 200 200"),
    "dispatch:alerts_read": ("", "405 405 405 405 405", "L 302 302 302 302"),
    "dispatch:outbox": ("", "L 403 200 403 403", "L 403 200 403 403"),
    "dispatch:outbox_retry": ("notification", "405 405 405 405 405", "L 403 302 403 403"),
    "dispatch:language_check": ("", "405 405 405 405 405", "L 200 200 200 200"),
}

# Bodies for POSTs whose object is named in the body rather than the URL.
BODIES = {
    "survey-link-list": lambda w, other: {
        "visit": (w.other_visit if other else w.visit).pk,
        "channel": "sms",
    },
}


def kwargs_for(kind: str, w, other: bool) -> dict:
    """The URL's arguments for the matrix's object kind; `other` picks another engineer's."""
    objects = {
        "": {},
        "ticket": {"number": w.ticket.number},
        "token": {"token": w.token},
        "visit": {"pk": (w.other_visit if other else w.visit).pk},
        "request": {"pk": (w.other_request if other else w.request).pk},
        "response": {"pk": (w.other_response if other else w.response).pk},
        "item": {"pk": w.item.pk},
        "notification": {"pk": w.notification.pk},
        "question": {"pk": w.question.pk},
    }
    return objects[kind]


# Query strings for pages that need one to say anything (the booking form's htmx check).
QUERIES = {
    "visits:check": lambda w: f"?ticket={w.ticket.number}",
}


def answers(clients: Clients, w, name: str, kind: str, method: str) -> str:
    """The row's answers to one method, one code per column, space-separated."""
    codes = []
    for column in COLUMNS:
        other = column == "other_engineer"
        url = reverse(name, kwargs=kwargs_for(kind, w, other))
        url += QUERIES.get(name, lambda w: "")(w)
        body = BODIES[name](w, other) if method == "post" and name in BODIES else None
        codes.append(clients.answer(column, method, url, body))
    return " ".join(codes)


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def project_urls():
    """URLs of the project's own apps (the admin's are checked apart, below)."""
    return [(n, r) for n, r in url_patterns() if not r.startswith("admin/")]


def admin_path(route: str) -> str:
    """A concrete path for an admin route: converters become 1, app_label its first choice."""
    path = re.sub(r"\(\?P<app_label>([\w]+)[^)]*\)", r"\1", route)
    path = re.sub(r"<[^>]+>|\(\?P<[^>]+>[^)]*\)", "1", path)
    return "/" + path.replace("^", "").replace("$", "")


def test_every_url_is_in_the_matrix():
    names = [name for name, _ in project_urls()]
    # DEBUG's media serving (no name) is the only unnamed pattern allowed.
    unnamed = [r for n, r in project_urls() if not n]
    assert all(r.startswith("^media/") for r in unnamed), unnamed
    missing = sorted({n for n in names if n} - set(MATRIX))
    assert not missing, f"URLs without a row in the permission matrix: {missing}"
    stale = sorted(set(MATRIX) - set(names))
    assert not stale, f"Matrix rows for URLs that no longer exist: {stale}"


def test_each_role_gets_the_answer_it_should(world):
    clients = Clients(world)
    wrong = []
    for name, _ in project_urls():
        if not name:
            continue
        kind, expected_get, expected_post = MATRIX[name]
        for method, expected in (("get", expected_get), ("post", expected_post)):
            got = answers(clients, world, name, kind, method)
            if got != expected:
                wrong.append(f"{method.upper()} {name}: expected {expected}, got {got}")
    assert not wrong, "\n" + "\n".join(wrong)


def test_the_admin_lets_no_role_in(world):
    """No role is staff: every admin page sends every role, and anonymous, to the admin's login."""
    clients = Clients(world)
    routes = [r for _, r in url_patterns() if r.startswith("admin/")]
    assert len(routes) > 20
    wrong = []
    for route in routes:
        path = admin_path(route)
        if path in ("/admin/login/", "/admin/logout/"):
            continue
        for method in ("get", "post"):
            got = " ".join(clients.answer(c, method, path) for c in COLUMNS[:4])
            if got != "A A A A":
                wrong.append(f"{method.upper()} {path}: {got}")
    assert not wrong, "\n" + "\n".join(wrong)


PUBLIC = {"login", "set_language", "surveys:customer", "health", "health-live"}


def test_the_customer_link_opens_its_survey_and_nothing_else(world):
    """The customer has no account: the single-use token of the SMS opens that visit's survey
    (R22), a made-up token opens nothing, and holding a link gives no way into staff pages."""
    customer = Client()
    page = customer.get(reverse("surveys:customer", args=[world.token]))
    assert page.status_code == 200
    assert "服务监督调查表" in page.content.decode()
    forged = customer.get(reverse("surveys:customer", args=[world.token[:-2] + "xx"]))
    assert forged.status_code == 404

    wrong = []
    for name, _ in project_urls():
        if not name or name in PUBLIC:
            continue
        url = reverse(name, kwargs=kwargs_for(MATRIX[name][0], world, False))
        response = customer.get(url)
        refused = response.status_code in (401, 403, 405) or (
            response.status_code == 302 and response["Location"].startswith("/login/")
        )
        if not refused:
            wrong.append(f"{name}: {response.status_code}")
    assert not wrong, wrong
