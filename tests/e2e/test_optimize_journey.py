"""Journey (issue 19): the dispatcher optimizes a day and accepts a move, on a phone (360 px)
and at a desk (1280 px). The page says the travel saved against the day as booked; one button
sends the other engineer at the same agreed time (R7, R11 in the service; the customer's SMS
names the new engineer, R26)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dispatch.models import EngineerBase, Notification
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import make_user, open_ticket
from tests.visits.factories import book
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)

TIANHE = (Decimal("23.137500"), Decimal("113.321000"))
PANYU = (Decimal("22.937500"), Decimal("113.384000"))


def _engineer(username, first, last, home):
    user = make_user("engineer", username=username, first_name=first, last_name=last)
    EngineerBase.objects.create(engineer=user, home_latitude=home[0], home_longitude=home[1])
    return user


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_dispatcher_accepts_a_move_of_the_optimized_day(new_page, dispatcher, shot, device):
    near = _engineer("near", "近", "李", TIANHE)
    far = _engineer("far", "远", "王", PANYU)
    day = timezone.localdate() + timedelta(days=2)
    ten = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
    in_tianhe = open_ticket(dispatcher, latitude=TIANHE[0], longitude=TIANHE[1])
    in_panyu = open_ticket(dispatcher, latitude=PANYU[0], longitude=PANYU[1])
    a = book(dispatcher, in_tianhe, far, ten + timedelta(hours=10))
    book(dispatcher, in_panyu, near, ten + timedelta(hours=14))

    page = new_page(dispatcher, device)
    page.goto(f"/planning/optimize/?day={day.isoformat()}")
    page.get_by_role("heading", name="方案节省了什么").wait_for()
    move = page.locator("li.suggestion").filter(has_text=in_tianhe.number)
    button = move.get_by_role("button", name="改派李近")
    button.wait_for()
    assert "王远 → 李近" in move.inner_text()
    if device is PHONE:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert button.bounding_box()["height"] >= 44
    shot(page, "01-plan")

    button.click()
    page.get_by_text("已改由 李近 负责").wait_for()
    shot(page, "02-accepted")
    new = Visit.objects.get(rescheduled_from=a)
    assert (new.engineer, new.start, new.end) == (near, a.start, a.end)
    assert Visit.objects.get(pk=a.pk).status == VisitStatus.RESCHEDULED
    assert "李近" in Notification.objects.get(key=f"visit:{new.pk}:booked").body
    # The plan again: that move is done; the other is still offered.
    assert page.locator("li.suggestion").filter(has_text=in_tianhe.number).count() == 0
    page.locator("li.suggestion").filter(has_text=in_panyu.number).wait_for()
