"""Lists as terminal tables and JSON-ready dicts: activities, shoes and the alert ledger."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..units import METRES, Units, amount

if TYPE_CHECKING:
    from ..ledger import ChannelState
    from ..model import LedgerEntry
    from ..shoes import ShoeStatus
    from ..views import ActivityRow

# The fields of `activity_json`, in its order: what `activities --columns` may choose.
ACTIVITY_FIELDS = (
    "id", "start_utc", "utc_offset_s", "local_start", "day", "sport", "sub_sport", "distance_m",
    "moving_s", "elapsed_s", "avg_hr", "max_hr", "elevation_gain_m", "device", "source",
    "source_path", "duplicate_of", "shoe_id", "distance_source", "excluded", "exclude_reason",
    "rpe", "srpe_load", "name", "look", "race", "step_rate_spm", "ascent_m", "descent_m",
    "avg_pace_s_per_km", "hr_drift_pct", "hr_zone1_s", "hr_zone2_s", "hr_zone3_s", "hr_zone4_s",
    "hr_zone5_s", "edit",
)  # fmt: skip
SHOE_STATUS = {"ok": "ok", "warn": "past reminder distance", "retire": "past retirement distance"}


def _z(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat().replace("+00:00", "Z")


def hms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def lap(seconds: float | None) -> str:
    """A split's time cut to the whole second, as a lap timer shows it: its pace is cut alike
    (units.pace), so a whole kilometre's (or mile's) time and pace read the same, 4:54 and 4:54
    for 294.9 s, not 4:55 beside 4:54."""
    return "-" if seconds is None else hms(math.floor(round(seconds, 6)))


def activities_table(rows: Sequence[ActivityRow], units: Units = "km") -> str:
    out = [
        f"{'id':>5}  {'local start':<16}  {'sport':<17} {units:>7} {'moving':>8} {'hr':>4}  source"
    ]
    for r in rows:
        hr = f"{r.avg_hr:.0f}" if r.avg_hr is not None else "-"
        dup = f"  (duplicate of {r.duplicate_of})" if r.duplicate_of is not None else ""
        if r.excluded:
            dup += f"  (excluded: {r.exclude_reason or 'no reason given'})"
        if r.edited:
            dup += "  (edited)"
        if r.race:
            dup += "  (race)"
        if r.away:
            dup += f"  (local time {r.away})"
        if r.look:
            dup += f"  (needs a look: {r.look})"
        out.append(
            f"{r.id:>5}  {r.local_start:%Y-%m-%d %H:%M}  {r.sport:<17} {amount(r.distance_m, units) or 0.0:>7.2f} "
            f"{hms(r.moving_s):>8} {hr:>4}  {r.source}{dup}"
        )
    out.append(f"{len(rows)} activit{'y' if len(rows) == 1 else 'ies'}")
    return "\n".join(out)


def chosen_columns_table(rows: Sequence[ActivityRow], columns: Sequence[str]) -> str:
    """`activities --columns`: the chosen fields of the JSON, one column each (numbers to one
    decimal, a dash for unknown), so the table shows what --json and --csv give."""
    cells = [[_cell_text(activity_json(r).get(c)) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    out = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    out += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    out.append(f"{len(rows)} activit{'y' if len(rows) == 1 else 'ies'}")
    return "\n".join(out)


def _cell_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def activity_json(r: ActivityRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "start_utc": _z(r.start_utc),
        "utc_offset_s": r.utc_offset_s,
        # Where it was run, on its own offset if the file recorded one, and the day it counts on.
        "local_start": r.local_start.isoformat(),
        "day": r.day.isoformat(),
        "sport": r.sport,
        "sub_sport": r.sub_sport,
        "distance_m": r.distance_m,
        "moving_s": r.moving_s,
        "elapsed_s": r.elapsed_s,
        "avg_hr": r.avg_hr,
        "max_hr": r.max_hr,
        "elevation_gain_m": r.elevation_gain_m,
        "device": r.device,
        "source": r.source,
        "source_path": r.source_path,
        "duplicate_of": r.duplicate_of,
        "shoe_id": r.shoe_id,
        "distance_source": r.distance_source,
        "excluded": r.excluded,
        "exclude_reason": r.exclude_reason,
        "rpe": r.rpe,
        "srpe_load": r.srpe_load,
        "name": r.name,
        "look": r.look,
        "race": r.race,
        "step_rate_spm": r.step_rate_spm,
        "ascent_m": r.ascent_m,
        "descent_m": r.descent_m,
        "avg_pace_s_per_km": r.avg_pace_s_per_km,
        "hr_drift_pct": r.hr_drift_pct,
        # One column per zone (a spreadsheet sums a column, not a list in a cell).
        **{
            f"hr_zone{i}_s": (r.hr_zones_s[i - 1] if r.hr_zones_s is not None else None)
            for i in range(1, 6)
        },
        "edit": (
            {"recorded_sport": r.recorded_sport, "recorded_distance_m": r.recorded_distance_m}
            if r.edited
            else None
        ),
    }


def shoes_table(shoes: Sequence[ShoeStatus], units: Units = "km") -> str:
    """Shoes with their distance against their limits (report and `shoes list`)."""
    out = [f"{'shoe':<24}{units:>8}{'warn':>7}{'retire':>8}{'runs':>6}  status"]
    per = METRES[units]
    for s in shoes:
        status = "retired" if s.retired else SHOE_STATUS[s.level]
        if s.default_for:
            status += f", default for {s.default_for}"
        out.append(
            f"{s.name:<24}{s.distance_m / per:>8.1f}{s.warn_m / per:>7.0f}"
            f"{s.retire_m / per:>8.0f}{s.runs:>6}  {status}"
        )
    return "\n".join(out)


def ledger_table(entries: Sequence[LedgerEntry], athletes: Sequence[str] | None = None) -> str:
    """One line per alert; with `athletes` (each entry's athlete), an athlete column first."""
    width = max((len(a) for a in athletes or ()), default=0)
    out = []
    for i, e in enumerate(entries):
        when = f"sent {_z(e.sent_utc)}" if e.status == "sent" else e.status
        if e.status == "pending" and e.last_error:
            when += f" ({e.attempts} attempt{'' if e.attempts == 1 else 's'}; last: {e.last_error})"
        who = f"{athletes[i]:<{width}}  " if athletes is not None else ""
        out.append(f"{who}{e.alert.day.isoformat()}  {e.alert.title}  [{when}]")
    out.append(f"{len(entries)} alert{'' if len(entries) == 1 else 's'}")
    return "\n".join(out)


def channel_json(c: ChannelState) -> dict[str, Any]:
    return {
        "channel": c.channel,
        "label": c.label,
        "state": c.state,
        "delivered_utc": _z(c.delivered_utc),
        "attempts": c.attempts,
        "last_error": c.last_error,
        "message_id": c.message_id,
    }


def ledger_json(
    e: LedgerEntry,
    athlete: str | None = None,
    channels: Sequence[ChannelState] | None = None,
) -> dict[str, Any]:
    """An alert as `alerts --json` and `--csv` give it; with `channels`, its state on each."""
    return {
        **({"athlete": athlete} if athlete is not None else {}),
        "key": e.alert.key,
        "rule": e.alert.rule,
        "status": e.status,
        "created_utc": _z(e.created_utc),
        "sent_utc": _z(e.sent_utc),
        "attempts": e.attempts,
        "last_error": e.last_error,
        "message_id": e.message_id,
        "day": e.alert.day.isoformat(),
        "title": e.alert.title,
        "numbers": e.alert.numbers.as_dict(),
        **({"channels": [channel_json(c) for c in channels]} if channels is not None else {}),
    }
