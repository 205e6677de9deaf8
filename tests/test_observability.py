"""Logs a shipper can parse, and error reports that reach Sentry only where SENTRY_DSN says
(config/settings.py, docs/operations.md). Each case starts the app in a subprocess, as settings
are read once at start."""

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.test_settings import run_manage

LOG_AND_FLUSH = (
    "import logging, sentry_sdk; "
    "logging.getLogger('dispatch.delivery').error('send failed', extra={'notification': 42}); "
    "sentry_sdk.flush(5)"
)


def test_json_logs_are_one_object_a_line_with_the_extra_fields():
    result = run_manage("shell", "-c", LOG_AND_FLUSH, env_extra={"LOG_FORMAT": "json"})
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "send failed" in line]
    record = json.loads(line)
    assert record["level"] == "ERROR"
    assert record["logger"] == "dispatch.delivery"
    assert record["message"] == "send failed"
    assert record["notification"] == 42


def test_plain_text_logs_by_default():
    result = run_manage("shell", "-c", LOG_AND_FLUSH, env_extra={})
    assert "ERROR dispatch.delivery: send failed" in result.stderr


def test_an_unknown_log_format_is_refused_at_start():
    result = run_manage("check", env_extra={"LOG_FORMAT": "xml"})
    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json" in result.stderr


class _FakeSentry(BaseHTTPRequestHandler):
    """Sentry's ingest endpoint on loopback: keeps every envelope posted to it."""

    envelopes: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_errors_reach_sentry_when_a_dsn_is_set_and_carry_no_personal_data():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _FakeSentry.envelopes.clear()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_port}/7"
        result = run_manage("shell", "-c", LOG_AND_FLUSH, env_extra={"SENTRY_DSN": dsn})
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    sent = b"".join(_FakeSentry.envelopes)
    assert b"send failed" in sent
    assert b'"environment":"development"' in sent
    assert b"ip_address" not in sent


def test_no_dsn_sends_nothing():
    result = run_manage(
        "shell",
        "-c",
        "import sentry_sdk; print(sentry_sdk.is_initialized())",
        env_extra={"SENTRY_DSN": ""},
    )
    assert result.stdout.strip().splitlines()[-1] == "False"
