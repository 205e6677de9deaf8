"""R16: the handover note reaches the receiving engineer on every path: an alert, their visit
page, the API."""

import pytest

from dispatch.models import Notification
from tests.visits.factories import at_work
from visits import services

pytestmark = pytest.mark.django_db

NOTE = "客厅已测，车库RSRP -121，需查室分"


def handed_over(visit, to):
    at_work(visit)
    return services.hand_over_visit(
        actor=visit.engineer, visit=visit, to_engineer=to, note=NOTE, customer_consented=True
    )


def test_r16_the_receiving_engineer_gets_an_alert_with_the_note(clock, visit, engineer2):
    handed_over(visit, engineer2)
    alert = Notification.objects.get(recipient=engineer2, template="visit_handover_staff")
    assert NOTE in alert.body and visit.ticket.number in alert.body


def test_r16_the_receiving_engineers_page_shows_the_note(clock, visit, engineer2, login):
    handed_over(visit, engineer2)
    page = login(engineer2).get(f"/visits/{visit.pk}/").content.decode()
    assert 'class="card handover-in"' in page and NOTE in page


def test_r16_the_api_shows_the_note(clock, visit, engineer, engineer2, api):
    handed_over(visit, engineer2)
    api.force_authenticate(engineer2)
    body = api.get(f"/api/visits/{visit.pk}/").json()
    assert body["handovers"] == [
        {
            "from_engineer": engineer.username,
            "to_engineer": engineer2.username,
            "note": NOTE,
            "created_at": body["handovers"][0]["created_at"],
        }
    ]
