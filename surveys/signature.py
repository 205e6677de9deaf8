"""The customer's handwritten signature: validate the strokes drawn on the canvas and render them
to a PNG on the server.

The browser sends only strokes (points with their time and pointer type). The image is drawn
here from those strokes, so the stored PNG and the stored strokes always show the same signature
and no image from the client is ever decoded.
"""

import math
import struct
import zlib

from django.utils.translation import gettext as _

from dispatch.errors import RuleViolation

POINTER_TYPES = frozenset({"touch", "mouse", "pen"})
MAX_STROKES = 80
MAX_POINTS = 8000
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


def clean_strokes(data) -> dict:
    """Check the strokes a browser sent and return them normalised (rounded, bounded)."""
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
        raise _bad(_("The signature has too many strokes. Please clear it and sign again."))
    clean, total, ink = [], 0, 0.0
    for stroke in strokes:
        if not isinstance(stroke, dict) or stroke.get("type") not in POINTER_TYPES:
            raise _bad(_("The signature could not be read. Please sign again."))
        points = stroke.get("points")
        if not isinstance(points, list) or not points:
            raise _bad(_("The signature could not be read. Please sign again."))
        total += len(points)
        if total > MAX_POINTS:
            raise _bad(_("The signature has too many strokes. Please clear it and sign again."))
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


def _png(width: int, height: int, pixels: bytearray) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    raw = bytearray()
    for row in range(height):
        raw.append(0)  # filter: none
        raw += pixels[row * width : (row + 1) * width]
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def render_png(strokes: dict) -> bytes:
    """Draw the strokes in black on white, at most MAX_PNG_WIDTH pixels wide."""
    scale = min(1.0, MAX_PNG_WIDTH / strokes["width"])
    width = max(1, round(strokes["width"] * scale))
    height = max(1, round(strokes["height"] * scale))
    pixels = bytearray(b"\xff" * (width * height))
    r = BRUSH_RADIUS
    reach = math.ceil(r)
    disk = [(dx, dy) for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)]
    disk = [(dx, dy) for dx, dy in disk if dx * dx + dy * dy <= r * r]

    def stamp(cx: float, cy: float) -> None:
        ix, iy = round(cx), round(cy)
        for dx, dy in disk:
            x, y = ix + dx, iy + dy
            if 0 <= x < width and 0 <= y < height:
                pixels[y * width + x] = 0

    for stroke in strokes["strokes"]:
        points = [(p[0] * scale, p[1] * scale) for p in stroke["points"]]
        stamp(*points[0])
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            steps = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) * 2))
            for i in range(1, steps + 1):
                stamp(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
    return _png(width, height, pixels)
