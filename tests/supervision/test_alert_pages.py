"""Pages: a person's alerts and overdue items (the badge leads there), the supervisors' outbox."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dispatch import deadlines, selectors
from dispatch.backends import DeliveryError
from dispatch.delivery import deliver_pending
from dispatch.models import DeadlineKind, Notification, NotificationChannel, NotificationState
from dispatch.pagination import CappedPaginator
from dispatch.sweep import sweep_deadlines
from tests.dispatch.conftest import NOW
from tests.factories import make_user, open_ticket
from tests.html import english_words, visible_text

NOTIFICATION_TABLE = Notification._meta.db_table

pytestmark = pytest.mark.django_db


def overdue_tickets(owner, n=1):
    with time_machine.travel(NOW, tick=False):
        tickets = [open_ticket(owner) for _ in range(n)]
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        sweep_deadlines()
    return tickets


def history(n, **fields):
    """n messages from the past, as the years leave them (bulk: no sweep needed)."""
    fields = {
        "channel": NotificationChannel.SMS,
        "to_phone": "+8613800138000",
        "template": "visit_booked",
        "body": "【网络中心】您的上门测试已预约",
        "state": NotificationState.DELIVERED,
        "sent_at": timezone.now(),
        **fields,
    }
    Notification.objects.bulk_create(Notification(**fields) for _ in range(n))


def counts_all_of_the_outbox(queries):
    """A COUNT over the messages with no LIMIT: it would read the whole history."""
    return [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"] and NOTIFICATION_TABLE in q["sql"] and "LIMIT" not in q["sql"]
    ]


class TestAlerts:
    def test_lists_my_overdue_items_and_my_alerts(self, login, dispatcher, supervisor):
        (ticket,) = overdue_tickets(dispatcher)
        html = login(dispatcher).get("/alerts/").content.decode()
        assert f'href="/tickets/{ticket.number}/"' in html
        assert html.count('class="alert-item unread"') == 2  # the item and its alert
        assert "Mark all as read" in html or "全部标为已读" in html

    def test_mark_all_read(self, login, dispatcher, supervisor):
        overdue_tickets(dispatcher)
        client = login(dispatcher)
        response = client.post("/alerts/read/")
        assert response.status_code == 302
        assert not Notification.objects.filter(recipient=dispatcher, read_at__isnull=True).exists()
        # The supervisor's copy is theirs to read.
        assert Notification.objects.filter(recipient=supervisor, read_at__isnull=True).exists()

    def test_engineer_sees_own_alerts_only(self, login, dispatcher, engineer):
        overdue_tickets(dispatcher)
        html = login(engineer).get("/alerts/").content.decode()
        assert "alert-item unread" not in html

    def test_engineers_alert_links_to_their_visit_and_the_link_works(
        self, login, dispatcher, engineer, supervisor, make_visit
    ):
        """R9: the engineer's overdue arrival, in their alerts and overdue items, leads to the
        visit's page (the engineer has no ticket page), and that page opens for them."""
        start = NOW + timedelta(hours=1)
        with time_machine.travel(NOW, tick=False):
            ticket = open_ticket(dispatcher)
            visit = make_visit(ticket, engineer, start=start)
            deadlines.open_deadline(
                kind=DeadlineKind.ARRIVAL,
                ticket=ticket,
                visit=visit,
                due_at=start,
                responsible=engineer,
            )
        client = login(engineer)
        with time_machine.travel(start + timedelta(minutes=5), tick=False):
            sweep_deadlines()
            html = client.get("/alerts/").content.decode()
            link = f'href="/visits/{visit.pk}/"'
            assert html.count(link) == 2  # the overdue item and the alert about it
            assert f'href="/tickets/{ticket.number}/"' not in html
            assert client.get(f"/visits/{visit.pk}/").status_code == 200

    def test_every_message_type_is_named_in_words(self):
        # Issue 15, item 6: the outbox names each message, never by its template's key.
        from pathlib import Path

        from django.conf import settings
        from django.utils import translation

        from dispatch.notifications import template_label

        names = {
            path.stem
            for path in Path(settings.BASE_DIR).glob("*/templates/sms/*.txt")
            if not path.is_relative_to(Path(settings.BASE_DIR) / "tests")
        }
        assert len(names) >= 21
        for name in sorted(names):
            with translation.override("zh-hans"):
                chinese = template_label(name)
            with translation.override("en"):
                english = template_label(name)
            assert not re.search(r"[A-Za-z_]", chinese), (name, chinese)
            assert "_" not in english and english != name, name

    def test_the_recipient_column_says_recipient(self, login, dispatcher, supervisor):
        overdue_tickets(dispatcher)
        html = login(supervisor).get("/outbox/").content.decode()
        assert "<th>收件人</th>" in html
        assert "截止日期" not in html
        assert not english_words(visible_text(html)), english_words(visible_text(html))

    def test_lists_the_oldest_overdue_items_and_says_how_many_in_all(
        self, login, dispatcher, supervisor, monkeypatch
    ):
        monkeypatch.setattr(selectors, "OVERDUE_SHOWN", 1)
        first, second = overdue_tickets(dispatcher, 2)
        html = login(dispatcher).get("/alerts/").content.decode()
        # The oldest item is listed (and its alert), the other only by its alert.
        assert html.count(f'href="/tickets/{first.number}/"') == 2
        assert html.count(f'href="/tickets/{second.number}/"') == 1
        assert "仅列出 2 项中最早的 1 项" in html
        assert '<span class="pill overdue">2</span>' in html

    def test_a_long_history_of_alerts_is_paged_without_counting_it_all(
        self, login, supervisor, monkeypatch, django_assert_max_num_queries
    ):
        monkeypatch.setattr(CappedPaginator, "LOOKAHEAD", 1)  # 2 pages of 30 counted from page 1
        history(
            70,
            channel=NotificationChannel.IN_APP,
            to_phone="",
            recipient=supervisor,
            template="deadline_overdue",
            body="已超时",
            state=NotificationState.SENT,
        )
        client = login(supervisor)
        with django_assert_max_num_queries(12) as queries:
            html = client.get("/alerts/").content.decode()
        assert "第 1 页，共 2 页以上" in html and "?page=2" in html
        assert not counts_all_of_the_outbox(queries.captured_queries)
        html = client.get("/alerts/?page=3").content.decode()
        assert "第 3 页，共 3 页" in html and html.count('class="alert-item') == 10

    def test_constant_number_of_queries(
        self, login, dispatcher, supervisor, django_assert_max_num_queries
    ):
        overdue_tickets(dispatcher, 1)
        client = login(dispatcher)
        with django_assert_max_num_queries(12) as one:
            client.get("/alerts/")
        overdue_tickets(dispatcher, 8)
        with django_assert_max_num_queries(len(one.captured_queries)):
            client.get("/alerts/")


class TestOutbox:
    def test_supervisors_only(self, login, dispatcher, engineer):
        assert login(dispatcher).get("/outbox/").status_code == 403
        assert login(engineer).get("/outbox/").status_code == 403

    def test_shows_every_message_with_its_state(self, login, dispatcher, supervisor):
        (ticket,) = overdue_tickets(dispatcher)
        deliver_pending()
        html = login(supervisor).get("/outbox/").content.decode()
        assert html.count(f'href="/tickets/{ticket.number}/"') == 2
        assert Notification.objects.filter(state=NotificationState.SENT).count() == 2

    def test_names_each_in_app_recipient_as_every_page_does(self, login, supervisor):
        """Issue 13: dispatch.people.display_name, so a Latin name keeps its order and space."""
        desk = make_user("dispatcher", first_name="Ann", last_name="Lee")
        supervisor.first_name, supervisor.last_name = "芳", "王"
        supervisor.save(update_fields=["first_name", "last_name"])
        overdue_tickets(desk)
        html = login(supervisor).get("/outbox/").content.decode()
        assert "Ann Lee" in html and "LeeAnn" not in html
        assert "王芳" in html
        # The column says whom a message goes to, not the end of a date range.
        assert "<th>收件人</th>" in html and "截止日期" not in html

    def test_filter_by_state(self, login, dispatcher, supervisor):
        overdue_tickets(dispatcher)
        client = login(supervisor)
        assert "超时提醒" in client.get("/outbox/?state=pending").content.decode()
        assert "超时提醒" not in client.get("/outbox/?state=failed").content.decode()

    def test_failed_message_is_sent_again(self, login, dispatcher, supervisor, recording_backend):
        overdue_tickets(dispatcher)
        recording_backend.fail_with = DeliveryError("x", permanent=True)
        deliver_pending()
        failed = Notification.objects.filter(state=NotificationState.FAILED).first()
        client = login(supervisor)
        html = client.get("/outbox/?state=failed").content.decode()
        assert f'action="/outbox/{failed.pk}/retry/"' in html
        response = client.post(f"/outbox/{failed.pk}/retry/", {"next": "https://evil.example/"})
        assert response["Location"] == "/outbox/"
        failed.refresh_from_db()
        assert failed.state == NotificationState.PENDING

    def test_counts_each_state_up_to_a_cap(self, login, dispatcher, supervisor, monkeypatch):
        """The history (here 5 delivered SMS) is counted up to the cap and shown as "3+", with
        words saying so; a state under the cap is counted exactly."""
        monkeypatch.setattr(selectors, "OUTBOX_COUNT_CAP", 3)
        history(5)
        overdue_tickets(dispatcher)  # an alert to the dispatcher and one to the supervisor
        html = login(supervisor).get("/outbox/").content.decode()
        assert re.search(r'title="超过 3 条[^"]*"[^>]*>已送达 3\+<', html), html
        assert re.search(r'href="\?state=pending">待发送 2<', html)
        assert re.search(r'href="\?state=failed">失败 0<', html)

    def test_a_long_history_is_paged_without_counting_it_all(
        self, login, supervisor, monkeypatch, django_assert_max_num_queries
    ):
        monkeypatch.setattr(CappedPaginator, "LOOKAHEAD", 1)  # 2 pages of 50 counted from page 1
        history(120)
        client = login(supervisor)
        with django_assert_max_num_queries(12) as queries:
            html = client.get("/outbox/").content.decode()
        assert "第 1 页，共 2 页以上" in html and "page=2" in html
        assert not counts_all_of_the_outbox(queries.captured_queries)
        html = client.get("/outbox/?state=delivered&page=3").content.decode()
        assert "第 3 页，共 3 页" in html and html.count("您的上门测试已预约") == 20

    def test_constant_number_of_queries(
        self, login, dispatcher, supervisor, django_assert_max_num_queries
    ):
        overdue_tickets(dispatcher, 1)
        client = login(supervisor)
        with django_assert_max_num_queries(12) as one:
            client.get("/outbox/")
        overdue_tickets(dispatcher, 10)
        with django_assert_max_num_queries(len(one.captured_queries)):
            client.get("/outbox/")


def test_nav_links(login, dispatcher, supervisor):
    assert 'href="/outbox/"' not in login(dispatcher).get("/tickets/").content.decode()
    html = login(supervisor).get("/tickets/").content.decode()
    assert 'href="/outbox/"' in html and 'href="/alerts/"' in html
