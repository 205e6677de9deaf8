import os

import pytest
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import make_user, open_ticket

# The longest tests, longest first (from `pytest --durations`): started first, so that in a
# parallel run (xdist hands out tests in collection order as workers free up) no worker is
# left with a long one at the end while the others wait. Then the browser journeys and the
# Celery-worker tests (long, mostly waiting), then the rest in their usual order.
LONGEST_FIRST = (
    "tests/security/test_customer_secrets.py::test_r23_no_staff_surface_holds_a_survey_link",
    "tests/security/test_permissions.py::test_each_role_gets_the_answer_it_should",
    "tests/visits/test_demo.py::TestTheSeededDemo",
    "tests/security/test_csp.py::test_every_page_of_the_matrix",
    "tests/security/test_api_schema.py::test_the_api_answers_each_role_by_its_schema",
    "tests/security/test_permissions.py::test_the_admin_lets_no_role_in",
    "tests/security/test_bad_input.py::test_no_api_route_answers_a_deep_body",
    "tests/e2e/test_full_journey.py",
    "tests/test_settings.py",
    "tests/test_observability.py",
)
WAITING = ("tests/e2e/", "tests/integration/")


def _django_order(item) -> int:
    """pytest-django's (Django's) order: database tests, then transactional ones, then the
    rest. It matters: a transactional test's flush empties the rows the data migrations seeded
    (groups, survey questions, kit items), which the database tests after it would miss."""
    marker = item.get_closest_marker("django_db")
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    ) or bool({"transactional_db", "live_server"} & set(item.fixturenames))
    if transactional:
        return 1
    return 0 if marker or "db" in item.fixturenames else 2


def _start_order(item) -> tuple[int, int]:
    for rank, prefix in enumerate(LONGEST_FIRST):
        if item.nodeid.startswith(prefix):
            return _django_order(item), rank
    if item.nodeid.startswith(WAITING):
        return _django_order(item), len(LONGEST_FIRST)
    return _django_order(item), len(LONGEST_FIRST) + 1


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    items.sort(key=_start_order)  # stable: within a rank, the usual order
    if not getattr(config.option, "loadgroup", False):
        return
    # --dist loadgroup (Makefile): the tests of an xdist_group run on one worker (the seeded
    # demo's, tests/visits/test_demo.py). pytest-xdist 3.8 names the group in the test's id
    # ("…@demo") through item._nodeid, which pytest 9.2 no longer reads: set the id pytest
    # now derives it from (nothing to do where xdist's own renaming took).
    for item in items:
        marks = item.iter_markers("xdist_group")
        names = sorted({str(m.args[0] if m.args else m.kwargs["name"]) for m in marks})
        if names and "@" not in item.nodeid:
            from _pytest.nodeid import NodeId

            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")


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


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """Under xdist, each worker's test database is a copy of one migrated template
    (tests/template_db.py) instead of migrating once per worker. Otherwise (one process,
    --reuse-db, --no-migrations, a test asking for serialized_rollback) pytest-django's own."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from tests import template_db

    verbosity = request.config.option.verbose
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    if worker and django_db_use_migrations and not django_db_keepdb and not serialized_aliases:
        with django_db_blocker.unblock():
            run = request.config.workerinput["testrunuid"] if django_db_createdb else ""
            original = template_db.setup_worker_database(
                worker=worker, verbosity=verbosity, rebuild_for=run
            )
        yield
        with django_db_blocker.unblock():
            template_db.teardown_worker_database(original, verbosity=verbosity)
        return

    # pytest-django's django_db_setup, as it is.
    if not django_db_use_migrations:
        _disable_migrations()
    keep = {"keepdb": True} if django_db_keepdb and not django_db_createdb else {}
    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=verbosity,
            interactive=False,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
            **keep,
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=verbosity)


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


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language (zh-Hans). A request in English on the test client
    leaves English active in the test's thread (LocaleMiddleware activates it, nothing resets
    it): the next test on that xdist worker would otherwise read its messages in English."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def customer_link_rates_out_of_reach(settings):
    """Issue 17: the customer link's rate limits count in Redis across tests; none is reached
    by accident (tests/planning/test_customer_page.py sets the limit it exceeds)."""
    settings.CUSTOMER_LINK_PAGE_LIMIT = 1_000_000
    settings.CUSTOMER_LINK_ACTION_LIMIT = 1_000_000
