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
