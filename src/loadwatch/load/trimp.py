"""Banister TRIMP from a run's heart-rate histogram (Morton, Fitz-Clarke & Banister 1990).

TRIMP = Σ Δt_min · HRr · a·e^(b·HRr), HRr = (HR − HR_rest)/(HR_max − HR_rest), clipped to [0, 1];
men a = 0.64, b = 1.92; women a = 0.86, b = 1.67. Summing over the seconds spent at each heart
rate avoids the under-count of the session-mean form (121.6 vs 130.8 in science.md's example).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

WEIGHTS = {"male": (0.64, 1.92), "female": (0.86, 1.67)}


def banister_weight(hr: float, resting_hr: float, max_hr: float, sex: str | None) -> float:
    a, b = WEIGHTS.get(sex or "male", WEIGHTS["male"])
    hrr = (hr - resting_hr) / (max_hr - resting_hr)
    hrr = min(max(hrr, 0.0), 1.0)
    return hrr * a * math.exp(b * hrr)


def banister_trimp(
    histogram_s: Mapping[int, float], resting_hr: float, max_hr: float, sex: str | None = None
) -> float:
    """TRIMP summed over the heart-rate histogram (seconds at each bpm)."""
    if max_hr <= resting_hr:
        raise ValueError("max_hr must be above resting_hr")
    return sum(
        seconds / 60.0 * banister_weight(float(hr), resting_hr, max_hr, sex)
        for hr, seconds in histogram_s.items()
    )


def banister_trimp_mean(
    minutes: float, avg_hr: float, resting_hr: float, max_hr: float, sex: str | None = None
) -> float:
    """The session-mean form, for runs that carry only an average heart rate."""
    return minutes * banister_weight(avg_hr, resting_hr, max_hr, sex)
