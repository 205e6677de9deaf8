from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.visits.factories import book

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning in the centre; visits are booked for the afternoon.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
AFTERNOON = datetime(2026, 11, 23, 14, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded visit-note photos land in a temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clock():
    """The centre's clock, frozen at NOW; tests move it with clock.move_to / clock.shift."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def visit(clock, dispatcher, ticket, engineer):
    """A visit booked at 14:00–15:00 today for `engineer`, on a complete ticket."""
    return book(dispatcher, ticket, engineer, AFTERNOON)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute, second=second)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
