"""Step rate from a track's per-point cadence (GPX and TCX; FIT has its own session totals).

Which foot counts: Garmin's GPX TrackPointExtension `cad`, TCX's `RunCadence` (ActivityExtension
v2) and TCX's own `Cadence` are revolutions a minute in their schemas, and for a run the watches
write one foot's strides (a run at 170 steps a minute reads 85), as FIT's running cadence does:
steps = 2 x cadence. An app that wrote steps instead would give a median above
`STEPS_ALREADY_ABOVE` (120: no runner strides 240 steps a minute, which doubling would claim), and
its values are then taken as steps. Zero cadence is standing still (or no sensor), not a step rate
of 0: it is left out, as FIT's records are.

Time-weighted: a reading holds until the next point, but not across a gap longer than
`MAX_SAMPLE_GAP_S` (a pause), so a smart-recording watch's uneven points weigh as long as they lasted.
"""

from __future__ import annotations

from collections.abc import Iterable

STEPS_ALREADY_ABOVE = 120.0
MAX_SAMPLE_GAP_S = 10.0


def step_rate_spm(samples: Iterable[tuple[float, float]]) -> float | None:
    """Steps a minute from (time in seconds, cadence) samples in time order; None without any
    non-zero cadence (a file without a footpod or wrist cadence has no step rate, not 0)."""
    points = [(t, c) for t, c in samples if c >= 0]  # NaN fails the comparison
    weighted = seconds = 0.0
    for (t0, c0), (t1, _) in zip(points, points[1:], strict=False):
        dt = t1 - t0
        if c0 > 0 and 0 < dt <= MAX_SAMPLE_GAP_S:
            weighted += c0 * dt
            seconds += dt
    readings = [c for _, c in points if c > 0]
    if not readings:
        return None
    mean = weighted / seconds if seconds else sum(readings) / len(readings)
    median = sorted(readings)[len(readings) // 2]
    return mean if median > STEPS_ALREADY_ABOVE else 2.0 * mean
