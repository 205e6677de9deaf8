import pytest
from django.contrib.auth.models import AnonymousUser

from tests.surveys.factories import ended_visit, measure


@pytest.fixture
def visit(ticket, engineer, dispatcher):
    """A resolved visit with a test before and after the fix."""
    visit = ended_visit(ticket, engineer, dispatcher)
    measure(visit, phase="before")
    measure(visit, phase="after", rsrp="-86.0", download="48.75")
    return visit


@pytest.fixture
def anonymous():
    return AnonymousUser()
