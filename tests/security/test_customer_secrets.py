"""R23: staff can't sign for the customer (issue 11). The survey link and the one-time code are
secrets of the customer's phone: the test takes them from what the phone received (the `file`
backend, the developer's customer phone), then reads every staff surface — every page and API
answer each role can reach, the admin, the exports, and the log records of the delivery — and
finds neither; every survey link it finds there opens no signing form."""

import contextlib
import io
import logging
import re
import zipfile
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from dispatch.customer_secrets import MARK
from dispatch.delivery import deliver_pending
from dispatch.models import Notification
from surveys import services as surveys
from surveys.models import LinkChannel
from tests.dispatch.conftest import NOW
from tests.factories import make_user
from tests.security.world import build_world, url_patterns
from tests.surveys.factories import ended_visit, measure

pytestmark = pytest.mark.django_db

PHONE = "+8613800138000"
LINK = re.compile(r"/survey/s/([^/\s\"'<>?#]+)/")
# Pages that end the session or serve files, not text a person reads.
SKIP = ("/logout/", "/admin/logout/", "/static/", "/media/", "/i18n/", "/survey/s/")
ADMIN_SKIP = ("/history/", "/delete/", "/password/")
MAX_PAGES = 400


@pytest.fixture
def phone(settings, tmp_path):
    """The customer's phone: the file backend appends every SMS it receives. In the daytime:
    survey links wait out the quiet hours."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "BACKEND": "file",
        "FILE_DIR": str(tmp_path / "phones"),
    }
    with time_machine.travel(NOW, tick=True):
        yield tmp_path / "phones" / f"{PHONE}.txt"


def text_of(response) -> str:
    """What a person or a program reads in an answer: HTML, JSON, CSV, or the sheets of an
    XLSX file."""
    content = b"".join(response) if response.streaming else response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(book.read(n).decode("utf-8", "ignore") for n in book.namelist())
    return content.decode("utf-8", "ignore")


def links_in(text: str, here: str) -> list[str]:
    found = re.findall(r"""(?:href|hx-get)=["']([^"']+)["']""", text)
    found += re.findall(r'"(https?://testserver/[^"]+)"', text)  # the API's "next"
    out = []
    for raw in found:
        parts = urlsplit(raw.replace("&amp;", "&"))
        if parts.netloc not in ("", "testserver"):
            continue
        path = parts.path or urlsplit(here).path
        if not path.startswith("/") or path.startswith(SKIP):
            continue
        if path.startswith("/admin/") and (parts.query or path.endswith(ADMIN_SKIP)):
            continue  # the admin's sortings and filters show the columns already read
        out.append(path + (f"?{parts.query}" if parts.query else ""))
    return out


def seeds(world, extra_pks) -> list[str]:
    """Every GET route of the project with the world's objects in it, and every model's pages
    in the admin."""
    pks = {
        "visit": [world.visit.pk, *extra_pks],
        "response": [world.response.pk],
        "request": [world.request.pk],
        "item": [world.item.pk],
        "question": [world.question.pk],
    }
    every_pk = sorted({pk for values in pks.values() for pk in values})
    urls = []
    for name, route in url_patterns():
        if route.startswith("admin/") or not name:
            continue
        params = set(re.findall(r"<(?:\w+:)?(\w+)>", route))
        if not params:
            candidates = [{}]
        elif params == {"number"}:
            candidates = [{"number": world.ticket.number}]
        elif params == {"pk"}:
            kind = next((k for k in pks if k in name.replace("-", "_")), None)
            candidates = [{"pk": pk} for pk in (pks[kind] if kind else every_pk)]
        else:
            continue  # the customer's token page is the customer's, not staff's
        for kwargs in candidates:
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(name, kwargs=kwargs))
    urls.append(reverse("admin:index"))
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        for pk in model._default_manager.order_by("-pk").values_list("pk", flat=True)[:8]:
            urls.append(reverse(f"{prefix}_change", args=[pk]))
    return urls


def crawl(client: Client, start: list[str]) -> dict[str, str]:
    """Every page reachable from `start` by GET, following the links in each answer."""
    seen, texts, queue, variants = set(), {}, deque(start), Counter()
    while queue and len(texts) < MAX_PAGES:
        url = queue.popleft()
        path, _sep, query = url.partition("?")
        if url in seen or (query and "export=" not in query and variants[path] >= 3):
            continue  # the board's days and weeks, pages, filters: a few of each tell
        seen.add(url)
        variants[path] += bool(query)
        response = client.get(url, HTTP_ACCEPT="text/html,application/json")
        if response.status_code in (301, 302):
            if not urlsplit(response["Location"]).path.startswith(("/login/", "/admin/login/")):
                queue.append(response["Location"])
            continue
        text = text_of(response)
        texts[url] = text
        queue.extend(u for u in links_in(text, url) if u not in seen)
    return texts


def test_r23_no_staff_surface_holds_a_survey_link_or_code_that_works(phone, caplog):
    caplog.set_level(logging.DEBUG)
    world = build_world()
    # The SMS link of `world.visit` went out; the customer opened it in a browser that needs
    # a code (a staff member's, say) and asked for one: both are on the customer's phone now.
    link = world.visit.survey_links.get(used_at=None, revoked_at=None)
    surveys.send_code(link=link)
    # A visit whose customer uses the QR code shown on the engineer's phone.
    qr_visit = ended_visit(world.ticket, world.engineer, world.dispatcher)
    measure(qr_visit, phase="after")
    engineer = Client()
    engineer.force_login(world.engineer)
    engineer.post(reverse("surveys:issue", args=[qr_visit.pk]), {"channel": LinkChannel.QR})
    # The links of the two surveys build_world signed at once are moot: not sent (R23).
    deliver_pending()

    received = phone.read_text(encoding="utf-8")
    tokens = LINK.findall(received)
    codes = re.findall(r"(?<!\d)\d{6}(?!\d)", received)
    assert tokens[-1] == world.token and len(codes) == 1
    token, code = tokens[-1], codes[0]
    # The check can see a working link: the customer's own opens the signing form.
    assert 'value="sign"' in Client().get(reverse("surveys:customer", args=[token])).text

    superuser = make_user("supervisor", username="sec_admin")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    start = seeds(world, [qr_visit.pk])
    surfaces = {}
    for user in (world.dispatcher, world.supervisor, world.engineer, superuser):
        client = engineer if user == world.engineer else Client(raise_request_exception=False)
        client.raise_request_exception = False
        if user != world.engineer:
            client.force_login(user)
        mine = start if user.is_superuser else [u for u in start if not u.startswith("/admin/")]
        for url, text in crawl(client, mine).items():
            surfaces[f"{user.username} {url}"] = text
    # Every surface the issue names was read.
    read = " ".join(surfaces)
    for surface in (
        "sec_supervisor /outbox/",
        "/alerts/",
        f"/tickets/{world.ticket.number}/",
        f"/visits/{world.visit.pk}/",
        f"/api/visits/{world.visit.pk}/",
        "/api/survey-responses/",
        "sec_admin /admin/dispatch/notification/",
        "sec_admin /admin/surveys/surveylink/",
        "export=csv",
        "export=xlsx",
        f"/survey/visit/{qr_visit.pk}/",
    ):
        assert surface in read, surface
    assert len(surfaces) > 150
    surfaces["log records"] = "\n".join(r.getMessage() for r in caplog.records)

    code_pattern = re.compile(rf"(?<![\w]){code}(?![\w])")
    leaks = [f"token on {where}" for where, text in surfaces.items() if token in text]
    leaks += [f"code on {where}" for where, text in surfaces.items() if code_pattern.search(text)]
    assert not leaks, leaks
    # Any survey link a staff surface shows (a masked one, say) opens no signing form.
    shown = {t for text in surfaces.values() for t in LINK.findall(text)}
    assert MARK in shown  # the outbox's masked link
    for found in shown:
        page = Client().get(reverse("surveys:customer", args=[found]))
        assert 'value="sign"' not in page.text, found

    # The code on the phone still works: nothing above used it up.
    assert surveys.verify_code(link=link, code=code)


def test_r23_the_console_backend_logs_no_secret(phone, settings, caplog, capsys):
    """The console backend writes the customer's text to the worker's standard output (the
    developer's customer phone); its log records, which reach staff, show the mask."""
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKEND": "console"}
    caplog.set_level(logging.DEBUG)
    world = build_world()
    deliver_pending()
    printed = capsys.readouterr().out
    assert world.token in printed
    assert world.token not in caplog.text
    assert MARK in caplog.text


def test_r23_an_error_about_a_message_does_not_quote_its_secret(phone, settings, caplog):
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "BACKEND": "tests.security.test_customer_secrets.QuotingBackend",
    }
    caplog.set_level(logging.DEBUG)
    world = build_world()
    assert deliver_pending().retrying >= 1
    link = world.visit.survey_links.get(used_at=None)
    notification = Notification.objects.get(key=f"survey-link-{link.pk}")
    assert world.token not in notification.last_error
    assert MARK in notification.last_error
    assert world.token not in caplog.text


class QuotingBackend:
    """A careless backend whose error quotes the text it was sending."""

    def send(self, notification):
        from dispatch.customer_secrets import customer_text

        raise RuntimeError(f"could not send {customer_text(notification)!r}")
