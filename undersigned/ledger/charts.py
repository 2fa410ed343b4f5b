"""A count over time as an inline SVG line chart: no JavaScript, no external file."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from undersigned.ledger.selectors import Point

WIDTH, HEIGHT, MARGIN = 640, 200, 36


def line_chart(points: list[Point], *, title: str) -> SafeString:
    if not points:
        return SafeString("")
    top = max(point.total for point in points) or 1
    step = (WIDTH - 2 * MARGIN) / max(len(points) - 1, 1)

    def x(index: int) -> float:
        return MARGIN + index * step

    def y(total: int) -> float:
        return HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * total / top

    line = " ".join(f"{x(index):.1f},{y(point.total):.1f}" for index, point in enumerate(points))
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3"><title>{}: {}</title></circle>',
        ((f"{x(index):.1f}", f"{y(point.total):.1f}", point.label, point.total) for index, point in enumerate(points)),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}">'
        "<title>{title}</title>"
        '<line class="chart__axis" x1="{m}" y1="{base}" x2="{right}" y2="{base}"/>'
        '<text class="chart__label chart__label--end" x="{left}" y="{top_label}">{top}</text>'
        '<text class="chart__label chart__label--end" x="{left}" y="{base}">0</text>'
        '<text class="chart__label" x="{m}" y="{label_y}">{first}</text>'
        '<text class="chart__label chart__label--end" x="{right}" y="{label_y}">{last}</text>'
        '<polyline class="chart__line" points="{line}"/>{dots}</svg>',
        w=WIDTH,
        h=HEIGHT,
        title=title,
        m=MARGIN,
        base=HEIGHT - MARGIN,
        right=WIDTH - MARGIN,
        left=MARGIN - 6,
        top_label=MARGIN + 4,
        top=top,
        label_y=HEIGHT - 10,
        first=points[0].label,
        last=points[-1].label,
        line=line,
        dots=dots,
    )
