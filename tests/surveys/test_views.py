"""The survey pages: the engineer's hand-off, the customer's page behind the token, the
supervisor's results. R23 is checked through every page path."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dispatch.delivery import sendable
from surveys import services
from surveys.models import CardHandover, LinkChannel, Question, SurveyLink, SurveyResponse
from tests.factories import make_user, open_ticket
from tests.surveys.factories import (
    GOOD_ANSWERS,
    code_from_sms,
    ended_visit,
    measure,
    sms_to,
    strokes,
    token_from_sms,
)

pytestmark = pytest.mark.django_db

PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 7) Mobile Safari/537.36"


def form_data(**overrides):
    data = {f"q_{code}": str(value) for code, value in GOOD_ANSWERS.items()}
    data.update(action="sign", confirm="on", signature=json.dumps(strokes()))
    data.update(overrides)
    return data


def customer_url(token):
    return reverse("surveys:customer", kwargs={"token": token})


@pytest.fixture
def customer():
    """The customer's own phone: no account, no session."""
    return Client(HTTP_USER_AGENT=PHONE_UA, REMOTE_ADDR="198.51.100.23")


class TestHandoff:
    def test_url_name_and_the_three_ways(self, login, engineer, visit):
        url = reverse("surveys:handoff", args=[visit.pk])
        assert url == f"/survey/visit/{visit.pk}/"
        page = login(engineer).get(url)
        assert page.status_code == 200
        html = page.content.decode()
        for label in ("显示二维码", "发送短信链接至 138****8000", "客户使用我的手机（短信验证码）"):
            assert label in html
        assert "不准代客户签名" in html

    def test_another_engineer_gets_404_and_the_desk_only_sends_sms(
        self, client, engineer2, dispatcher, visit
    ):
        url = reverse("surveys:handoff", args=[visit.pk])
        client.force_login(engineer2)
        assert client.get(url).status_code == 404
        client.force_login(dispatcher)
        html = client.get(url).content.decode()
        assert "发送短信链接" in html
        assert "显示二维码" not in html

    def test_before_the_work_ends_there_is_nothing_to_issue(
        self, login, engineer, ticket, dispatcher
    ):
        visit = ended_visit(ticket, engineer, dispatcher, status="at_work")
        html = login(engineer).get(reverse("surveys:handoff", args=[visit.pk])).content.decode()
        assert "请先记录测试结果" in html
        assert "显示二维码" not in html
        response = login(engineer).post(
            reverse("surveys:issue", args=[visit.pk]), {"channel": "sms"}, follow=True
        )
        assert "请先记录测试结果" in response.content.decode()
        assert not SurveyLink.objects.exists()

    def test_send_sms_link(self, login, engineer, visit):
        response = login(engineer).post(
            reverse("surveys:issue", args=[visit.pk]), {"channel": "sms"}, follow=True
        )
        assert "调查表链接已通过短信发送至 138****8000" in response.content.decode()
        assert len(sms_to("13800138000", "survey_link")) == 1
        # The engineer's page never shows the SMS link's token.
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        assert token not in response.content.decode()
        assert "等待客户签名" in response.content.decode()

    def test_the_sms_link_follows_the_site_address(self, settings, login, engineer, visit):
        """Issue 15 item 10: the link the customer gets points at SITE_URL (make run sets it
        for its port), not at whatever host the engineer's phone used."""
        settings.SITE_URL = "https://dispatch.example.cn"
        login(engineer).post(
            reverse("surveys:issue", args=[visit.pk]), {"channel": "sms"}, HTTP_HOST="10.0.0.5"
        )
        body = sms_to("13800138000", "survey_link")[0].body
        assert "https://dispatch.example.cn/survey/s/" in body
        assert "10.0.0.5" not in body

    def test_show_qr_code_then_the_customer_still_needs_the_sms_code(
        self, login, engineer, visit, customer
    ):
        client = login(engineer)
        response = client.post(
            reverse("surveys:issue", args=[visit.pk]), {"channel": "qr"}, follow=True
        )
        html = response.content.decode()
        assert "<svg" in html
        assert "请客户用自己的手机扫码" in html
        token = client.session[f"survey_qr_{visit.pk}"]
        # R23: whoever scans it, the page asks for the code sent to the customer's phone.
        page = customer.get(customer_url(token))
        assert "确认是您本人" in page.content.decode()
        assert customer.post(customer_url(token), form_data()).status_code == 200
        assert not SurveyResponse.objects.exists()

    def test_customer_uses_my_phone_redirects_to_the_code_step(self, login, engineer, visit):
        client = login(engineer)
        response = client.post(reverse("surveys:issue", args=[visit.pk]), {"channel": "device"})
        assert response.status_code == 302
        assert response.url.startswith("/survey/s/")
        page = client.get(response.url)
        assert "发送验证码" in page.content.decode()
        assert "138****8000" in page.content.decode()

    def test_status_fragment_polls_until_signed(self, login, engineer, visit):
        client = login(engineer)
        client.post(reverse("surveys:issue", args=[visit.pk]), {"channel": "sms"})
        fragment = client.get(reverse("surveys:handoff_status", args=[visit.pk]))
        assert 'hx-trigger="every 5s"' in fragment.content.decode()
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        Client().post(customer_url(token), form_data())
        fragment = client.get(reverse("surveys:handoff_status", args=[visit.pk]))
        html = fragment.content.decode()
        assert "客户已签名" in html
        assert "hx-trigger" not in html
        assert "与摘要一致" in html

    def test_r24_card_handover_after_signing(self, login, engineer, visit):
        client = login(engineer)
        response = client.post(
            reverse("surveys:card", args=[visit.pk]), {"item": "card"}, follow=True
        )
        assert "请客户先在工单上签字" in response.content.decode()
        assert not CardHandover.objects.exists()
        client.post(reverse("surveys:issue", args=[visit.pk]), {"channel": "sms"})
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        Client().post(customer_url(token), form_data())
        response = client.post(
            reverse("surveys:card", args=[visit.pk]), {"item": "card"}, follow=True
        )
        html = response.content.decode()
        assert "已递交" in html
        assert "10000" in sms_to("13800138000", "survey_closing")[0].body

    def test_visit_list_shows_survey_state(self, login, engineer, visit, ticket, dispatcher):
        other = ended_visit(ticket, engineer, dispatcher)
        services.issue_link(actor=engineer, visit=other, channel="sms", base_url="http://t/")
        html = login(engineer).get(reverse("surveys:visits")).content.decode()
        assert html.count(ticket.number) == 2
        assert "未签名" in html
        assert "已发链接，等待签名" in html


class TestCustomerPage:
    def test_r22_r24_the_customer_signs_from_the_sms_on_their_own_phone(
        self, engineer, visit, customer
    ):
        services.issue_link(actor=engineer, visit=visit, channel="sms", base_url="http://t/")
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        page = customer.get(customer_url(token))
        assert page.status_code == 200
        html = page.content.decode()
        for text in ("服务监督调查表", "工单", "准时守约", "处理前", "处理后", "确认并签名"):
            assert text in html
        # The token is in the URL: keep it out of caches, referrers and indexes.
        assert "no-store" in page["Cache-Control"]
        assert page["Referrer-Policy"] == "same-origin"
        assert "noindex" in page["X-Robots-Tag"]

        response = customer.post(customer_url(token), form_data())
        assert response.status_code == 302
        done = customer.get(customer_url(token))
        assert "谢谢您的签名" in done.content.decode()
        assert "10000" in done.content.decode()
        signed = SurveyResponse.objects.get()
        assert signed.ip_address == "198.51.100.23"
        assert signed.user_agent == PHONE_UA
        assert signed.session_user is None
        assert signed.verify()

    def test_a_missing_answer_keeps_the_page_and_the_signature(self, engineer, visit, customer):
        services.issue_link(actor=engineer, visit=visit, channel="sms", base_url="http://t/")
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        response = customer.post(customer_url(token), form_data(q_punctuality=""))
        assert response.status_code == 400
        html = response.content.decode()
        punctuality = html.split('name="q_punctuality"')[0].rsplit("<fieldset", 1)[1]
        assert "准时守约" in punctuality
        assert "请回答此项" in html.split("准时守约")[1].split("</fieldset>")[0]
        assert "&quot;strokes&quot;" in html  # the drawn signature comes back to the page
        response = customer.post(customer_url(token), form_data(confirm=""))
        assert "签名前请先确认工单内容" in response.content.decode()
        response = customer.post(customer_url(token), form_data(signature=""))
        assert "提交前请在框内签名" in response.content.decode()
        assert not SurveyResponse.objects.exists()

    def test_every_error_in_one_submit_at_its_place(self, engineer, visit, customer):
        """Issue 15: the confirmation, an unanswered item and the signature missing, said
        together, each where it belongs, in words; nothing signed."""
        services.issue_link(actor=engineer, visit=visit, channel="sms", base_url="http://t/")
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        response = customer.post(
            customer_url(token), form_data(confirm="", q_tidiness="", signature="")
        )
        assert response.status_code == 400
        html = response.content.decode()
        confirm = html.split('name="confirm"')[1].split('class="field')[0]
        assert "签名前请先确认工单内容" in confirm
        tidiness = html.split("现场整洁")[1].split("</fieldset>")[0]
        assert "请回答此项" in tidiness
        signature = html.split('name="signature"')[1].split("</section>")[0]
        assert "提交前请在框内签名" in signature
        assert html.count('class="errorlist') == 3
        assert not SurveyResponse.objects.exists()

    def test_r23_an_engineer_session_with_the_sms_link_must_enter_the_code(
        self, login, engineer, visit
    ):
        services.issue_link(actor=engineer, visit=visit, channel="sms", base_url="http://t/")
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        client = login(engineer)
        page = client.get(customer_url(token))
        assert "确认是您本人" in page.content.decode()
        assert "确认并签名" not in page.content.decode()
        client.post(customer_url(token), form_data())
        assert not SurveyResponse.objects.exists()
        assert SurveyLink.objects.get().used_at is None

    def test_r23_customer_on_the_engineers_phone_types_the_code_then_signs(
        self, login, engineer, visit
    ):
        client = login(engineer)
        url = client.post(reverse("surveys:issue", args=[visit.pk]), {"channel": "device"}).url
        client.post(url, {"action": "send"})
        assert len(sms_to("13800138000", "survey_code")) == 1
        code = code_from_sms(sms_to("13800138000", "survey_code")[0])
        wrong = client.post(url, {"action": "verify", "code": f"{(int(code) + 1) % 10**6:06d}"})
        assert wrong.status_code == 400
        assert "验证码不正确" in wrong.content.decode()
        response = client.post(url, {"action": "verify", "code": code})
        assert response.status_code == 302
        page = client.get(url)
        assert "确认并签名" in page.content.decode()
        client.post(url, form_data())
        signed = SurveyResponse.objects.get()
        assert signed.verified_by_code is True
        assert signed.session_user == engineer
        assert signed.channel == "device"

    def test_r23_the_code_asked_for_in_the_evening_goes_at_once_despite_quiet_hours(
        self, login, engineer, ticket, dispatcher
    ):
        evening = datetime(2026, 11, 23, 21, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
        with time_machine.travel(evening, tick=False):
            visit = ended_visit(ticket, engineer, dispatcher)
            measure(visit)
            client = login(engineer)
            url = client.post(reverse("surveys:issue", args=[visit.pk]), {"channel": "device"}).url
            client.post(url, {"action": "send"})
            (sms,) = sms_to("13800138000", "survey_code")
            # The code lives minutes and the customer is waiting for it on site.
            assert sms.urgent and sms.send_after is None
            assert sendable(timezone.now()).filter(pk=sms.pk).exists()

    def test_r23_the_code_proof_does_not_travel_to_another_browser(
        self, login, engineer, visit, customer
    ):
        client = login(engineer)
        url = client.post(reverse("surveys:issue", args=[visit.pk]), {"channel": "device"}).url
        client.post(url, {"action": "send"})
        code = code_from_sms(sms_to("13800138000", "survey_code")[0])
        client.post(url, {"action": "verify", "code": code})
        # The same link opened elsewhere (another phone, a private window) starts from the code.
        other = Client()
        assert "确认是您本人" in other.get(url).content.decode()
        other.post(url, form_data())
        assert not SurveyResponse.objects.exists()

    def test_used_expired_and_unknown_links(self, engineer, visit, customer):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            services.issue_link(actor=engineer, visit=visit, channel="sms", base_url="http://t/")
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        with time_machine.travel(start + timedelta(hours=25), tick=False):
            expired = customer.get(customer_url(token))
        assert expired.status_code == 410
        assert "此链接已过期" in expired.content.decode()
        unknown = customer.get(customer_url("nope"))
        assert unknown.status_code == 404
        assert "此调查链接无效" in unknown.content.decode()

        new_token = services.issue_link(
            actor=engineer, visit=visit, channel="sms", base_url="http://t/"
        ).token
        replaced = customer.get(customer_url(token))
        assert replaced.status_code == 410
        assert "已被新链接取代" in replaced.content.decode()
        customer.post(customer_url(new_token), form_data())
        # Replay: the same POST again changes nothing.
        again = customer.post(customer_url(new_token), form_data(q_punctuality="1"))
        assert again.status_code == 200
        assert "谢谢您的签名" in again.content.decode()
        assert SurveyResponse.objects.count() == 1
        assert SurveyResponse.objects.get().answers.get(code="punctuality").score == 5


class TestSupervisorPages:
    @pytest.fixture
    def signed(self, engineer, engineer2, dispatcher):
        """Six signed surveys for two engineers, the last with a weak punctuality score."""
        ticket = open_ticket(dispatcher)
        made = []
        for i in range(6):
            who = engineer if i % 2 else engineer2
            visit = ended_visit(ticket, who, dispatcher)
            measure(visit)
            issued = services.issue_link(actor=who, visit=visit, channel="sms", base_url="x/")
            answers = dict(GOOD_ANSWERS, punctuality=2 + i % 3, comments=f"意见 {i}")
            made.append(
                services.sign_survey(
                    actor=None,
                    token=issued.token,
                    answers=answers,
                    work_order_confirmed=True,
                    strokes=strokes(),
                )
            )
        return made

    def test_results_per_engineer_with_the_four_quadrant_chart(
        self, login, supervisor, signed, engineer
    ):
        page = login(supervisor).get(reverse("surveys:results"))
        assert page.status_code == 200
        html = page.content.decode()
        assert "四分图分析" in html and "R25" not in html
        assert '<svg class="quadrant-chart"' in html
        # Punctuality: importance 4 with the lowest satisfaction → fix first.
        assert "修补区（优先改进）" in html
        assert "加权满意度" in html
        assert "意见 5" in html
        filtered = login(supervisor).get(reverse("surveys:results"), {"engineer": engineer.pk})
        assert filtered.context["rows"][0].engineer == engineer
        assert len(filtered.context["rows"]) == 1
        assert filtered.context["rows"][0].surveys == 3

    def test_r25_results_page_weighs_old_answers_with_their_own_importance(
        self, login, supervisor, signed
    ):
        # Punctuality was signed at importance 4; the supervisor now says 1.
        services.save_question(
            actor=supervisor, question=Question.objects.get(code="punctuality"), importance=1
        )
        page = login(supervisor).get(reverse("surveys:results"))
        quadrants = {q.question.code: q for q in page.context["quadrants"]}
        assert quadrants["punctuality"].importance == 4
        assert quadrants["punctuality"].quadrant == "repair"
        # The item's current weight is shown in the column head; the chart keeps the signed one.
        assert "修补区（优先改进）" in page.content.decode()

    def test_results_period_filter(self, login, supervisor, signed):
        last_year = timezone.localdate() - timedelta(days=365)
        page = login(supervisor).get(
            reverse("surveys:results"), {"start": last_year, "end": last_year}
        )
        assert page.context["rows"] == []
        assert page.context["chart"] is None
        assert "此期间没有已签署的调查表" in page.content.decode()

    def test_results_use_a_constant_number_of_queries(
        self, login, supervisor, engineer, dispatcher, django_assert_max_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = login(supervisor)
        ticket = open_ticket(dispatcher)

        def add_signed():
            visit = ended_visit(ticket, engineer, dispatcher)
            token = services.issue_link(
                actor=engineer, visit=visit, channel="sms", base_url="x/"
            ).token
            services.sign_survey(
                actor=None,
                token=token,
                answers=GOOD_ANSWERS,
                work_order_confirmed=True,
                strokes=strokes(),
            )

        def count(url):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            return len(ctx)

        add_signed()
        one = {url: count(url) for url in ("/survey/results/", "/survey/results/comments/")}
        for _ in range(7):
            add_signed()
        many = {url: count(url) for url in one}
        assert many == one
        with django_assert_max_num_queries(16):
            client.get("/survey/results/")

    def test_results_are_for_supervisors(self, login, engineer, dispatcher):
        assert login(engineer).get(reverse("surveys:results")).status_code == 403
        assert login(dispatcher).get(reverse("surveys:results")).status_code == 403

    def test_comments_page(self, login, supervisor, signed):
        page = login(supervisor).get(reverse("surveys:comments"))
        html = page.content.decode()
        for i in range(6):
            assert f"意见 {i}" in html

    def test_response_detail_shows_integrity_and_the_signature_image(
        self, login, supervisor, signed
    ):
        from django.db import connection

        response = signed[0]
        client = login(supervisor)
        page = client.get(reverse("surveys:response", args=[response.pk]))
        assert "与摘要一致" in page.content.decode()
        assert response.digest in page.content.decode()
        image = client.get(reverse("surveys:signature", args=[response.pk]))
        assert image["Content-Type"] == "image/png"
        assert image.content.startswith(b"\x89PNG")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE surveys_answer SET score = 5 WHERE response_id = %s", [response.pk]
            )
        page = client.get(reverse("surveys:response", args=[response.pk]))
        assert "签名后被修改" in page.content.decode()

    def test_an_engineer_sees_only_their_own_signed_surveys(
        self, login, engineer, signed, engineer2
    ):
        mine = next(r for r in signed if r.visit.engineer == engineer)
        theirs = next(r for r in signed if r.visit.engineer == engineer2)
        client = login(engineer)
        assert client.get(reverse("surveys:response", args=[mine.pk])).status_code == 200
        assert client.get(reverse("surveys:response", args=[theirs.pk])).status_code == 404
        assert client.get(reverse("surveys:signature", args=[theirs.pk])).status_code == 404

    def test_supervisor_edits_a_question(self, login, supervisor, engineer):
        question = Question.objects.get(code="tidiness")
        url = reverse("surveys:question_edit", args=[question.pk])
        client = login(supervisor)
        assert client.get(reverse("surveys:questions")).status_code == 200
        data = {
            "text": "现场整洁",
            "text_en": "Tidiness",
            "kind": "rating",
            "code": "tidiness",
            "importance": "4",
            "position": "40",
            "required": "on",
            "active": "on",
        }
        assert client.post(url, data).status_code == 302
        question.refresh_from_db()
        assert (question.text, question.importance) == ("现场整洁", 4)
        assert login(engineer).get(url).status_code == 403

    def test_answered_question_keeps_its_kind_on_the_page(self, login, supervisor, signed):
        question = Question.objects.get(code="manner")
        data = {
            "text": question.text,
            "kind": "text",
            "code": "manner",
            "importance": "3",
            "position": "20",
            "active": "on",
        }
        response = login(supervisor).post(
            reverse("surveys:question_edit", args=[question.pk]), data
        )
        assert response.status_code == 400
        assert "已有客户回答此题" in response.content.decode()
        assert Question.objects.get(pk=question.pk).kind == "rating"


def test_desk_can_resend_the_sms_link_from_the_list(login, dispatcher, visit):
    client = login(dispatcher)
    html = client.get(reverse("surveys:visits")).content.decode()
    assert reverse("surveys:handoff", args=[visit.pk]) in html
    client.post(reverse("surveys:issue", args=[visit.pk]), {"channel": LinkChannel.SMS})
    assert SurveyLink.objects.get().issued_by == dispatcher


def test_nav_links(login, engineer, supervisor):
    assert "/survey/visits/" in login(engineer).get("/survey/visits/").content.decode()
    html = login(supervisor).get(reverse("surveys:results")).content.decode()
    assert 'href="/survey/results/"' in html


def test_supervisor_home_goes_to_results(login, supervisor):
    assert login(supervisor).get("/survey/").url == "/survey/results/"


def test_unrelated_user_without_role_is_refused(client):
    user = make_user("", username="nobody")
    client.force_login(user)
    assert client.get("/survey/visits/").status_code == 403


class TestCompression:
    """Issue 14: heavy pages are gzipped; a page that carries a customer's secret next to what
    a user typed (the customer's page, the hand-off) never is (BREACH, dispatch.middleware)."""

    def test_staff_pages_are_compressed_the_customers_page_is_not(
        self, login, engineer, visit, customer
    ):
        staff = login(engineer)
        page = staff.get(reverse("surveys:handoff", args=[visit.pk]), HTTP_ACCEPT_ENCODING="gzip")
        assert page.status_code == 200
        assert not page.has_header("Content-Encoding")
        staff.post(reverse("surveys:issue", args=[visit.pk]), {"channel": "sms"})
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        own = customer.get(customer_url(token), HTTP_ACCEPT_ENCODING="gzip")
        assert own.status_code == 200
        assert not own.has_header("Content-Encoding")
        today = staff.get(reverse("visits:today"), HTTP_ACCEPT_ENCODING="gzip")
        assert today["Content-Encoding"] == "gzip"
        # The API answers as sent (its clients read JSON as it comes).
        api = staff.get("/api/visits/", HTTP_ACCEPT_ENCODING="gzip")
        assert api.status_code == 200 and not api.has_header("Content-Encoding")


class TestCustomerPageIsTheCustomers:
    """Issue 15 item 7: the survey on the engineer's phone (the engineer logged in) shows no
    staff navigation: no menu, no name, no alerts, no log-out (R23: the customer's own page)."""

    def test_no_staff_header_on_the_engineers_phone(self, engineer, visit, client):
        from dispatch.people import display_name

        issued = services.issue_link(
            actor=engineer, visit=visit, channel="device", base_url="http://t/"
        )
        client.force_login(engineer)
        html = client.get(customer_url(issued.token)).content.decode()
        assert "<header" in html
        assert "/logout/" not in html
        assert 'aria-label="主导航"' not in html and "/visits/today/" not in html
        assert "/alerts/" not in html
        header = html.split("<header")[1].split("</header>")[0]
        assert display_name(engineer) not in header  # the work order names them, the header not
