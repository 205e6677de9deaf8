"""Event kinds are typed choices (docs/design.md#events): every kind is listed once in
EventKind with its label, written by its one helper, and no code writes a kind as a free
string. The trail itself stays append-only (tests/dispatch/test_event_trail.py)."""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from dispatch.events import event_label, record_event
from dispatch.models import RETIRED_EVENT_KINDS, Event, EventKind

ROOT = Path(__file__).resolve().parents[2]
APPS = ["dispatch", "visits", "checklists", "surveys", "supervision", "config"]
HELPERS = ["dispatch/events.py", "visits/events.py", "checklists/events.py", "surveys/events.py"]


def source_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


@pytest.mark.django_db
def test_a_kind_outside_the_list_is_refused_and_nothing_is_written(ticket):
    events = Event.objects.count()
    with pytest.raises(ValueError):
        record_event(ticket=ticket, actor=None, kind="ticket.renamed")
    assert Event.objects.count() == events


def test_every_kind_reads_in_words_in_both_languages():
    for kind in EventKind:
        with translation.override("en"):
            english = event_label(kind)
        with translation.override("zh-hans"):
            chinese = event_label(kind)
        assert english and english != kind.value, kind
        assert chinese != english, f"{kind.value} has no Chinese label"


def test_every_kind_has_one_helper():
    """A retired kind (kept for the events already written) has none: nothing writes it."""
    used = {}
    for helper in HELPERS:
        for name in re.findall(r"EventKind\.([A-Z_]+)", (ROOT / helper).read_text()):
            used.setdefault(name, set()).add(helper)
    retired = {kind.name for kind in RETIRED_EVENT_KINDS}
    assert set(used) == set(EventKind.names) - retired
    assert all(len(modules) == 1 for modules in used.values()), used


def test_no_code_writes_a_kind_as_a_free_string():
    kinds = set(EventKind.values)
    offenders = []
    for path in source_files():
        if path == ROOT / "dispatch" / "models.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in kinds:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert not offenders, "use EventKind and the kind's helper: " + ", ".join(offenders)


def test_every_kind_is_documented():
    design = (ROOT / "docs" / "design.md").read_text()
    missing = [kind for kind in EventKind.values if f"`{kind}`" not in design]
    assert not missing, f"docs/design.md#events lacks {missing}"
