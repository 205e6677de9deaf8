"""Reading a page's HTML in tests: where each form field's error stands (templates/field.html
puts a field's label, input, help and errors in one <div class="field">)."""

import re


def field_blocks(html: str) -> dict[str, str]:
    """{field name: the HTML of its block}, the first block of each name."""
    blocks = {}
    for block in html.split('<div class="field')[1:]:
        name = re.search(r'name="(\w+)"', block)
        if name:
            blocks.setdefault(name.group(1), block)
    return blocks


def errors_of(block: str) -> str:
    """The error list of a field's block ('' when it has none)."""
    return block.split('class="errorlist"', 1)[1] if 'class="errorlist"' in block else ""


# Words a zh-Hans page may show in Latin letters: the radio measurements' names and units, the
# language switch's "English", the brand and format names staff know by them.
LATIN_ALLOWED = frozenset(
    {
        "RSRP",
        "RSRQ",
        "SINR",
        "Mbps",
        "kbps",
        "English",
        "WiFi",
        "Wi-Fi",
        "CSV",
        "XLSX",
        "FAQ",
        "PDF",
    }
)
RULE_ID = re.compile(r"\bR\d{1,2}\b")


def visible_text(html: str) -> str:
    """The text a person reads in a page's <main>: no tags, scripts, styles or <code>."""
    main = html.split("<main", 1)[-1].split(">", 1)[-1].split("</main>", 1)[0]
    main = re.sub(r"(?s)<(script|style|code)\b.*?</\1>", " ", main)
    return re.sub(r"<[^>]+>", " ", main)


def words_not_used() -> list[str]:
    """The Chinese words docs/glossary.md says are not used (its "Words not used" table)."""
    from pathlib import Path

    glossary = Path(__file__).resolve().parent.parent / "docs" / "glossary.md"
    section = glossary.read_text().split("## Words not used", 1)[1]
    return re.findall(r"^\| ([^|\s-][^|]*?) \| [^|]+ \|$", section, re.M)[1:]  # no header


def english_words(text: str) -> set[str]:
    """The words of four Latin letters or more outside the allow-list: English left in a zh-Hans
    page (names, numbers and web addresses — the customer's link in an SMS text — are not words
    of the interface)."""
    text = re.sub(r"https?://\S+", " ", text)
    return set(re.findall(r"[A-Za-z]{4,}", text)) - LATIN_ALLOWED
