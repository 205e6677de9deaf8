"""Journey (issue 19): the dispatcher books from a suggestion on the booking page, 1280 px; the
suggestion says the rules it keeps in words (R7 free, R9 five minutes early)."""

from decimal import Decimal

import pytest

from dispatch.models import EngineerBase, Grid
from tests.e2e.conftest import DESKTOP
from tests.factories import make_user, open_ticket
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)


def test_dispatcher_books_from_a_suggestion(new_page, dispatcher, shot):
    grid = Grid.objects.create(
        name="天河北网格", latitude=Decimal("23.137500"), longitude=Decimal("113.321000")
    )
    near = make_user("engineer", username="near", first_name="近", last_name="李")
    base = EngineerBase.objects.create(
        engineer=near, home_latitude=grid.latitude, home_longitude=grid.longitude
    )
    base.grids.add(grid)
    make_user("engineer", username="far", first_name="远", last_name="王")
    ticket = open_ticket(
        dispatcher, latitude=Decimal("23.140000"), longitude=Decimal("113.318000"), grid=grid
    )
    page = new_page(dispatcher, DESKTOP)
    page.goto(f"/visits/book/{ticket.number}/")
    suggestions = page.locator("#suggestions")
    suggestions.get_by_text("推荐的工程师和时段").wait_for()
    page.select_option("select[name=policy]", "grid_match")
    first = suggestions.locator("li.suggestion").first
    first.get_by_text("负责网格 天河北网格").wait_for()
    assert "空闲" in first.inner_text() and "提前 5 分钟到达" in first.inner_text()
    shot(page, "01-suggestions")
    first.get_by_role("button", name="预约李近此时段").click()
    page.wait_for_url("**/visits/*/")
    visit = Visit.objects.get(ticket=ticket)
    assert visit.engineer == near
    shot(page, "02-booked")
