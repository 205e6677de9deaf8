"""Health checks for load balancers, docker compose and monitoring (docs/operations.md).

- `/health/live/`: the web process can serve (the database answers). A load balancer takes a
  web container out of rotation on 503; nothing else should, because pages work while the broker
  is down (messages wait in the outbox) or the beat is late (it catches up from the database).
- `/health/`: everything the promises depend on: the database, the broker, and the beat's
  freshness, read from the sweep's heartbeat (the sweep runs every minute; a heartbeat older than
  a few intervals means beat or every worker is gone and no deadline is being watched).

Both answer JSON and name no secret, so they are open to anonymous callers.
"""

import logging
import time
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import Heartbeat

logger = logging.getLogger(__name__)

SWEEP = "sweep_deadlines"
# The beat is stale after this many missed sweeps (a sweep may wait behind a long delivery).
STALE_AFTER_SWEEPS = 3


def beat(name: str = SWEEP) -> None:
    """Record that a periodic task finished now."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def check_database() -> dict:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_broker() -> dict:
    started = time.monotonic()
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_beat() -> dict:
    stale = timedelta(seconds=settings.DEADLINE_SWEEP["EVERY_SECONDS"] * STALE_AFTER_SWEEPS)
    last = Heartbeat.objects.filter(name=SWEEP).values_list("at", flat=True).first()
    if last is None:
        return {"ok": False, "detail": "no sweep has run yet"}
    age = (timezone.now() - last).total_seconds()
    return {"ok": age <= stale.total_seconds(), "last_sweep_at": last.isoformat(), "age_s": age}


LIVE = {"database": check_database}
FULL = {"database": check_database, "broker": check_broker, "beat": check_beat}


def run_checks(checks: dict) -> dict:
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports every failure, it never raises
            logger.warning("Health check %s failed: %s", name, exc)
            results[name] = {"ok": False, "detail": type(exc).__name__}
    return results


def _answer(checks: dict) -> JsonResponse:
    results = run_checks(checks)
    ok = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if ok else "fail", "checks": results}, status=200 if ok else 503
    )


@never_cache
@require_GET
def live(request):
    return _answer(LIVE)


@never_cache
@require_GET
def full(request):
    return _answer(FULL)
