"""The kit pages without JavaScript: the engineer's phone page, the supervisor's items page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklists import services
from checklists.models import ChecklistItem, KitRun
from dispatch.models import Event
from tests.checklists.factories import make_visit, run_item, tick_all
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db


def kit_page(visit):
    return reverse("checklists:visit_kit", args=[visit.pk])


def test_the_kit_page_is_at_kit_visit_pk(visit):
    assert kit_page(visit) == f"/kit/visit/{visit.pk}/"


def test_the_engineer_sees_every_item_as_a_button_with_progress(login, visit):
    response = login(visit.engineer).get(kit_page(visit))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="kit-item"') == 9
    assert 'aria-pressed="false"' in page
    assert "七个一" in page and "自检" in page
    assert "<strong data-kit-done>0</strong> / 9" in page
    assert "checklists/kit.js" in page
    # R20: the gate says what is missing, in Chinese.
    assert "一副鞋套" in page and response.context["state"].missing[0] == "一张工作牌"
    assert KitRun.objects.filter(visit=visit).exists()


def test_a_tap_without_javascript_saves_and_a_double_tap_is_harmless(login, visit):
    client = login(visit.engineer)
    client.get(kit_page(visit))
    badge = run_item(visit, "badge")
    tick_url = reverse("checklists:visit_kit_tick", args=[visit.pk])
    for _ in range(2):  # the same form posted twice
        response = client.post(tick_url, {"item": badge.pk, "ticked": "1"})
        assert response.status_code == 302
        assert response.url.endswith(f"/kit/visit/{visit.pk}/#kit-item-{badge.pk}")
    badge.refresh_from_db()
    assert badge.ticked
    assert Event.objects.filter(visit=visit, kind="kit.ticked").count() == 1
    page = client.get(kit_page(visit)).content.decode()
    assert "<strong data-kit-done>1</strong> / 9" in page


def test_the_page_shows_the_kit_complete(login, visit):
    tick_all(visit)
    response = login(visit.engineer).get(kit_page(visit))
    assert response.context["state"].complete
    assert 'data-state="complete"' in response.content.decode()


def test_another_engineer_gets_404_for_page_and_tap(login, visit, engineer2):
    client = login(engineer2)
    assert client.get(kit_page(visit)).status_code == 404
    tick_url = reverse("checklists:visit_kit_tick", args=[visit.pk])
    assert client.post(tick_url, {"item": 1, "ticked": "1"}).status_code == 404
    assert not KitRun.objects.exists()


def test_a_refused_tap_says_why(login, visit):
    client = login(visit.engineer)
    client.get(kit_page(visit))
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.CANCELLED)
    response = client.post(
        reverse("checklists:visit_kit_tick", args=[visit.pk]),
        {"item": run_item(visit, "badge").pk, "ticked": "1"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("已取消" in m for m in messages), messages
    assert not run_item(visit, "badge").ticked
    # The closed kit is shown read-only, without the script.
    page = response.content.decode()
    assert "disabled" in page and "checklists/kit.js" not in page


def test_a_supervisor_sees_the_kit_read_only(login, visit, supervisor):
    tick_all(visit, except_codes=("mat_cloth",))
    response = login(supervisor).get(kit_page(visit))
    assert response.status_code == 200
    assert not response.context["state"].editable
    assert "一张垫布" in response.content.decode()


def test_the_kit_page_in_english(login, visit):
    client = login(visit.engineer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(kit_page(visit)).content.decode()
    assert "A pair of shoe covers" in page and "Carrying FAQ handbook instead" in page


def test_the_kit_page_reads_in_a_constant_number_of_queries(login, ticket, supervisor):
    """A kit of 9 or of 19 items costs the same queries."""
    visit = make_visit(ticket, supervisor)  # any user may be a visit's engineer in a test
    client = login(visit.engineer)
    client.get(kit_page(visit))
    with CaptureQueriesContext(connection) as few:
        client.get(kit_page(visit))
    for n in range(10):
        ChecklistItem.objects.create(code=f"extra-{n}", group="kit", label_zh=f"物品{n}")
    later = make_visit(ticket, visit.engineer, start=visit.start + timedelta(hours=3))
    client.get(kit_page(later))
    with CaptureQueriesContext(connection) as many:
        response = client.get(kit_page(later))
    assert len(response.context["state"].items) == 19
    assert len(many) == len(few)


def test_my_kits_lists_the_engineers_visits_ahead_in_constant_queries(login, ticket, engineer):
    first = make_visit(ticket, engineer)
    tick_all(first, except_codes=("badge",))
    client = login(engineer)
    with CaptureQueriesContext(connection) as one:
        response = client.get(reverse("checklists:my_kits"))
    assert "8/9" in response.content.decode()
    for n in range(1, 6):
        make_visit(ticket, engineer, start=first.start + timedelta(hours=2 * n))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("checklists:my_kits"))
    assert len(response.context["visits"]) == 6
    assert len(many) == len(one)


# Supervisor: items page


def test_supervisor_adds_edits_moves_and_retires_items_on_the_page(login, supervisor):
    client = login(supervisor)
    assert client.get(reverse("checklists:items")).status_code == 200
    response = client.post(
        reverse("checklists:item_add"),
        {"group": "kit", "label_zh": "一个充电宝", "label_en": "A power bank", "required": ""},
    )
    assert response.status_code == 302
    item = ChecklistItem.objects.get(label_zh="一个充电宝")
    assert not item.required

    response = client.post(
        reverse("checklists:item_edit", args=[item.pk]),
        {"group": "kit", "label_zh": "一个移动电源", "label_en": "A power bank", "required": "on"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.label_zh, item.required) == ("一个移动电源", True)

    client.post(reverse("checklists:item_move", args=[item.pk]), {"direction": "up"})
    item.refresh_from_db()
    assert item.position == 7

    client.post(reverse("checklists:item_active", args=[item.pk]), {"active": "0"})
    item.refresh_from_db()
    assert not item.active
    page = client.get(reverse("checklists:items")).content.decode()
    assert "一个移动电源" in page and "恢复使用 一个移动电源" in page
    assert [c.kind for c in item.changes.order_by("id")] == [
        "created",
        "edited",
        "moved",
        "retired",
    ]


def test_an_item_without_a_chinese_label_is_refused_on_the_page(login, supervisor):
    response = login(supervisor).post(
        reverse("checklists:item_add"), {"group": "kit", "label_zh": "", "label_en": "x"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["label_zh"]


def test_items_pages_are_for_supervisors(login, engineer, dispatcher):
    for user in (engineer, dispatcher):
        client = login(user)
        assert client.get(reverse("checklists:items")).status_code == 403
        item = ChecklistItem.objects.first()
        response = client.post(reverse("checklists:item_active", args=[item.pk]), {"active": "0"})
        assert response.status_code == 403
    assert ChecklistItem.objects.filter(active=True).count() == 9


def test_items_page_reads_in_a_constant_number_of_queries(login, supervisor):
    client = login(supervisor)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("checklists:items"))
    for n in range(6):
        services.create_item(actor=supervisor, group="kit", label_zh=f"物品{n}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("checklists:items"))
    assert len(many) == len(few)


def test_the_gate_line_for_the_visit_page_names_what_is_missing(visit):
    """checklists/_kit_gate.html is for the visits app's page: it reads the stamp the R20
    gate reads."""
    from django.template.loader import render_to_string

    tick_all(visit, except_codes=("mat_cloth",))
    html = render_to_string("checklists/_kit_gate.html", {"visit": visit})
    assert "七个一未完成，还差： 一张垫布" in " ".join(html.split())
    assert f"/kit/visit/{visit.pk}/" in html
    services.tick_item(actor=visit.engineer, visit=visit, item=run_item(visit, "mat_cloth").pk)
    visit.refresh_from_db()
    html = render_to_string("checklists/_kit_gate.html", {"visit": visit})
    assert "kit-gate-line ok" in html and "✓ 七个一与自检完成" in html


def test_r19_the_page_asks_for_the_self_check_again_when_it_is_too_old(login, visit):
    """R19 on the pages: a self-check older than the window shows to be done again, arrival is
    refused in words, and one tap redoes it."""
    import time_machine
    from django.utils import timezone

    client = login(visit.engineer)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        tick_all(visit)
        clock.shift(timedelta(minutes=100))
        page = client.get(kit_page(visit)).content.decode()
        assert "data-kit-redo" in page and "30 分钟" in page
        response = client.post(reverse("visits:arrive", args=[visit.pk]), follow=True)
        assert "重新自检" in response.content.decode()
        visit.refresh_from_db()
        assert visit.arrived_at is None
        client.post(
            reverse("checklists:visit_kit_tick", args=[visit.pk]),
            {"item": run_item(visit, "self_check").pk, "ticked": "1"},
        )
        assert "data-kit-redo" not in client.get(kit_page(visit)).content.decode()
        client.post(reverse("visits:arrive", args=[visit.pk]))
        visit.refresh_from_db()
        assert visit.arrived_at is not None
