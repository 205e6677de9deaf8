"""CSRF on every form (issue 8): each POST form rendered on the project's pages carries the
token, or is an htmx form sent with the X-CSRFToken header of base.html; a POST without the token
is refused with 403 on every URL that takes a POST, pages and API (session) alike."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.test_permissions import (
    BODIES,
    MATRIX,
    QUERIES,
    kwargs_for,
    project_urls,
)
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

ROLES = ("dispatcher", "supervisor", "engineer")
COLUMN = {"anonymous": 0, "dispatcher": 1, "supervisor": 2, "engineer": 3}
HTMX_CSRF = re.compile(r"""<body[^>]*hx-headers='\{"X-CSRFToken": "[\w-]{32,}"\}'""")


class Forms(HTMLParser):
    """The page's forms: method, action, htmx attributes and whether the token is inside."""

    def __init__(self):
        super().__init__()
        self.forms, self._open = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._open = {"attrs": attrs, "token": False}
            self.forms.append(self._open)
        elif tag == "input" and self._open and attrs.get("name") == "csrfmiddlewaretoken":
            self._open["token"] = bool(attrs.get("value"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def url_of(name, world, query=True):
    url = reverse(name, kwargs=kwargs_for(MATRIX[name][0], world, False))
    return url + (QUERIES.get(name, lambda w, other: "")(world, False) if query else "")


def pages_by_role():
    """(role, URL name) for every page a role may GET (200 in the matrix), and the login and
    customer pages for the anonymous visitor."""
    for name, _ in project_urls():
        if not name or name.startswith("api-") or "-" in name.split(":")[-1]:
            continue  # the API's names have dashes; its schema pages have no forms of ours
        codes = MATRIX[name][1].split()
        for role in ("anonymous", *ROLES):
            if codes[COLUMN[role]] == "200":
                yield role, name


def test_every_post_form_carries_the_csrf_token(world):
    clients = {"anonymous": Client()}
    for role in ROLES:
        clients[role] = Client()
        clients[role].force_login(getattr(world, role))
    seen, wrong = 0, []
    for role, name in pages_by_role():
        response = clients[role].get(url_of(name, world))
        if response.get("Content-Type", "").split(";")[0] != "text/html":
            continue  # the signature image
        html = response.content.decode()
        htmx_header = bool(HTMX_CSRF.search(html))
        for form in forms_of(html):
            attrs = form["attrs"]
            is_htmx = any(a in attrs for a in ("hx-post", "hx-put", "hx-patch", "hx-delete"))
            if attrs.get("method", "get").lower() != "post" and not is_htmx:
                continue
            seen += 1
            if not (form["token"] or (is_htmx and htmx_header)):
                wrong.append(f"{role} {name}: form {attrs} has no CSRF token")
        # A fragment (no <body>) lands in a page that has the header; its forms carry their own
        # token, checked above.
        if "hx-post" in html and "<body" in html and not htmx_header:
            wrong.append(f"{role} {name}: htmx POSTs without the X-CSRFToken header")
    assert not wrong, "\n".join(wrong)
    assert seen > 30  # the forms of the desk, the field and the survey pages were looked at


def post_cases():
    """(URL name, role) for every URL that takes a POST: the first role the matrix lets
    through (not a redirect to login, 401, 403, 404 or 405)."""
    for name, _ in project_urls():
        if not name or name in ("logout", "set_language"):
            continue
        codes = MATRIX[name][2].split()
        for role, column in COLUMN.items():
            if codes[column] not in ("L", "401", "403", "404", "405"):
                yield name, role
                break


def test_a_post_without_the_token_is_refused(world):
    cases = list(post_cases())
    assert len(cases) > 60
    wrong = []
    for name, role in cases:
        client = Client(enforce_csrf_checks=True)
        if role != "anonymous":
            client.force_login(getattr(world, role))
        url = url_of(name, world)
        if name in BODIES:
            response = client.post(url, BODIES[name](world, False), content_type="application/json")
        else:
            response = client.post(url, {})
        if response.status_code != 403:
            wrong.append(f"{role} POST {name}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_logout_and_language_need_the_token_too(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dispatcher)
    assert client.post(reverse("logout")).status_code == 403
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 403
    # Still logged in: the forged logout did nothing.
    assert client.get(reverse("dispatch:ticket_list")).status_code == 200
