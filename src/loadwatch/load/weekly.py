"""Monday-to-Sunday weeks in the athlete's own calendar: totals, change, longest run, monotony."""

from __future__ import annotations

import numpy as np
import pandas as pd


def weekly(
    grid: pd.Series, run_days: pd.Series | None = None, run_loads: pd.Series | None = None
) -> pd.DataFrame:
    """One athlete's weeks from a daily load series (NaN before the first day).

    Monotony and strain (Foster 1998, population SD) are given only for weeks with 7 days of
    history; the running week shows its total so far.
    """
    s = grid.dropna()
    if s.empty:
        return pd.DataFrame(
            columns=["week_start", "total", "change_pct", "longest", "days", "monotony", "strain"]
        )
    week = s.index - pd.to_timedelta(s.index.day_of_week, unit="D")
    g = s.groupby(week)
    total = g.sum()
    days = g.size()
    mean = g.mean()
    sd = g.std(ddof=0)
    sd = sd.mask(sd.abs() < 1e-12, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        monotony = (mean / sd).where(days == 7)
    prev = total.shift(1)
    out = pd.DataFrame(
        {
            "week_start": total.index,
            "total": total.to_numpy(),
            "change_pct": ((total - prev) / prev.where(prev != 0) * 100.0).to_numpy(),
            "days": days.to_numpy(),
            "monotony": monotony.to_numpy(),
            "strain": (total * monotony).to_numpy(),
        }
    )
    if run_days is not None and run_loads is not None and len(run_days):
        rweek = run_days - pd.to_timedelta(run_days.dt.day_of_week, unit="D")
        longest = run_loads.groupby(rweek.to_numpy()).max()
        out["longest"] = out["week_start"].map(longest)
    else:
        out["longest"] = np.nan
    return out
