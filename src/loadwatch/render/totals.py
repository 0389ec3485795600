"""Totals (`loadwatch totals`, the web's totals page) as terminal text and JSON-ready dicts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .tables import hms

if TYPE_CHECKING:
    from ..load.totals import PeriodTotal, Totals


def period_json(p: PeriodTotal) -> dict[str, Any]:
    return {
        "period": p.period,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "runs": p.runs,
        "distance_km": p.distance_km,
        "moving_s": p.moving_s,
        "ascent_m": p.ascent_m,
        "descent_m": p.descent_m,
        "longest_km": p.longest_km,
    }


def totals_json(t: Totals) -> dict[str, Any]:
    return {
        "as_of": t.as_of.isoformat(),
        "by": t.by,
        "periods": [period_json(p) for p in t.periods],
        "year_to_date": period_json(t.year_to_date),
        "last_year_to_date": period_json(t.last_year_to_date),
        "longest": [
            {"id": r.id, "day": r.day.isoformat(), "distance_km": round(r.distance_m / 1000, 3)}
            for r in t.longest
        ],
    }


def _m(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def _line(p: PeriodTotal, width: int) -> str:
    longest = "-" if p.longest_km is None else f"{p.longest_km:.1f}"
    return (
        f"{p.period:<{width}} {p.runs:>5} {p.distance_km:>9.1f} {hms(p.moving_s):>10} "
        f"{_m(p.ascent_m):>7} {_m(p.descent_m):>7} {longest:>8}"
    )


def _collapsed(t: Totals, width: int) -> list[str]:
    """A break of three or more empty periods as one line (JSON and CSV keep every period)."""
    out: list[str] = []
    empty: list[PeriodTotal] = []

    def flush() -> None:
        if len(empty) >= 3:
            out.append(f"{empty[0].period} to {empty[-1].period}: no runs ({len(empty)} {t.by}s)")
        else:
            out.extend(_line(p, width) for p in empty)
        empty.clear()

    for p in t.periods:
        if p.runs == 0:
            empty.append(p)
            continue
        flush()
        out.append(_line(p, width))
    flush()
    return out


def totals_text(t: Totals) -> str:
    width = max([len(p.period) for p in t.periods] + [len(t.last_year_to_date.period), 10])
    head = f"{t.by:<{width}} {'runs':>5} {'km':>9} {'moving':>10} {'up m':>7} {'down m':>7} {'longest':>8}"
    out = [head]
    out += _collapsed(t, width)
    out += ["", _line(t.year_to_date, width), _line(t.last_year_to_date, width)]
    if t.longest:
        out += ["", "longest runs"]
        out += [
            f"  {r.day.isoformat()}  {r.distance_m / 1000:6.1f} km  (activity {r.id})"
            for r in t.longest
        ]
    return "\n".join(out)
