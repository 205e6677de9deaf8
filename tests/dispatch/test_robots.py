"""Staff alerts to a WeCom or DingTalk group robot (issue 16): a burst of overdue deadlines is
one digest a run, under the robot's rate limit (DingTalk: 20 a minute), @-mentioning the
responsible people by mobile; DingTalk's signed webhook; the webhook's key never logged. A
loopback fake of the robots' webhook takes the posts."""

import base64
import hashlib
import hmac
import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from dispatch import robots
from dispatch.models import Deadline, DeadlineState, StaffProfile
from dispatch.sweep import sweep_deadlines
from dispatch.tasks import post_staff_digest
from tests.factories import open_ticket

pytestmark = pytest.mark.django_db

SECRET = "SEC-dingtalk-signing-secret-1234"


class Robot(BaseHTTPRequestHandler):
    posts: list[dict] = []
    answer = {"errcode": 0, "errmsg": "ok"}

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Robot.posts.append({"query": parse_qs(urlsplit(self.path).query), "json": body})
        data = json.dumps(Robot.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(params=["wecom", "dingtalk"])
def robot(request, settings, monkeypatch):
    Robot.posts, Robot.answer = [], {"errcode": 0, "errmsg": "ok"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.STAFF_ROBOT = {**settings.STAFF_ROBOT, "KIND": request.param}
    token = "key=robot-key-5e1f" if request.param == "wecom" else "access_token=robot-token-77"
    monkeypatch.setenv("STAFF_ROBOT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/send?{token}")
    if request.param == "dingtalk":
        monkeypatch.setenv("STAFF_ROBOT_SECRET", SECRET)
    Robot.kind = request.param
    yield Robot
    server.shutdown()
    server.server_close()


def burst(dispatcher, n=30):
    """n tickets whose acknowledgement deadline fell due a minute ago, swept at once."""
    tickets = [open_ticket(dispatcher) for _ in range(n)]
    Deadline.objects.filter(ticket__in=tickets, state=DeadlineState.OPEN).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    sweep_deadlines()
    return tickets


def test_a_burst_of_overdue_deadlines_is_one_digest_mentioning_the_responsible(
    robot, dispatcher, supervisor, settings
):
    StaffProfile.objects.create(user=dispatcher, mobile="13900139000")
    assert robots.post_digest() == 0  # the first run only starts the watermark
    burst(dispatcher)
    assert robots.post_digest() > 30  # the owner's and the supervisor's alerts
    (post,) = robot.posts  # one post for the whole burst
    text = post["json"]["text"]["content"]
    assert text.startswith("30 条新提醒")  # each alert once, however many people it went to
    assert text.count("•") == settings.STAFF_ROBOT["MAX_LINES"]
    assert "提醒页面" in text  # "… and 15 more: see the alerts page"
    if robot.kind == "wecom":
        assert post["json"]["text"]["mentioned_mobile_list"] == ["13900139000"]
    else:
        assert post["json"]["at"] == {"atMobiles": ["13900139000"], "isAtAll": False}
        assert "@13900139000" in text
    assert robots.post_digest() == 0 and len(robot.posts) == 1  # nothing new, nothing posted


def test_bursts_stay_under_the_robots_rate_limit(robot, dispatcher):
    robots.post_digest()
    for _minute in range(3):
        burst(dispatcher, n=10)
        post_staff_digest()  # the beat's run, once a minute
    assert len(robot.posts) == 3  # 60 alerts, 3 posts: one a minute, DingTalk allows 20


@pytest.mark.parametrize("robot", ["dingtalk"], indirect=True)  # WeCom's webhook is not signed
def test_dingtalk_webhook_is_signed(robot, dispatcher):
    robots.post_digest()
    burst(dispatcher, n=1)
    robots.post_digest()
    (post,) = robot.posts
    timestamp, sign = post["query"]["timestamp"][0], post["query"]["sign"][0]
    expected = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256)
    assert sign == base64.b64encode(expected.digest()).decode()


def test_a_refused_post_is_posted_again_next_run_and_the_key_is_never_logged(
    robot, dispatcher, caplog
):
    caplog.set_level(logging.DEBUG)
    robots.post_digest()
    burst(dispatcher, n=2)
    robot.answer = {"errcode": 130101, "errmsg": "send too fast"}
    assert post_staff_digest() == 0
    robot.answer = {"errcode": 0, "errmsg": "ok"}
    assert post_staff_digest() == 2  # the same alerts, posted now
    assert len(robot.posts) == 2
    assert "robot-key" not in caplog.text and "robot-token" not in caplog.text
    assert SECRET not in caplog.text


def test_no_robot_no_post(settings, dispatcher):
    settings.STAFF_ROBOT = {**settings.STAFF_ROBOT, "KIND": ""}
    burst(dispatcher, n=1)
    assert robots.post_digest() == 0
