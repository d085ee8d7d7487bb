"""Charts as server-side SVG (issue 12 item 5): the geometry is worked out here, and one template per kind
(templates/scorecards/_chart_bar.svg, _chart_line.svg) draws it, so the page and the PDF show the same
chart with no JavaScript, no CDN and the Sarabun font. Each chart carries a <title> and a <desc> for screen
readers; the page prints its data table beside it. Values are the stored figures; nothing is scored here."""

from dataclasses import dataclass, field
from decimal import Decimal

# Bootstrap's blue and orange, then colours told apart by most readers.
COLOURS = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#d63384", "#20c997", "#6c757d", "#dc3545"]
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 34, 48


@dataclass
class Series:
    name: str
    values: list  # one per category: int, Decimal or None (no value)
    colour: str = COLOURS[0]


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = WIDTH - LEFT - RIGHT
    plot_height: int = HEIGHT - TOP - BOTTOM
    bottom: int = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT
    ticks: list = field(default_factory=list)  # {"y", "label"}
    labels: list = field(default_factory=list)  # {"x", "text"} under each category
    bars: list = field(default_factory=list)  # {"x", "y", "width", "height", "colour", "text", "value"}
    lines: list = field(default_factory=list)  # {"points", "colour", "dots": [{"x","y","text"}]}
    guides: list = field(default_factory=list)  # {"y", "label"}: dashed reference lines (the target)
    legend: list = field(default_factory=list)  # {"x", "y", "colour", "name"}


def _legend(chart: Chart, series: list[Series]) -> None:
    if len(series) < 2:
        return
    x = chart.left
    for s in series:
        chart.legend.append({"x": x, "y": 12, "colour": s.colour, "name": s.name})
        x += 24 + 8 * len(s.name)


def _nice_top(largest: int) -> tuple[int, int]:
    """A round top of the count axis and its step: at most five steps."""
    largest = max(largest, 1)
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        step = candidate
        if largest / candidate <= 5:
            break
    top = -(-largest // step) * step
    return top, step


def bar_chart(
    chart_id: str, title: str, categories: list[str], series: list[Series], unit: str = ""
) -> Chart:
    """Counts per category (units per band, per tier), one bar per series in each category."""
    for i, s in enumerate(series):
        s.colour = COLOURS[i % len(COLOURS)]
    chart = Chart(id=chart_id, title=title, desc=_describe(categories, series, unit))
    largest = max((v or 0 for s in series for v in s.values), default=0)
    # Headroom above the tallest bar for its value and the legend.
    top, step = _nice_top(largest + max(1, largest // 8))
    scale = chart.plot_height / top
    for value in range(0, top + 1, step):
        chart.ticks.append({"y": round(chart.bottom - value * scale, 1), "label": str(value)})
    group = chart.plot_width / max(len(categories), 1)
    width = group * 0.7 / max(len(series), 1)
    for c, text in enumerate(categories):
        start = chart.left + c * group + group * 0.15
        chart.labels.append({"x": round(chart.left + c * group + group / 2, 1), "text": text})
        for i, s in enumerate(series):
            value = s.values[c] or 0
            height = value * scale
            chart.bars.append(
                {
                    "x": round(start + i * width, 1),
                    "y": round(chart.bottom - height, 1),
                    "width": round(width - 2, 1),
                    "height": round(height, 1),
                    "colour": s.colour,
                    "value": value,
                    "text": f"{s.name}: {text}: {value}" if len(series) > 1 else f"{text}: {value}",
                    "label_x": round(start + i * width + (width - 2) / 2, 1),
                    "label_y": round(chart.bottom - height - 4, 1),
                }
            )
    _legend(chart, series)
    return chart


def line_chart(
    chart_id: str,
    title: str,
    categories: list[str],
    series: list[Series],
    *,
    low: Decimal = Decimal(0),
    high: Decimal = Decimal(5),
    guides: list[tuple[Decimal, str]] = (),
) -> Chart:
    """Scores over the years on the score scale (``low``..``high``), with dashed guides (the target 3.0000);
    a missing value breaks the line. A stored 5.0001 is drawn at the top edge."""
    for i, s in enumerate(series):
        s.colour = COLOURS[i % len(COLOURS)]
    chart = Chart(id=chart_id, title=title, desc=_describe(categories, series, ""))
    span = float(high - low) or 1.0

    def y(value) -> float:
        clamped = min(max(float(value), float(low)), float(high))
        return round(chart.bottom - (clamped - float(low)) / span * chart.plot_height, 1)

    tick = low
    while tick <= high:
        chart.ticks.append({"y": y(tick), "label": f"{tick:.0f}"})
        tick += 1
    for value, label in guides:
        chart.guides.append({"y": y(value), "label": label})
    step = chart.plot_width / max(len(categories), 1)
    xs = [round(chart.left + step * (c + 0.5), 1) for c in range(len(categories))]
    for c, text in enumerate(categories):
        chart.labels.append({"x": xs[c], "text": text})
    for s in series:
        segments, current, dots = [], [], []
        for c, value in enumerate(s.values):
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            point = (xs[c], y(value))
            current.append(point)
            dots.append({"x": point[0], "y": point[1], "text": f"{s.name} {categories[c]}: {value}"})
        if current:
            segments.append(current)
        chart.lines.append(
            {
                "colour": s.colour,
                "segments": [" ".join(f"{px},{py}" for px, py in seg) for seg in segments],
                "dots": dots,
            }
        )
    _legend(chart, series)
    return chart


def _describe(categories: list[str], series: list[Series], unit: str) -> str:
    """The chart in words for a screen reader: each series' value per category."""
    parts = []
    for s in series:
        values = ", ".join(
            f"{c} {'–' if v is None else v}{(' ' + unit) if unit and v is not None else ''}"
            for c, v in zip(categories, s.values, strict=False)
        )
        parts.append(f"{s.name}: {values}" if len(series) > 1 or s.name else values)
    return "; ".join(parts)
