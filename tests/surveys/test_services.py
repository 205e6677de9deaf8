"""The survey services: R22 (survey after the work), R23 (only the customer signs), R24 (work order,
commitment card, 10000), R25 (questions as data)."""

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from dispatch.customer_secrets import MARK
from dispatch.delivery import sendable
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Event, Notification
from surveys import services
from surveys.models import (
    Answer,
    CardHandover,
    LinkChannel,
    Question,
    SurveyLink,
    SurveyResponse,
)
from surveys.services import codes as codes_module
from tests.factories import open_ticket
from tests.surveys.factories import (
    GOOD_ANSWERS,
    code_from_sms,
    ended_visit,
    phone_text,
    sms_to,
    strokes,
    token_from_sms,
)
from visits.models import Measurement, VisitStatus

pytestmark = pytest.mark.django_db

BASE = "https://dispatch.example.cn/"


def issue(visit, actor, channel=LinkChannel.SMS, **kw):
    return services.issue_link(actor=actor, visit=visit, channel=channel, base_url=BASE, **kw)


def sign(token, actor, binding="", **overrides):
    data = {
        "actor": actor,
        "token": token,
        "answers": dict(GOOD_ANSWERS),
        "work_order_confirmed": True,
        "strokes": strokes(),
        "binding": binding,
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (Linux; Android 14) Mobile",
    }
    data.update(overrides)
    return services.sign_survey(**data)


def prove_phone(link):
    """The customer asks for the code, reads it on their phone and types it in."""
    services.send_code(link=link)
    code = code_from_sms(sms_to("13800138000", "survey_code")[-1])
    return services.verify_code(link=link, code=code)


def kinds(visit):
    return list(Event.objects.filter(visit=visit).values_list("kind", flat=True))


class TestQuietHours:
    def test_r23_the_code_goes_at_once_at_night_the_link_waits(self, visit, engineer):
        night = datetime(2026, 11, 23, 21, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
        with time_machine.travel(night, tick=False):
            issued = issue(visit, engineer)
            services.send_code(link=issued.link)
            (code,) = sms_to("13800138000", "survey_code")
            (link,) = sms_to("13800138000", "survey_link")
            now = timezone.now()
        # The customer is waiting for the code right now; the link (a day long) may wait.
        assert code.urgent and code.send_after is None
        assert sendable(now).filter(pk=code.pk).exists()
        assert not sendable(now).filter(pk=link.pk).exists()


class TestIssueLink:
    def test_r22_sms_link_goes_to_the_customer_phone_and_only_its_hash_is_stored(
        self, visit, engineer
    ):
        issued = issue(visit, engineer)
        link = issued.link
        assert link.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
        assert issued.token not in str(SurveyLink.objects.filter(pk=link.pk).values().get())
        sms = sms_to("13800138000", "survey_link")
        assert len(sms) == 1
        # R23: the customer's phone gets the link; the outbox keeps it masked.
        assert issued.url in phone_text(sms[0])
        assert issued.token not in sms[0].body
        assert BASE + "survey/s/" + MARK + "/" in sms[0].body
        assert issued.url.startswith(BASE + "survey/s/")
        # R26: the standard phrasing, in Chinese, naming the engineer.
        assert "服务监督调查表" in sms[0].body
        event = Event.objects.get(visit=visit, kind="survey.link_issued")
        assert event.actor == engineer
        assert event.after["channel"] == "sms"
        assert event.after["phone"] == "138****8000"

    def test_sms_link_lasts_a_day_and_on_site_links_half_an_hour(self, visit, engineer):
        now = timezone.now()
        sms = issue(visit, engineer, now=now).link
        assert sms.expires_at - now == timedelta(hours=24)
        qr = issue(visit, engineer, LinkChannel.QR, now=now).link
        assert qr.expires_at - now == timedelta(minutes=30)

    @pytest.mark.parametrize("status", [VisitStatus.BOOKED, VisitStatus.AT_WORK])
    def test_r22_no_survey_before_the_work_has_ended(self, ticket, engineer, dispatcher, status):
        visit = ended_visit(ticket, engineer, dispatcher, status=status)
        with pytest.raises(RuleViolation) as exc:
            issue(visit, engineer)
        assert exc.value.code == "work_not_ended"
        assert exc.value.status == 409
        assert not SurveyLink.objects.exists()

    @pytest.mark.parametrize("status", [VisitStatus.UNRESOLVED, VisitStatus.REPLIED])
    def test_r22_unresolved_visits_are_surveyed_too(self, ticket, engineer, dispatcher, status):
        visit = ended_visit(
            ticket,
            engineer,
            dispatcher,
            status=status,
            promised_reply_at=timezone.now() + timedelta(hours=3),
        )
        assert issue(visit, engineer).link.pk

    def test_only_the_visits_engineer_issues_on_site_links(self, visit, engineer2, dispatcher):
        for channel in (LinkChannel.QR, LinkChannel.DEVICE, LinkChannel.SMS):
            with pytest.raises(PermissionDenied):
                issue(visit, engineer2, channel)
        # The desk may (re)send the SMS link, never show a QR or use a phone on site.
        assert issue(visit, dispatcher, LinkChannel.SMS).link.issued_by == dispatcher
        for channel in (LinkChannel.QR, LinkChannel.DEVICE):
            with pytest.raises(PermissionDenied):
                issue(visit, dispatcher, channel)

    def test_a_new_link_replaces_the_live_one(self, visit, engineer):
        first = issue(visit, engineer)
        second = issue(visit, engineer, LinkChannel.QR)
        first.link.refresh_from_db()
        assert first.link.revoked_at is not None
        assert second.link.revoked_at is None
        with pytest.raises(RuleViolation) as exc:
            sign(first.token, None)
        assert exc.value.code == "link_revoked"

    def test_needs_the_customers_phone(self, dispatcher, engineer):
        ticket = open_ticket(dispatcher, phone="")
        visit = ended_visit(ticket, engineer, dispatcher)
        with pytest.raises(RuleViolation) as exc:
            issue(visit, engineer)
        assert exc.value.code == "no_phone"

    def test_no_link_once_signed(self, visit, engineer, anonymous):
        sign(issue(visit, engineer).token, anonymous)
        with pytest.raises(RuleViolation) as exc:
            issue(visit, engineer)
        assert exc.value.code == "already_signed"


class TestCustomerSigns:
    def test_r22_r24_customer_signs_on_own_phone_from_the_sms(self, visit, engineer, anonymous):
        issue(visit, engineer)
        token = token_from_sms(sms_to("13800138000", "survey_link")[0])
        response = sign(token, anonymous)

        assert response.channel == "sms"
        assert response.verified_by_code is False
        assert response.session_user is None
        assert response.ip_address == "203.0.113.7"
        assert "Android" in response.user_agent
        assert bytes(response.signature_png).startswith(b"\x89PNG\r\n\x1a\n")
        assert response.signature_strokes["strokes"][0]["type"] == "touch"
        assert response.signature_strokes["signed_at"]
        answers = {a.code: a for a in response.answers.all()}
        assert answers["punctuality"].score == 5
        assert answers["resolved"].yes is True
        assert answers["comments"].comment == "师傅很专业，讲解清楚。"
        assert answers["professionalism"].importance == 5
        # R24: the work order as confirmed, with the measurements it covered.
        assert visit.ticket.number in response.work_order_text
        assert "更换室内分布天线" in response.work_order_text
        assert [m["phase"] for m in response.measurements if "kind" not in m] == ["before", "after"]
        assert len(response.digest) == 64
        assert response.verify() is True

        link = SurveyLink.objects.get(pk=response.link_id)
        assert link.used_at == response.signed_at
        assert kinds(visit)[-2:] == ["survey.signed", "survey.work_order_signed"]
        signed = Event.objects.get(visit=visit, kind="survey.signed")
        assert signed.actor is None  # the customer has no account
        assert signed.after["digest"] == response.digest
        assert signed.after["pointer"] == ["touch"]

    def test_unresolved_work_order_carries_the_promised_reply_time(
        self, ticket, engineer, dispatcher, anonymous
    ):
        promised = timezone.now() + timedelta(hours=3)
        visit = ended_visit(
            ticket, engineer, dispatcher, status="unresolved", promised_reply_at=promised
        )
        response = sign(issue(visit, engineer).token, anonymous)
        when = timezone.localtime(promised).strftime("%Y-%m-%d %H:%M")
        assert when in response.work_order_text

    def test_every_required_item_is_answered(self, visit, engineer, anonymous):
        token = issue(visit, engineer).token
        answers = dict(GOOD_ANSWERS, punctuality=None, resolved="maybe", tidiness=9)
        with pytest.raises(RuleViolation) as exc:
            sign(token, anonymous, answers=answers)
        assert exc.value.code == "answers_missing"
        for label in ("准时守约", "您反映的问题是否已经解决", "现场整洁"):
            assert label in exc.value.message
        # Comments are optional.
        response = sign(token, anonymous, answers=dict(GOOD_ANSWERS, comments=""))
        assert response.answers.get(code="comments").comment == ""

    def test_r24_the_work_order_must_be_confirmed(self, visit, engineer, anonymous):
        token = issue(visit, engineer).token
        with pytest.raises(RuleViolation) as exc:
            sign(token, anonymous, work_order_confirmed=False)
        assert exc.value.code == "work_order_unconfirmed"
        assert not SurveyResponse.objects.exists()

    @pytest.mark.parametrize(
        "bad",
        [
            {},
            {"width": 320, "height": 200, "strokes": []},
            {"width": 320, "height": 200, "strokes": [{"type": "touch", "points": [[5, 5, 0]]}]},
            {"width": 320, "height": 200, "strokes": [{"type": "robot", "points": [[5, 5, 0]]}]},
            {"width": 5, "height": 5, "strokes": [{"type": "touch", "points": [[1, 1, 0]]}]},
            {"width": 320, "height": 200, "strokes": [{"type": "touch", "points": [["x", 1, 0]]}]},
        ],
    )
    def test_a_signature_is_drawn_not_a_dot_or_nothing(self, visit, engineer, anonymous, bad):
        token = issue(visit, engineer).token
        with pytest.raises(RuleViolation) as exc:
            sign(token, anonymous, strokes=bad)
        assert exc.value.code == "invalid_signature"
        assert not SurveyResponse.objects.exists()

    def test_signature_png_is_drawn_by_the_server_from_the_strokes(
        self, visit, engineer, anonymous
    ):
        response = sign(issue(visit, engineer).token, anonymous, strokes=strokes(width=1200))
        png = bytes(response.signature_png)
        width = int.from_bytes(png[16:20], "big")
        height = int.from_bytes(png[20:24], "big")
        assert (width, height) == (800, 133)  # scaled to at most 800 px wide


class TestOnlyTheCustomerSigns:
    """R23: an engineer's session alone can never produce a signed survey."""

    def test_engineer_session_with_the_sms_token_needs_the_customers_code(self, visit, engineer):
        issued = issue(visit, engineer)
        with pytest.raises(PermissionDenied) as exc:
            sign(issued.token, engineer)
        assert exc.value.code == "code_required"
        assert not SurveyResponse.objects.exists()
        assert SurveyLink.objects.get(pk=issued.link.pk).used_at is None

    @pytest.mark.parametrize("channel", [LinkChannel.QR, LinkChannel.DEVICE])
    def test_a_token_shown_on_the_engineers_screen_needs_the_code_even_anonymously(
        self, visit, engineer, anonymous, channel
    ):
        issued = issue(visit, engineer, channel)
        for actor in (engineer, anonymous):
            with pytest.raises(PermissionDenied) as exc:
                sign(issued.token, actor)
            assert exc.value.code == "code_required"
        assert not SurveyResponse.objects.exists()

    def test_customer_uses_the_engineers_phone_with_the_sms_code(self, visit, engineer):
        issued = issue(visit, engineer, LinkChannel.DEVICE)
        # A code was not sent with the link: the customer asks for it on the page.
        assert not sms_to("13800138000", "survey_code")
        binding = prove_phone(issued.link)
        response = sign(issued.token, engineer, binding=binding)
        assert response.verified_by_code is True
        assert response.session_user == engineer
        assert response.channel == "device"
        assert "survey.code_sent" in kinds(visit)

    def test_the_code_proof_belongs_to_the_browser_that_typed_it(self, visit, engineer):
        issued = issue(visit, engineer, LinkChannel.DEVICE)
        prove_phone(issued.link)
        for binding in ("", "guessed-nonce"):
            with pytest.raises(PermissionDenied):
                sign(issued.token, engineer, binding=binding)
        assert not SurveyResponse.objects.exists()

    def test_a_code_works_once(self, visit, engineer):
        issued = issue(visit, engineer, LinkChannel.QR)
        services.send_code(link=issued.link)
        code = code_from_sms(sms_to("13800138000", "survey_code")[-1])
        services.verify_code(link=issued.link, code=code)
        with pytest.raises(RuleViolation) as exc:
            services.verify_code(link=issued.link, code=code)
        assert exc.value.code == "no_code"

    def test_a_code_from_another_link_does_not_work(
        self, visit, engineer, ticket, dispatcher, monkeypatch
    ):
        other = ended_visit(ticket, engineer, dispatcher)
        mine = issue(visit, engineer, LinkChannel.DEVICE).link
        theirs = issue(other, engineer, LinkChannel.DEVICE).link
        codes = iter(["111111", "222222"])
        monkeypatch.setattr(codes_module, "link_code", lambda _link, _send, _digits: next(codes))
        services.send_code(link=mine)
        services.send_code(link=theirs)
        with pytest.raises(RuleViolation) as exc:
            services.verify_code(link=mine, code="222222")
        assert exc.value.code == "wrong"
        assert services.verify_code(link=mine, code="111111")

    def test_wrong_codes_lock_the_link_and_the_count_survives_the_error(self, visit, engineer):
        issued = issue(visit, engineer, LinkChannel.DEVICE)
        services.send_code(link=issued.link)
        right = code_from_sms(sms_to("13800138000", "survey_code")[-1])
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        for attempt in range(1, 5):
            with pytest.raises(RuleViolation) as exc:
                services.verify_code(link=issued.link, code=wrong)
            assert exc.value.code == "wrong"
            assert SurveyLink.objects.get(pk=issued.link.pk).code_attempts == attempt
        with pytest.raises(RuleViolation) as exc:
            services.verify_code(link=issued.link, code=wrong)
        assert exc.value.code == "locked"
        assert "survey.link_locked" in kinds(visit)
        with pytest.raises(RuleViolation) as exc:
            services.verify_code(link=issued.link, code=right)
        assert exc.value.code == "link_revoked"

    def test_code_expires_after_ten_minutes_and_resend_waits_a_minute(self, visit, engineer):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            issued = issue(visit, engineer, LinkChannel.DEVICE)
            services.send_code(link=issued.link)
            with pytest.raises(RuleViolation) as exc:
                services.send_code(link=issued.link)
            assert exc.value.code == "code_wait"
        code = code_from_sms(sms_to("13800138000", "survey_code")[-1])
        with time_machine.travel(start + timedelta(minutes=10, seconds=1), tick=False):
            with pytest.raises(RuleViolation) as exc:
                services.verify_code(link=issued.link, code=code)
            assert exc.value.code == "code_expired"
            services.send_code(link=issued.link)
        assert len(sms_to("13800138000", "survey_code")) == 2

    def test_codes_are_limited_per_link(self, visit, engineer):
        start = timezone.now()
        issued = issue(visit, engineer, LinkChannel.DEVICE, now=start)
        for n in range(5):
            services.send_code(link=issued.link, now=start + timedelta(minutes=2 * n))
        with pytest.raises(RuleViolation) as exc:
            services.send_code(link=issued.link, now=start + timedelta(minutes=12))
        assert exc.value.code == "code_limit"

    def test_replaying_a_signed_link_is_refused(self, visit, engineer, anonymous):
        token = issue(visit, engineer).token
        sign(token, anonymous)
        with pytest.raises(RuleViolation) as exc:
            sign(token, anonymous, answers=dict(GOOD_ANSWERS, punctuality=1))
        assert exc.value.code == "link_used"
        assert exc.value.status == 410
        assert SurveyResponse.objects.count() == 1
        assert Answer.objects.get(code="punctuality").score == 5

    def test_replaying_a_code_proof_after_signing_is_refused(self, visit, engineer):
        issued = issue(visit, engineer, LinkChannel.DEVICE)
        binding = prove_phone(issued.link)
        sign(issued.token, engineer, binding=binding)
        with pytest.raises(RuleViolation) as exc:
            sign(issued.token, engineer, binding=binding)
        assert exc.value.code == "link_used"

    def test_expired_link_is_refused(self, visit, engineer, anonymous):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            token = issue(visit, engineer).token
        later = start + timedelta(hours=24)
        with time_machine.travel(later, tick=False), pytest.raises(RuleViolation) as exc:
            sign(token, anonymous)
        assert exc.value.code == "link_expired"
        assert exc.value.status == 410

    def test_unknown_token_is_refused(self, visit, anonymous):
        with pytest.raises(RuleViolation) as exc:
            sign("not-a-token", anonymous)
        assert exc.value.code == "link_unknown"
        assert exc.value.status == 404


class TestIntegrity:
    @pytest.fixture
    def response(self, visit, engineer, anonymous):
        return sign(issue(visit, engineer).token, anonymous)

    def test_r23_signed_records_have_no_orm_write_path(self, response):
        response.user_agent = "changed"
        with pytest.raises(ValueError):
            response.save()
        with pytest.raises(ValueError):
            response.delete()
        with pytest.raises(ValueError):
            SurveyResponse.objects.filter(pk=response.pk).update(user_agent="x")
        with pytest.raises(ValueError):
            SurveyResponse.objects.all().delete()
        answer = response.answers.first()
        answer.score = 1
        with pytest.raises(ValueError):
            answer.save()
        with pytest.raises(ValueError):
            Answer.objects.filter(response=response).update(score=1)
        assert SurveyResponse.objects.get(pk=response.pk).verify()

    def _sql(self, sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def test_a_changed_answer_is_detected(self, response):
        self._sql(
            "UPDATE surveys_answer SET score = 1 WHERE response_id = %s AND code = 'punctuality'",
            [response.pk],
        )
        assert response.verify() is False
        assert any("SHA-256 摘要不符" in p for p in response.integrity_problems())

    def test_a_swapped_signature_is_detected(self, response):
        self._sql(
            "UPDATE surveys_surveyresponse SET signature_png = %s WHERE id = %s",
            [b"\x89PNG forged", response.pk],
        )
        assert response.verify() is False

    def test_a_changed_measurement_is_detected(self, response, visit):
        Measurement.objects.filter(visit=visit, phase="after").update(rsrp_dbm="-70.0")
        assert response.verify() is False
        assert any("测试结果被修改" in p for p in response.integrity_problems())

    def test_a_rewritten_digest_without_the_servers_key_is_detected(self, response):
        from surveys.integrity import compute_digest, measurement_snapshot

        self._sql(
            "UPDATE surveys_surveyresponse SET user_agent = 'forged' WHERE id = %s", [response.pk]
        )
        forged = SurveyResponse.objects.get(pk=response.pk)
        digest = compute_digest(
            forged, list(forged.answers.all()), measurement_snapshot(forged.visit_id)
        )
        self._sql(
            "UPDATE surveys_surveyresponse SET digest = %s WHERE id = %s", [digest, response.pk]
        )
        problems = response.integrity_problems()
        assert len(problems) == 1
        assert "封存" in problems[0]

    def test_a_time_given_in_beijing_time_verifies_after_the_database_round_trip(
        self, ticket, engineer, dispatcher, anonymous
    ):
        visit = ended_visit(ticket, engineer, dispatcher)
        at = timezone.localtime(timezone.now())  # +08:00, read back from the database as UTC
        response = sign(issue(visit, engineer).token, anonymous, now=at)
        assert SurveyResponse.objects.get(pk=response.pk).verify()

    def test_the_digest_is_stable_for_an_untouched_row(self, response):
        again = SurveyResponse.objects.get(pk=response.pk)
        assert again.verify() and response.verify()


class TestCardHandover:
    def test_r24_card_after_signing_then_closing_sms_with_10000(self, visit, engineer, anonymous):
        with pytest.raises(RuleViolation) as exc:
            services.hand_over_card(actor=engineer, visit=visit)
        assert exc.value.code == "not_signed"
        sign(issue(visit, engineer).token, anonymous)
        handover = services.hand_over_card(actor=engineer, visit=visit)
        assert handover.item == "card"
        closing = sms_to("13800138000", "survey_closing")
        assert len(closing) == 1
        assert "10000" in closing[0].body
        assert "赵先生" in closing[0].body
        event = Event.objects.get(visit=visit, kind="survey.card_handed_over")
        assert event.actor == engineer
        assert kinds(visit)[-1] == "survey.card_handed_over"
        with pytest.raises(RuleViolation) as exc:
            services.hand_over_card(actor=engineer, visit=visit)
        assert exc.value.code == "card_already_handed"
        assert Notification.objects.filter(template="survey_closing").count() == 1

    def test_only_the_visits_engineer_hands_it_over(self, visit, engineer, engineer2, anonymous):
        sign(issue(visit, engineer).token, anonymous)
        with pytest.raises(PermissionDenied):
            services.hand_over_card(actor=engineer2, visit=visit)
        assert services.hand_over_card(actor=engineer, visit=visit, item="faq").item == "faq"
        assert CardHandover.objects.count() == 1


class TestQuestions:
    def test_r25_seeded_items_with_importance(self):
        items = {q.code: q for q in Question.objects.all()}
        assert set(items) == {
            "punctuality",
            "manner",
            "professionalism",
            "tidiness",
            "result",
            "resolved",
            "comments",
        }
        assert {items[c].kind for c in ("punctuality", "manner", "tidiness")} == {"rating"}
        assert items["resolved"].kind == "yes_no"
        assert items["comments"].required is False
        assert all(1 <= q.importance <= 5 for q in items.values())

    def test_only_a_supervisor_edits_and_importance_is_1_to_5(
        self, supervisor, engineer, dispatcher
    ):
        question = Question.objects.get(code="tidiness")
        for actor in (engineer, dispatcher):
            with pytest.raises(PermissionDenied):
                services.save_question(actor=actor, question=question, importance=4)
        with pytest.raises(RuleViolation) as exc:
            services.save_question(actor=supervisor, question=question, importance=6)
        assert exc.value.code == "invalid_importance"
        services.save_question(actor=supervisor, question=question, importance=4)
        assert Question.objects.get(code="tidiness").importance == 4

    def test_signed_surveys_keep_their_wording_and_answered_items_keep_code_and_kind(
        self, visit, engineer, anonymous, supervisor
    ):
        response = sign(issue(visit, engineer).token, anonymous)
        question = Question.objects.get(code="manner")
        services.save_question(actor=supervisor, question=question, text="着装与态度")
        assert response.answers.get(code="manner").text == "仪容仪表与服务态度"
        assert response.verify()
        with pytest.raises(RuleViolation) as exc:
            services.save_question(actor=supervisor, question=question, kind="text")
        assert exc.value.code == "question_answered"

    def test_an_inactive_item_is_not_asked(self, visit, engineer, anonymous, supervisor):
        question = Question.objects.get(code="tidiness")
        services.save_question(actor=supervisor, question=question, active=False)
        answers = dict(GOOD_ANSWERS)
        answers.pop("tidiness")
        response = sign(issue(visit, engineer).token, anonymous, answers=answers)
        assert not response.answers.filter(code="tidiness").exists()
