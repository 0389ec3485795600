"""Heart-rate histograms in the engine: decoded once for all runs (load/zones.py) against the old
row-by-row path (one JSON text decoded per row in a pandas apply, then a Python sum), side by side.

    python bench/histogram_bench.py [--runs N]

Generates N runs' stored histograms (75 distinct heart rates each, about an hour), then times
TRIMP both ways and the five zones the new way, in CPU time (the machine may be shared).
"""

from __future__ import annotations

import argparse
import random
import time

import pandas as pd

from loadwatch.load.engine import HeartRateProfile, run_loads
from loadwatch.load.params import LoadParams
from loadwatch.load.trimp import banister_trimp
from loadwatch.load.zones import decode, zone_seconds
from loadwatch.model import decode_histogram, encode_histogram


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2000)
    n = ap.parse_args().runs
    rnd = random.Random(1)
    hists = [
        encode_histogram({b: float(rnd.randint(1, 60)) for b in range(110, 185)}) for _ in range(n)
    ]
    runs = pd.DataFrame(
        {"hr_histogram": hists, "avg_hr": 150.0, "moving_s": 3600.0, "distance_m": 10_000.0}
    )
    hr = HeartRateProfile(50, 190, "female")
    params = LoadParams(load_basis="trimp")

    t = time.process_time()
    new = run_loads(runs, params, hr)
    t_new = time.process_time() - t
    t = time.process_time()
    old = runs.apply(
        lambda r: banister_trimp(decode_histogram(r["hr_histogram"]), 50, 190, "female"), axis=1
    )
    t_old = time.process_time() - t
    t = time.process_time()
    zone_seconds(decode(runs["hr_histogram"]), 50, 190)
    t_zones = time.process_time() - t
    print(f"{n} runs, 75 heart rates each (CPU seconds)")
    print(f"TRIMP, row by row (before)   {t_old:8.3f}")
    print(f"TRIMP, decoded once (now)    {t_new:8.3f}   {t_old / t_new:.1f}x")
    print(f"five zones, decoded once     {t_zones:8.3f}")
    print(f"largest difference between the two TRIMPs: {float((new - old).abs().max()):.1e}")


if __name__ == "__main__":
    main()
