"""R6: the new time promised after a recorded contact is bounded by a setting
(SEED_RULES["ACK_MAX_PROMISE_HOURS"], 24 h by default); beyond it a supervisor decides. Checked on
the service, the ticket's contact form, the dashboard's row action and the API."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from dispatch import services
from dispatch.errors import RuleViolation
from dispatch.models import Deadline, DeadlineKind, Event
from tests.factories import open_ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FAR = NOW + timedelta(days=90)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def promised(ticket):
    return Deadline.objects.get(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE, state="open").due_at


def contact(actor, ticket, when):
    return services.record_contact(
        actor=actor, ticket=ticket, progress="正在排查，稍后回复", new_promised_at=when
    )


def test_r6_the_owner_may_promise_up_to_the_bound(dispatcher):
    ticket = open_ticket(dispatcher)
    contact(dispatcher, ticket, NOW + timedelta(hours=24))
    assert promised(ticket) == NOW + timedelta(hours=24)


def test_r6_beyond_the_bound_the_owner_is_refused(dispatcher):
    ticket = open_ticket(dispatcher)
    with pytest.raises(RuleViolation) as exc:
        contact(dispatcher, ticket, FAR)
    assert (exc.value.code, exc.value.field) == ("promise_too_far", "new_promised_at")
    assert "24" in exc.value.message and "主管" in exc.value.message
    assert promised(ticket) == NOW + timedelta(hours=2)  # the promise due stays as it was
    assert not ticket.contacts.exists()


def test_r6_the_bound_is_a_setting(settings, dispatcher):
    settings.SEED_RULES = {**settings.SEED_RULES, "ACK_MAX_PROMISE_HOURS": 72}
    ticket = open_ticket(dispatcher)
    contact(dispatcher, ticket, NOW + timedelta(hours=72))
    with pytest.raises(RuleViolation):
        contact(dispatcher, ticket, NOW + timedelta(hours=72, minutes=1))


def test_r6_a_supervisor_decides_beyond_the_bound_and_it_stays_on_record(dispatcher, supervisor):
    ticket = open_ticket(dispatcher)
    contact(supervisor, ticket, FAR)
    assert promised(ticket) == FAR
    event = Event.objects.get(ticket=ticket, kind="ticket.contact")
    assert event.after["beyond_bound"] is True and event.actor == supervisor


def test_r6_the_contact_form_refuses_beyond_the_bound(login, dispatcher):
    ticket = open_ticket(dispatcher)
    response = login(dispatcher).post(
        reverse("dispatch:ticket_contact", args=[ticket.number]),
        {"channel": "phone", "progress": "正在排查", "new_promised_at": "2027-02-21T09:00"},
    )
    assert response.status_code == 400 and "主管" in response.content.decode()
    assert promised(ticket) == NOW + timedelta(hours=2)


def test_r6_the_supervisors_dashboard_row_may_go_beyond(login, dispatcher, supervisor):
    ticket = open_ticket(dispatcher)
    login(supervisor).post(
        reverse("supervision:dashboard_contact", args=[ticket.number]),
        {"channel": "phone", "progress": "需协调厂家", "new_promised_at": "2027-02-21T09:00"},
    )
    assert promised(ticket) == FAR


def test_r6_the_api_refuses_beyond_the_bound(api, dispatcher):
    ticket = open_ticket(dispatcher)
    api.force_authenticate(dispatcher)
    response = api.post(
        f"/api/tickets/{ticket.number}/contact/",
        {"progress": "正在排查", "new_promised_at": FAR.isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "promise_too_far"
    assert promised(ticket) == NOW + timedelta(hours=2)
