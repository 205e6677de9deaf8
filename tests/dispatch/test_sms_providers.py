"""Customer SMS through Aliyun and Tencent Cloud (issue 16): the official SDKs, unmocked, talk to
loopback fakes of each provider's HTTP API (tests.sms_fakes). Every test runs against both.

What a customer SMS is (R26): one of our templates, its provider code and its parameters; the
provider's limits checked when the message is queued; throttling, an invalid number, a refused
template; exactly once at the gateway when the answer is lost; the carriers' receipts."""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dispatch import receipts
from dispatch.backends import reference
from dispatch.customer_secrets import MARK
from dispatch.delivery import deliver_pending
from dispatch.errors import RuleViolation
from dispatch.models import DeliveryProblem, Notification, NotificationChannel, NotificationState
from dispatch.notifications import queue_sms
from dispatch.sms import provider_text
from tests.factories import open_ticket
from tests.sms_fakes import ALIYUN_ENV, TENCENT_ENV, FakeProvider, template_codes

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["aliyun", "tencent"])
def provider(request, settings, monkeypatch, sms_templates):
    fake = FakeProvider(request.param).start()
    for name, value in (ALIYUN_ENV if request.param == "aliyun" else TENCENT_ENV).items():
        monkeypatch.setenv(name, value)
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKEND": request.param}
    settings.SMS = {
        **settings.SMS,
        "ENDPOINT": fake.url,
        "SIGN_NAME": "中国电信客服",
        "TEMPLATE_CODES": template_codes(request.param),
        "TIMEOUT_SECONDS": 1,
        "LOOKUP_GRACE_SECONDS": 0,
    }
    yield fake
    fake.stop()


def sms(ticket, when="明天上午9点", **kwargs):
    return queue_sms(
        ticket=ticket, template="test_reminder", context={"when": when}, urgent=True, **kwargs
    )


def refreshed(notification):
    notification.refresh_from_db()
    return notification


def later(minutes=90):
    return timezone.now() + timedelta(minutes=minutes)


def test_the_provider_gets_our_template_code_its_parameters_and_our_reference(provider, dispatcher):
    ticket = open_ticket(dispatcher, customer_name="王芳")
    message = sms(ticket, key="visit:7:booked")
    assert deliver_pending().sent == 1

    (taken,) = provider.messages
    assert taken["reference"] == "visit:7:booked"  # Aliyun OutId / Tencent SessionContext
    assert taken["template"] == template_codes(provider.kind)["test_reminder"]
    assert taken["sign"] == "中国电信客服"
    if provider.kind == "aliyun":
        assert taken["phone"] == "13800138000"
        assert taken["params"] == {"name": "王芳", "when": "明天上午9点"}
        assert refreshed(message).external_id == "000001^0"  # the BizId
    else:
        assert taken["phone"] == "+8613800138000"
        assert taken["params"] == ["王芳", "明天上午9点"]  # {1}, {2} in the text's order
        assert refreshed(message).external_id == "2433:000001"  # the SerialNo
    # The text staff see is the registered template with these parameters.
    assert message.params == {"name": "王芳", "when": "明天上午9点"}
    assert (
        message.body
        == "您好！王芳，提醒您：我们的工程师将于明天上午9点上门测试。如有疑问请拨打10000。"
    )


def test_the_registered_text_comes_from_the_same_template(provider):
    text = provider_text("test_reminder", provider.kind)
    if provider.kind == "aliyun":
        assert (
            text == "您好！${name}，提醒您：我们的工程师将于${when}上门测试。如有疑问请拨打10000。"
        )
    else:
        assert text == "您好！{1}，提醒您：我们的工程师将于{2}上门测试。如有疑问请拨打10000。"


def test_a_parameter_over_the_providers_limit_is_refused_when_queued(provider, dispatcher):
    ticket = open_ticket(dispatcher)
    with pytest.raises(RuleViolation) as refused:
        sms(
            ticket,
            when="下周一上午九点到十点之间，请您在家等候我们的工程师上门进行网络测试，谢谢配合",
        )
    assert refused.value.code == "sms_parameter_invalid"
    assert "最多允许35个字" in refused.value.message  # in words, in the interface's language
    with pytest.raises(RuleViolation):
        sms(ticket, when="【中国电信】")  # 【】 would be taken for a signature
    assert not Notification.objects.filter(channel=NotificationChannel.SMS).exists()


def test_throttled_waits_and_goes_later_without_using_up_the_tries(provider, dispatcher, settings):
    message = sms(open_ticket(dispatcher))
    provider.script = ["throttle"] * 6
    result = deliver_pending()
    assert result.retrying == 1
    assert refreshed(message).problem == DeliveryProblem.THROTTLED
    assert refreshed(message).send_after > timezone.now()
    for minutes in (90, 180, 300, 420, 600):  # past every backoff; tries beyond MAX_ATTEMPTS
        deliver_pending(now=later(minutes))
    assert refreshed(message).state == NotificationState.PENDING  # still only waiting
    assert refreshed(message).attempts == 6 > settings.NOTIFICATIONS["MAX_ATTEMPTS"]
    assert deliver_pending(now=later(2000)).sent == 1
    assert provider.sends() == [reference(message)]
    assert refreshed(message).problem == ""


def test_an_invalid_number_fails_and_shows_on_the_ticket(provider, dispatcher, client):
    ticket = open_ticket(dispatcher)
    message = sms(ticket)
    provider.script = ["invalid_number"]
    assert deliver_pending().failed == 1
    message = refreshed(message)
    assert (message.state, message.problem) == ("failed", DeliveryProblem.INVALID_NUMBER)
    assert provider.sends() == []
    client.force_login(dispatcher)
    page = client.get(reverse("dispatch:ticket_detail", args=[ticket.number])).content.decode()
    assert "短信未送达" in page
    assert "号码无法接收短信" in page  # the reason in words, not the provider's code
    assert "MOBILE_NUMBER_ILLEGAL" not in page and "IncorrectPhoneNumber" not in page


def test_a_refused_template_fails_and_alerts_the_supervisors(provider, dispatcher, supervisor):
    message = sms(open_ticket(dispatcher))
    provider.script = ["template"]
    assert deliver_pending().failed == 1
    assert refreshed(message).problem == DeliveryProblem.PROVIDER_SETUP
    (alert,) = Notification.objects.filter(recipient=supervisor, template="sms_provider_refused")
    assert "短信服务商拒绝" in alert.body
    # A second refusal of the same template that day: no second alert.
    other = sms(open_ticket(dispatcher))
    provider.script = ["template"]
    deliver_pending()
    assert refreshed(other).state == NotificationState.FAILED
    assert Notification.objects.filter(template="sms_provider_refused").count() == 1


def test_a_template_without_a_provider_code_fails_loudly(
    provider, dispatcher, supervisor, settings
):
    settings.SMS = {**settings.SMS, "TEMPLATE_CODES": {}}
    message = sms(open_ticket(dispatcher))
    assert deliver_pending().failed == 1
    assert "SMS_TEMPLATE_CODES" in refreshed(message).last_error
    assert Notification.objects.filter(recipient=supervisor, template="sms_provider_refused")
    assert provider.calls == []


def test_an_answer_lost_to_a_timeout_is_asked_about_and_not_sent_twice(provider, dispatcher):
    """The provider took the message, but the answer never came back (a timeout): the next try
    asks the provider by our reference and records the message as sent."""
    message = sms(open_ticket(dispatcher))
    provider.script = ["hold"]
    assert deliver_pending().retrying == 1
    provider.release()
    message = refreshed(message)
    assert message.outcome_unknown and message.problem == DeliveryProblem.UNKNOWN
    if provider.kind == "tencent":
        provider.deliver(reference(message))  # Tencent lists a message with its receipt
    deliver_pending(now=later())
    message = refreshed(message)
    assert message.state in (NotificationState.SENT, NotificationState.DELIVERED)
    assert not message.outcome_unknown
    assert provider.sends() == [reference(message)]  # once at the gateway
    assert provider.calls.count("SendSms") == 1


# Aliyun lists a message as soon as it takes it: only Tencent has a receipt to wait for.
@pytest.mark.parametrize("provider", ["tencent"], indirect=True)
def test_tencent_waits_for_the_receipt_before_deciding(provider, dispatcher, settings):
    settings.SMS = {**settings.SMS, "LOOKUP_GRACE_SECONDS": 3600}
    message = sms(open_ticket(dispatcher))
    provider.script = ["hold"]
    deliver_pending()
    provider.release()
    assert deliver_pending(now=later()).retrying == 1  # no receipt yet: still unknown
    assert refreshed(message).outcome_unknown
    provider.deliver(reference(message))
    deliver_pending(now=later(200))
    assert refreshed(message).state == NotificationState.DELIVERED
    assert provider.calls.count("SendSms") == 1


def test_a_message_the_provider_never_got_is_sent_after_asking(provider, dispatcher):
    message = sms(open_ticket(dispatcher))
    provider.script = ["down"]  # 503: nothing taken, but we can't be sure
    deliver_pending()
    assert refreshed(message).outcome_unknown
    assert deliver_pending(now=later()).sent == 1
    assert provider.sends() == [reference(message)]
    assert provider.calls[-2:] == [
        "QuerySendDetails" if provider.kind == "aliyun" else "PullSmsSendStatusByPhoneNumber",
        "SendSms",
    ]


def test_receipts_turn_sent_into_delivered_or_failed_with_the_carriers_reason(
    provider, dispatcher, client
):
    ticket = open_ticket(dispatcher)
    good, bad = sms(ticket, key="good"), sms(ticket, key="bad")
    assert deliver_pending().sent == 2
    assert receipts.pull_receipts() == receipts.ReceiptResult()  # nothing yet
    provider.deliver("good")
    provider.deliver("bad", ok=False, reason="MK:0001")
    assert receipts.pull_receipts() == receipts.ReceiptResult(delivered=1, failed=1)
    assert refreshed(good).state == NotificationState.DELIVERED
    assert refreshed(good).delivered_at is not None
    bad = refreshed(bad)
    assert (bad.state, bad.problem) == (NotificationState.FAILED, DeliveryProblem.CARRIER)
    assert "MK:0001" in bad.last_error
    assert receipts.pull_receipts() == receipts.ReceiptResult()  # nothing moves twice
    client.force_login(dispatcher)
    page = client.get(reverse("dispatch:ticket_detail", args=[ticket.number])).content.decode()
    assert "运营商未能送达" in page and "MK:0001" in page


def test_a_survey_code_reaches_the_provider_and_the_outbox_keeps_the_mask(
    provider, dispatcher, engineer, settings
):
    """R23: the code exists in clear only in the parameters the provider gets. (The centre was
    granted a link variable long enough for the survey link.)"""
    from surveys import services as surveys
    from surveys.models import LinkChannel
    from tests.surveys.factories import ended_visit, measure

    settings.SMS = {**settings.SMS, "VARIABLE_LIMITS": {provider.kind: {"link": 80}}}
    ticket = open_ticket(dispatcher)
    visit = ended_visit(ticket, engineer, dispatcher)
    measure(visit, phase="after")
    issued = surveys.issue_link(
        actor=engineer, visit=visit, channel=LinkChannel.SMS, base_url="https://t.cn"
    )
    surveys.send_code(link=issued.link)
    deliver_pending(now=later())
    code_sms = Notification.objects.get(template="survey_code")
    assert code_sms.params["code"] == MARK and MARK in code_sms.body
    taken = provider.messages[-1]
    code = taken["params"]["code"] if provider.kind == "aliyun" else taken["params"][0]
    assert code.isdigit() and len(code) == 6
    assert code not in code_sms.body and code not in code_sms.last_error


def test_a_survey_link_longer_than_the_providers_link_variable_is_refused_in_words(
    provider, dispatcher, engineer
):
    from surveys import services as surveys
    from surveys.models import LinkChannel
    from tests.surveys.factories import ended_visit, measure

    visit = ended_visit(open_ticket(dispatcher), engineer, dispatcher)
    measure(visit, phase="after")
    with pytest.raises(RuleViolation) as refused:
        surveys.issue_link(
            actor=engineer, visit=visit, channel=LinkChannel.SMS, base_url="https://t.cn"
        )
    assert "调查链接" in refused.value.message


def test_credentials_never_reach_logs_pages_or_errors(
    provider, dispatcher, supervisor, client, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    ticket = open_ticket(dispatcher)
    sent, refused = sms(ticket, key="a"), sms(ticket, key="b")
    provider.script = ["ok", "template"]
    deliver_pending()
    assert refreshed(sent).state == NotificationState.SENT
    secrets = [v for k, v in (ALIYUN_ENV | TENCENT_ENV).items() if "APP_ID" not in k]
    client.force_login(supervisor)
    pages = [
        client.get(reverse("supervision:outbox")).content.decode(),
        client.get(reverse("dispatch:ticket_detail", args=[ticket.number])).content.decode(),
        client.get(reverse("supervision:alerts")).content.decode(),
    ]
    errors = " ".join(Notification.objects.values_list("last_error", flat=True))
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in errors
        assert secret not in str(settings.SMS)
        assert all(secret not in page for page in pages)
    # The signature went to the provider only: the secret itself never travelled.
    headers = " ".join(provider.credentials_seen)
    assert all(secret not in headers for secret in secrets[1::2])
    assert refreshed(refused).state == NotificationState.FAILED


def test_sms_templates_command_prints_the_texts_to_register(provider, capsys):
    call_command("sms_templates", provider.kind)
    out = capsys.readouterr().out
    assert "visit_booked" in out and "survey_code" in out
    assert ("${engineer}" if provider.kind == "aliyun" else "{1}") in out
    assert template_codes(provider.kind)["visit_booked"] in out
