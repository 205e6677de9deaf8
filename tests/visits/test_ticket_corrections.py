"""A ticket corrected while a visit is pending (issue 15 item 1; visits/corrections.py): what the
booking SMS told the customer stays true. R1, R2: the visit was booked on the facts and the
contact, so they can't be emptied; R26: a corrected phone or address reaches the customer in the
standard phrasing, and the engineer is alerted (docs/rules.md)."""

import pytest

from dispatch import services
from dispatch.errors import RuleViolation
from dispatch.models import Event, Notification

pytestmark = pytest.mark.django_db


def test_r2_a_booked_visit_keeps_its_phone_and_facts(visit, dispatcher):
    with pytest.raises(RuleViolation) as exc:
        services.update_ticket(
            actor=dispatcher,
            ticket=visit.ticket,
            changes={"phone": "", "phenomenon": "", "address": ""},
        )
    assert set(exc.value.by_field()) == {"phone", "phenomenon"}
    assert "14:00" in exc.value.message


def test_r26_a_corrected_phone_gets_the_appointment_again(visit, dispatcher):
    booked = Notification.objects.get(template="visit_booked")
    assert booked.to_phone.as_e164 == "+8613800138000"
    services.update_ticket(actor=dispatcher, ticket=visit.ticket, changes={"phone": "13900139077"})
    sms = Notification.objects.get(template="visit_details_corrected")
    assert sms.to_phone.as_e164 == "+8613900139077"
    assert "11月23日 14:00" in sms.body and "体育西路" in sms.body
    alert = Notification.objects.get(template="visit_details_corrected_staff")
    assert alert.recipient == visit.engineer
    assert "+86 139 0013 9077" in alert.body or "13900139077" in alert.body.replace(" ", "")
    assert Event.objects.filter(visit=visit, kind="visit.details_corrected").exists()


def test_r26_a_corrected_address_is_sent_once_per_change(visit, dispatcher):
    services.update_ticket(
        actor=dispatcher, ticket=visit.ticket, changes={"address": "广州市天河区体育东路 1 号"}
    )
    services.update_ticket(actor=dispatcher, ticket=visit.ticket, changes={"customer_name": "赵总"})
    bodies = list(
        Notification.objects.filter(template="visit_details_corrected").values_list(
            "body", flat=True
        )
    )
    assert len(bodies) == 1 and "体育东路 1 号" in bodies[0]


def test_the_page_shows_the_forms_and_the_services_errors_together(login, visit, dispatcher):
    """One submit with a bad phone (the form finds it) and the fault phenomenon emptied (the
    service refuses it, R1: the visit was booked on it): both at once, each at its field."""
    from tests.dispatch.test_update_ticket import _form
    from tests.html import field_blocks

    ticket = visit.ticket
    response = login(dispatcher).post(
        f"/tickets/{ticket.number}/details/", _form(ticket, phone="12345", phenomenon="")
    )
    assert response.status_code == 400
    blocks = field_blocks(response.content.decode())
    assert "合法的电话号码" in blocks["phone"]
    assert "不能清空" in blocks["phenomenon"]
