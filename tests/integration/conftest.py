"""Real Celery workers (separate processes, embedded beat) on a real Redis broker, against the
test database. Each test gets a queue of its own, so stray messages never cross tests; tests that
stop the broker start a redis-server of their own on a free port.

Waiting is a short bounded poll of the database or of the delivery record, never a fixed sleep.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.broker import publishing_to

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
# How often beat fires the sweep and the delivery in these workers (60 s in production).
BEAT_SECONDS = "0.5"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def wait_for(predicate, timeout: float = 120.0, interval: float = 0.1, message: str = ""):
    """Poll until `predicate()` is truthy; fail after `timeout` seconds. The bound only stops a
    hung run: it is generous, as a loaded CI machine is slow and a passing wait returns early."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)


def free_port() -> int:
    """A port for a server the test stops and starts again on the same port. It lies below the
    kernel's ephemeral range, which port 0 and outgoing connections draw from: while the server
    is down, the worker's reconnect attempts could otherwise be given that very port as their
    own (a TCP self-connect) and the restart would fail. Each xdist worker has its own block."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    block = 20000 + (worker % 12) * 1000
    for port in random.sample(range(block, block + 1000), 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"No free port in {block}–{block + 999}")


def database_url() -> str:
    """The test database pytest-django created, for the worker processes."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Deliveries:
    """What the workers handed to the 'gateway' (tests.integration.recording)."""

    def __init__(self, path: Path):
        self.path = path

    def lines(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def ids(self) -> list[int]:
        return [line["id"] for line in self.lines()]


class Worker:
    """`celery worker --beat` in its own process group (so beat dies with it)."""

    def __init__(self, name: str, env: dict, log: Path):
        self.name, self.env, self.log = name, env, log
        self.process = None

    def start(self, **extra_env) -> "Worker":
        env = {**self.env, **{k: str(v) for k, v in extra_env.items()}}
        schedule = Path(env["VAR_DIR"]) / f"beat-{self.name}-{uuid.uuid4().hex[:6]}"
        self.log_file = self.log.open("a")
        self.process = subprocess.Popen(
            [CELERY, "-A", "config", "worker", "--beat", "--pool=solo", "-s", str(schedule)]
            + ["-n", f"{self.name}@%h", "--without-gossip", "--without-mingle"]
            + ["--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            lambda: f"{self.name}@" in self.log.read_text() and " ready." in self.log.read_text(),
            message=f"worker {self.name} to start (log: {self.log})",
        )
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL the worker and its beat: a crash, not a shutdown."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "log_file", None):
            self.log_file.close()


@pytest.fixture
def broker_url():
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def celery_env(tmp_path, broker_url):
    """Environment of the test's workers, and this process publishing to their queue."""
    queue = f"seed-test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker_url,
        "CELERY_QUEUE": queue,
        "VAR_DIR": str(tmp_path / "var"),
        "SWEEP_EVERY_SECONDS": BEAT_SECONDS,
        "DELIVER_EVERY_SECONDS": BEAT_SECONDS,
        "NOTIFICATION_BACKEND": "tests.integration.recording.FileRecordingBackend",
        "RECORDING_FILE": str(tmp_path / "deliveries.jsonl"),
        "PYTHONPATH": str(ROOT),
    }
    with publishing_to(broker_url, queue):
        yield env


@pytest.fixture
def deliveries(celery_env):
    return Deliveries(Path(celery_env["RECORDING_FILE"]))


@pytest.fixture
def workers(celery_env, tmp_path):
    """workers("a") → a started Worker; all are stopped after the test (before the database is
    flushed, as this fixture is set up after it)."""
    started = []

    def _start(name: str, env: dict | None = None, **extra_env) -> Worker:
        worker = Worker(name, env or celery_env, tmp_path / f"worker-{name}.log")
        started.append(worker)
        return worker.start(**extra_env)

    yield _start
    for worker in started:
        worker.stop()
        # Shown by pytest only when the test failed.
        print(f"--- {worker.log} (last lines) ---")
        print("\n".join(worker.log.read_text().splitlines()[-40:]))


class RedisServer:
    """A redis-server of the test's own, on a free port, that the test can stop and restart."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the broker-outage test"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, message="redis-server to answer")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()
