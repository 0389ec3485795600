"""A run's curves over distance and its track outline as inline SVG: a few lines of markup, no
plotting library, no script, nothing fetched (the dashboard's CSP stays `default-src 'none'`).

Each chart scales to its box (`viewBox`, width 100%) and keeps its text at least 12 px high on a
360 px screen: the drawing is 360 units wide, so a unit is at least a pixel there.
"""

from __future__ import annotations

from html import escape

from ..load.runpage import Curve, Outline
from ..units import METRES, Units, climb_amount, climb_unit

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 22, 24
FONT = 12


def _ticks(lo: float, hi: float, count: int = 3) -> list[float]:
    if hi <= lo:
        return [lo]
    step = (hi - lo) / (count - 1)
    return [lo + i * step for i in range(count)]


def _label(v: float, unit: str) -> str:
    if unit.startswith("min/"):
        m = int(v)
        return f"{m}:{round((v - m) * 60) % 60:02d}"
    return f"{v:.0f}"


def curve_svg(curve: Curve, units: Units = "km") -> str:
    """One curve over distance in the reader's unit; pace (min/km, or min/mi for a reader in
    miles) is drawn faster-up (as a runner reads a pace chart), elevation in m (ft in miles)."""
    per = METRES[units]
    inverted = curve.unit == "min/km"
    xs = [d / per for d in curve.distance_m]
    values: list[float | None]
    if inverted:
        unit = f"min/{units}"
        values = [None if v is None else v * per / 1000.0 for v in curve.values]
    elif curve.unit == "m":
        unit = climb_unit(units)
        values = [climb_amount(v, units) for v in curve.values]
    else:
        unit, values = curve.unit, list(curve.values)
    pts = [(k, v) for k, v in zip(xs, values, strict=True) if v is not None]
    if len(pts) < 2:
        return ""
    vals = [v for _, v in pts]
    x_lo, x_hi = min(xs), max(xs)
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(k: float) -> float:
        return LEFT + (k - x_lo) / max(x_hi - x_lo, 1e-9) * plot_w

    def y(v: float) -> float:
        f = (v - lo) / (hi - lo)
        return TOP + (f if inverted else 1 - f) * plot_h

    # A gap in the records (no value over a stretch) breaks the line rather than bridging it.
    lines: list[list[str]] = []
    run: list[str] = []
    for k, v in zip(xs, values, strict=True):
        if v is None:
            if len(run) > 1:
                lines.append(run)
            run = []
        else:
            run.append(f"{x(k):.1f},{y(v):.1f}")
    if len(run) > 1:
        lines.append(run)
    title = f"{curve.name} ({unit}) over distance ({units})"
    out = [
        f'<svg class="runchart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(title)}" font-family="system-ui, sans-serif" font-size="{FONT}">',
        f'<text x="{LEFT}" y="{FONT + 2}" font-weight="600">{escape(title)}</text>',
    ]
    for v in _ticks(lo, hi):
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#e4e7eb"/>'
            f'<text x="{LEFT - 4}" y="{y(v) + 4:.1f}" text-anchor="end">{_label(v, unit)}</text>'
        )
    # The first and last distance labels stay inside the box (a middle anchor cut them off).
    for k, anchor in zip(_ticks(x_lo, x_hi), ("start", "middle", "end"), strict=False):
        out.append(f'<text x="{x(k):.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}">{k:.1f}</text>')
    for run in lines:
        out.append(
            f'<polyline fill="none" stroke="#2f6fba" stroke-width="1.5" points="{" ".join(run)}"/>'
        )
    out.append("</svg>")
    return "".join(out)


def outline_svg(o: Outline | None, size: int = 360, units: Units = "km") -> str:
    """The track as a plain line, north up, scaled to fit a square; a dot at the start."""
    if o is None:
        return ""
    pad = 10
    scale = (size - 2 * pad) / max(o.width_m, o.height_m, 1.0)
    w = o.width_m * scale + 2 * pad
    h = o.height_m * scale + 2 * pad
    pts = " ".join(
        f"{pad + x * scale:.1f},{h - pad - y * scale:.1f}"
        for x, y in zip(o.x_m, o.y_m, strict=True)
    )
    sx, sy = pad + o.x_m[0] * scale, h - pad - o.y_m[0] * scale
    per = METRES[units]
    label = f"Track outline, north up, {o.width_m / per:.1f} by {o.height_m / per:.1f} {units}"
    return (
        f'<svg class="outline" viewBox="0 0 {w:.0f} {h:.0f}" width="100%" role="img" '
        f'aria-label="{escape(label)}"><polyline fill="none" stroke="#2f6fba" stroke-width="2" '
        f'stroke-linejoin="round" points="{pts}"/><circle cx="{sx:.1f}" cy="{sy:.1f}" r="4" '
        'fill="#1f7a3a"/></svg>'
    )
