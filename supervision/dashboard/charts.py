"""Server-rendered SVG charts: no chart library, no build step, readable without JavaScript.
Each chart is geometry computed here and drawn by a small template."""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

BAR_HEIGHT = 22
BAR_GAP = 10
LABEL_WIDTH = 110
CHART_WIDTH = 520


@dataclass
class Bar:
    label: str
    value: float | None
    y: int
    width: float
    tone: str


def _tone(value: float | None, good: float, fair: float) -> str:
    if value is None:
        return "none"
    return "good" if value >= good else "fair" if value >= fair else "poor"


def bar_chart(title: str, items: list[tuple[str, float | None]], *, good=95, fair=80) -> SafeString:
    """Horizontal bars of percentages, one per engineer or team."""
    span = CHART_WIDTH - LABEL_WIDTH - 60
    bars = [
        Bar(
            label=label,
            value=value,
            y=i * (BAR_HEIGHT + BAR_GAP),
            width=span * (value or 0) / 100,
            tone=_tone(value, good, fair),
        )
        for i, (label, value) in enumerate(items)
    ]
    height = max(len(bars), 1) * (BAR_HEIGHT + BAR_GAP)
    return render_to_string(
        "supervision/dashboard/bar_chart.svg",
        {
            "title": title,
            "bars": bars,
            "width": CHART_WIDTH,
            "height": height,
            "label_width": LABEL_WIDTH,
            "bar_height": BAR_HEIGHT,
            "span": span,
        },
    )


def line_chart(title: str, series: dict[str, list[float]], labels: list[str]) -> SafeString:
    """Weekly trend lines of percentages (0–100)."""
    width, height, pad = CHART_WIDTH, 200, 36
    step = (width - 2 * pad) / max(len(labels) - 1, 1)

    def point(i, value):
        return round(pad + i * step, 1), round(height - pad - (height - 2 * pad) * value / 100, 1)

    lines = [
        {
            "name": name,
            "points": " ".join(f"{x},{y}" for x, y in (point(i, v) for i, v in enumerate(values))),
            "dots": [point(i, v) + (v,) for i, v in enumerate(values)],
            "tone": f"s{n}",
        }
        for n, (name, values) in enumerate(series.items())
    ]
    ticks = [{"x": point(i, 0)[0], "label": label} for i, label in enumerate(labels)]
    grid = [{"y": point(0, v)[1], "value": v} for v in (0, 50, 80, 100)]
    return render_to_string(
        "supervision/dashboard/line_chart.svg",
        {
            "title": title,
            "lines": lines,
            "ticks": ticks,
            "grid": grid,
            "width": width,
            "height": height,
            "pad": pad,
        },
    )
