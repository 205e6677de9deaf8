"""Browser journeys: Playwright driving the system's Chromium (Debian's package), not a
downloaded one. Screenshots of every step go to test-artifacts/ to be looked at."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in the test thread; Django's ORM needs telling.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# CI machines have two cores shared by Chromium, the live server and PostgreSQL: give slow
# steps room before an assertion gives up (these are not timing tests).
expect.set_options(timeout=15_000)

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (see .ci/run).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def shot(request):
    """shot(page, "step-name"): save a full-page screenshot under test-artifacts/<test>/."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return _shot


@pytest.fixture
def new_page(browser, live_server):
    """new_page(user, device=DESKTOP): a logged-in page on the live server. A journey that
    makes the browser refuse something under the Content-Security-Policy fails."""
    contexts = []
    refused = []

    def _new_page(user=None, device=DESKTOP, password="pw-12345"):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", **device)
        contexts.append(context)
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        if user is not None:
            page.goto("/login/")
            page.fill("#id_username", user.username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield _new_page
    for context in contexts:
        context.close()
    assert not refused, refused


class CustomerPhone:
    """The customer's phone: SMS_BACKEND=file writes each SMS it delivers, as the phone shows it,
    to <folder>/<number>.txt; the journey reads them there, as the customer would (issue 16)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self, number: str = "+8613800138000") -> list[str]:
        """Deliver what the outbox may send (no worker runs in these tests; quiet hours are
        waited out), then every SMS the number received, oldest first."""
        from django.utils import timezone

        from dispatch.delivery import deliver_pending, quiet_hours_end

        deliver_pending(now=quiet_hours_end(timezone.now()))
        path = self.folder / f"{number}.txt"
        if not path.exists():
            return []
        texts, current = [], None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("--- "):
                current = []
                texts.append(current)
            elif current is not None:
                current.append(line)
        return ["\n".join(lines) for lines in texts]

    def last(self, number: str = "+8613800138000") -> str:
        received = self.messages(number)
        assert received, f"no SMS reached {number}"
        return received[-1]


@pytest.fixture
def customer_phone(settings, tmp_path):
    folder = tmp_path / "phones"
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKEND": "file", "FILE_DIR": str(folder)}
    return CustomerPhone(folder)


def no_english(page) -> None:
    """zh-Hans: no English word of the interface in the page's visible text (names, numbers,
    units, a digest and the language switch aside; tests.html keeps the allow-list; data kept
    in English on purpose is marked lang="en", like a kit item's English label), and no rule
    id."""
    from tests.html import RULE_ID, english_words, words_not_used

    text = page.evaluate(
        """() => { const main = document.querySelector("main").cloneNode(true);
        main.querySelectorAll("code, [lang=en]").forEach((c) => c.remove());
        return main.innerText; }"""
    )
    words = english_words(text)
    assert not words, (page.url, words)
    assert not RULE_ID.search(text), (page.url, "a rule id on the page")
    page_text = page.locator("body").inner_text()  # the navigation and the buttons too
    assert not [w for w in words_not_used() if w in page_text], page.url
