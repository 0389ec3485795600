"""Runs to a day-by-athlete grid of load: the athlete's own calendar days, rest days as 0.

The grid is wide (one row per calendar day, one column per athlete) so that every metric is one
column-wise pandas operation over all athletes at once. Before an athlete's first run the cells
are NaN, which is how rolling windows know they are not yet full and how the EWMAs know where to
start. The grid begins one day before the earliest first run: that extra row lets the PMC seed
its averages at 0 (see metrics.ctl).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from ..model import MAX_UTC_OFFSET_S, RUNNING_SPORTS


def running_only(runs: pd.DataFrame) -> pd.DataFrame:
    """Running, trail, treadmill and track: walking, cycling and the rest carry no running load."""
    return runs[runs["sport"].isin(RUNNING_SPORTS)]


def own_offsets(offset_s: pd.Series | None, n: int) -> np.ndarray:
    """Each run's own UTC offset in seconds as floats, NaN where unknown or implausible (the
    bound `model.plausible_offset_s` gives, applied again to whatever a database holds)."""
    if offset_s is None:
        return np.full(n, np.nan)
    out = pd.to_numeric(offset_s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = (np.abs(out) > MAX_UTC_OFFSET_S) | (np.fmod(out, 900.0) != 0)
    return np.where(bad, np.nan, out)


def local_starts(
    start_utc: pd.Series, tz: pd.Series | str, offset_s: pd.Series | None = None
) -> pd.Series:
    """Each start's wall-clock time where it was run, naive.

    Where the file recorded its own local time (`utc_offset_s`), that decides: a Denver runner's
    06:30 in Berlin is 06:30, not 22:30 the evening before. Elsewhere the athlete's zone (`tz`,
    one zone or one per row) does, clock changes included.
    """
    if len(start_utc) == 0:
        return pd.Series(np.empty(0, dtype="datetime64[ns]"), index=start_utc.index)
    own = own_offsets(offset_s, len(start_utc))
    home = np.isnan(own)
    values = start_utc.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().copy()
    values[~home] += own[~home].astype(np.int64).astype("timedelta64[s]")
    # Positional, one conversion per distinct zone: index labels may repeat across athletes.
    if isinstance(tz, str):
        codes, zones = np.zeros(len(start_utc), dtype=np.int64), [tz]
    else:
        codes, zones = pd.factorize(tz.to_numpy())
    for code, zone in enumerate(zones):
        mask = (codes == code) & home
        if mask.any():
            local = start_utc[mask].dt.tz_convert(zone).dt.tz_localize(None)
            values[mask] = local.to_numpy(dtype=values.dtype)
    return pd.Series(values, index=start_utc.index)


def local_days(
    start_utc: pd.Series, tz: pd.Series | str, offset_s: pd.Series | None = None
) -> pd.Series:
    """Each start's calendar day where it was run (a 23:30 run belongs to its local day)."""
    return local_starts(start_utc, tz, offset_s).dt.normalize()


def load_grid(
    runs: pd.DataFrame,
    as_of: date,
    tz_by_athlete: Mapping[object, str] | str,
    load_column: str = "load",
) -> pd.DataFrame:
    """Daily load per athlete from each one's first run day to `as_of` (inclusive).

    `runs` needs columns `athlete`, `start_utc` (aware) and `load_column`, and may have each
    run's own `utc_offset_s` (see local_starts). Runs after `as_of`
    are left out: the engine never looks into the future of the day it describes.
    """
    if isinstance(tz_by_athlete, str):
        tz = tz_by_athlete
    else:
        tz = runs["athlete"].map(tz_by_athlete)
    day = local_days(runs["start_utc"], tz, runs.get("utc_offset_s"))
    end = pd.Timestamp(as_of)
    keep = day <= end
    athletes = runs["athlete"][keep].to_numpy()
    values = np.nan_to_num(runs[load_column][keep].to_numpy(dtype=float))
    if len(values) == 0:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="day"), dtype=float)
    run_day = day[keep].to_numpy(dtype="datetime64[D]").astype(np.int64)
    codes, columns = pd.factorize(athletes, sort=True)
    n = len(columns)
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, codes, run_day)
    origin = int(first.min()) - 1  # one seed row before the earliest first run
    n_days = int(np.datetime64(end.date(), "D").astype(np.int64)) - origin + 1
    # One bincount sums every athlete's runs into their local days at once.
    flat = np.bincount((run_day - origin) * n + codes, weights=values, minlength=n_days * n)
    started = np.arange(n_days)[:, None] >= (first - origin)[None, :]
    days = pd.date_range(
        pd.Timestamp(np.datetime64(origin, "D")), periods=n_days, freq="D", name="day"
    )
    return pd.DataFrame(
        np.where(started, flat.reshape(n_days, n), np.nan), index=days, columns=columns
    )
