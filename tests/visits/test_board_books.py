"""The board books (issue 15, item 8): the tickets waiting for a visit beside the board, a free
hour clicked to book one, today's "now" line and a legend of every colour. Booking itself stays
the booking service's (R7 clash, R1/R2 details): the board only opens its form, filled in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Ticket, TicketStatus
from tests.factories import open_ticket
from tests.visits.conftest import AFTERNOON, minutes
from tests.visits.factories import book
from visits import selectors, services
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def legend_of(page: str) -> str:
    return page.split("颜色说明")[1].split("</ul>")[0]


def waiting_panel(page: str) -> str:
    return page.split('id="waiting-title"')[1]


class TestWaitingTickets:
    def test_the_open_tickets_without_a_visit_oldest_first(self, clock, dispatcher, engineer):
        first = open_ticket(dispatcher, customer_name="甲先生")
        clock.shift(minutes(5))
        booked = open_ticket(dispatcher, customer_name="乙先生")
        book(dispatcher, booked, engineer, AFTERNOON)
        clock.shift(minutes(5))
        closed = open_ticket(dispatcher, customer_name="丙先生")
        Ticket.objects.filter(pk=closed.pk).update(
            status=TicketStatus.CLOSED, closed_at=timezone.now()
        )
        clock.shift(minutes(5))
        called_off = open_ticket(dispatcher, customer_name="丁先生")
        visit = book(dispatcher, called_off, engineer, AFTERNOON + timedelta(hours=2))
        services.cancel_visit(
            actor=dispatcher, visit=visit, reason="客户临时出差", customer_agreed=True
        )
        clock.shift(minutes(5))
        nobody_home = open_ticket(dispatcher, customer_name="己先生")
        done = open_ticket(dispatcher, customer_name="庚先生")
        left = ((nobody_home, VisitStatus.NO_ANSWER, 4), (done, VisitStatus.RESOLVED, 6))
        for ticket, status, hour in left:
            visit = book(dispatcher, ticket, engineer, AFTERNOON + timedelta(hours=hour))
            Visit.objects.filter(pk=visit.pk).update(status=status)  # as the engineer left it
        clock.shift(minutes(5))
        last = open_ticket(dispatcher, customer_name="戊先生")

        waiting = selectors.waiting_tickets()
        # Its last visit cancelled, a ticket waits again; a visit to come, one over (nobody at
        # the door: the note card follows, R13; or done) or a close takes it off the list.
        assert [t.number for t in waiting.tickets] == [first.number, called_off.number, last.number]
        assert waiting.total == 3 and not waiting.capped and waiting.hidden == 0

    def test_one_query_shown_and_counted_up_to_a_cap(
        self, clock, dispatcher, django_assert_num_queries
    ):
        for _ in range(6):
            open_ticket(dispatcher)
        with django_assert_num_queries(1):
            waiting = selectors.waiting_tickets(shown=2, counted=4)
        assert len(waiting.tickets) == 2
        assert waiting.total == 4 and waiting.capped and waiting.hidden == 2
        with django_assert_num_queries(1):
            assert selectors.waiting_tickets(shown=2).total == 6

    def test_none_waiting(self, clock, dispatcher):
        waiting = selectors.waiting_tickets()
        assert waiting.tickets == [] and waiting.total == 0


class TestBoardPage:
    def test_the_panel_lists_waiting_tickets_with_one_action_each(self, clock, login, dispatcher):
        ready = open_ticket(dispatcher, customer_name="钱女士")
        incomplete = open_ticket(dispatcher, customer_name="孙先生", location_detail="")
        panel = waiting_panel(text(login(dispatcher).get(reverse("visits:board"))))
        assert "待预约上门" in panel and "钱女士" in panel and "孙先生" in panel
        assert f"view=day&amp;ticket={ready.number}" in panel
        assert "选择时间" in panel
        # R1: a ticket missing a fact can't be booked: its action completes the details.
        assert f"ticket={incomplete.number}" not in panel
        assert reverse("dispatch:ticket_detail", args=[incomplete.number]) in panel
        assert "补全工单信息" in panel

    def test_no_ticket_waiting_says_so(self, clock, login, dispatcher):
        panel = waiting_panel(text(login(dispatcher).get(reverse("visits:board"))))
        assert "所有未结工单都已预约上门" in panel

    def test_a_picked_ticket_offers_every_free_hour_as_a_booking_link(
        self, clock, login, dispatcher, visit, ticket
    ):
        other = open_ticket(dispatcher, customer_name="钱女士")
        page = text(login(dispatcher).get(reverse("visits:board"), {"ticket": other.number}))
        book_url = reverse("visits:book", args=[other.number])
        engineer = visit.engineer.pk
        # 09:00–14:00 free (the visit is 14:00–15:00): one link an hour, filled in.
        for hour in ("09:00", "10:00", "11:00", "12:00", "13:00", "15:00", "19:00"):
            link = f"{book_url}?engineer={engineer}&amp;day=2026-11-23&amp;start_time={hour}"
            assert f"{link}&amp;duration=60" in page
        assert "start_time=14:00" not in page  # busy
        assert "已选中：请选择空闲时段" in waiting_panel(page)
        assert "点击空闲时段即可预约" in page

    def test_a_free_hour_cut_short_by_a_visit_books_what_is_left(
        self, clock, login, dispatcher, engineer
    ):
        book(dispatcher, open_ticket(dispatcher), engineer, AFTERNOON + minutes(30))
        other = open_ticket(dispatcher)
        page = text(login(dispatcher).get(reverse("visits:board"), {"ticket": other.number}))
        assert "start_time=14:00&amp;duration=30" in page

    def test_the_cells_open_the_booking_form_filled_in(self, clock, login, dispatcher, engineer):
        ticket = open_ticket(dispatcher)
        page = text(
            login(dispatcher).get(
                reverse("visits:book", args=[ticket.number]),
                {
                    "engineer": engineer.pk,
                    "day": "2026-11-23",
                    "start_time": "10:00",
                    "duration": 60,
                },
            )
        )
        assert 'value="10:00"' in page and f'<option value="{engineer.pk}" selected' in page
        assert "工程师此时段空闲" in page

    def test_today_has_a_now_line_other_days_not(self, clock, login, dispatcher, engineer):
        client = login(dispatcher)
        today = text(client.get(reverse("visits:board")))
        assert 'class="now-line"' in today and "现在 <time>09:00</time>" in today
        # 09:00 is an hour into the 08:00–20:00 window: 1/12 of the way.
        assert 'class="now-line" style="left:8.333%"' in today
        tomorrow = text(client.get(reverse("visits:board"), {"day": "2026-11-24"}))
        assert "now-line" not in tomorrow

    def test_the_legend_names_every_colour(self, clock, login, dispatcher, engineer):
        client = login(dispatcher)
        legend = legend_of(text(client.get(reverse("visits:board"))))
        for words in ("已预约", "已再次确认", "已解决", "未解决", "无人应答", "空闲", "现在"):
            assert words in legend
        picking = open_ticket(dispatcher)
        legend = text(client.get(reverse("visits:board"), {"ticket": picking.number}))
        assert "拟预约时间已被占用" in legend_of(legend)
        week = legend_of(text(client.get(reverse("visits:board"), {"view": "week"})))
        assert "今天" in week and "空闲" not in week

    @pytest.mark.parametrize("view", ["day", "week"])
    def test_the_board_and_its_waiting_list_are_a_constant_number_of_queries(
        self, view, clock, login, dispatcher, engineer, engineer2, django_assert_max_num_queries
    ):
        client = login(dispatcher)
        book(dispatcher, open_ticket(dispatcher), engineer, AFTERNOON)
        open_ticket(dispatcher)
        with django_assert_max_num_queries(20) as few:
            client.get(reverse("visits:board"), {"view": view})
        for i in range(1, 6):
            open_ticket(dispatcher, customer_name=f"客户{i}")
            for person in (engineer, engineer2):
                start = AFTERNOON + minutes(1440 * (i if view == "week" else 0) + 60 * i)
                book(dispatcher, open_ticket(dispatcher), person, start)
        with django_assert_max_num_queries(len(few.captured_queries)):
            page = text(client.get(reverse("visits:board"), {"view": view}))
        assert "客户5" in waiting_panel(page)


def test_the_board_in_english_says_it_in_english(clock, login, dispatcher):
    open_ticket(dispatcher)
    client = login(dispatcher)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = text(client.get(reverse("visits:board")))
    assert "Waiting for a visit" in page and "Choose a time" in page and "Now" in page
