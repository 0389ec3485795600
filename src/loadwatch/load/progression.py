"""Week-over-week progression in whole metres, as loadwatch operationalises Nielsen 2014.

Nielsen et al. 2014 (874 novices) re-categorised progression after every session: the distance of
the last 7 days against the 7 days before. Taken literally on a rolling window, that reads rhythm
as progression: a runner doing 10 km every other day has 4 runs in one 7-day window and 3 in the
next, "+33%" every other week with no change at all. loadwatch therefore judges the last 7 days
(a) on run days only (a rest day cannot raise the load), (b) against the 7 days before, as Nielsen
did, and (c) also against the weekly average of the 14 days before, the stability condition that
an alternating 3-4 run rhythm cannot pass. The increase must exceed the threshold against both.
Sums are whole metres (integers), so equal weeks compare exactly equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd


def daily_metres(runs: pd.DataFrame, as_of: date) -> pd.Series:
    """Whole metres run on each local day from the first run day to `as_of` (rest days 0).

    `runs` needs `day` (local, normalised) and `distance_m`. Summed by day number in numpy: a
    pandas filter, groupby and reindex cost 5 ms an athlete, on every state a page recomputes."""
    first, values = daily_metres_array(runs, as_of)
    if first is None:
        return pd.Series(dtype=np.int64)
    stamps = runs["day"].to_numpy()  # the index starts as the runs' days are stored
    start = stamps[stamps.astype("datetime64[D]") <= np.datetime64(as_of, "D")].min()
    index = pd.date_range(pd.Timestamp(start), pd.Timestamp(as_of), freq="D")
    return pd.Series(values, index=index)


def daily_metres_array(runs: pd.DataFrame, as_of: date) -> tuple[np.datetime64 | None, np.ndarray]:
    """`daily_metres` as its first day and its values: what a rule reads, without the Series
    (building its index cost more than the sums)."""
    end = np.datetime64(as_of, "D")
    days = runs["day"].to_numpy().astype("datetime64[D]")
    upto = days <= end
    if not upto.any():
        return None, np.zeros(0, dtype=np.int64)
    days = days[upto]
    metres = np.rint(runs["distance_m"].to_numpy(dtype=float)[upto]).astype(np.int64)
    first = days.min()
    values = np.zeros(int((end - first).astype(np.int64)) + 1, dtype=np.int64)
    np.add.at(values, (days - first).astype(np.int64), metres)
    return first, values


def week_over_week(daily_m: pd.Series) -> pd.DataFrame:
    """Per day: metres of the last 7 days (this day included), of the 7 before, and of the 14
    before those 7 (`prev14_m`, two weeks; `prev14_weekly_m` its weekly average); the baseline
    an increase is measured against (`baseline_m`: the larger of the 7 before and that weekly
    average); days of history; and whether a run happened that day."""
    return pd.DataFrame(
        week_over_week_arrays(daily_m.to_numpy(dtype=np.int64)), index=daily_m.index
    )


def week_over_week_arrays(values: np.ndarray) -> dict[str, np.ndarray]:
    """`week_over_week`'s columns as arrays, from each day's whole metres."""
    cs = np.concatenate([[0], np.cumsum(values)])
    i = np.arange(1, len(values) + 1)  # cs[i] = total up to and including day i-1

    def window(lo: int, hi: int) -> np.ndarray:
        """Metres of days t-hi+1 .. t-lo (0-based offsets back from today), clipped at the start."""
        return cs[np.maximum(i - lo, 0)] - cs[np.maximum(i - hi, 0)]

    prev7, prev14 = window(7, 14), window(7, 21)
    return {
        "last7_m": window(0, 7),
        "prev7_m": prev7,
        "prev14_m": prev14,
        "prev14_weekly_m": prev14 / 2,
        "baseline_m": np.maximum(prev7, prev14 / 2),
        "history_days": i,
        "ran": values > 0,
    }


def jump_fires(wow: pd.DataFrame, pct: float, floor_m: int) -> pd.Series:
    """Where the weekly-jump rule fires: a run day with 21 days of history, the 7 days before at
    least `floor_m`, and the last 7 more than `pct` % above both the 7 before and the weekly
    average of the 14 before (compared in whole metres)."""
    columns = {
        c: wow[c].to_numpy() for c in ("ran", "history_days", "last7_m", "prev7_m", "prev14_m")
    }
    return pd.Series(jump_fires_array(columns, pct, floor_m), index=wow.index)


def jump_fires_array(wow: Mapping[str, np.ndarray], pct: float, floor_m: int) -> np.ndarray:
    """`jump_fires` on `week_over_week_arrays`."""
    factor = 100.0 + pct
    last7 = wow["last7_m"]
    prev7 = wow["prev7_m"]
    return (
        wow["ran"]
        & (wow["history_days"] >= 21)
        & (prev7 >= floor_m)
        & (100 * last7 > factor * prev7)
        & (200 * last7 > factor * wow["prev14_m"])
    )


def jump_pct(last_m: float, baseline_m: float) -> float:
    """The increase over a baseline, in percent (NaN without a baseline)."""
    return (last_m / baseline_m - 1.0) * 100.0 if baseline_m > 0 else float("nan")
