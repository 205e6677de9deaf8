"""The visit pages: the board, booking with the conflict check and the SMS preview, the
reschedule and cancel dialogs, the engineer's today and walk-through. Rules refused by a service
come back as sentences on the page, never as a 500."""

import re

import pytest
from django.urls import reverse

from dispatch.models import Notification
from dispatch.people import display_name
from tests.factories import open_ticket
from tests.visits.conftest import AFTERNOON, at, minutes
from tests.visits.factories import arrived, book, confirmed, kit_done
from visits import services
from visits.models import DoorCheck, Visit, VisitStatus

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def slot(engineer, day="2026-11-23", start="14:00", duration=60, **extra):
    return {
        "engineer": engineer.pk,
        "day": day,
        "start_time": start,
        "duration": duration,
        **extra,
    }


class TestBoard:
    def test_the_day_board_shows_busy_and_free_time_per_engineer(
        self, clock, login, dispatcher, visit, engineer2
    ):
        page = text(login(dispatcher).get(reverse("visits:board")))
        assert visit.ticket.customer_name in page
        assert "14:00–15:00" in page
        assert "空闲" in page and "09:00–14:00" in page and "15:00–20:00" in page
        assert engineer2.last_name in page

    def test_the_week_board(self, clock, login, dispatcher, visit):
        page = text(login(dispatcher).get(reverse("visits:board"), {"view": "week"}))
        assert "14:00–15:00" in page
        assert reverse("visits:detail", args=[visit.pk]) in page

    @pytest.mark.parametrize("view", ["day", "week"])
    def test_a_name_is_shown_as_written_never_as_markup(
        self, view, clock, login, dispatcher, engineer
    ):
        ticket = open_ticket(dispatcher, customer_name='<b>"O\'Hara" & 子</b>')
        book(dispatcher, ticket, engineer, AFTERNOON)
        page = text(login(dispatcher).get(reverse("visits:board"), {"view": view}))
        assert "&lt;b&gt;&quot;O&#x27;Hara&quot; &amp; 子&lt;/b&gt;" in page
        assert '<b>"O' not in page

    def test_the_week_says_each_days_free_hours_or_full(self, clock, login, dispatcher, engineer):
        book(dispatcher, open_ticket(dispatcher), engineer, AFTERNOON, minutes=90)
        wednesday = AFTERNOON.replace(day=25, hour=8)
        for hour in range(12):  # 08:00–20:00, the whole working day
            book(dispatcher, open_ticket(dispatcher), engineer, wednesday + minutes(60 * hour))
        page = text(login(dispatcher).get(reverse("visits:board"), {"view": "week"}))
        row = page.split(f'<th scope="row">{display_name(engineer)}</th>')[1].split("</tr>")[0]
        # Monday from now (09:00) less the visit; Wednesday booked through; the rest open.
        assert re.findall(r'<div class="muted small">(.*?)</div>', row) == [
            "空闲 9.5 小时",
            "空闲 12 小时",
            "已排满",
            *["空闲 12 小时"] * 4,
        ]

    def test_booking_mode_links_free_time_to_the_booking_form(
        self, clock, login, dispatcher, ticket, engineer
    ):
        page = text(login(dispatcher).get(reverse("visits:board"), {"ticket": ticket.number}))
        assert f"/visits/book/{ticket.number}/?engineer={engineer.pk}" in page

    def test_the_board_is_a_constant_number_of_queries(
        self, clock, login, dispatcher, engineer, engineer2, django_assert_max_num_queries
    ):
        client = login(dispatcher)
        book(dispatcher, open_ticket(dispatcher), engineer, AFTERNOON)
        with django_assert_max_num_queries(20) as few:
            client.get(reverse("visits:board"), {"view": "week"})
        for i in range(1, 6):
            for person in (engineer, engineer2):
                book(dispatcher, open_ticket(dispatcher), person, AFTERNOON + minutes(1440 * i))
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(reverse("visits:board"), {"view": "week"})

    def test_engineers_have_no_board(self, clock, login, engineer):
        assert login(engineer).get(reverse("visits:board")).status_code == 403


class TestBooking:
    def test_the_ticket_page_links_to_booking(self, clock, login, dispatcher, ticket):
        page = text(login(dispatcher).get(reverse("dispatch:ticket_detail", args=[ticket.number])))
        assert reverse("visits:book", args=[ticket.number]) in page
        assert "预约上门" in page

    def test_r7_the_check_shows_a_clash_before_submitting(self, clock, login, dispatcher, visit):
        other = open_ticket(dispatcher, customer_name="钱女士")
        response = login(dispatcher).get(
            reverse("visits:check"),
            {"ticket": other.number, **slot(visit.engineer, start="14:30")},
        )
        page = text(response)
        assert response.status_code == 200
        assert visit.ticket.number in page and "R7" not in page
        assert "slot proposed clash" in page

    def test_r26_the_check_shows_the_booking_sms_before_it_is_sent(
        self, clock, login, dispatcher, ticket, engineer
    ):
        page = text(
            login(dispatcher).get(
                reverse("visits:check"), {"ticket": ticket.number, **slot(engineer)}
            )
        )
        assert "工程师此时段空闲" in page
        assert "我们需要到现场测试" in page and "11月23日 14:00–15:00" in page
        assert not Notification.objects.filter(template="visit_booked").exists()

    def test_booking_redirects_to_the_visit(self, clock, login, dispatcher, ticket, engineer):
        response = login(dispatcher).post(
            reverse("visits:book", args=[ticket.number]), slot(engineer)
        )
        visit = Visit.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("visits:detail", args=[visit.pk])

    def test_r7_a_clash_is_a_form_error(self, clock, login, dispatcher, visit):
        other = open_ticket(dispatcher)
        response = login(dispatcher).post(
            reverse("visits:book", args=[other.number]), slot(visit.engineer, start="14:30")
        )
        assert response.status_code == 400
        assert visit.ticket.number in text(response)
        assert Visit.objects.count() == 1

    def test_r7_a_lost_race_is_a_form_error_not_a_500(
        self, clock, login, dispatcher, visit, monkeypatch
    ):
        monkeypatch.setattr(services.booking.slots, "check_engineer_free", lambda **kw: None)
        other = open_ticket(dispatcher)
        response = login(dispatcher).post(
            reverse("visits:book", args=[other.number]), slot(visit.engineer, start="14:30")
        )
        assert response.status_code == 400
        assert "刚刚被预约了重叠的时间" in text(response)
        assert Visit.objects.count() == 1

    def test_r2_missing_contact_is_said_on_the_page(self, clock, login, dispatcher, engineer):
        ticket = open_ticket(dispatcher, phone="")
        client = login(dispatcher)
        assert "缺少的联系信息" in text(client.get(reverse("visits:book", args=[ticket.number])))
        response = client.post(reverse("visits:book", args=[ticket.number]), slot(engineer))
        assert response.status_code == 400 and "不能预约上门" in text(response)


class TestDialogs:
    def test_r11_the_reschedule_dialog_explains_the_rule_before_trying(
        self, clock, login, dispatcher, visit
    ):
        client = login(dispatcher)
        page = text(client.get(reverse("visits:reschedule", args=[visit.pk])))
        assert "2 小时" in page and "12:00" in page  # reschedule until 12:00
        clock.move_to(at(13, 0))
        page = text(client.get(reverse("visits:reschedule", args=[visit.pk])))
        assert "不可抗力" in page and "60 分钟" in page
        assert "提交主管审批" in page

    def test_r7_the_reschedule_dialog_checks_the_new_time_against_other_visits(
        self, clock, login, dispatcher, visit
    ):
        client = login(dispatcher)
        page = text(client.get(reverse("visits:reschedule", args=[visit.pk])))
        assert "工程师此时段空闲" in page  # its own current time doesn't clash with itself
        other = book(dispatcher, open_ticket(dispatcher), visit.engineer, AFTERNOON + minutes(1440))
        page = text(
            client.get(
                reverse("visits:check"),
                {"visit": visit.pk, "reason": "客户出差", **slot(visit.engineer, day="2026-11-24")},
            )
        )
        assert other.ticket.number in page
        assert "非常抱歉，由于客户出差" in page  # the apology SMS, before it is sent

    def test_r11_a_late_reschedule_without_force_majeure_is_refused_on_the_form(
        self, clock, login, dispatcher, visit
    ):
        clock.move_to(at(13, 0))
        response = login(dispatcher).post(
            reverse("visits:reschedule", args=[visit.pk]),
            slot(visit.engineer, day="2026-11-24", reason="台风", customer_agreed="on"),
        )
        assert response.status_code == 400
        assert "2 小时" in text(response) and "R11" not in text(response)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.BOOKED

    def test_r11_a_dispatchers_force_majeure_goes_for_approval(
        self, clock, login, dispatcher, visit
    ):
        clock.move_to(at(13, 0))
        response = login(dispatcher).post(
            reverse("visits:reschedule", args=[visit.pk]),
            slot(
                visit.engineer,
                day="2026-11-24",
                reason="台风",
                customer_agreed="on",
                force_majeure="on",
            ),
        )
        assert response.status_code == 302
        assert visit.reschedule_requests.get().state == "pending"

    def test_r11_the_supervisor_approves_on_the_visit_page(
        self, clock, login, dispatcher, supervisor, visit
    ):
        clock.move_to(at(13, 0))
        req = services.request_late_reschedule(
            actor=dispatcher,
            visit=visit,
            reason="台风",
            customer_agreed=True,
            start=AFTERNOON + minutes(1440),
            end=AFTERNOON + minutes(1500),
        )
        client = login(supervisor)
        page = text(client.get(reverse("visits:detail", args=[visit.pk])))
        assert reverse("visits:decide", args=[req.pk]) in page
        response = client.post(reverse("visits:decide", args=[req.pk]), {"approve": "1"})
        new = Visit.objects.get(rescheduled_from=visit)
        assert response["Location"] == reverse("visits:detail", args=[new.pk])

    @pytest.mark.parametrize("body", [{}, {"note": "嗯"}, {"approve": "1", "reject": "1"}])
    def test_r11_a_decision_that_names_neither_or_both_is_400_and_decides_nothing(
        self, clock, login, dispatcher, supervisor, visit, body
    ):
        clock.move_to(at(13, 0))
        req = services.request_late_reschedule(
            actor=dispatcher,
            visit=visit,
            reason="台风",
            customer_agreed=True,
            start=AFTERNOON + minutes(1440),
            end=AFTERNOON + minutes(1500),
        )
        response = login(supervisor).post(reverse("visits:decide", args=[req.pk]), body)
        assert response.status_code == 400
        assert "请选择批准或驳回" in text(response)
        req.refresh_from_db()
        assert (req.state, req.decided_by) == ("pending", None)

    def test_reschedule_on_time_moves_the_visit(self, clock, login, dispatcher, visit, engineer2):
        response = login(dispatcher).post(
            reverse("visits:reschedule", args=[visit.pk]),
            slot(engineer2, day="2026-11-24", reason="客户出差", customer_agreed="on"),
        )
        new = Visit.objects.get(rescheduled_from=visit)
        assert response["Location"] == reverse("visits:detail", args=[new.pk])
        assert new.engineer == engineer2

    def test_cancel_dialog(self, clock, login, dispatcher, visit):
        client = login(dispatcher)
        response = client.post(reverse("visits:cancel", args=[visit.pk]), {"reason": ""})
        assert response.status_code == 400
        client.post(
            reverse("visits:cancel", args=[visit.pk]),
            {"reason": "客户取消", "customer_agreed": "on"},
        )
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CANCELLED

    def test_the_cancel_dialog_says_why_it_refuses_a_visit_under_way(
        self, clock, login, dispatcher, visit
    ):
        confirmed(visit)
        services.depart_for_visit(actor=visit.engineer, visit=visit)
        page = text(login(dispatcher).get(reverse("visits:cancel", args=[visit.pk])))
        assert "已出发" in page
        assert 'name="reason"' not in page

    def test_the_desk_page_shows_sms_deadlines_and_violations(
        self, clock, login, dispatcher, visit
    ):
        confirmed(visit)
        clock.move_to(at(14, 10))
        services.record_arrival(actor=visit.engineer, visit=visit)
        page = text(login(dispatcher).get(reverse("visits:detail", args=[visit.pk])))
        assert "我们需要到现场测试" in page  # the booking SMS in the outbox
        assert "迟到" in page and "15 分钟" in page  # R9: 15 minutes after 13:55
        assert "再次确认" in page


class TestEngineerPages:
    def test_today_lists_own_visits_in_time_order(self, clock, login, dispatcher, visit, engineer2):
        early = book(
            dispatcher, open_ticket(dispatcher, customer_name="孙先生"), visit.engineer, at(10)
        )
        book(dispatcher, open_ticket(dispatcher, customer_name="周女士"), engineer2, at(11))
        page = text(login(visit.engineer).get(reverse("visits:today")))
        assert page.index("孙先生") < page.index(visit.ticket.customer_name)
        assert "周女士" not in page
        assert reverse("visits:detail", args=[early.pk]) in page

    def test_today_is_a_constant_number_of_queries(
        self, clock, login, dispatcher, engineer, django_assert_max_num_queries
    ):
        client = login(engineer)
        book(dispatcher, open_ticket(dispatcher), engineer, at(10))
        with django_assert_max_num_queries(20) as few:
            client.get(reverse("visits:today"))
        for hour in range(11, 19):
            book(dispatcher, open_ticket(dispatcher), engineer, at(hour))
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(reverse("visits:today"))

    def test_home_sends_an_engineer_to_today(self, clock, login, engineer):
        response = login(engineer).get("/")
        assert response["Location"] == reverse("visits:today")

    def test_another_engineers_visit_is_404(self, clock, login, visit, engineer2):
        client = login(engineer2)
        assert client.get(reverse("visits:detail", args=[visit.pk])).status_code == 404
        assert client.post(reverse("visits:reconfirm", args=[visit.pk])).status_code == 404

    def test_r21_the_visit_page_walks_the_five_things(self, clock, login, visit):
        client = login(visit.engineer)
        page = text(client.get(reverse("visits:detail", args=[visit.pk])))
        for title in ("打电话", "检查装备", "进门", "作业", "离开"):
            assert title in page
        assert 'aria-current="step"' in page
        assert "已与客户再次确认时间" in page
        # Step 2's page is the checklists app's, offered to visits through visits.extensions.
        assert f'href="/kit/visit/{visit.pk}/"' in page

    def test_r8_r20_r9_the_buttons_post_to_the_services(self, clock, login, visit):
        client = login(visit.engineer)
        client.post(reverse("visits:reconfirm", args=[visit.pk]))
        response = client.post(reverse("visits:arrive", args=[visit.pk]), follow=True)
        assert "七个一" in text(response)  # refused: kit incomplete, said on the page
        kit_done(visit)
        clock.move_to(at(13, 50))
        response = client.post(
            reverse("visits:arrive", args=[visit.pk]),
            {"latitude": "23.1", "longitude": "113.2"},
            follow=True,
        )
        visit.refresh_from_db()
        assert visit.status == VisitStatus.ARRIVED and visit.arrival_punctual
        assert "提前 5 分钟：准时" in text(response)

    def test_r13_the_door_shows_the_wait_timer(self, clock, login, visit):
        arrived(visit)
        client = login(visit.engineer)
        client.post(reverse("visits:knock", args=[visit.pk]))
        clock.shift(minutes(4))
        page = text(client.get(reverse("visits:detail", args=[visit.pk])))
        assert 'data-seconds-left="360"' in page and "06:00" in page
        assert 'id="no-answer-btn"' in page and "disabled" in page

    def test_r13_the_note_form_keeps_its_times_to_the_facts(self, clock, login, visit):
        # R13: the card's times agree with the recorded arrival, no-answer mark and clock.
        arrived(visit)  # 09:00
        client = login(visit.engineer)
        response = client.post(reverse("visits:call_failed", args=[visit.pk]), follow=True)
        visit.refresh_from_db()
        assert visit.call_failed_at is None  # no call before the knock
        assert "先敲门" in text(response)
        client.post(reverse("visits:knock", args=[visit.pk]))
        client.post(reverse("visits:call_failed", args=[visit.pk]))
        clock.shift(minutes(10))
        client.post(reverse("visits:no_answer", args=[visit.pk]))
        page = text(client.get(reverse("visits:detail", args=[visit.pk])))
        assert 'value="10000"' not in page  # the phone is the engineer's own, not the hotline
        clock.shift(minutes(2))
        body = {
            "customer_surname": "赵",
            "arrived_at": "2026-11-23T07:00",
            "departed_at": "2026-11-23T09:30",
            "engineer_name": "王工",
            "contact_phone": "13800139000",
        }
        response = client.post(reverse("visits:note", args=[visit.pk]), body)
        assert response.status_code == 400
        form = response.context["note_form"]
        assert "09:00" in form.errors["arrived_at"][0]
        body["arrived_at"] = "2026-11-23T09:00"
        response = client.post(reverse("visits:note", args=[visit.pk]), body)
        assert "晚于现在" in response.context["note_form"].errors["departed_at"][0]
        body["departed_at"], body["contact_phone"] = "2026-11-23T09:12", "10000"
        response = client.post(reverse("visits:note", args=[visit.pk]), body)
        assert "10000" in response.context["note_form"].errors["contact_phone"][0]
        body["contact_phone"] = "13800139000"
        client.post(reverse("visits:note", args=[visit.pk]), body)
        visit.refresh_from_db()
        assert visit.note.contact_phone == "13800139000"

    def test_r14_start_work_form_errors_stay_on_the_page(self, clock, login, visit):
        arrived(visit)
        client = login(visit.engineer)
        response = client.post(
            reverse("visits:start_work", args=[visit.pk]), {"door_checks": [DoorCheck.BADGE]}
        )
        assert response.status_code == 400 and "errorlist" in text(response)
        client.post(
            reverse("visits:start_work", args=[visit.pk]), {"door_checks": DoorCheck.values}
        )
        visit.refresh_from_db()
        assert visit.status == VisitStatus.AT_WORK

    def test_r15_outcome_form_refuses_a_late_promise(self, clock, login, visit):
        arrived(visit)
        services.start_work(actor=visit.engineer, visit=visit, door_checks=DoorCheck.values)
        client = login(visit.engineer)
        measurement = {
            "phase": "before",
            "network": "5g",
            "place": "主卧",
            "rsrp_dbm": "-118",
            "sinr_db": "-3",
            "download_mbps": "2.5",
            "upload_mbps": "0.5",
            "latency_ms": "120",
            "call_result": "dropped",
        }
        assert (
            client.post(reverse("visits:measure", args=[visit.pk]), measurement).status_code == 302
        )
        response = client.post(
            reverse("visits:outcome", args=[visit.pk]),
            {"resolved": "no", "summary": "需优化", "promised_reply_at": "2026-11-23T13:30"},
        )
        assert response.status_code == 400 and "errorlist" in text(response)
        client.post(
            reverse("visits:outcome", args=[visit.pk]),
            {"resolved": "no", "summary": "需优化", "promised_reply_at": "2026-11-23T12:30"},
        )
        visit.refresh_from_db()
        assert visit.status == VisitStatus.UNRESOLVED
        page = text(client.get(reverse("visits:detail", args=[visit.pk])))
        assert "登记回复" in page
