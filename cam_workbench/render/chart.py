"""A small line chart as inline SVG: no chart library, no JavaScript, no network.

Why not matplotlib: the chart is a handful of points on a fixed 0-10 scale. Inline SVG is a
few kilobytes of text, scales sharply on any screen, prints, needs no font or image files,
is deterministic (tests read it as text) and adds nothing to the patient kernel's memory,
whereas matplotlib would add tens of megabytes to install and to each kernel that opens
the tracker. Every text is escaped; the caller gives the words (they come from content).

The chart is one ``role="img"`` element whose ``aria-label`` (and ``<title>``) states every
value, so a screen reader reads the numbers, not the drawing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

WIDTH: Final = 600
HEIGHT: Final = 320
MARGIN_LEFT: Final = 64
MARGIN_RIGHT: Final = 24
MARGIN_TOP: Final = 44
MARGIN_BOTTOM: Final = 56


@dataclass(frozen=True)
class Series:
    """One line: a name for the legend and a value per x position (gaps allowed)."""

    name: str
    values: Mapping[int, float]
    color: str = "#0b57a4"
    dashed: bool = False
    marker: str = "circle"  # or "square"


def _segments(xs: Sequence[int], values: Mapping[int, float]) -> list[list[int]]:
    """Runs of consecutive x positions that all have a value (a gap breaks the line)."""
    runs: list[list[int]] = []
    current: list[int] = []
    for x in xs:
        if x in values:
            current.append(x)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _number(value: float) -> str:
    return f"{value:g}"


def line_chart_svg(
    series: Sequence[Series],
    xs: Sequence[int],
    *,
    y_max: float,
    label: str,
    x_label: str,
    y_label: str,
    y_step: float = 2,
) -> str:
    """Return an ``<svg>`` line chart of ``series`` over the x positions ``xs``.

    Args:
        series: the lines; a series with no values is left out (and out of the legend).
        xs: the x positions shown on the axis, in order (e.g. session numbers 1..4).
        y_max: top of the y axis (the axis starts at 0).
        label: the accessible name: a sentence that states every value.
        x_label: axis title under the x axis.
        y_label: axis title beside the y axis.
        y_step: distance between y grid lines.
    """
    shown = [s for s in series if s.values]
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    count = max(len(xs), 1)

    def px(x: int) -> float:
        index = list(xs).index(x)
        return MARGIN_LEFT + (plot_w * (index + 0.5) / count)

    def py(y: float) -> float:
        return MARGIN_TOP + plot_h * (1 - y / y_max)

    parts: list[str] = [
        f'<svg class="cam-chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="inherit" font-size="15">',
        f"<title>{escape(label)}</title>",
    ]
    # Grid and y axis labels.
    steps = int(y_max // y_step)
    for i in range(steps + 1):
        y = i * y_step
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{py(y):.1f}" '
            f'y2="{py(y):.1f}" stroke="{"#595959" if y == 0 else "#d0d7de"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 10}" y="{py(y) + 5:.1f}" text-anchor="end" '
            f'fill="#1a1a1a">{_number(y)}</text>'
        )
    # X axis ticks and labels.
    for x in xs:
        parts.append(
            f'<text x="{px(x):.1f}" y="{MARGIN_TOP + plot_h + 22}" text-anchor="middle" '
            f'fill="#1a1a1a">{x}</text>'
        )
    parts.append(
        f'<text x="{MARGIN_LEFT + plot_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
        f'fill="#1a1a1a" font-weight="600">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text transform="translate(18 {MARGIN_TOP + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" fill="#1a1a1a" font-weight="600">{escape(y_label)}</text>'
    )
    # Lines, markers and value labels.
    for s in shown:
        dash = ' stroke-dasharray="7 5"' if s.dashed else ""
        for run in _segments(xs, s.values):
            if len(run) > 1:
                points = " ".join(f"{px(x):.1f},{py(s.values[x]):.1f}" for x in run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{s.color}" '
                    f'stroke-width="3" stroke-linejoin="round"{dash}/>'
                )
        for x in xs:
            if x not in s.values:
                continue
            cx, cy = px(x), py(s.values[x])
            if s.marker == "square":
                parts.append(
                    f'<rect x="{cx - 5:.1f}" y="{cy - 5:.1f}" width="10" height="10" '
                    f'fill="{s.color}"/>'
                )
            else:
                parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{s.color}"/>')
            offset = 23 if s.dashed else -12  # after-values below, before-values above
            parts.append(
                f'<text x="{cx:.1f}" y="{cy + offset:.1f}" text-anchor="middle" '
                f'fill="{s.color}" font-weight="700">{_number(s.values[x])}</text>'
            )
    # Legend across the top.
    x0 = MARGIN_LEFT
    for s in shown:
        dash = ' stroke-dasharray="7 5"' if s.dashed else ""
        parts.append(
            f'<line x1="{x0}" x2="{x0 + 32}" y1="18" y2="18" stroke="{s.color}" '
            f'stroke-width="3"{dash}/>'
        )
        parts.append(f'<text x="{x0 + 40}" y="23" fill="#1a1a1a">{escape(s.name)}</text>')
        x0 += 48 + 9 * len(s.name)
    parts.append("</svg>")
    return "".join(parts)
