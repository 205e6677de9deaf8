"""Secrets never in the repository (issue 8). Production secrets come from the environment; the
settings refuse DEBUG=false without SECRET_KEY (tests/test_settings.py). Here: no tracked file
holds a private key, a cloud or chat token, a password in a URL or a hard-coded secret setting,
and an .env file would stay out of git and of the image."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Aliyun AccessKey": re.compile(r"\bLTAI[0-9A-Za-z]{12,24}\b"),
    "password in a URL": re.compile(
        r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:(?!(?:pass|seed)@)[^/\s@'\"]{3,}@"
    ),
    # A secret setting given a literal value in code (the environment must provide it).
    "hard-coded secret": re.compile(
        r"""^\s*"?[A-Z_]*(?:SECRET|PASSWORD|API_KEY|TOKEN)[A-Z_]*"?\s*[=:]\s*["']([^"']{8,})["']""",
        re.MULTILINE,
    ),
}

# Passwords in URLs that are not secrets: README's placeholder (user:pass) and docker-compose's
# throwaway password of its own database, which only the compose network reaches (seed:seed).
# Literal values that are not secrets: the development key, refused when DEBUG is off, the
# throwaway key tests/test_settings.py starts a production-like process with, and the made-up
# credentials tests/sms_fakes.py gives the SMS SDKs for the loopback fakes of the providers, and
# the made-up signing secret of the fake group robot (tests/dispatch/test_robots.py).
NOT_SECRETS = {
    "aliyun-secret-Zq81xUe7",
    "SEC-dingtalk-signing-secret-1234",
    "AKID-test-secret-id-9d2e",
    "tencent-secret-Hy62wPa0",
    "django-insecure-development-only-never-in-production",
    "q8Vw2-tYp4Lm7Zx0Rb3Nc6Hs9Kd1Fg5Ju8Wa2Ee4Ti7Oy0Pl3Mn6Bv9Cx1",
}


def leaks(text: str) -> list[str]:
    found = []
    for label, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            if match.groups() and match.group(1) in NOT_SECRETS:
                continue
            found.append(label)
    return found


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [name for name in out.decode().split("\0") if name]


def test_no_secret_in_a_tracked_file():
    files = tracked_files()
    assert len(files) > 100
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        found += [f"{name}: {label}" for label in leaks(text)]
    assert not found, found


@pytest.mark.parametrize(
    "sample, label",
    [
        # Split so this file, tracked too, does not hold what it looks for.
        ("-----BEGIN RSA " + "PRIVATE KEY-----", "private key"),
        ("key = AKIA" + "IOSFODNN7EXAMPLE", "AWS access key"),
        ("DATABASE_URL=postgres://seed:" + "s3cr3t-pw@db:5432/seed", "password in a URL"),
        ('SECRET_KEY = "a-real-looking-production-key"', "hard-coded secret"),
        ('SMS_API_TOKEN = "0123456789abcdef"', "hard-coded secret"),
        ('    "SECRET_KEY": "another-real-looking-key",', "hard-coded secret"),
    ],
)
def test_the_scan_recognises_a_leak(sample, label):
    assert leaks(sample) == [label]


def test_what_is_not_a_secret_is_not_reported():
    assert leaks("postgres://postgres@127.0.0.1:5432/seed") == []
    assert leaks('_DEV_SECRET = "django-insecure-development-only-never-in-production"') == []


@pytest.mark.parametrize("name", [".env", ".env.production"])
def test_an_env_file_stays_out_of_git_and_the_image(name):
    ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT)
    assert ignored.returncode == 0
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
