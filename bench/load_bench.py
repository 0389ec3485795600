"""Load engine speed: all athletes in one vectorised computation against a per-athlete loop.

    python bench/load_bench.py [--athletes 10000] [--days 730] [--loop-sample 200]

Builds a synthetic population (4-6 runs a week, a few time zones), then times, side by side:
  * vectorised: `compute_many` over every athlete at once (every registered daily metric plus
    the single-run spikes);
  * loop: the same engine called once per athlete (`compute_daily`), timed over a random
    sample of athletes and scaled to the whole population (the full loop takes minutes).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd

from loadwatch.load import LoadParams, compute_daily, compute_many, run_spikes

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]


def population(athletes: int, days: int, as_of: date, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(as_of - timedelta(days=days - 1), tz="UTC")
    runs_per_day = rng.uniform(4 / 7, 6 / 7, size=athletes)
    ran = rng.random((athletes, days)) < runs_per_day[:, None]
    a_idx, d_idx = np.nonzero(ran)
    hours = rng.integers(5, 20, size=len(a_idx))
    km = np.clip(rng.gamma(4.0, 2.2, size=len(a_idx)), 2.0, 42.0)
    return pd.DataFrame(
        {
            "athlete": a_idx,
            "sport": "running",
            "start_utc": start
            + pd.to_timedelta(d_idx, unit="D")
            + pd.to_timedelta(hours, unit="h"),
            "distance_m": km * 1000.0,
            "moving_s": km * 330.0,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--athletes", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--loop-sample", type=int, default=200)
    args = ap.parse_args()
    as_of = date(2026, 11, 24)
    runs = population(args.athletes, args.days, as_of)
    tz = {a: ZONES[a % len(ZONES)] for a in range(args.athletes)}
    runs["load"] = runs["distance_m"] / 1000.0
    print(f"{args.athletes} athletes x {args.days} days, {len(runs):,} runs")

    t = time.perf_counter()
    frames = compute_many(runs, as_of, tz, LoadParams())
    spikes = run_spikes(runs)
    vec = time.perf_counter() - t

    sample = random.Random(2).sample(range(args.athletes), min(args.loop_sample, args.athletes))
    by_athlete = dict(tuple(runs.groupby("athlete")))
    t = time.perf_counter()
    for a in sample:
        result = compute_daily(by_athlete[a], as_of, tz[a])
    per_athlete = (time.perf_counter() - t) / len(sample)
    loop = per_athlete * args.athletes

    # The two paths agree on the last athlete of the sample.
    ours = frames["acwr_rolling_coupled"][sample[-1]].dropna().to_numpy()
    np.testing.assert_allclose(ours, result.days["acwr_rolling_coupled"].dropna().to_numpy())

    cells = frames["load"].notna().to_numpy().sum()
    print(f"{'':34}{'seconds':>10}")
    print(
        f"{'vectorised (compute_many + spikes)':34}{vec:>10.2f}   {cells / vec / 1e6:.1f} M athlete-days/s, "
        f"{len(frames)} metrics, {len(spikes):,} runs"
    )
    print(
        f"{'per-athlete loop (compute_daily)':34}{loop:>10.2f}   ({per_athlete * 1000:.1f} ms x {args.athletes}, "
        f"timed on {len(sample)})"
    )
    print(f"speed-up: {loop / vec:.1f}x")


if __name__ == "__main__":
    main()
