"""Issue 15, item 6: users never see a rule id (R1 … R28 stay in docs/rules.md and the code's
comments), and the glossary's one word per thing stays applied (docs/glossary.md, "Words not
used"). Read from what users are shown: the compiled catalogs (zh-Hans msgstr, and the English
msgids, which are the English interface), the templates' text, and every string the Python code
marks for translation."""

import gettext
import io
import re
import tokenize
from pathlib import Path

import pytest

from tests.html import RULE_ID, words_not_used

ROOT = Path(__file__).resolve().parent.parent
APPS = ("dispatch", "visits", "checklists", "surveys", "planning", "supervision", "config")
GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}
GETTEXT_CALLS |= {"pgettext_lazy", "npgettext", "npgettext_lazy"}


def catalogs(language: str) -> list[Path]:
    """Our catalogs only: the project's and each app's (never Django's, in the venv)."""
    folders = [ROOT, *(ROOT / app for app in APPS)]
    found = (folder / "locale" / language / "LC_MESSAGES" / "django.mo" for folder in folders)
    return sorted(path for path in found if path.exists())


def entries(path: Path):
    """(msgid, msgstr) of a compiled catalog; a context's msgid without its context."""
    with path.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    for key, text in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid:  # the header
            yield msgid.split("\x04")[-1], text


def templates() -> list[Path]:
    found = []
    for folder in [ROOT / "templates", *(ROOT / app / "templates" for app in APPS)]:
        found += [p for p in folder.rglob("*") if p.suffix in (".html", ".txt")]
    return sorted(found)


def template_text(path: Path) -> str:
    """A template without its comments: what it may show."""
    text = path.read_text()
    text = re.sub(r"(?s)\{% comment %\}.*?\{% endcomment %\}", "", text)
    return re.sub(r"(?s)\{#.*?#\}", "", text)


def marked_strings(path: Path):
    """(line, text) of every string literal passed to a gettext function."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
    for i, token in enumerate(tokens[:-2]):
        if token.type == tokenize.NAME and token.string in GETTEXT_CALLS:
            if tokens[i + 1].string != "(":
                continue
            parts = []
            for t in tokens[i + 2 :]:
                if t.type == tokenize.STRING:
                    parts.append(t.string)
                elif t.type not in (tokenize.NL, tokenize.COMMENT):
                    break
            if parts:
                yield token.start[0], " ".join(parts)


def python_files() -> list[Path]:
    return sorted(
        p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts
    )


def test_the_scans_see_the_whole_interface():
    assert len(catalogs("zh_Hans")) >= 7 and len(catalogs("en")) >= 6
    assert len(templates()) > 80
    assert sum(1 for p in python_files() for _ in marked_strings(p)) > 500


class TestNoRuleIds:
    @pytest.mark.parametrize("language", ["zh_Hans", "en"])
    def test_not_in_the_catalogs(self, language):
        found = [
            f"{path.relative_to(ROOT)}: {msgid!r} → {text!r}"
            for path in catalogs(language)
            for msgid, text in entries(path)
            if RULE_ID.search(text) or RULE_ID.search(msgid)
        ]
        assert not found, "\n".join(found)

    def test_not_in_the_templates(self):
        found = [
            f"{path.relative_to(ROOT)}: {m.group(0)}"
            for path in templates()
            for m in re.finditer(r".{0,40}\bR\d{1,2}\b.{0,20}", template_text(path))
        ]
        assert not found, "\n".join(found)

    def test_not_in_the_python_strings_users_read(self):
        # Error messages (forms, API details), labels and help texts, SMS and alert texts.
        found = [
            f"{path.relative_to(ROOT)}:{line}: {text}"
            for path in python_files()
            for line, text in marked_strings(path)
            if RULE_ID.search(text)
        ]
        assert not found, "\n".join(found)


class TestOneWordPerThing:
    def test_the_glossary_lists_the_words_not_used(self):
        assert {"过滤器", "转交", "权重"} <= set(words_not_used())

    def test_not_in_the_chinese_interface(self):
        # What a page shows: each msgid as Django translates it, our catalogs merged with
        # Django's and the other packages' (whose words may differ: the admin's 过滤器).
        from django.utils import translation

        banned = words_not_used()
        msgids = {msgid for path in catalogs("zh_Hans") for msgid, _ in entries(path)}
        with translation.override("zh-hans"):
            shown = {msgid: translation.gettext(msgid) for msgid in msgids}
        found = [f"{m!r} → {t!r}" for m, t in shown.items() for w in banned if w in t]
        assert not found, "\n".join(found)

    def test_not_in_the_templates(self):
        banned = words_not_used()
        found = [
            f"{path.relative_to(ROOT)}: {word}"
            for path in templates()
            for word in banned
            if word in template_text(path)
        ]
        assert not found, "\n".join(found)

    def test_an_open_ticket_and_an_open_deadline_have_words_apart(self):
        from django.utils import translation

        from dispatch.models import DeadlineState, TicketStatus

        with translation.override("zh-hans"):
            assert str(TicketStatus.OPEN.label) == "未结"
            assert str(DeadlineState.OPEN.label) == "未到期"


def test_one_translation_per_message():
    """A message said the same way everywhere: two of our catalogs translating one msgid
    differently show whichever app comes first in INSTALLED_APPS, and Django's own catalogues
    (the admin's 过滤器, 增加) must not replace ours. A msgid with two meanings takes a context."""
    from collections import defaultdict

    from django.utils import translation

    ours = defaultdict(set)
    for path in catalogs("zh_Hans"):
        with path.open("rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog
        for key, text in catalog.items():
            if isinstance(key, str) and key and "\x04" not in key:
                ours[key].add(text)
    with translation.override("zh-hans"):
        found = [
            f"{msgid!r}: ours {sorted(texts)}, shown {translation.gettext(msgid)!r}"
            for msgid, texts in sorted(ours.items())
            if len(texts) > 1 or translation.gettext(msgid) not in texts
        ]
    assert not found, "\n".join(found)
