from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dispatch.models import EngineerBase, Grid
from tests.factories import make_user, open_ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning in the centre.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
# Tianhe, Guangzhou: the ticket's address; Panyu, some 20 km south.
TIANHE = (Decimal("23.137500"), Decimal("113.321000"))
PANYU = (Decimal("22.937500"), Decimal("113.384000"))


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute, day=NOW.day + day)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tianhe(db):
    return Grid.objects.create(name="天河北", latitude=TIANHE[0], longitude=TIANHE[1])


@pytest.fixture
def panyu(db):
    return Grid.objects.create(name="番禺", latitude=PANYU[0], longitude=PANYU[1])


def based(engineer, place, grids=()):
    base = EngineerBase.objects.create(
        engineer=engineer, home_latitude=place[0], home_longitude=place[1]
    )
    base.grids.set(grids)
    return base


@pytest.fixture
def near(db, tianhe):
    """An engineer living in Tianhe, covering its grid."""
    user = make_user("engineer", username="near", first_name="近", last_name="李")
    based(user, TIANHE, [tianhe])
    return user


@pytest.fixture
def far(db, panyu):
    """An engineer living in Panyu."""
    user = make_user("engineer", username="far", first_name="远", last_name="王")
    based(user, PANYU, [panyu])
    return user


@pytest.fixture
def placed_ticket(clock, dispatcher, tianhe):
    return open_ticket(dispatcher, latitude=TIANHE[0], longitude=TIANHE[1], grid=tianhe)


@pytest.fixture
def crossed(clock, dispatcher, near, far):
    """Tomorrow each engineer is booked at the other's end of town."""
    from tests.visits.factories import book

    in_tianhe = open_ticket(dispatcher, latitude=TIANHE[0], longitude=TIANHE[1])
    in_panyu = open_ticket(dispatcher, latitude=PANYU[0], longitude=PANYU[1])
    a = book(dispatcher, in_tianhe, far, at(10, day=1))
    b = book(dispatcher, in_panyu, near, at(14, day=1))
    return a, b
