"""What no real activity can be: checked once for every reader, so a hostile or broken value
costs its file (one line, nothing stored), never the batch or the load of every later day.

A `NaN` lap distance made SQLite refuse the row and stopped the import; an `inf` was stored and
turned every later weekly total into inf; a TCX dated 9999-12-31 aborted the folder.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ..errors import UnreadableFile
from ..model import Activity
from .races import race_look

EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)  # before any GPS watch recorded a run
MAX_DISTANCE_M = 1_000_000.0  # 1,000 km in one activity
MAX_DURATION_S = 7 * 86_400.0  # a week in one activity
HEART_RATE_BPM = (20.0, 260.0)


def _finite(x: float | None) -> bool:
    return x is None or math.isfinite(x)


def check(acts: list[Activity], path: str, now: datetime | None = None) -> list[Activity]:
    """Refuse the file for an impossible date, distance or duration; drop an impossible heart
    rate or climb to unknown (the run itself is fine)."""
    latest = (now or datetime.now(UTC)) + timedelta(days=2)
    out = []
    for i, a in enumerate(acts):
        what = f"session {i}: " if len(acts) > 1 else ""
        if not EARLIEST <= a.start_utc <= latest:
            raise UnreadableFile(
                path,
                f"{what}start {a.start_utc:%Y-%m-%d} is outside {EARLIEST:%Y} to "
                f"{latest:%Y-%m-%d}: a clock or a file error",
            )
        look = a.look
        for label, value, limit, unit, most in (
            ("distance", a.distance_m, MAX_DISTANCE_M, "m", "more than 1,000 km"),
            ("moving time", a.moving_s, MAX_DURATION_S, "s", "more than 7 days"),
            ("elapsed time", a.elapsed_s, MAX_DURATION_S, "s", "more than 7 days"),
        ):
            if value is None:
                continue
            if label == "elapsed time" and math.isfinite(value) and value > limit:
                look = _left_recording(a, value)
                if look is not None:
                    continue
            if not math.isfinite(value) or value < 0 or value > limit:
                raise UnreadableFile(path, f"{what}impossible {label} {_plain(value, unit, most)}")
        if look is None and a.is_run:
            look = race_look(a.name)
        hist = {
            hr: s
            for hr, s in a.hr_histogram_s.items()
            if HEART_RATE_BPM[0] <= hr <= HEART_RATE_BPM[1] and math.isfinite(s) and s > 0
        }
        out.append(
            replace(
                a,
                avg_hr=_plausible_hr(a.avg_hr),
                max_hr=_plausible_hr(a.max_hr),
                elevation_gain_m=a.elevation_gain_m if _finite(a.elevation_gain_m) else None,
                step_rate_spm=a.step_rate_spm if _finite(a.step_rate_spm) else None,
                ascent_m=a.ascent_m if _finite(a.ascent_m) else None,
                descent_m=a.descent_m if _finite(a.descent_m) else None,
                hr_drift_pct=a.hr_drift_pct if _finite(a.hr_drift_pct) else None,
                hr_histogram_s=hist,
                look=look,
            )
        )
    return out


def _plain(value: float, unit: str, most: str) -> str:
    """A number as a person writes it: a reader's numpy scalar once showed as
    `np.float64(9612991.0)`."""
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "infinite" if v > 0 else "minus infinity"
    text = f"{v:.0f}" if v == round(v) or abs(v) >= 100 else f"{v:.1f}"
    return f"{text} {unit} ({'negative' if v < 0 else most})"


def _left_recording(a: Activity, elapsed_s: float) -> str | None:
    """A watch left recording for weeks (paused, never saved) spans an impossible elapsed time
    around a real run: its device timer and distance are plausible, so it is kept, counted on
    its start day, and flagged. GPX has no device timer (its moving time is computed from the
    very points that span the weeks), so there the span still refuses the file."""
    if a.source_format not in ("fit", "tcx") or a.moving_s is None:
        return None
    if not 0 < a.moving_s <= MAX_DURATION_S:
        return None
    return (
        f"elapsed {_span(elapsed_s)} for {_span(a.moving_s)} of timer time: a watch left "
        "recording? Counted on its start day with its timer time and distance"
    )


def _span(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} days {hours} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _plausible_hr(hr: float | None) -> float | None:
    if hr is None or not math.isfinite(hr) or not HEART_RATE_BPM[0] <= hr <= HEART_RATE_BPM[1]:
        return None
    return hr
