"""schemathesis against /api/schema/ with each role's token (issue 11): every check schemathesis
has (no 5xx; status codes, content types, headers and bodies as documented; schema-valid input
accepted and schema-invalid input refused; auth enforced; ...), operation by operation and in
stateful sequences that follow the links between operations.

Bounded so it fits in `make test`: a few examples per operation, mode and role, no shrinking, a
fixed seed (derandomize). Path parameters name real objects of the world, and so do the fields of
a schema-valid body that name one (a ticket number, a username): a random one only ever reaches a
404 or "no such object", and the run would not get past the serializers into the services. Every
call, and every stateful sequence, runs in a savepoint rolled back afterwards, so one example's
success does not change the next one's world.
"""

import copy
import re
from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from rest_framework.authtoken.models import Token
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

EXAMPLES = 1
STATEFUL_EXAMPLES = 4
STATEFUL_STEPS = 4
ROLES = ("dispatcher", "supervisor", "engineer")
BOUNDED = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


@pytest.fixture
def wsgi_in_test_transaction():
    """Django closes the database connection at the end of a request; the test client stops it
    from doing so, and so must a WSGI call that runs inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def real_ids(world, path: str) -> dict:
    """The path parameters of `path` for the engineer's own objects, which every role may see."""
    if "{number}" in path:
        return {"number": world.ticket.number}
    if "{id}" not in path:
        return {}
    for pattern, obj in (
        (r"^/api/(kit/)?visits/", world.visit),
        (r"^/api/reschedule-requests/", world.request),
        (r"^/api/transfer-requests/", world.transfer_request),
        (r"^/api/waiver-requests/", world.waiver_request),
        (r"^/api/kit/items/", world.item),
        (r"^/api/survey-responses/", world.response),
        (r"^/api/survey-questions/", world.question),
    ):
        if re.match(pattern, path):
            return {"id": obj.pk}
    raise AssertionError(f"No object for {path}: add one to real_ids()")


def real_references(world) -> dict:
    """Schema-valid input that the schema cannot tell from a real one: fields that name an object
    (a ticket number, a username), a phone number, a time in the working future. A positive
    example gets these values in its body and query, so it reaches the services."""
    start = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
    start += timedelta(days=2)
    return {
        "ticket": world.ticket.number,
        "engineer": world.engineer2.username,
        "to_engineer": world.engineer2.username,
        "to_user": world.dispatcher.username,
        "visit": world.visit.pk,
        "phone": "13800138000",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }


def is_datetime(value) -> bool:
    return isinstance(value, str) and "T" in value


def use_real_references(case, refs: dict) -> None:
    for name, value in refs.items():
        for values in (case.body, case.query):
            if not isinstance(values, dict) or name not in values:
                continue
            if name in ("start", "end") and not is_datetime(values[name]):
                continue  # a date (the kit report's period), not a visit's time
            values[name] = value if values is case.body else str(value)


def valid_input_passes_the_serializers(ctx, response, case):
    """positive_data_acceptance, less what no schema can state. Schema-valid input is never
    refused by the serializers (400 "invalid"), nor answered 405, 406, 415 or 422; a rule of the
    services may still refuse it with a 400 of its own code ("end_before_start",
    "promise_in_past": a domain rule, which an OpenAPI schema has no words for)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    code = response.status_code
    if code == 400:
        body = response.json()
        assert body["code"] != "invalid", f"Schema-valid input refused: {body}"
    else:
        assert code < 400 or code in (401, 403, 404, 409, 429), f"Schema-valid input got {code}"
    return None


RAW_SCHEMA = {}


def load_schema(app, token: str):
    """The schema as /api/schema/ serves it (to a staff token), read once for the whole module:
    it does not depend on who reads it, and drawing it up takes seconds."""
    headers = {"Authorization": f"Token {token}"}
    if not RAW_SCHEMA:
        served = schemathesis.openapi.from_wsgi("/api/schema/", app, headers=headers)
        RAW_SCHEMA.update(copy.deepcopy(served.raw_schema))
    schema = schemathesis.openapi.from_dict(copy.deepcopy(RAW_SCHEMA))
    schema.app = app
    schema.location = "/api/schema/"
    schema.config.update(headers=headers)
    return schema, headers


def runner(operation, mode, headers: dict, ids: dict, refs: dict, calls: list):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate], **BOUNDED)
    def run(case):
        if case.path_parameters:
            case.path_parameters.update(ids)
        if mode == GenerationMode.POSITIVE:
            use_real_references(case, refs)
        with transaction.atomic():
            try:
                response = case.call(headers=headers)
                calls.append(response.status_code)
                case.validate_response(
                    response,
                    headers=headers,
                    excluded_checks=[positive_data_acceptance],
                    additional_checks=[valid_input_passes_the_serializers],
                )
            finally:
                transaction.set_rollback(True)

    return run


def every_operation(schema, world, headers) -> list[int]:
    """Each operation, schema-valid and schema-invalid examples; the answers' status codes."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    refs = real_references(world)
    failures = []
    calls = []
    for operation in operations:
        ids = real_ids(world, operation.path)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode == GenerationMode.NEGATIVE and not (operation.query or operation.body):
                continue  # only a path id, which real_ids() fixes: nothing to make invalid
            try:
                runner(operation, mode, headers, ids, refs, calls)()
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
                failures.append(f"{mode.value} {operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= len(operations) * EXAMPLES
    return calls


def sequences(schema, headers, refs: dict) -> list[int]:
    """The stateful phase: schemathesis chains operations by the links it finds between them (an
    id a response gives, a later path takes) and checks every answer of each sequence."""
    calls = []

    class Scenario(schema.as_state_machine()):
        def setup(self):
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            # The steps' inputs are schema-valid: give them what exists, as above.
            use_real_references(case, refs)
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The same checks as every_operation(): a date out of 2000-2099 is a documented 400
            # (date_out_of_range), not schema-valid input refused.
            case.validate_response(
                response,
                headers=headers,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[valid_input_passes_the_serializers],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

        def after_call(self, response, case):
            super().after_call(response, case)
            calls.append(response.status_code)

    Scenario.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            phases=[Phase.explicit, Phase.generate],
            **BOUNDED,
        )
    )
    assert len(calls) >= STATEFUL_EXAMPLES
    return calls


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_each_role_by_its_schema(role, world, wsgi_in_test_transaction):
    token = Token.objects.create(user=getattr(world, role)).key
    schema, headers = load_schema(wsgi_in_test_transaction, token)
    calls = every_operation(schema, world, headers)
    # The run reached the services, not only the permission checks.
    assert sum(200 <= code < 300 for code in calls) >= 10
    sequences(schema, headers, real_references(world))
