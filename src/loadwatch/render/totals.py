"""Totals (`loadwatch totals`, the web's totals page) as terminal text and JSON-ready dicts.

The text is in the reader's unit (climb in feet beside miles); JSON and CSV keep their kilometre
and metre fields as ever, JSON names the reader's unit, and CSV adds `distance_mi`, `longest_mi`,
`ascent_ft` and `descent_ft` for a reader in miles (a spreadsheet has no other way to know)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..units import amount, climb, climb_amount, climb_unit
from .tables import hms

if TYPE_CHECKING:
    from ..load.totals import PeriodTotal, Totals
    from ..units import Units


def _km(m: float | None) -> float | None:
    return None if m is None else round(m / 1000.0, 3)


def period_json(p: PeriodTotal) -> dict[str, Any]:
    return {
        "period": p.period,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "runs": p.runs,
        "distance_km": _km(p.distance_m),
        "moving_s": p.moving_s,
        "ascent_m": p.ascent_m,
        "descent_m": p.descent_m,
        "longest_km": _km(p.longest_m),
    }


def period_csv(p: PeriodTotal, units: Units = "km") -> dict[str, Any]:
    """A period's CSV row: the JSON's fields, and the distances in miles and the climb in feet
    for a reader in miles."""
    row = period_json(p)
    if units == "mi":
        mi = [amount(p.distance_m, "mi"), amount(p.longest_m, "mi")]
        ft = [climb_amount(p.ascent_m, "mi"), climb_amount(p.descent_m, "mi")]
        row |= {
            "distance_mi": round(mi[0], 3) if mi[0] is not None else None,
            "longest_mi": round(mi[1], 3) if mi[1] is not None else None,
            "ascent_ft": round(ft[0], 1) if ft[0] is not None else None,
            "descent_ft": round(ft[1], 1) if ft[1] is not None else None,
        }
    return row


def totals_json(t: Totals, units: Units = "km") -> dict[str, Any]:
    return {
        "as_of": t.as_of.isoformat(),
        "by": t.by,
        "units": units,
        "periods": [period_json(p) for p in t.periods],
        "year_to_date": period_json(t.year_to_date),
        "last_year_to_date": period_json(t.last_year_to_date),
        "longest": [
            {"id": r.id, "day": r.day.isoformat(), "distance_km": _km(r.distance_m)}
            for r in t.longest
        ],
    }


def _d(m: float | None, units: Units) -> str:
    v = amount(m, units)
    return "-" if v is None else f"{v:.1f}"


def _line(p: PeriodTotal, width: int, units: Units) -> str:
    return (
        f"{p.period:<{width}} {p.runs:>5} {_d(p.distance_m, units):>9} {hms(p.moving_s):>10} "
        f"{climb(p.ascent_m, units, suffix=False):>7} {climb(p.descent_m, units, suffix=False):>7} "
        f"{_d(p.longest_m, units):>8}"
    )


def _collapsed(t: Totals, width: int, units: Units) -> list[str]:
    """A break of three or more empty periods as one line (JSON and CSV keep every period)."""
    out: list[str] = []
    empty: list[PeriodTotal] = []

    def flush() -> None:
        if len(empty) >= 3:
            out.append(f"{empty[0].period} to {empty[-1].period}: no runs ({len(empty)} {t.by}s)")
        else:
            out.extend(_line(p, width, units) for p in empty)
        empty.clear()

    for p in t.periods:
        if p.runs == 0:
            empty.append(p)
            continue
        flush()
        out.append(_line(p, width, units))
    flush()
    return out


def totals_text(t: Totals, units: Units = "km") -> str:
    width = max([len(p.period) for p in t.periods] + [len(t.last_year_to_date.period), 10])
    head = (
        f"{t.by:<{width}} {'runs':>5} {units:>9} {'moving':>10} {'up ' + climb_unit(units):>7} "
        f"{'down ' + climb_unit(units):>7} {'longest':>8}"
    )
    out = [head]
    out += _collapsed(t, width, units)
    out += ["", _line(t.year_to_date, width, units), _line(t.last_year_to_date, width, units)]
    if t.longest:
        out += ["", "longest runs"]
        out += [
            f"  {r.day.isoformat()}  {_d(r.distance_m, units):>6} {units}  (activity {r.id})"
            for r in t.longest
        ]
    return "\n".join(out)
