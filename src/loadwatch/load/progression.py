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

from datetime import date

import numpy as np
import pandas as pd


def daily_metres(runs: pd.DataFrame, as_of: date) -> pd.Series:
    """Whole metres run on each local day from the first run day to `as_of` (rest days 0).

    `runs` needs `day` (local, normalised) and `distance_m`. Summed by day number in numpy: a
    pandas filter, groupby and reindex cost 5 ms an athlete, on every state a page recomputes."""
    end = np.datetime64(as_of, "D")
    stamps = runs["day"].to_numpy()
    days = stamps.astype("datetime64[D]")
    upto = days <= end
    if not upto.any():
        return pd.Series(dtype=np.int64)
    days = days[upto]
    metres = np.rint(runs["distance_m"].to_numpy(dtype=float)[upto]).astype(np.int64)
    first = days.min()
    values = np.zeros(int((end - first).astype(np.int64)) + 1, dtype=np.int64)
    np.add.at(values, (days - first).astype(np.int64), metres)
    index = pd.date_range(pd.Timestamp(stamps[upto].min()), pd.Timestamp(as_of), freq="D")
    return pd.Series(values, index=index)


def week_over_week(daily_m: pd.Series) -> pd.DataFrame:
    """Per day: metres of the last 7 days (this day included), of the 7 before, and of the 14
    before those 7 (`prev14_m`, two weeks; `prev14_weekly_m` its weekly average); the baseline
    an increase is measured against (`baseline_m`: the larger of the 7 before and that weekly
    average); days of history; and whether a run happened that day."""
    values = daily_m.to_numpy(dtype=np.int64)
    cs = np.concatenate([[0], np.cumsum(values)])
    i = np.arange(1, len(values) + 1)  # cs[i] = total up to and including day i-1

    def window(lo: int, hi: int) -> np.ndarray:
        """Metres of days t-hi+1 .. t-lo (0-based offsets back from today), clipped at the start."""
        return cs[np.maximum(i - lo, 0)] - cs[np.maximum(i - hi, 0)]

    prev7, prev14 = window(7, 14), window(7, 21)
    return pd.DataFrame(
        {
            "last7_m": window(0, 7),
            "prev7_m": prev7,
            "prev14_m": prev14,
            "prev14_weekly_m": prev14 / 2,
            "baseline_m": np.maximum(prev7, prev14 / 2),
            "history_days": i,
            "ran": values > 0,
        },
        index=daily_m.index,
    )


def jump_fires(wow: pd.DataFrame, pct: float, floor_m: int) -> pd.Series:
    """Where the weekly-jump rule fires: a run day with 21 days of history, the 7 days before at
    least `floor_m`, and the last 7 more than `pct` % above both the 7 before and the weekly
    average of the 14 before (compared in whole metres)."""
    factor = 100.0 + pct
    last7 = wow["last7_m"].to_numpy()
    prev7 = wow["prev7_m"].to_numpy()
    fires = (
        wow["ran"].to_numpy()
        & (wow["history_days"].to_numpy() >= 21)
        & (prev7 >= floor_m)
        & (100 * last7 > factor * prev7)
        & (200 * last7 > factor * wow["prev14_m"].to_numpy())
    )
    return pd.Series(fires, index=wow.index)


def jump_pct(last_m: float, baseline_m: float) -> float:
    """The increase over a baseline, in percent (NaN without a baseline)."""
    return (last_m / baseline_m - 1.0) * 100.0 if baseline_m > 0 else float("nan")
