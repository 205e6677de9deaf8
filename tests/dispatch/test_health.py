"""The health endpoints that docker compose, a load balancer and monitoring read
(dispatch/health.py, docs/operations.md)."""

from datetime import timedelta

import pytest
import time_machine
from celery import current_app
from django.utils import timezone

from dispatch import tasks

pytestmark = pytest.mark.django_db


def test_live_answers_when_the_database_does(client):
    response = client.get("/health/live/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


def test_full_fails_until_a_sweep_has_run_then_passes(client):
    before = client.get("/health/")
    assert before.status_code == 503
    assert before.json()["checks"]["beat"] == {"ok": False, "detail": "no sweep has run yet"}
    # The database and the real Redis broker of the test run answer all along.
    assert before.json()["checks"]["database"]["ok"] is True
    assert before.json()["checks"]["broker"]["ok"] is True

    tasks.sweep_deadlines()

    after = client.get("/health/")
    assert after.status_code == 200, after.json()
    assert after.json()["status"] == "ok"
    assert after.json()["checks"]["beat"]["age_s"] < 60


def test_a_beat_three_sweeps_late_is_stale(client):
    tasks.sweep_deadlines()
    with time_machine.travel(timezone.now() + timedelta(minutes=3, seconds=1)):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["ok"] is False


def test_an_unreachable_broker_fails_the_full_check_not_the_live_one(client, monkeypatch):
    tasks.sweep_deadlines()
    # A real client pointed at a port nobody listens on.
    monkeypatch.setitem(current_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(current_app.conf, "broker_transport_options", {"socket_connect_timeout": 1})

    full = client.get("/health/")
    assert full.status_code == 503
    assert full.json()["checks"]["broker"]["ok"] is False
    assert full.json()["checks"]["database"]["ok"] is True
    assert client.get("/health/live/").status_code == 200


def test_health_names_no_secret_and_needs_no_login(client, settings):
    body = client.get("/health/").content.decode()
    assert settings.SECRET_KEY not in body
    assert "redis://" not in body and "postgres://" not in body


def test_the_command_exits_non_zero_when_unhealthy_and_zero_when_healthy(capsys):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("health")
    tasks.sweep_deadlines()
    call_command("health")
    assert '"beat": {"ok": true' in capsys.readouterr().out
