"""R23: the survey link and the code exist only on the customer's phone. The outbox stores a mask;
the sending backend derives the secret (surveys.phone_secrets): the same on a retry, nothing for
a link re-issued or a code replaced since. A visit's links are capped."""

import importlib
import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone
from gunicorn.glogging import Logger

from dispatch.backends import DeliveryError, FileBackend
from dispatch.customer_secrets import MARK
from dispatch.delivery import deliver_pending
from dispatch.errors import RuleViolation
from dispatch.models import Event, Notification, NotificationState
from surveys import services
from surveys.log_redaction import GunicornLogger
from surveys.models import LinkChannel, SurveyLink
from tests.dispatch.conftest import NOW
from tests.surveys.factories import GOOD_ANSWERS, ended_visit, sms_to, strokes

pytestmark = pytest.mark.django_db

BASE = "https://dispatch.example.cn/"
PHONE = "+8613800138000"


@pytest.fixture
def phone(settings, tmp_path):
    """What the customer's phone has received (the file backend), read as text."""
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "BACKEND": "file",
        "FILE_DIR": str(tmp_path),
    }
    path = tmp_path / f"{PHONE}.txt"
    return lambda: path.read_text(encoding="utf-8") if path.exists() else ""


class FlakyFileBackend(FileBackend):
    """The gateway is busy the first time, then delivers."""

    calls = 0

    def send(self, notification):
        FlakyFileBackend.calls += 1
        if FlakyFileBackend.calls == 1:
            raise DeliveryError("SMS gateway HTTP 503")
        return super().send(notification)


def issue(visit, actor, channel=LinkChannel.SMS, **kw):
    return services.issue_link(actor=actor, visit=visit, channel=channel, base_url=BASE, **kw)


def tokens(text):
    return re.findall(r"/survey/s/([\w-]+)/", text)


def codes(text):
    return re.findall(r"(?<!\d)\d{6}(?!\d)", text)


def signs(token, anonymous):
    return services.sign_survey(
        actor=anonymous,
        token=token,
        answers=dict(GOOD_ANSWERS),
        work_order_confirmed=True,
        strokes=strokes(),
    )


def test_r23_the_phone_gets_the_link_the_outbox_keeps_a_mask(phone, visit, engineer, anonymous):
    with time_machine.travel(NOW, tick=False):
        issued = issue(visit, engineer)
        deliver_pending()
        (sms,) = sms_to("13800138000", "survey_link")
        assert sms.state == NotificationState.SENT
        assert issued.token not in sms.body and MARK in sms.body
        assert tokens(phone()) == [issued.token]
        assert signs(issued.token, anonymous).verify()


def test_r23_a_retry_sends_the_same_link(phone, settings, visit, engineer, anonymous):
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "BACKEND": "tests.surveys.test_phone_secrets.FlakyFileBackend",
    }
    FlakyFileBackend.calls = 0
    with time_machine.travel(NOW, tick=False):
        issued = issue(visit, engineer)
        assert deliver_pending().retrying == 1
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert deliver_pending().sent == 1
        assert tokens(phone()) == [issued.token]
        assert signs(issued.token, anonymous)


def test_r23_a_reissued_link_makes_the_waiting_sms_moot(phone, visit, engineer):
    night = NOW.replace(hour=22)
    with time_machine.travel(night, tick=False):
        first = issue(visit, engineer)  # held by the quiet hours
        second = issue(visit, engineer)
    with time_machine.travel(night + timedelta(hours=10), tick=False):
        result = deliver_pending()
    assert (result.sent, result.failed) == (1, 1)
    old, new = sms_to("13800138000", "survey_link")
    assert old.state == NotificationState.FAILED
    assert "replaced" in old.last_error and first.token not in old.last_error
    assert new.state == NotificationState.SENT
    assert tokens(phone()) == [second.token]


def test_r23_a_newer_code_makes_the_older_sms_moot(phone, visit, engineer):
    with time_machine.travel(NOW, tick=False):
        link = issue(visit, engineer, LinkChannel.DEVICE).link
        services.send_code(link=link)
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        services.send_code(link=link)
        result = deliver_pending()
        assert (result.sent, result.failed) == (1, 1)
        (code,) = codes(phone())
        assert services.verify_code(link=link, code=code)
    old, new = sms_to("13800138000", "survey_code")
    assert "newer code" in old.last_error
    assert MARK in old.body and MARK in new.body
    assert code not in new.body


def test_r23_a_code_sms_not_sent_before_it_expires_is_not_sent(phone, visit, engineer):
    with time_machine.travel(NOW, tick=False):
        services.send_code(link=issue(visit, engineer, LinkChannel.DEVICE).link)
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert deliver_pending().failed == 1
    assert phone() == ""


def test_r23_a_visit_gets_a_bounded_number_of_links(settings, visit, engineer):
    settings.SURVEY_LINK_MAX_ISSUES = 2
    issue(visit, engineer)
    issue(visit, engineer, LinkChannel.QR)
    with pytest.raises(RuleViolation) as exc:
        issue(visit, engineer)
    assert (exc.value.code, exc.value.status) == ("link_limit", 409)
    assert "2" in exc.value.message and "上限" in exc.value.message
    assert SurveyLink.objects.filter(visit=visit).count() == 2
    # The last link still works: the refusal revoked nothing.
    assert SurveyLink.objects.get(visit=visit, revoked_at=None).channel == LinkChannel.QR


def test_r23_the_limit_is_a_clear_refusal_on_the_page_and_in_the_api(
    settings, visit, engineer, login, api
):
    settings.SURVEY_LINK_MAX_ISSUES = 1
    issue(visit, engineer)
    page = login(engineer).post(f"/survey/visit/{visit.pk}/issue/", {"channel": "sms"}, follow=True)
    assert "已达上限" in page.text
    api.force_authenticate(engineer)
    answer = api.post("/api/survey-links/", {"visit": visit.pk, "channel": "sms"}, format="json")
    assert answer.status_code == 409
    assert answer.json()["code"] == "link_limit"


def test_r23_the_migration_masks_what_was_stored_in_clear(ticket, engineer, dispatcher):
    """Rows written before the secrets were derived: masked, and what they exposed revoked."""
    visit = ended_visit(ticket, engineer, dispatcher)
    live = issue(visit, engineer)
    token = live.token
    url = f"{BASE}survey/s/{token}/"
    link_sms = Notification.objects.get(template="survey_link")
    Notification.objects.filter(pk=link_sms.pk).update(
        body=link_sms.body.replace(MARK, token), secret_ref="", state=NotificationState.FAILED
    )
    code_sms = Notification.objects.create(
        channel="sms",
        to_phone=PHONE,
        ticket=ticket,
        template="survey_code",
        body="您的服务监督调查验证码为 482913，10 分钟内有效。",
    )
    SurveyLink.objects.filter(pk=live.link.pk).update(code_hash="x" * 64)
    # A supervisor sent the link again: the timeline quoted the text.
    retried = Event.objects.create(
        ticket=ticket,
        kind="notification.retried",
        message=f"请点击 {url} 签名",
        after={"notification": link_sms.pk},
    )

    migration = importlib.import_module("surveys.migrations.0004_mask_survey_secrets_in_outbox")
    migration.forwards(apps, None)

    link_sms.refresh_from_db()
    code_sms.refresh_from_db()
    assert token not in link_sms.body and MARK in link_sms.body
    assert "482913" not in code_sms.body and MARK in code_sms.body
    assert code_sms.state == NotificationState.FAILED  # was pending: its text is gone
    # The timeline is append-only: its quote stays, and opens nothing any more.
    assert token in Event.objects.get(pk=retried.pk).message
    link = SurveyLink.objects.get(pk=live.link.pk)
    assert link.revoked_at is not None and link.code_hash == ""
    with pytest.raises(RuleViolation) as exc:
        services.sign_survey(
            actor=None,
            token=token,
            answers=dict(GOOD_ANSWERS),
            work_order_confirmed=True,
            strokes=strokes(),
            now=timezone.now(),
        )
    assert exc.value.code == "link_revoked"


def test_r23_a_code_asked_for_at_night_comes_at_once(phone, visit, engineer):
    night = NOW.replace(hour=22)
    with time_machine.travel(night, tick=False):
        link = issue(visit, engineer, LinkChannel.DEVICE).link
        services.send_code(link=link)
        assert deliver_pending().sent == 1
        (code,) = codes(phone())
        assert services.verify_code(link=link, code=code)


def test_r23_django_logs_the_customers_page_without_its_token(visit, engineer, client, caplog):
    """A form error on the customer's page is a 400, which Django logs with the path: the link
    is still live then."""
    caplog.set_level(logging.WARNING, logger="django.request")
    token = issue(visit, engineer).token
    answer = client.post(f"/survey/s/{token}/", {"action": "sign"})
    assert answer.status_code == 400
    assert "/survey/s/" in caplog.text
    assert token not in caplog.text


def test_r23_the_access_log_masks_the_token(monkeypatch):
    line = {"r": "GET /survey/s/Abc-123_x/ HTTP/1.1", "U": "/survey/s/Abc-123_x/", "s": 200}
    monkeypatch.setattr(Logger, "atoms", lambda *args: dict(line))
    atoms = GunicornLogger.atoms(object.__new__(GunicornLogger), None, None, {}, None)
    assert atoms == {"r": "GET /survey/s/••••••/ HTTP/1.1", "U": "/survey/s/••••••/", "s": 200}


def test_r23_a_link_queued_under_a_rotated_key_is_not_sent(phone, settings, visit, engineer):
    with time_machine.travel(NOW, tick=False):
        issue(visit, engineer)
        settings.SECRET_KEY = "rotated-" + settings.SECRET_KEY
        assert deliver_pending().failed == 1
    assert phone() == ""
    assert "key changed" in sms_to("13800138000", "survey_link")[0].last_error
