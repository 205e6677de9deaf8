"""R4 under load: parallel transfers of one ticket, each from its own PostgreSQL connection,
through the API. Exactly one transfer wins; every other request is refused with a 409 and a
sentence, none with a 500 (see dispatch/locks.py for the lock order)."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from dispatch.models import Event, Ticket
from tests.concurrency import assert_no_server_error, assert_sentence, run_at_once, statuses
from tests.factories import make_user, open_ticket

pytestmark = pytest.mark.django_db(transaction=True)

CONNECTIONS = 20


def _transfer(actor, number, to_user):
    def call():
        client = APIClient()
        client.force_authenticate(actor)
        return client.post(
            f"/api/tickets/{number}/transfer/",
            {"to_user": to_user.username, "note": "客户要求由营业厅跟进"},
            format="json",
        )

    return call


@pytest.mark.parametrize("round_", range(3))
def test_r4_twenty_parallel_transfers_one_wins_the_rest_409(dispatcher, django_db_blocker, round_):
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    ticket = open_ticket(dispatcher)
    targets = [make_user("dispatcher") for _ in range(CONNECTIONS)]
    responses = run_at_once(
        [_transfer(dispatcher, ticket.number, to) for to in targets], django_db_blocker
    )
    assert_no_server_error(responses)
    assert statuses(responses) == [200] + [409] * (CONNECTIONS - 1)
    for response in responses:
        if response.status_code == 409:
            assert_sentence(response.json(), "second_transfer_needs_supervisor")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.transfer_count == 1
    assert ticket.owner in targets
    assert Event.objects.filter(ticket=ticket, kind="ticket.transferred").count() == 1
