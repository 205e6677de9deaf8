import pytest

from tests.checklists.factories import ensure_seeded_items, make_visit


@pytest.fixture
def visit(ticket, engineer):
    """A confirmed visit two hours ahead for `engineer`."""
    return make_visit(ticket, engineer)


@pytest.fixture
def seeded_items(transactional_db):
    ensure_seeded_items()
