"""Exactly once at the SMS gateway (issue 16), through real Celery workers and the providers'
real SDKs against loopback fakes of their APIs (tests.sms_fakes): a worker killed after the
provider accepted a message, before it could record that, is replaced; the new worker asks the
provider about the message by our reference (Aliyun QuerySendDetails by OutId, Tencent
PullSmsSendStatusByPhoneNumber by SessionContext) and records it, without sending it again."""

import json

import pytest

from dispatch.backends import reference
from dispatch.models import Notification, NotificationState
from dispatch.notifications import queue_sms
from tests.factories import open_ticket
from tests.integration.conftest import wait_for
from tests.sms_fakes import ALIYUN_ENV, TENCENT_ENV, FakeProvider, template_codes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["aliyun", "tencent"])
def gateway(request, celery_env):
    fake = FakeProvider(request.param).start()
    env = {
        **celery_env,
        **(ALIYUN_ENV if request.param == "aliyun" else TENCENT_ENV),
        "SMS_BACKEND": request.param,
        "SMS_ENDPOINT": fake.url,
        "SMS_SIGN_NAME": "中国电信客服",
        "SMS_TEMPLATE_CODES": json.dumps(template_codes(request.param)),
        # The first worker's claim lapses after 2 s (5 min in production).
        "NOTIFICATION_CLAIM_TIMEOUT_SECONDS": "2",
        "SMS_TIMEOUT_SECONDS": "120",
    }
    yield fake, env
    fake.stop()


def test_a_worker_killed_after_the_provider_accepted_does_not_send_twice(
    gateway, workers, dispatcher
):
    fake, env = gateway
    fake.script = ["hold"]  # the provider takes the message, the answer never comes back
    stuck = workers("stuck", env)
    ticket = open_ticket(dispatcher)
    message = queue_sms(ticket=ticket, template="survey_closing", context={}, urgent=True)
    wait_for(lambda: fake.sends(), message="the provider to accept the message")
    stuck.kill()  # killed after the provider accepted, before the worker recorded it
    assert Notification.objects.get(pk=message.pk).state == NotificationState.SENDING
    if fake.kind == "tencent":
        fake.deliver(reference(message))  # Tencent lists a message once its receipt is in

    fresh = workers("fresh", env)
    wait_for(
        lambda: (
            Notification.objects.get(pk=message.pk).state
            in (NotificationState.SENT, NotificationState.DELIVERED)
        ),
        message="the fresh worker to record the message",
    )
    message.refresh_from_db()
    assert message.attempts == 2  # the lost attempt, and the lookup that found it
    assert not message.outcome_unknown
    assert fake.sends() == [reference(message)]  # once at the gateway
    assert fake.calls.count("SendSms") == 1
    lookup = "QuerySendDetails" if fake.kind == "aliyun" else "PullSmsSendStatusByPhoneNumber"
    assert lookup in fake.calls
    assert fresh.pid != stuck.pid
