"""API throughput under gunicorn, as docker-compose runs it (3 sync workers): the ticket and
visit lists against a constant DRF view with the same token authentication, permission and
throttle, measured in the same run. The load client is CLIENTS processes, each a keep-alive
HTTP connection asking as fast as answers come, for SECONDS per URL."""

import http.client
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time

PORT = int(os.environ.get("BENCH_PORT", "8765"))  # another free port when several benches run
CLIENTS = 4
SECONDS = 8.0
WORKERS = 3


def _client(path, token, seconds, out):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    done, errors = 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            done += 1
        else:
            errors += 1
    out.put((done, errors))


def _rate(path, token, seconds=SECONDS) -> tuple[float, int]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(path, token, seconds, out)) for _ in range(CLIENTS)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(d for d, _ in results) / seconds, sum(e for _, e in results)


def _wait_for_port(timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", PORT)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def measure(log, token: str, paths: dict[str, str]) -> dict[str, tuple[float, int]]:
    env = dict(os.environ)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        env=env,
        start_new_session=True,
    )
    try:
        _wait_for_port()
        rates = {}
        for name, path in paths.items():
            _rate(path, token, 2.0)  # warm every worker (connections, caches)
            rates[name] = _rate(path, token)
            log(f"  {name}: {rates[name][0]:.0f} req/s ({rates[name][1]} errors)")
        return rates
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
