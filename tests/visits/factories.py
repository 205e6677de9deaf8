"""Visits made through the services, as a dispatcher and an engineer would make them."""

from datetime import datetime, timedelta

from visits import services
from visits.models import Visit


def book(actor, ticket, engineer, start: datetime, minutes: int = 60) -> Visit:
    return services.book_visit(
        actor=actor,
        ticket=ticket,
        engineer=engineer,
        start=start,
        end=start + timedelta(minutes=minutes),
    )


def kit_done(visit: Visit) -> Visit:
    """R20: what the checklists app reports once every item is ticked."""
    return services.update_kit_status(actor=visit.engineer, visit=visit, missing=[])


def confirmed(visit: Visit) -> Visit:
    services.reconfirm_visit(actor=visit.engineer, visit=visit)
    return kit_done(visit)


def arrived(visit: Visit) -> Visit:
    confirmed(visit)
    return services.record_arrival(actor=visit.engineer, visit=visit)


def at_work(visit: Visit) -> Visit:
    from visits.models import DoorCheck

    arrived(visit)
    return services.start_work(actor=visit.engineer, visit=visit, door_checks=DoorCheck.values)


MEASUREMENT = {
    "network": "4g",
    "place": "客厅",
    "rsrp_dbm": "-112.5",
    "sinr_db": "-2.0",
    "download_mbps": "3.20",
    "upload_mbps": "0.80",
    "latency_ms": 85,
    "call_result": "dropped",
    "phase": "before",
}


def measured(visit: Visit, **overrides) -> Visit:
    services.add_measurement(actor=visit.engineer, visit=visit, **{**MEASUREMENT, **overrides})
    return visit
