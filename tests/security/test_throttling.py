"""API hygiene (issue 11): throttles per scope, 401 for a bad token, the schema for staff only.

Every answer here is one a client program notices: a 429 that says when to come back, a 401
that names the scheme to authenticate with, and no schema for an anonymous visitor."""

import uuid

import pytest
from django.conf import settings as django_settings
from django.urls import get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def api_views(resolver=None, prefix=""):
    """Every DRF view the URL conf routes to, as (route, view class)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from api_views(pattern, prefix + str(pattern.pattern))
            continue
        cls = getattr(pattern.callback, "cls", None)
        if cls is not None:
            yield prefix + str(pattern.pattern), cls


def test_every_api_view_counts_against_a_scope_with_a_rate():
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    views = list(api_views())
    assert len(views) > 20
    unthrottled = [route for route, cls in views if getattr(cls, "throttle_scope", None) is None]
    assert not unthrottled, f"API views without a throttle_scope: {unthrottled}"
    unrated = sorted({cls.throttle_scope for _, cls in views} - set(rates))
    assert not unrated, f"throttle scopes without a rate in settings: {unrated}"


@pytest.fixture
def low_rates(settings):
    """Two questions a minute in the "surveys" scope, counted in a namespace of this test's own
    in the real cache (Redis under `make test`)."""
    cache = dict(settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"throttle-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": cache}
    rest = settings.REST_FRAMEWORK
    rates = {**rest["DEFAULT_THROTTLE_RATES"], "surveys": "2/min"}
    settings.REST_FRAMEWORK = {**rest, "DEFAULT_THROTTLE_RATES": rates}


def test_a_user_over_the_rate_gets_429_with_when_to_come_back(low_rates, engineer, engineer2):
    api = APIClient()
    api.force_authenticate(engineer)
    assert [api.get("/api/survey-questions/").status_code for _ in range(2)] == [200, 200]
    refused = api.get("/api/survey-questions/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 60
    # Another scope, and another user, count apart.
    assert api.get("/api/visits/").status_code == 200
    other = APIClient()
    other.force_authenticate(engineer2)
    assert other.get("/api/survey-questions/").status_code == 200


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token ", "Bearer abc"])
def test_a_bad_or_missing_token_is_401_with_the_scheme_to_use(header):
    api = APIClient()
    if header.startswith("Token"):
        api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/visits/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"code", "detail"}


def test_a_good_token_still_works_and_the_session_still_needs_csrf(engineer):
    token = Token.objects.create(user=engineer)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/visits/").status_code == 200
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(engineer)
    assert browser.get("/api/visits/").status_code == 200
    refused = browser.post("/api/visits/", {}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]


class TestTheSchemaIsForStaff:
    def test_anonymous_gets_no_schema_and_is_sent_to_login_for_the_docs(self, client):
        assert APIClient().get("/api/schema/").status_code == 401
        docs = client.get("/api/docs/")
        assert docs.status_code == 302 and docs["Location"].startswith("/login/")

    def test_a_user_without_a_role_gets_neither(self, client):
        nobody = make_user(None, username="nobody")
        api = APIClient()
        api.force_authenticate(nobody)
        assert api.get("/api/schema/").status_code == 403
        client.force_login(nobody)
        assert client.get("/api/docs/").status_code == 403

    @pytest.mark.parametrize("role", ["dispatcher", "supervisor", "engineer"])
    def test_every_role_reads_the_schema_and_the_docs(self, role, client):
        user = make_user(role, username=f"{role}_docs")
        api = APIClient()
        api.force_authenticate(user)
        schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert schema.status_code == 200
        assert "/api/visits/" in schema.json()["paths"]
        client.force_login(user)
        assert client.get("/api/docs/").status_code == 200
