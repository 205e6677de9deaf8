"""Issue 17, R7 under a race: the customer moves their visit on the link while a dispatcher books
the same engineer at the same time for another ticket, each from its own thread and PostgreSQL
connection (tests/concurrency.py). One wins; the other gets a sentence (the customer: the page
with fresh times, 409; the desk: 409 engineer_busy); nothing answers 5xx; no overlap."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.concurrency import assert_no_server_error, assert_sentence, run_at_once
from tests.factories import open_ticket
from tests.visits.factories import book
from tests.visits.test_races import _no_overlap
from visits.models import CustomerLink, Visit, VisitStatus
from visits.services import customer
from visits.services.links import link_token

pytestmark = pytest.mark.django_db(transaction=True)


def _tomorrow(hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.mark.parametrize("round_", range(4))
def test_the_customer_and_the_desk_take_the_same_slot_at_once(
    round_, dispatcher, engineer, django_db_blocker
):
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    visit = book(dispatcher, open_ticket(dispatcher), engineer, _tomorrow(14))
    token = link_token(CustomerLink.objects.get(visit=visit))
    start, end = customer.slots(visit)[-1]
    chosen = timezone.localtime(start).isoformat()  # as the page's form sends it
    other = open_ticket(dispatcher)

    def customer_moves():
        return Client().post(f"/c/{token}", {"action": "move", "start": chosen})

    def desk_books():
        api = APIClient()
        api.force_authenticate(dispatcher)
        body = {
            "ticket": other.number,
            "engineer": engineer.username,
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        return api.post("/api/visits/", body, format="json")

    calls = [customer_moves, desk_books] if round_ % 2 else [desk_books, customer_moves]
    responses = run_at_once(calls, django_db_blocker)
    assert_no_server_error(responses)
    moved, booked = (responses[0], responses[1]) if round_ % 2 else (responses[1], responses[0])
    # Exactly one wins.
    assert sorted([moved.status_code, booked.status_code]) in ([302, 409], [201, 409])
    if booked.status_code == 201:
        # The desk won: the customer reads a sentence and fresh times, not an error page.
        assert moved.status_code == 409
        page = moved.content.decode()
        assert "这个时间刚刚被约走了" in page
        assert chosen not in page
        assert Visit.objects.get(pk=visit.pk).status == VisitStatus.BOOKED
    else:
        assert moved.status_code == 302
        assert booked.status_code == 409
        assert_sentence(booked.json(), "engineer_busy")
        assert Visit.objects.get(pk=visit.pk).status == VisitStatus.RESCHEDULED
    _no_overlap(engineer)
