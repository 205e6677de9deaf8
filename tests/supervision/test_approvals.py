"""Issue 15: every decision waiting for a supervisor in one inbox — late changes of a visit
(R11), second transfers (R4) and waivers of a promise owed (R6, R13, R15) — on its own page and
on the dashboard, in a constant number of queries; the pending state shown on the ticket and on
the engineer's visit page, in words."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from dispatch import services as desk
from dispatch import transfers, waivers
from dispatch.models import TicketStatus, TransferRequest, WaiverRequest
from tests.factories import make_user, open_ticket
from tests.html import visible_text
from tests.visits.conftest import AFTERNOON, at, clock, minutes, visit  # noqa: F401
from visits import services
from visits.models import RequestState, RescheduleRequest, Visit, VisitStatus

pytestmark = pytest.mark.django_db

INBOX = reverse("supervision:approvals")
NEW = AFTERNOON + minutes(24 * 60)


def late_request(actor, visit):  # noqa: F811
    return services.request_late_reschedule(
        actor=actor,
        visit=visit,
        start=NEW,
        end=NEW + minutes(60),
        reason="台风预警，道路封闭",
        customer_agreed=True,
    )


def second_transfer(ticket, owner, second, third):
    desk.transfer_ticket(actor=owner, ticket=ticket, to_user=second, note="首次交接")
    return transfers.request_second_transfer(
        actor=second, ticket=ticket, to_user=third, note="夜班跟进，客户已说明情况"
    )


def staff(n):
    return make_user("dispatcher", username=f"desk_{n}")


def test_the_inbox_lists_both_kinds_and_says_them_in_words(
    login,
    clock,  # noqa: F811
    visit,  # noqa: F811
    dispatcher,
    supervisor,
):
    clock.move_to(at(13, 0))  # an hour short of the 2-hour notice (R11)
    late_request(dispatcher, visit)
    ticket = open_ticket(dispatcher, customer_name="钱女士", phone="13900139000")
    second_transfer(ticket, dispatcher, staff(2), staff(3))
    owing = open_ticket(dispatcher, customer_name="孙先生", phone="13900139001")
    waivers.request_waiver(
        actor=dispatcher, ticket=owing, resolution="已恢复信号", reason="客户出国，无法回访"
    )
    html = login(supervisor).get(INBOX).content.decode()
    assert "待您审批" in html
    assert "不足 2 小时的改约" in html and "台风预警，道路封闭" in html
    assert "二次转派" in html and "夜班跟进，客户已说明情况" in html
    assert "豁免未兑现承诺" in html and "客户出国，无法回访" in html
    assert html.count('name="approve"') == 3
    for english_or_id in ("R4", "R6", "R11", "Approve", "Second transfer", "Waiver"):
        assert not re.search(rf"\b{english_or_id}\b", visible_text(html))


def test_the_inbox_is_for_supervisors(login, dispatcher):
    assert login(dispatcher).get(INBOX).status_code == 403


def test_the_inbox_and_dashboard_keep_their_queries_for_1_and_20_requests(
    login, supervisor, dispatcher, engineer, django_assert_max_num_queries
):
    people = [staff(n) for n in range(3)]
    start = AFTERNOON + timedelta(days=3)

    def add(i):
        ticket = open_ticket(dispatcher, phone=f"139{i:08d}")
        booked = Visit.objects.create(
            ticket=ticket,
            engineer=engineer,
            booked_by=dispatcher,
            start=start + timedelta(hours=2 * i),
            end=start + timedelta(hours=2 * i + 1),
        )
        RescheduleRequest.objects.create(
            visit=booked,
            requested_by=dispatcher,
            reason="台风",
            new_start=booked.start + timedelta(days=7),
            new_end=booked.end + timedelta(days=7),
            new_engineer=engineer,
        )
        ticket.transfer_count = 1
        ticket.save(update_fields=["transfer_count"])
        TransferRequest.objects.create(
            ticket=ticket, requested_by=dispatcher, to_user=people[i % 3], note="交接"
        )
        WaiverRequest.objects.create(
            ticket=ticket, asked_by=dispatcher, resolution="已恢复", reason="无法回访"
        )

    add(0)
    client = login(supervisor)
    dashboard = reverse("supervision:supervisor")
    with django_assert_max_num_queries(9) as inbox_queries:
        assert client.get(INBOX).status_code == 200
    # The dashboard budget of tests/supervision/test_dashboard.py (with customers today, and
    # the waivers' query).
    with django_assert_max_num_queries(15) as dashboard_queries:
        assert client.get(dashboard).status_code == 200
    for i in range(1, 20):
        add(i)
    with django_assert_max_num_queries(len(inbox_queries.captured_queries)):
        page = client.get(INBOX)
    assert len(page.context["late_changes"]) == 20
    assert len(page.context["transfers"]) == 20
    assert len(page.context["waivers"]) == 20
    with django_assert_max_num_queries(len(dashboard_queries.captured_queries)):
        client.get(dashboard)


def test_r11_a_decision_in_the_inbox_comes_back_to_it(
    login,
    clock,  # noqa: F811
    visit,  # noqa: F811
    dispatcher,
    supervisor,
):
    clock.move_to(at(13, 0))
    request = late_request(dispatcher, visit)
    response = login(supervisor).post(
        reverse("visits:decide", args=[request.pk]),
        {"reject": "1", "note": "请按原时间上门", "next": INBOX},
    )
    assert response.status_code == 302
    assert response["Location"] == INBOX
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED
    visit.refresh_from_db()
    assert visit.status == VisitStatus.BOOKED


def test_r4_a_decision_names_no_other_site(login, dispatcher, supervisor):
    ticket = open_ticket(dispatcher)
    request = second_transfer(ticket, dispatcher, staff(2), staff(3))
    response = login(supervisor).post(
        reverse("dispatch:transfer_decide", args=[request.pk]),
        {"reject": "1", "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("dispatch:ticket_detail", args=[ticket.number])


def test_r11_the_pending_change_shows_on_the_ticket_and_the_engineers_phone(
    login,
    clock,  # noqa: F811
    visit,  # noqa: F811
    dispatcher,
    engineer,
):
    clock.move_to(at(13, 0))
    late_request(dispatcher, visit)
    ticket_page = login(dispatcher).get(
        reverse("dispatch:ticket_detail", args=[visit.ticket.number])
    )
    html = ticket_page.content.decode()
    assert "待审批" in html
    assert "正在等待主管审批" in html and "审批前，上门仍按原预约进行" in html
    phone = login(engineer).get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert 'id="pending-change"' in phone
    assert "正在等待主管审批" in phone
    assert not re.search(r"\bR11\b", visible_text(phone))


def test_the_dashboard_refreshes_its_regions_at_the_set_interval(settings, login, supervisor):
    settings.DASHBOARD_REFRESH_SECONDS = 7
    html = login(supervisor).get(reverse("supervision:supervisor")).content.decode()
    assert html.count("data-live") == 2  # the approvals and the figures, each on its own
    assert html.count("every 7s") == 2
    assert "supervision/live.js" in html
    assert "暂无待审批事项。" in html


def test_r6_a_waiver_approved_in_the_inbox_closes_the_ticket_and_comes_back(
    login, dispatcher, supervisor
):
    ticket = open_ticket(dispatcher)
    request = waivers.request_waiver(
        actor=dispatcher, ticket=ticket, resolution="已恢复信号", reason="客户出国，无法回访"
    )
    response = login(supervisor).post(
        reverse("dispatch:waiver_decide", args=[request.pk]),
        {"approve": "1", "next": INBOX},
    )
    assert response.status_code == 302 and response.url == INBOX
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
