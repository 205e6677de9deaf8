"""Production settings pass Django's deployment checks; they refuse to start without a secret."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROD = {
    "DEBUG": "false",
    "SECRET_KEY": "q8Vw2-tYp4Lm7Zx0Rb3Nc6Hs9Kd1Fg5Ju8Wa2Ee4Ti7Oy0Pl3Mn6Bv9Cx1",
    "ALLOWED_HOSTS": "dispatch.example.cn",
}


def run_manage(*args, env_extra):
    leave_out = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the last: set by e2e tests
    env = {k: v for k, v in os.environ.items() if k not in leave_out}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PROD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", env_extra={"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def cache_backend(env_extra) -> str:
    show = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = run_manage("shell", "-c", show, env_extra=env_extra)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_throttles_count_in_one_cache_for_every_process(tmp_path):
    """Local memory would count per process (each gunicorn worker its own rates): Redis when
    there is one, else files under var/ for `make run`'s server and worker."""
    embedded = {"REDIS_URL": "", "CACHE_URL": "", "VAR_DIR": str(tmp_path)}
    assert cache_backend(embedded).endswith("FileBasedCache")
    redis = {**PROD, "REDIS_URL": "redis://127.0.0.1:6379/9", "CACHE_URL": ""}
    assert cache_backend(redis).endswith("RedisCache")


def sms_backend(env_extra) -> str:
    show = "from django.conf import settings; print(settings.NOTIFICATIONS['BACKEND'])"
    result = run_manage("shell", "-c", show, env_extra=env_extra)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_one_variable_names_the_sms_backend_and_the_old_name_still_works():
    """Issue 16: docker-compose.yml set SMS_BACKEND while the settings read another name."""
    clear = {"SMS_BACKEND": "", "NOTIFICATION_BACKEND": ""}
    assert sms_backend({**clear, "SMS_BACKEND": "locmem"}) == "locmem"
    assert sms_backend({**clear, "NOTIFICATION_BACKEND": "console"}) == "console"  # deprecated
    assert sms_backend({"SMS_BACKEND": "file", "NOTIFICATION_BACKEND": "console"}) == "file"
    assert sms_backend(clear) == "outbox"


def test_every_variable_the_compose_file_sets_is_one_the_app_reads():
    import re

    compose = (ROOT / "docker-compose.yml").read_text()
    block = compose.split("environment:", 1)[1].split("depends_on:", 1)[0]
    names = set(re.findall(r"^\s{4}([A-Z][A-Z0-9_]+):", block, re.MULTILINE))
    sources = [ROOT / "config" / "settings.py"] + [
        ROOT / "dispatch" / f"{name}.py" for name in ("sms_providers", "robots")
    ]
    read = "\n".join(path.read_text() for path in sources)
    # DATABASE_URL is read by dj_database_url.
    unread = sorted(n for n in names - {"DATABASE_URL"} if f'"{n}"' not in read)
    assert "SMS_BACKEND" in names
    assert unread == [], f"docker-compose.yml sets variables nothing reads: {unread}"
