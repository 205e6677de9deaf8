"""R23, R24 under load: the customer's signing page is posted from several browsers at once
(a double tap, two phones) while the engineer sends a new link: each request from its own
thread and PostgreSQL connection (tests/concurrency.py). One of them wins; the others are
told, in a sentence, that the survey was signed or replaced meanwhile; none answers 500.

Before dispatch/locks.py, signing locked link → visit while issuing locked visit → links, and
PostgreSQL broke the cycle by aborting one of them."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dispatch.models import Event
from surveys import services
from surveys.models import LinkChannel, SurveyLink, SurveyResponse
from tests.concurrency import assert_no_server_error, assert_sentence, run_at_once, statuses
from tests.surveys.factories import GOOD_ANSWERS, strokes

pytestmark = pytest.mark.django_db(transaction=True)

SIGNED = "此调查表已经签署，谢谢您！"
REPLACED = "此链接已被新链接取代"
THANKS = "谢谢您的签名"


def _sign(token):
    data = {f"q_{code}": str(value) for code, value in GOOD_ANSWERS.items()}
    data.update(action="sign", confirm="on", signature=json.dumps(strokes()))

    def call():
        return Client().post(reverse("surveys:customer", kwargs={"token": token}), data)

    return call


def _issue(engineer, visit):
    def call():
        client = APIClient()
        client.force_authenticate(engineer)
        return client.post("/api/survey-links/", {"visit": visit.pk, "channel": "sms"})

    return call


@pytest.mark.parametrize("round_", range(4))
def test_r23_signing_from_several_browsers_while_a_new_link_is_sent_one_wins(
    visit, engineer, django_db_blocker, round_
):
    assert connection.vendor == "postgresql", "the race test needs PostgreSQL"
    token = services.issue_link(
        actor=engineer, visit=visit, channel=LinkChannel.SMS, base_url="https://t/"
    ).token
    calls = [_sign(token) for _ in range(7)]
    calls.insert(round_, _issue(engineer, visit))
    responses = run_at_once(calls, django_db_blocker)
    assert_no_server_error(responses)
    issued, signs = responses[round_], responses[:round_] + responses[round_ + 1 :]
    pages = [r.content.decode() for r in signs]
    if SurveyResponse.objects.exists():
        # A browser signed first: one signature; the other taps and the new link are refused.
        assert SurveyResponse.objects.count() == 1
        assert statuses(signs).count(302) == 1
        for response, page in zip(signs, pages, strict=True):
            if response.status_code != 302:
                assert (response.status_code, SIGNED in page or THANKS in page) in {
                    (410, True),
                    (200, True),
                }, (response.status_code, page)
        assert issued.status_code == 409
        assert_sentence(issued.json(), "already_signed")
        assert Event.objects.filter(visit=visit, kind="survey.signed").count() == 1
    else:
        # The new link went out first: every browser holds a replaced link.
        assert issued.status_code == 201
        assert statuses(signs) == [410] * 7
        assert all(REPLACED in page for page in pages)
        assert SurveyLink.objects.filter(visit=visit, revoked_at__isnull=True).count() == 1
