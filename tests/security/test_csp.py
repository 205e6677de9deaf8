"""Content-Security-Policy (issue 11): every answer carries the policy, and no page of the
permission matrix's world holds a script the policy would let an attacker slip in: no inline
script without the page's nonce, no inline event handler, no hx-on (htmx runs without eval), no
javascript: URL."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_user, open_ticket
from tests.security.test_permissions import MATRIX, QUERIES, kwargs_for, project_urls
from tests.security.world import build_world
from tests.visits.factories import book

pytestmark = pytest.mark.django_db


class Scripts(HTMLParser):
    """Collects what a page would run: inline scripts with their nonce, handlers, js: URLs."""

    def __init__(self):
        super().__init__()
        self.inline_nonces: list[str | None] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            kind = (attributes.get("type") or "text/javascript").lower()
            if kind not in ("application/json", "application/ld+json"):
                self.inline_nonces.append(attributes.get("nonce"))
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def check_page(response) -> list[str]:
    """What is wrong with one HTML answer under its policy."""
    if "Content-Security-Policy" not in response:
        return ["no Content-Security-Policy header"]
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    parser = Scripts()
    parser.feed(response.content.decode())
    problems = list(parser.problems)
    allowed = {s.removeprefix("'nonce-").removesuffix("'") for s in policy(response)["script-src"]}
    for nonce in parser.inline_nonces:
        if nonce is None or nonce not in allowed:
            problems.append(f"inline <script> with nonce {nonce!r}")
    return problems


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def test_the_policy_allows_no_inline_script_and_no_eval(client):
    directives = policy(client.get(reverse("login")))
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_every_page_of_the_matrix_runs_only_what_the_policy_allows(world):
    """Each role opens every page of the project (its own objects); each answer has the header,
    each HTML page only scripts from files or with that answer's nonce."""
    wrong = []
    for user in (None, world.dispatcher, world.supervisor, world.engineer):
        client = Client()
        if user is not None:
            client.force_login(user)
        for name, _route in project_urls():
            if not name or name == "logout":
                continue
            url = reverse(name, kwargs=kwargs_for(MATRIX[name][0], world, False))
            url += QUERIES.get(name, lambda w, other: "")(world, False)
            for problem in check_page(client.get(url)):
                wrong.append(f"{name} as {user or 'anonymous'}: {problem}")
    assert not wrong, "\n".join(wrong)


def test_pages_of_a_visit_still_to_come_follow_the_policy(world):
    """The world's visits have ended; a booked one shows the desk's reschedule and cancel
    dialogs (htmx) and the engineer's field steps."""
    ticket = open_ticket(world.dispatcher, customer_name="孙先生", phone="13700137000")
    visit = book(world.dispatcher, ticket, world.engineer, timezone.now() + timedelta(days=1))
    wrong = []
    for user, names in (
        (world.dispatcher, ["visits:detail", "visits:reschedule", "visits:cancel"]),
        (world.engineer, ["visits:detail", "checklists:visit_kit", "surveys:handoff"]),
    ):
        client = Client()
        client.force_login(user)
        for name in names:
            response = client.get(reverse(name, kwargs={"pk": visit.pk}))
            wrong += [f"{name} as {user}: {p}" for p in check_page(response)]
    assert not wrong, wrong


def test_htmx_partials_and_the_admin_follow_the_policy_too(world):
    admin = make_user("supervisor", username="csp_admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    pages = [
        "/admin/",
        "/admin/surveys/question/",
        f"/admin/surveys/question/{world.question.pk}/change/",
        "/admin/surveys/question/add/",
        "/api/docs/",
    ]
    wrong = [f"{url}: {p}" for url in pages for p in check_page(client.get(url))]
    partial = client.get(reverse("supervision:supervisor"), HTTP_HX_REQUEST="true")
    wrong += [f"dashboard partial: {p}" for p in check_page(partial)]
    assert not wrong, wrong


def test_the_api_docs_inline_script_carries_the_nonce(world):
    client = Client()
    client.force_login(world.supervisor)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in response.content.decode()
