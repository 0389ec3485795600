"""One run's page in the terminal and as JSON (`loadwatch activities show ID [--json]`): the same
RunView the web's `/activities/{id}` draws."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..units import METRES, amount, climb, climb_amount, climb_unit, pace
from .tables import activity_json, hms, lap

if TYPE_CHECKING:
    from ..load.runpage import Split
    from ..units import Units
    from ..views import RunView


def signed(m: float | None, units: Units = "km") -> str:
    """Metres up (+) or down (-) in the reader's climb unit (m, or ft beside miles), whole;
    "0" for less than half a unit either way."""
    v = climb_amount(m, units)
    if v is None:
        return "-"
    return "0" if abs(v) < 0.5 else f"{v:+.0f}"


def _n0(v: float | None, unit: str = "") -> str:
    return "-" if v is None else f"{v:.0f}{unit}"


def _drift(a: object) -> str:
    drift = getattr(a, "hr_drift_pct", None)
    return "" if drift is None else f"; drift {drift:+.1f}%"


def _split_json(s: Split) -> dict[str, Any]:
    """A kilometre's split as the JSON has always named it (`km`: 1 for the first), whatever
    unit the page is read in: scripts read SI fields."""
    d = asdict(s)
    pace_s = d.pop("pace_s_per_km")
    return {
        "km": d.pop("index"),
        **d,
        "pace_s_per_km": None if pace_s is None else round(pace_s, 1),
    }


def partial(s: Split, units: Units) -> bool:
    """The last split, shorter than a whole kilometre or mile (by more than 5 m)."""
    return s.distance_m < METRES[units] - 5.0


def run_json(v: RunView) -> dict[str, Any]:
    """SI fields as ever (metres, seconds per km, per-km splits, curves over km), whatever the
    reader's unit, which `units` names."""
    a = v.against
    return {
        "athlete": v.athlete,
        "units": v.units,
        **activity_json(v.activity),
        "shoe": v.shoe,
        "against": {
            "counted": a.counted,
            "longest_prior_30d_km": None
            if a.longest_prior_30d_m is None
            else round(a.longest_prior_30d_m / 1000.0, 3),
            "spike_pct": a.spike_pct,
            "spike_band": a.spike_band,
            "full_30d_history": a.full_30d_history,
            "spike_limit_pct": a.spike_limit_pct,
            "text": a.text,
        },
        "records": {"source": v.track_source, "problem": v.track_problem},
        "splits": [_split_json(s) for s in v.km_splits],
        "curves": {
            c.name: {
                "unit": c.unit,
                "km": [round(d / 1000.0, 4) for d in c.distance_m],
                "values": c.values,
            }
            for c in v.curves
        },
    }


def run_text(v: RunView) -> str:
    a, u = v.activity, v.units
    dist = f"{amount(a.distance_m, u):.2f} {u}" + (
        f" ({a.distance_source})" if a.distance_source else ""
    )
    if a.recorded_distance_m is not None:
        dist += f" (the file said {amount(a.recorded_distance_m, u):.2f} {u})"
    sport = a.sport + (f" (the file said {a.recorded_sport})" if a.recorded_sport else "")
    rpe = f"{a.rpe}/10, sRPE load {a.srpe_load}" if a.rpe is not None else "-"
    source = a.source + (f": {a.source_path}" if a.source_path else "")
    if a.duplicate_of is not None:
        source += f" (a copy of {a.duplicate_of})"
    facts = [
        ("sport", sport),
        ("distance", dist),
        ("moving / elapsed", f"{hms(a.moving_s)} / {hms(a.elapsed_s)}"),
        ("pace", pace(a.avg_pace_s_per_km, u)),
        ("heart rate", f"{_n0(a.avg_hr)} average, {_n0(a.max_hr)} max" + _drift(a)),
        ("effort (RPE)", rpe),
        ("step rate", _n0(a.step_rate_spm, " steps/min")),
        (
            "ascent / descent",
            f"{climb(a.ascent_m, u, suffix=False)} / {climb(a.descent_m, u, suffix=False)} "
            + climb_unit(u),
        ),
        ("shoe", v.shoe or "-"),
        ("against its day", v.against.text),
        ("source", source),
    ]
    zones = getattr(a, "hr_zones_s", None)  # where the import derives them (issue 18)
    if zones:
        facts.append(("time in HR zones", " / ".join(hms(z) for z in zones)))
    if a.excluded:
        facts.append(("excluded", a.exclude_reason or "no reason given"))
    if a.look:
        facts.append(("needs a look", a.look))
    title = (
        f"activity {a.id} of {v.athlete}: {a.name or a.sport}, {a.local_start:%a %Y-%m-%d %H:%M}"
    )
    out = [title + (f" ({a.away})" if a.away else "")]
    out += [f"  {k:<17} {val}" for k, val in facts]
    if v.splits:
        out.append("")
        out.append(
            f"splits from the file's records ({v.track_source}; clock time, pauses included)"
        )
        head = "climb " + climb_unit(u)
        out.append(f"  {u:<8} {'time':>8} {'pace /' + u:>9} {'hr':>4} {'steps':>5} {head:>8}")
        for s in v.splits:
            n = f"{s.index} ({amount(s.distance_m, u):.2f})" if partial(s, u) else str(s.index)
            out.append(
                f"  {n:<8} {lap(s.time_s):>8} {pace(s.pace_s_per_km, u, suffix=False):>9} "
                f"{_n0(s.avg_hr_bpm):>4} {_n0(s.step_rate_spm):>5} {signed(s.climb_m, u):>8}"
            )
    elif v.track_problem:
        out.append(f"no splits: {v.track_problem}")
    return "\n".join(out)
