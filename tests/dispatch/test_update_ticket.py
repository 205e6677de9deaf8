"""Completing and correcting a ticket (issue 15 item 1): dispatch.services.update_ticket, the
edit form on the ticket page, PATCH /api/tickets/<number>/. R1, R2: a ticket taken without its
facts or contact is completed here; R3: the owner or a supervisor acts (docs/rules.md)."""

from datetime import timedelta

import pytest
import time_machine

from dispatch import services
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Deadline, DeadlineKind, Event, Ticket
from tests.factories import open_ticket
from tests.html import field_blocks

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare(dispatcher):
    """A complaint taken with nothing but its kind (R1, R2 allow it)."""
    return services.open_ticket(actor=dispatcher, kind="solve")


def test_r1_r2_a_bare_ticket_is_completed_and_then_booked(bare, dispatcher, engineer):
    """R1, R2: completed through the service, the ticket loses its gaps and can be booked."""
    from django.utils import timezone

    from visits.services import book_visit

    assert bare.missing_facts and bare.missing_contact
    services.update_ticket(
        actor=dispatcher,
        ticket=bare,
        changes={
            "customer_name": "孙女士",
            "phone": "139 0013 9011",
            "address": "广州市越秀区中山五路 33 号",
            "phenomenon": "家中 4G 无信号",
            "location_detail": "卫生间",
            "customer_action": "洗澡时接电话",
        },
    )
    bare.refresh_from_db()
    assert bare.missing_facts == [] and bare.missing_contact == []
    assert bare.phone.as_e164 == "+8613900139011"
    start = timezone.now() + timedelta(days=1)
    visit = book_visit(
        actor=dispatcher,
        ticket=bare,
        engineer=engineer,
        start=start,
        end=start + timedelta(hours=1),
    )
    assert visit.ticket_id == bare.pk


def test_the_event_holds_before_and_after_of_the_changed_fields_only(ticket, dispatcher):
    services.update_ticket(
        actor=dispatcher,
        ticket=ticket,
        changes={"address": "广州市天河区体育东路 1 号", "customer_name": ticket.customer_name},
    )
    event = Event.objects.get(ticket=ticket, kind="ticket.updated")
    assert event.before == {"address": "广州市天河区体育西路 191 号"}
    assert event.after == {"address": "广州市天河区体育东路 1 号"}
    assert event.actor == dispatcher


def test_nothing_changed_writes_nothing(ticket, dispatcher):
    services.update_ticket(actor=dispatcher, ticket=ticket, changes={"phone": "138 0013 8000"})
    assert not Event.objects.filter(ticket=ticket, kind="ticket.updated").exists()


def test_r3_another_dispatcher_may_not_but_a_supervisor_may(ticket, dispatcher2, supervisor):
    """R3: the owner answers for the ticket; a supervisor may act for them."""
    with pytest.raises(PermissionDenied) as exc:
        services.update_ticket(actor=dispatcher2, ticket=ticket, changes={"address": "别处"})
    assert "负责人" in exc.value.message or "owner" in exc.value.message
    services.update_ticket(actor=supervisor, ticket=ticket, changes={"address": "别处"})
    ticket.refresh_from_db()
    assert ticket.address == "别处"


def test_every_broken_check_at_once_and_nothing_written(ticket, dispatcher):
    with pytest.raises(RuleViolation) as exc:
        services.update_ticket(
            actor=dispatcher,
            ticket=ticket,
            changes={"phone": "12345", "address": "路" * 256, "kind": "angry", "phenomenon": "新"},
        )
    assert set(exc.value.by_field()) == {"phone", "address", "kind"}
    ticket.refresh_from_db()
    assert ticket.phenomenon == "室内通话经常掉线"


def test_a_closed_ticket_is_not_changed(ticket, dispatcher):
    services.close_ticket(actor=dispatcher, ticket=ticket, resolution="已解决", customer_told=True)
    with pytest.raises(RuleViolation) as exc:
        services.update_ticket(actor=dispatcher, ticket=ticket, changes={"address": "别处"})
    assert exc.value.status == 409


def test_r6_a_new_complexity_keeps_the_promised_acknowledgement(dispatcher):
    """R6: the reply time told at intake stands; only a recorded contact moves it."""
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        ticket = open_ticket(dispatcher, complexity="simple")
        due = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE).due_at
        services.update_ticket(actor=dispatcher, ticket=ticket, changes={"complexity": "complex"})
    assert Deadline.objects.get(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE).due_at == due
    assert Ticket.objects.get(pk=ticket.pk).complexity == "complex"


# --- the page ----------------------------------------------------------------------------------


def _form(ticket, **changes):
    from dispatch.forms import TicketForm

    data = {name: getattr(ticket, name) for name in TicketForm._meta.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    data["phone"] = str(ticket.phone)
    data.update(changes)
    return data


def test_page_completes_a_bare_ticket(login, bare, dispatcher):
    client = login(dispatcher)
    page = client.get(f"/tickets/{bare.number}/").content.decode()
    assert 'id="edit"' in page and "open" in page.split('id="edit"')[1][:20]
    response = client.post(
        f"/tickets/{bare.number}/details/",
        _form(
            bare,
            customer_name="孙女士",
            phone="13900139011",
            phenomenon="家中 4G 无信号",
            location_detail="卫生间",
            customer_action="洗澡时接电话",
        ),
    )
    assert response.status_code == 302
    bare.refresh_from_db()
    assert bare.missing_facts == [] and bare.missing_contact == []


def test_page_shows_every_error_next_to_its_field(login, ticket, dispatcher):
    """A bad phone and an unknown kind in one submit: both messages, each in its field's
    block, in words."""
    client = login(dispatcher)
    response = client.post(
        f"/tickets/{ticket.number}/details/",
        _form(ticket, phone="12345", kind="angry"),
    )
    assert response.status_code == 400
    blocks = field_blocks(response.content.decode())
    assert "合法的电话号码" in blocks["phone"]
    assert "errorlist" in blocks["kind"]
    ticket.refresh_from_db()
    assert ticket.phone.as_e164 == "+8613800138000"


def test_page_tells_another_dispatcher_who_may_change_it(login, ticket, dispatcher2):
    client = login(dispatcher2)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'action="/tickets/{ticket.number}/details/"' not in html
    response = client.post(f"/tickets/{ticket.number}/details/", _form(ticket, address="别处"))
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.address != "别处"


# --- the API -----------------------------------------------------------------------------------


def test_api_patch_completes_the_ticket(api, bare, dispatcher):
    api.force_authenticate(dispatcher)
    response = api.patch(
        f"/api/tickets/{bare.number}/",
        {"phenomenon": "无信号", "location_detail": "卧室", "customer_action": "打电话"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["missing_facts"] == []


def test_api_patch_answers_every_field_error_at_once(api, ticket, dispatcher):
    api.force_authenticate(dispatcher)
    response = api.patch(
        f"/api/tickets/{ticket.number}/",
        {"kind": "angry", "phone": "12345", "address": "路" * 300, "customer_name": 7},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] and body["detail"]
    assert set(body["errors"]) == {"kind", "phone", "address", "customer_name"}


def test_api_patch_by_another_dispatcher_is_403_and_put_is_405(api, ticket, dispatcher2):
    api.force_authenticate(dispatcher2)
    response = api.patch(f"/api/tickets/{ticket.number}/", {"address": "别处"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert api.put(f"/api/tickets/{ticket.number}/", {}, format="json").status_code == 405


# --- a repeat call, recorded by whoever takes it -----------------------------------------------


def test_r6_another_dispatcher_records_a_call_and_the_owner_is_told(ticket, dispatcher2):
    """R3, R6: anyone at the desk writes down a repeat call; it moves no promise, and the owner
    gets an alert. Answering or promising a new time stays the owner's."""
    from dispatch.models import Notification

    services.record_contact(actor=dispatcher2, ticket=ticket, progress="客户再次来电询问进度")
    alert = Notification.objects.get(template="ticket_contact_staff")
    assert alert.recipient == ticket.owner
    assert "客户再次来电询问进度" in alert.body
    assert Deadline.objects.get(ticket=ticket).state == "open"
    with pytest.raises(PermissionDenied):
        services.record_contact(actor=dispatcher2, ticket=ticket, progress="已答复", answered=True)


def test_the_place_is_corrected_too_a_pin_as_a_pair(api, ticket, dispatcher):
    """Where the visit goes (planning): the grid by name and the pin, both numbers or neither;
    the event records them."""
    from dispatch.models import Grid

    grid = Grid.objects.create(name="天河A")
    with pytest.raises(RuleViolation) as exc:
        services.update_ticket(actor=dispatcher, ticket=ticket, changes={"latitude": "23.13"})
    assert exc.value.field == "longitude"
    api.force_authenticate(dispatcher)
    response = api.patch(
        f"/api/tickets/{ticket.number}/",
        {"grid": "天河A", "latitude": "23.129100", "longitude": "113.264400"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    ticket.refresh_from_db()
    assert ticket.grid == grid and str(ticket.latitude) == "23.129100"
    event = Event.objects.get(ticket=ticket, kind="ticket.updated")
    assert event.after == {"grid": "天河A", "latitude": "23.129100", "longitude": "113.264400"}
