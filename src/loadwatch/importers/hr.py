"""Heart-rate samples -> seconds at each heart rate: one definition for FIT, TCX and GPX.

Kept per activity as a histogram so TRIMP and zone loads can be recomputed when the athlete's
resting or maximum heart rate changes later.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

# A sample holds until the next one, but not across a longer gap (a pause or a dropout).
MAX_HR_SAMPLE_GAP_S = 10.0
# No heart beats faster; a reading above it (or infinite, or not a number) is no reading.
MAX_READING_BPM = 300


def reading(value: float) -> int:
    """A heart-rate reading of an XML file as whole bpm, 0 (no reading) where no heart could
    have beaten so: `inf` once failed its whole file ("OverflowError")."""
    return int(value) if 0 < value <= MAX_READING_BPM else 0  # NaN fails both comparisons


def hr_histogram(samples: Iterable[tuple[float, float | None]]) -> dict[int, float]:
    """(time in seconds, bpm) samples -> {bpm: seconds}. Zero or missing readings (a strap that
    lost contact sends 0) count as no heart rate, not as 0 bpm."""
    # Runs once per record of every file imported: one tight pass over time-ordered samples.
    points = [(t, h if h.__class__ is int else int(h)) for t, h in samples if h is not None]
    points.sort()  # linear when already in order, as recordings are
    seconds: dict[int, float] = {}
    get = seconds.get
    gap = MAX_HR_SAMPLE_GAP_S
    prev_t, prev_h = points[0] if points else (0.0, 0)
    for t, h in islice(points, 1, None):
        dt = t - prev_t
        if 0 < dt <= gap and prev_h > 0:
            seconds[prev_h] = get(prev_h, 0) + dt
        prev_t, prev_h = t, h
    return {hr: float(s) for hr, s in sorted(seconds.items())}


def mean_hr(hist: dict[int, float]) -> float | None:
    """The time-weighted average heart rate of a histogram, or None without one."""
    total = sum(hist.values())
    return sum(hr * s for hr, s in hist.items()) / total if total else None
