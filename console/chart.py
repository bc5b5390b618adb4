"""The daily usage chart: stacked bars per entity as inline SVG, drawn on the server, so the
page needs no script and no network."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from quotas.daily import DailyUsage

WIDTH, HEIGHT = 720, 220
LEFT, BOTTOM, TOP = 48, 24, 10
COLOURS = (
    "#2f6fb0",
    "#e07b39",
    "#3a9d5d",
    "#b8434b",
    "#7a5bb5",
    "#8c6d46",
    "#c1579e",
    "#6b7b8c",
    "#b5a33a",
    "#1f9e9e",
    "#404040",
    "#e5a0b8",
)  # one per entity: ten groups of records and room to spare


def daily_chart(usage: DailyUsage) -> Markup:
    """One bar per day, one coloured segment per entity, a legend; hovering a segment names it."""
    days, per_entity = usage.days, usage.per_entity
    peak = max(usage.totals(), default=0) or 1
    slot = (WIDTH - LEFT) / max(len(days), 1)
    scale = (HEIGHT - BOTTOM - TOP) / peak
    legend_rows = 1 + sum(24 + 7 * len(entity) for entity in per_entity) // (WIDTH - LEFT)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 8 + 16 * legend_rows}" role="img" '
        f'data-testid="daily-chart" aria-label="Processes per day this period">',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" stroke="#999"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11">{peak:,}</text>',
        f'<text x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" text-anchor="end" font-size="11">0</text>',
    ]
    for n, day in enumerate(days):
        x = LEFT + n * slot + slot * 0.15
        base: float = HEIGHT - BOTTOM
        for colour, (entity, values) in zip(_cycle(len(per_entity)), per_entity.items(), strict=True):
            if not values[n]:
                continue
            height = values[n] * scale
            base -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{day:%-d %b} · {escape(entity)}: {values[n]:,}</title></rect>"
            )
        if n % 5 == 0 or n == len(days) - 1:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="10">{day.day}</text>'
            )
    x, y = LEFT, HEIGHT + 8
    for colour, entity in zip(_cycle(len(per_entity)), per_entity, strict=True):
        width = 24 + 7 * len(entity)
        if x + width > WIDTH:  # the legend wraps onto a new row
            x, y = LEFT, y + 16
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y + 9}" font-size="11">{escape(entity)}</text>')
        x += width
    parts.append("</svg>")
    return Markup("".join(parts))


def _cycle(count: int) -> list[str]:
    return [COLOURS[n % len(COLOURS)] for n in range(count)]
