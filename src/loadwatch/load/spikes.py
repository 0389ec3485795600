"""The single-run spike: each run against the longest run of the previous 30 days (Frandsen 2025).

For a run starting at s, the reference is the longest run that started in [s − 30 d, s). The
increase is compared in whole metres (100·d ≤ 110·ref), because 11.0 km after 10.0 km computes as
+10.000000000000009% in floating point and must not count as a spike.

Bands and adjusted hazard rate ratios for overuse injury in 5,205 runners (Frandsen et al. 2025):
≤10% reference; >10–30% "small" 1.64; >30–100% "moderate" 1.52; >100% "large" 2.28.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

VARIANT = "run vs longest run started in the previous 30 days, whole metres (Frandsen 2025)"
BANDS = ("none", "small", "moderate", "large")
HAZARD_RATIO = {"small": 1.64, "moderate": 1.52, "large": 2.28}
HAZARD_CI = {"small": (1.31, 2.05), "moderate": (1.16, 2.00), "large": (1.50, 3.48)}


def spike_band(distance_m, longest_m) -> np.ndarray:
    """Band per run by whole metres; None where there is no earlier run to compare with."""
    d = np.rint(np.asarray(distance_m, dtype=float))
    ref = np.rint(np.asarray(longest_m, dtype=float))
    has_ref = ~np.isnan(ref)
    d0 = np.where(has_ref, d, 0).astype(np.int64)
    r0 = np.where(has_ref, ref, 0).astype(np.int64)
    band = np.select(
        [100 * d0 <= 110 * r0, 100 * d0 <= 130 * r0, 100 * d0 <= 200 * r0],
        ["none", "small", "moderate"],
        default="large",
    ).astype(object)
    band[~has_ref] = None
    return band


def reference_metres(runs: pd.DataFrame) -> np.ndarray:
    """Each run's distance as a reference for later runs: NaN for a race the runner marked.

    A race stays in the load, but a marathon is no training run to build on: as the 30-day
    longest it would offer "a run up to 46.4 km" two weeks later. (Frandsen 2025 did not study
    races apart; leaving them out of the reference is loadwatch's choice.)"""
    dist = runs["distance_m"].to_numpy(dtype=float)
    if "race" not in runs:
        return dist
    race = runs["race"].fillna(False).to_numpy(dtype=bool)
    return np.where(race, np.nan, dist)


def _range_max(values: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """max(values[left_i:right_i]) for every i (NaN for an empty range), all at once.

    Sparse table: level k holds the maximum of 2^k consecutive values, so any range is the max
    of two overlapping blocks. Levels stop at the longest range (a month of runs), so memory
    stays a few copies of the input.
    """
    length = right - left
    out = np.full(len(values), np.nan)
    has = length > 0
    if not has.any():
        return out
    levels = [values]
    width = 1
    while 2 * width <= length.max():
        prev = levels[-1]
        nxt = prev.copy()
        nxt[:-width] = np.fmax(prev[:-width], prev[width:])
        levels.append(nxt)
        width *= 2
    k = np.zeros(len(values), dtype=np.int64)
    k[has] = np.floor(np.log2(length[has])).astype(np.int64)
    for level, table in enumerate(levels):
        idx = np.nonzero(has & (k == level))[0]
        out[idx] = np.fmax(table[left[idx]], table[right[idx] - (1 << level)])
    return out


def run_spikes(runs: pd.DataFrame, window_days: int = 30) -> pd.DataFrame:
    """Per run: longest run of the previous `window_days`, spike in percent, band, full history.

    `runs` needs `athlete`, `start_utc` (aware) and `distance_m`; it returns them sorted by
    athlete and start, with `longest_prior_30d_m`, `spike_pct`, `spike_band` and
    `full_30d_history` added. Vectorised over all athletes: the window of each run is found by
    binary search on (athlete, start), and its maximum from a sparse table (see _range_max).
    With a `race` column, races are judged like any run but are no reference for later ones.

    With a `start_local` column (each run's wall clock where it was run) the 30 days are calendar
    days, as a runner counts them: a run at 07:00 compares with runs since
    07:00 thirty days earlier, also across a clock change (720 elapsed hours would drop a run
    of exactly 30 calendar days ago in autumn and keep one of 30 days and 1 hour in spring).
    """
    codes = pd.factorize(runs["athlete"], sort=True)[0].astype(np.int64)
    clock = runs["start_local"] if "start_local" in runs else runs["start_utc"]
    seconds = clock.to_numpy(dtype="datetime64[s]").astype(np.int64)
    n = len(runs)
    if n:
        seconds = seconds - seconds.min()
    key = (codes << 40) + seconds  # (athlete, start) as one sortable integer
    if n and not (np.diff(key) >= 0).all():
        order = np.argsort(key, kind="stable")
        runs, codes, seconds, key = runs.iloc[order], codes[order], seconds[order], key[order]
    ordered = runs.reset_index(drop=True)
    left = np.searchsorted(key, key - window_days * 86_400, side="left")
    right = np.searchsorted(key, key, side="left")  # runs that started strictly before
    dist = ordered["distance_m"].to_numpy(dtype=float)
    longest = _range_max(reference_metres(ordered), left, right)
    ordered["longest_prior_30d_m"] = longest
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (dist / longest - 1.0) * 100.0
    ordered["spike_pct"] = np.where(longest > 0, pct, np.nan)
    # object dtype keeps None as None ("no earlier run"), not NaN
    ordered["spike_band"] = pd.Series(spike_band(dist, longest), index=ordered.index, dtype=object)
    first_of_athlete = np.searchsorted(codes, codes, side="left")
    ordered["full_30d_history"] = (seconds - seconds[first_of_athlete]) >= window_days * 86_400
    return ordered
