"""The customer's handwritten signature: validate the strokes drawn on the canvas and render them
to a PNG on the server.

The browser sends only strokes (points with their time and pointer type). The image is drawn
here from those strokes, so the stored PNG and the stored strokes always show the same signature
and no image from the client is ever decoded.
"""

import io
import math

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from dispatch import json_input
from dispatch.errors import RuleViolation

POINTER_TYPES = frozenset({"touch", "mouse", "pen"})
# Bounds on what a browser may send (the pad, surveys/static/surveys/signature.js, stops at the
# same numbers): a signature is a few hundred points; these leave room for a long name slowly
# written, and keep the worst payload's cost (parse, check, draw) to milliseconds.
MAX_STROKES = 80
MAX_POINTS = 8000
# The JSON the pad posts: MAX_POINTS points of the widest values ("[1999.9,1999.9,900000],")
# in MAX_STROKES strokes fit in about 187 kB.
MAX_BYTES = 192 * 1024
MAX_DURATION_MS = 15 * 60 * 1000
MIN_POINTS = 8
# A signature, not a dot or a stray tap: ink at least this share of the pad's width.
MIN_INK_SHARE = 0.25
MAX_PNG_WIDTH = 800
BRUSH_RADIUS = 1.6


def _bad(message) -> RuleViolation:
    return RuleViolation("invalid_signature", message, field="signature")


def _number(value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(_("The signature could not be read. Please sign again."))
    return min(max(float(value), low), high)


def parse_strokes(raw: str) -> dict:
    """The pad's JSON, refused before parsing when it is larger than any signature can be."""
    if len(raw.encode()) > MAX_BYTES:
        raise _too_long()
    try:
        # Bounded nesting too: a crafted field can't make the decoder recurse (issue 11).
        data = json_input.loads(raw or "null")
    except ValueError:
        raise _bad(_("The signature could not be read. Please sign again.")) from None
    return data if isinstance(data, dict) else {}


def _too_long() -> RuleViolation:
    return _bad(
        _("The signature is longer than the pad allows. Please clear it and sign again, shorter.")
    )


def clean_strokes(data) -> dict:
    """Check the strokes a browser sent (the pad's JSON, or the parsed dict) and return them
    normalised (rounded, bounded)."""
    if isinstance(data, str):
        if not data.strip():
            raise _bad(_("Please sign in the box before submitting."))
        data = parse_strokes(data)
    if not isinstance(data, dict):
        raise _bad(_("Please sign in the box before submitting."))
    try:
        width = int(data.get("width", 0))
        height = int(data.get("height", 0))
    except (TypeError, ValueError):
        width = height = 0
    if not (100 <= width <= 2000 and 60 <= height <= 2000):
        raise _bad(_("The signature could not be read. Please sign again."))
    strokes = data.get("strokes")
    if not isinstance(strokes, list) or not strokes:
        raise _bad(_("Please sign in the box before submitting."))
    if len(strokes) > MAX_STROKES:
        raise _too_long()
    clean, total, ink = [], 0, 0.0
    for stroke in strokes:
        if not isinstance(stroke, dict) or stroke.get("type") not in POINTER_TYPES:
            raise _bad(_("The signature could not be read. Please sign again."))
        points = stroke.get("points")
        if not isinstance(points, list) or not points:
            raise _bad(_("The signature could not be read. Please sign again."))
        total += len(points)
        if total > MAX_POINTS:
            raise _too_long()
        out = []
        for point in points:
            if not isinstance(point, list | tuple) or len(point) != 3:
                raise _bad(_("The signature could not be read. Please sign again."))
            x = round(_number(point[0], 0, width), 1)
            y = round(_number(point[1], 0, height), 1)
            t = int(_number(point[2], 0, MAX_DURATION_MS))
            if out:
                ink += math.hypot(x - out[-1][0], y - out[-1][1])
            out.append([x, y, t])
        clean.append({"type": stroke["type"], "points": out})
    if total < MIN_POINTS or ink < width * MIN_INK_SHARE:
        raise _bad(_("That is too short for a signature. Please sign your name in the box."))
    return {"width": width, "height": height, "strokes": clean}


def pointer_types(strokes: dict) -> list[str]:
    return sorted({s["type"] for s in strokes["strokes"]})


def render_png(strokes: dict) -> bytes:
    """Draw cleaned strokes in black on white, at most MAX_PNG_WIDTH pixels wide, with Pillow.

    Pillow draws in C: the largest payload `clean_strokes` lets through (MAX_STROKES strokes,
    MAX_POINTS points zigzagging across the widest pad) renders in milliseconds, where the
    pure-Python stamping this replaces took a minute of CPU. Called before the signing
    transaction takes its locks (surveys.services.sign_survey).
    """
    scale = min(1.0, MAX_PNG_WIDTH / strokes["width"])
    width = max(1, round(strokes["width"] * scale))
    height = max(1, round(strokes["height"] * scale))
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    r = BRUSH_RADIUS
    for stroke in strokes["strokes"]:
        points = [(p[0] * scale, p[1] * scale) for p in stroke["points"]]
        if len(points) > 1:
            draw.line(points, fill=0, width=round(2 * r), joint="curve")
        # Round ends (and a dot for a single tap), as the pad in the browser draws them.
        for x, y in {points[0], points[-1]}:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
