"""Heart-rate drift of one run: pace-to-heart-rate decoupling of its second half against its first.

The usual definition (Friel, "The Triathlete's Training Bible"; TrainingPeaks' "Pa:Hr"): split
the moving time in two halves; in each, the efficiency factor is speed over mean heart rate;
drift = (EF first - EF second) / EF first x 100. Positive when the heart rate rose at the same
pace (or the pace fell at the same heart rate). Computed over the whole run here, warm-up
included, so it describes the run; Friel reads it on steady aerobic runs only, where under 5% is
taken as aerobic fitness for that duration. It is a coaching convention, not an injury measure.

Only moving intervals count (faster than `MOVING_SPEED_MS`, no longer than `MAX_GAP_S`), and
only runs with `MIN_MOVING_S` of them and heart rate over `MIN_HR_COVERAGE` of each half's time:
a short run or a patchy strap gives None, not a number.
"""

from __future__ import annotations

import numpy as np

MOVING_SPEED_MS = 0.5
MAX_GAP_S = 10.0
MIN_MOVING_S = 20 * 60.0
MIN_HR_COVERAGE = 0.8


def hr_drift_pct(dt: np.ndarray, dd: np.ndarray, hr: np.ndarray) -> float | None:
    """Decoupling in percent from per-interval seconds, metres and heart rate (bpm at the
    interval's start, 0 or NaN for none), in time order; None where it cannot be said."""
    dt = np.asarray(dt, dtype=float)
    dd = np.asarray(dd, dtype=float)
    hr = np.nan_to_num(np.asarray(hr, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        moving = (dt > 0) & (dt <= MAX_GAP_S) & (dd / dt >= MOVING_SPEED_MS)
    dt, dd, hr = dt[moving], dd[moving], hr[moving]
    total = float(dt.sum())
    if total < MIN_MOVING_S:
        return None
    first = (np.cumsum(dt) - dt) < total / 2  # intervals starting in the first half
    efs = []
    for half in (first, ~first):
        t, d, h = dt[half], dd[half], hr[half]
        beating = h > 0
        if t.sum() <= 0 or t[beating].sum() < MIN_HR_COVERAGE * t.sum():
            return None
        speed = d.sum() / t.sum()
        mean_hr = float((h[beating] * t[beating]).sum() / t[beating].sum())
        efs.append(speed / mean_hr)
    return float((efs[0] - efs[1]) / efs[0] * 100.0)
