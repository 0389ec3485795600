"""A platform's recorded series (Strava's streams: time, distance, heart rate) -> the totals
an Activity keeps. Pure: the series in, numbers out.

The summary a platform lists is its own rounding of the same recording; the series give the
heart-rate histogram (TRIMP needs it) and the distance as recorded, so where they are there they
win, and the activity says so (`distance_source = "streams"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .hr import hr_histogram, mean_hr, reading


@dataclass(frozen=True)
class StreamTotals:
    distance_m: float
    elapsed_s: float
    avg_hr: float | None
    max_hr: float | None
    hr_histogram_s: dict[int, float] = field(default_factory=dict)


def stream_totals(
    time_s: Sequence[float],
    distance_m: Sequence[float | None] | None,
    heartrate: Sequence[float | None] | None,
) -> StreamTotals | None:
    """None where the series cannot give a distance (no distance series, or none that grows)."""
    if not time_s or not distance_m:
        return None
    distances = [d for d in distance_m if isinstance(d, int | float) and d == d]
    if not distances or max(distances) <= 0:
        return None
    hist: dict[int, float] = {}
    top = None
    if heartrate:
        readings = [reading(float(h)) if h is not None else 0 for h in heartrate]
        hist = hr_histogram(zip(time_s, readings, strict=True))
        top = max(readings) or None
    return StreamTotals(
        distance_m=float(max(distances)),  # cumulative: the last, unless a glitch went back
        elapsed_s=float(time_s[-1] - time_s[0]),
        avg_hr=mean_hr(hist),
        max_hr=float(top) if top else None,
        hr_histogram_s=hist,
    )
