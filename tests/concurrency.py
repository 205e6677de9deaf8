"""Run requests at once, each from its own thread and so its own PostgreSQL connection, through
the real WSGI stack (APIClient / Client): the race tests of every contended transition.

A barrier releases all threads together; each closes its connection when done. Nothing is
mocked: the locks, the constraints and the error handling are PostgreSQL's and the app's own.
"""

import threading
from collections.abc import Callable

from django.db import connections


def run_at_once(calls: list[Callable[[], object]], django_db_blocker, timeout: float = 60):
    """Call every function of `calls` at the same moment, each in its own thread; return their
    results in the order given. An exception in a thread is returned in its place."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - handed back to the test, which asserts on it
            results[index] = exc
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
    return results


def statuses(responses) -> list[int]:
    return sorted(getattr(r, "status_code", 599) for r in responses)


def assert_no_server_error(responses) -> None:
    """Every request was answered, none with a 5xx (an exception in a thread counts as one)."""
    bad = [r for r in responses if not hasattr(r, "status_code") or r.status_code >= 500]
    assert not bad, bad


def assert_sentence(body: dict, code: str) -> None:
    """A refusal a person can read: the code the client branches on and a whole sentence (in
    the default language, Simplified Chinese)."""
    assert body["code"] == code, body
    assert body["detail"].endswith(("。", ".", "！", "!")) and len(body["detail"]) > 5, body


def post_as(user, path: str, body: dict) -> Callable[[], object]:
    """A call for run_at_once: `user` POSTs `body` as JSON to `path` from their own client."""

    def call():
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(user)
        return client.post(path, body, format="json")

    return call
