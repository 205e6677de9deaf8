import pytest
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import make_user, open_ticket


@pytest.fixture(autouse=True)
def centre_language():
    """Each test starts in the centre's language (zh-Hans). A request in English (the test
    client after /i18n/setlang/) leaves English active in the thread (LocaleMiddleware), and a
    service's message read by the next test on that worker came out in English."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Every test user gets a password and most log in: PBKDF2's 1.2 million rounds cost about
    0.2 s of CPU each time, a minute or more over the suite. Tests hash with MD5 instead, as
    Django's documentation advises; production settings are untouched."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def dispatcher(db):
    return make_user("dispatcher", username="dispatcher_a")


@pytest.fixture
def dispatcher2(db):
    return make_user("dispatcher", username="dispatcher_b")


@pytest.fixture
def supervisor(db):
    return make_user("supervisor", username="supervisor_a")


@pytest.fixture
def engineer(db):
    return make_user("engineer", username="engineer_a")


@pytest.fixture
def engineer2(db):
    return make_user("engineer", username="engineer_b")


@pytest.fixture
def ticket(dispatcher):
    return open_ticket(dispatcher)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(api):
    """as_user(engineer).post(...): the API client, signed in as that user."""

    def _as(user):
        api.force_authenticate(user)
        return api

    return _as


@pytest.fixture
def login(client):
    """Log a user in on the test client and return the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def api_rates_out_of_reach(settings):
    """The suite calls the API far faster than a person: no test is throttled by accident
    (tests/security/test_throttling.py sets the rates it exceeds)."""
    rest = settings.REST_FRAMEWORK
    rates = dict.fromkeys(rest["DEFAULT_THROTTLE_RATES"], "1000000/min")
    settings.REST_FRAMEWORK = {**rest, "DEFAULT_THROTTLE_RATES": rates}
