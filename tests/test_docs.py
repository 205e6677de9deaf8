"""docs/ stands for the code: every rule has its row in docs/rules.md, the services it names
exist, and the tests it names cite the rule; no file points outside the repository."""

import importlib
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = (ROOT / "docs" / "rules.md").read_text()
ROW = re.compile(r"^\| (R\d+) \| (.+?) \| (.+?) \| (.+?) \|$", re.M)
ROWS = {m.group(1): m.groups()[1:] for m in ROW.finditer(RULES)}


def test_every_rule_has_a_section_and_a_row():
    for n in range(1, 29):
        assert re.search(rf"^### R{n} ", RULES, re.M), f"R{n} has no section"
        assert f"R{n}" in ROWS, f"R{n} has no row in the enforcement table"


@pytest.mark.parametrize("rule", sorted(ROWS, key=lambda r: int(r[1:])))
def test_the_named_services_exist_and_the_named_tests_cite_the_rule(rule):
    services, _paths, tests = ROWS[rule]
    for dotted in re.findall(r"`([\w.]+)`", services):
        module, _, name = dotted.rpartition(".")
        assert hasattr(importlib.import_module(module), name), f"{rule}: no {dotted}"
    named = re.findall(r"`(tests/[\w/]+\.py)`", tests)
    assert named, f"{rule}: no test named"
    for path in named:
        text = (ROOT / path).read_text()
        # "R7" in a docstring or comment, or "r7" in a test's name (test_r7_…).
        cites = re.compile(rf"(?<![A-Za-z0-9])[Rr]{rule[1:]}(?![0-9])")
        assert cites.search(text), f"{path} does not cite {rule}"


def test_no_tracked_file_points_outside_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.md", "*.html", "*.txt", "Makefile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    pattern = re.compile(r"\.\./shared|domain-rules\.md|\bSTYLE \d|DESIGN \"")
    offenders = [
        p for p in tracked if p != "tests/test_docs.py" and pattern.search((ROOT / p).read_text())
    ]
    assert not offenders
