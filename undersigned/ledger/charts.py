"""A count over time as an inline SVG line chart: no JavaScript, no external file."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

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
    # A point after removals is marked (a ring and a tick down to the axis), so that a line that
    # fell, or rose and fell back between two points, never looks as if nothing had been there.
    removals = format_html_join(
        "",
        '<g class="chart__removal"><line x1="{x}" y1="{y}" x2="{x}" y2="{base}"/>'
        '<circle cx="{x}" cy="{y}" r="6"><title>{label}: {text}</title></circle></g>',
        (
            {
                "x": f"{x(index):.1f}",
                "y": f"{y(point.total):.1f}",
                "base": HEIGHT - MARGIN,
                "label": point.label,
                "text": ngettext(
                    "%(count)s signature withdrawn or invalidated since the point before",
                    "%(count)s signatures withdrawn or invalidated since the point before",
                    point.removed,
                )
                % {"count": point.removed},
            }
            for index, point in enumerate(points)
            if point.removed
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}">'
        "<title>{title}</title>"
        '<line class="chart__axis" x1="{m}" y1="{base}" x2="{right}" y2="{base}"/>'
        '<text class="chart__label chart__label--end" x="{left}" y="{top_label}">{top}</text>'
        '<text class="chart__label chart__label--end" x="{left}" y="{base}">0</text>'
        '<text class="chart__label" x="{m}" y="{label_y}">{first}</text>'
        '<text class="chart__label chart__label--end" x="{right}" y="{label_y}">{last}</text>'
        '<polyline class="chart__line" points="{line}"/>{dots}{removals}</svg>',
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
        removals=removals,
    )
