"""JSON that comes from outside (API bodies, the signature pad's hidden field), parsed with a
bound on its nesting.

Python's decoder recurses once per level: a body nested 100,000 deep raised RecursionError, an
answer of 500 (issue 11). Nothing the product takes is nested more than a few levels (the
signature's strokes hold points: four), so anything deeper than MAX_DEPTH is refused as bad input.
"""

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


class TooDeep(ValueError):
    def __init__(self):
        super().__init__(
            _("The JSON is nested more than %(limit)d levels deep.") % {"limit": MAX_DEPTH}
        )


def check_depth(data: Any) -> Any:
    """Return `data` if no list or object in it is nested deeper than MAX_DEPTH, else raise
    TooDeep. Walks with a stack of its own, so the check itself can't recurse too deep."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise TooDeep
        children = value.values() if isinstance(value, dict) else value
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return data


def loads(text: str | bytes) -> Any:
    """json.loads, bounded: a too-deep document raises TooDeep (a ValueError) like bad JSON."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise TooDeep from None
    return check_depth(data)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the nesting bound: too deep is a 400 "parse_error", never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(str(TooDeep())) from None
        try:
            return check_depth(data)
        except TooDeep as exc:
            raise ParseError(str(exc)) from None
