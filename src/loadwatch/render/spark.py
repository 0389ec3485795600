"""A 12-week sparkline as a few lines of inline SVG: no plotting library for a tiny line."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def sparkline_svg(
    values: Sequence[float], width: int = 120, height: int = 28, label: str = ""
) -> str:
    """Weekly totals as a polyline, the last week as a dot; scaled to the largest week."""
    if not values:
        return ""
    top = max(max(values), 1e-9)
    step = width / max(len(values) - 1, 1)
    points = [(i * step, height - 3 - (v / top) * (height - 6)) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    x, y = points[-1]
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}"><polyline fill="none" stroke="#2f6fba" '
        f'stroke-width="1.5" points="{path}"/><circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" '
        'fill="#2f6fba"/></svg>'
    )
