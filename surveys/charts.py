"""R25: the four-quadrant chart (四分图) drawn on the server as SVG geometry.

x is satisfaction (the customers' average score), y is importance (the item's weight). The two
dividing lines sit at the items' mean satisfaction and mean importance, as the analysis method
prescribes; the template turns this geometry into an inline <svg>.
"""

import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .selectors import QuadrantItem

QUADRANT_LABELS = {
    "advantage": _("Strengths: keep up"),
    "repair": _("Fix first"),
    "opportunity": _("Improve when possible"),
    "maintain": _("Maintain"),
}
QUADRANT_COLOURS = {
    "advantage": "#dafbe1",
    "repair": "#ffebe9",
    "opportunity": "#fff8c5",
    "maintain": "#eef2f6",
}

WIDTH, HEIGHT = 640, 420
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 20, 56


@dataclass
class Point:
    """One marker: the items that fall on the same spot share it (e.g. two items rated 5.0
    with the same importance), so no number hides another."""

    numbers: str
    x: float
    y: float
    r: int
    label: str
    quadrant: str
    label_x: float
    label_y: float
    anchor: str


def _domain(values: list[float], low: float, high: float, pad: float) -> tuple[float, float]:
    # The scale may be overshot by the padding so a 5.0 sits inside the frame, not on it.
    lo = max(low - pad, math.floor((min(values) - pad) * 4) / 4)
    hi = min(high + pad, math.ceil((max(values) + pad) * 4) / 4)
    if hi - lo < 1:
        lo, hi = max(low, hi - 1), max(low, hi - 1) + 1
    return lo, hi


def _ticks(lo: float, hi: float) -> list[float]:
    step = 0.5 if hi - lo <= 2.5 else 1.0
    first = max(1.0, math.ceil(lo / step) * step)
    last = min(5.0, hi)
    count = int(math.floor((last - first) / step + 1e-9)) + 1
    return [round(first + i * step, 2) for i in range(count)]


def _text_width(text: str) -> float:
    """Rough width at the chart's 13 px font: CJK characters are square, Latin about half."""
    return sum(13 if ord(ch) >= 0x2E80 else 7.6 for ch in text)


def _place_points(items, x_of, y_of) -> list[Point]:
    groups: list[tuple[float, float, list[tuple[int, QuadrantItem]]]] = []
    for n, item in enumerate(items, 1):
        x, y = x_of(item.satisfaction), y_of(item.importance)
        for gx, gy, members in groups:
            if abs(gx - x) < 8 and abs(gy - y) < 8:
                members.append((n, item))
                break
        else:
            groups.append((x, y, [(n, item)]))
    # Circles are obstacles for labels too.
    taken = [
        (x - (10 if len(m) == 1 else 14), x + (10 if len(m) == 1 else 14), y) for x, y, m in groups
    ]
    points = []

    def collides(x0: float, x1: float, y: float) -> bool:
        return any(abs(y - ty) < 16 and x0 < tx1 and tx0 < x1 for tx0, tx1, ty in taken)

    for x, y, members in groups:
        r = 10 if len(members) == 1 else 14
        label = "、".join(item.question.label for _, item in members)
        span = _text_width(label)
        after = (x + r + 4, x + r + 4 + span)
        before = (x - r - 4 - span, x - r - 4)
        # The label goes where it fits inside the frame and clear of the labels already placed;
        # failing both, it steps down on the roomier side.
        fits_after, fits_before = after[1] <= WIDTH - 4, before[0] >= 4
        sides = [s for s, ok in ((after, fits_after), (before, fits_before)) if ok] or [
            after if WIDTH - x >= x else before
        ]
        side, label_y = sides[0], y
        for candidate in sides:
            if not collides(*candidate, y):
                side = candidate
                break
        else:
            while collides(*side, label_y):
                label_y += 16
        taken.append((side[0], side[1], label_y))
        on_left = side is before
        points.append(
            Point(
                numbers="·".join(str(n) for n, _ in members),
                x=x,
                y=y,
                r=r,
                label=label,
                quadrant=members[0][1].quadrant,
                label_x=side[1] if on_left else side[0],
                label_y=label_y,
                anchor="end" if on_left else "start",
            )
        )
    return points


def _region(key: str, x: float, y: float, w: float, h: float) -> dict:
    """A quadrant's tint, with its name in its outer corner."""
    right_side = key in ("advantage", "maintain")
    top_side = key in ("advantage", "repair")
    return {
        "key": key,
        "x": x,
        "y": y,
        "w": w,
        "h": h,
        "fill": QUADRANT_COLOURS[key],
        "label": QUADRANT_LABELS[key],
        "tx": round(x + w - 8 if right_side else x + 8, 1),
        "ty": round(y + 18 if top_side else y + h - 8, 1),
        "anchor": "end" if right_side else "start",
    }


def quadrant_chart(items: list[QuadrantItem]) -> dict | None:
    if not items:
        return None
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    sx = _domain([i.satisfaction for i in items], 1, 5, 0.25)
    sy = (0.5, 5.5)  # importance is 1–5: the whole scale, with room for the markers

    def x_of(v: float) -> float:
        return round(LEFT + (v - sx[0]) / (sx[1] - sx[0]) * plot_w, 1)

    def y_of(v: float) -> float:
        return round(TOP + (sy[1] - v) / (sy[1] - sy[0]) * plot_h, 1)

    mean_sat = sum(i.satisfaction for i in items) / len(items)
    mean_imp = sum(i.importance for i in items) / len(items)
    mx, my = x_of(mean_sat), y_of(mean_imp)
    right, bottom = LEFT + plot_w, TOP + plot_h
    regions = [
        ("repair", LEFT, TOP, mx - LEFT, my - TOP),
        ("advantage", mx, TOP, right - mx, my - TOP),
        ("opportunity", LEFT, my, mx - LEFT, bottom - my),
        ("maintain", mx, my, right - mx, bottom - my),
    ]
    points = _place_points(items, x_of, y_of)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "right": right,
        "bottom": bottom,
        "mx": mx,
        "my": my,
        "mean_sat": mean_sat,
        "mean_imp": mean_imp,
        "regions": [_region(key, x, y, w, h) for key, x, y, w, h in regions],
        "x_ticks": [{"v": v, "x": x_of(v)} for v in _ticks(*sx)],
        "y_ticks": [{"v": v, "y": y_of(v)} for v in range(1, 6)],
        "points": points,
        "x_label_y": HEIGHT - 12,
        "x_mid": LEFT + plot_w / 2,
        "y_mid": TOP + plot_h / 2,
    }
