"""schemathesis against /api/schema/ with each role's token (issue 8): no 5xx, and every answer
the schema documents has the documented shape and content type.

Bounded so it fits in `make test`: a few examples per operation and role, no shrinking, a fixed
seed. Path parameters name real objects of the world (a random id only ever reaches a 404), so
the generated bodies exercise the serializers and services on live rows; every call runs in a
savepoint rolled back afterwards so one example's success does not change the next one's world.
"""

import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from config.wsgi import application
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

EXAMPLES = 3
ROLES = ("dispatcher", "supervisor", "engineer")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def wsgi_in_test_transaction():
    """Django closes the database connection at the end of a request; the test client stops it
    from doing so, and so must a WSGI call that runs inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def real_ids(world, path: str) -> dict:
    """The path parameters of `path` for the engineer's own objects, which every role may see."""
    if "{number}" in path:
        return {"number": world.ticket.number}
    if "{id}" not in path:
        return {}
    for pattern, obj in (
        (r"^/api/(kit/)?visits/", world.visit),
        (r"^/api/reschedule-requests/", world.request),
        (r"^/api/kit/items/", world.item),
        (r"^/api/survey-responses/", world.response),
        (r"^/api/survey-questions/", world.question),
    ):
        if re.match(pattern, path):
            return {"id": obj.pk}
    raise AssertionError(f"No object for {path}: add one to real_ids()")


def runner(operation, headers: dict, ids: dict, calls: list):
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if case.path_parameters:
            case.path_parameters.update(ids)
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        calls.append(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    return run


def test_every_operation_answers_by_the_schema(settings, tmp_path, wsgi_in_test_transaction):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    tokens = {role: Token.objects.create(user=getattr(world, role)).key for role in ROLES}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_in_test_transaction)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    failures = []
    calls = []

    for operation in operations:
        ids = real_ids(world, operation.path)
        for role in ROLES:
            headers = {"Authorization": f"Token {tokens[role]}"}

            run = runner(operation, headers, ids, calls)
            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
                failures.append(f"{role} {operation.label}: {exc}")

    assert not failures, "\n\n".join(failures)
    # The run reached the services, not only the permission checks.
    assert len(calls) >= len(operations) * len(ROLES)
    assert sum(200 <= code < 300 for code in calls) > 50
