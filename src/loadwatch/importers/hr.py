"""Heart-rate samples -> seconds at each heart rate: one definition for FIT, TCX and GPX.

Kept per activity as a histogram so TRIMP and zone loads can be recomputed when the athlete's
resting or maximum heart rate changes later.
"""

from __future__ import annotations

from collections.abc import Iterable

# A sample holds until the next one, but not across a longer gap (a pause or a dropout).
MAX_HR_SAMPLE_GAP_S = 10.0


def hr_histogram(samples: Iterable[tuple[float, float | None]]) -> dict[int, float]:
    """(time in seconds, bpm) samples -> {bpm: seconds}. Zero or missing readings (a strap that
    lost contact sends 0) count as no heart rate, not as 0 bpm."""
    points = sorted((float(t), h) for t, h in samples if h is not None)
    seconds: dict[int, float] = {}
    for (t0, hr), (t1, _) in zip(points, points[1:], strict=False):
        dt = t1 - t0
        if hr > 0 and 0 < dt <= MAX_HR_SAMPLE_GAP_S:
            seconds[int(hr)] = seconds.get(int(hr), 0.0) + dt
    return dict(sorted(seconds.items()))


def mean_hr(hist: dict[int, float]) -> float | None:
    """The time-weighted average heart rate of a histogram, or None without one."""
    total = sum(hist.values())
    return sum(hr * s for hr, s in hist.items()) / total if total else None
