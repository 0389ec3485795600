"""Import speed: `loadwatch import` against a plain sequential fitparse loop, side by side.

    python bench/import_bench.py [--files N] [--workers W]

Generates N realistic 1-hour FIT runs (default 200, a season) (1 Hz records with position, heart rate, cadence, speed,
distance and altitude; cached in bench/out/ between runs), then times on the same files:
  * baseline: fitparse, one file after another, reading every message (what a script would do);
  * loadwatch: the real import (process pool, SQLite writes) into a fresh database;
  * loadwatch again: the same folder a second time (nothing should be decoded twice).
Peak memory is measured per phase (resource.getrusage of the children and of this process),
and for 1x and 2x the files, to show it stays flat in the number of files.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "runs"
# As on a user's machine: Python caches compiled modules (some shells and CI images turn it off).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _write(i: int) -> str:
    from loadwatch.synth import SyntheticRun, write_run

    path = OUT / f"run-{i:04d}.fit"
    if not path.exists():
        start = datetime(2024, 1, 1, 6, 0, tzinfo=UTC) + timedelta(days=i, minutes=i % 60)
        write_run(SyntheticRun(start, 10_800.0 + 10 * (i % 50), pace_s_per_km=333.0, seed=i), path)
    return str(path)


def generate(n: int) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor() as pool:
        return [Path(p) for p in pool.map(_write, range(n))]


def fitparse_loop(paths: list[Path]) -> float:
    import fitparse

    t = time.perf_counter()
    for p in paths:
        f = fitparse.FitFile(str(p))
        for msg in f.get_messages():
            msg.get_values()
    return time.perf_counter() - t


def loadwatch_import(folder: Path, db: Path, workers: int | None) -> tuple[float, int]:
    """Time the real CLI in a child process; returns (seconds, peak RSS KiB of it and its pool)."""
    cmd = [sys.executable, "-m", "loadwatch", "--db", str(db), "import", str(folder), "--json"]
    if workers:
        cmd += ["--workers", str(workers)]
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        f"r = subprocess.run({cmd!r}, capture_output=True); "
        "dt = time.perf_counter() - t; "
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "sys.exit(r.returncode)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV
    )
    seconds, rss = out.stdout.split()
    return float(seconds), int(rss)


def main() -> None:
    ap = argparse.ArgumentParser()
    # A season of daily runs: what a first import of a runner's watch folder holds.
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()

    paths = generate(args.files * 2)
    small, large = paths[: args.files], paths
    tmp = Path(tempfile.mkdtemp(prefix="lw-bench-"))
    try:
        folders = {}
        for label, files in (("n", small), ("2n", large)):
            d = tmp / label
            d.mkdir()
            for p in files:
                os.link(p, d / p.name)
            folders[label] = d

        base = fitparse_loop(small)
        results = {}
        for label in ("n", "2n"):
            db = tmp / f"{label}.db"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "loadwatch",
                    "--db",
                    str(db),
                    "athletes",
                    "add",
                    "bench",
                ],
                check=True,
                capture_output=True,
            )
            first, rss1 = loadwatch_import(folders[label], db, args.workers)
            second, _ = loadwatch_import(folders[label], db, args.workers)
            results[label] = (first, second, rss1)

        n = len(small)
        first, second, rss = results["n"]
        first2, second2, rss2 = results["2n"]
        print(
            f"files: {n} one-hour 1 Hz FIT runs ({sum(p.stat().st_size for p in small) / 2**20:.1f} MiB), "
            f"{os.cpu_count()} cores"
        )
        print(f"{'':28}{'seconds':>10}{'files/s':>10}{'vs fitparse':>13}")
        print(f"{'fitparse loop (baseline)':28}{base:>10.2f}{n / base:>10.1f}{1.0:>12.2f}x")
        print(f"{'loadwatch import':28}{first:>10.2f}{n / first:>10.1f}{base / first:>12.2f}x")
        print(
            f"{'loadwatch import, again':28}{second:>10.2f}{n / second:>10.1f}"
            f"{'':>13}  ({second / first * 100:.1f}% of the first import)"
        )
        print(
            f"{'loadwatch import, 2n files':28}{first2:>10.2f}{2 * n / first2:>10.1f}{'':>13}  again: "
            f"{second2:.2f} s ({second2 / first2 * 100:.1f}%)"
        )
        per_file = (first2 - first) / n  # the same start-up in both: what each file costs
        print(
            f"{'per file, start-up aside':28}{per_file * 1000:>9.1f}ms{1 / per_file:>10.1f}"
            f"{base / n / per_file:>12.2f}x  (start-up {first - n * per_file:.2f} s)"
        )
        print(
            f"peak RSS of the import and its workers: {rss / 1024:.0f} MiB for {n} files, "
            f"{rss2 / 1024:.0f} MiB for {2 * n} files ({first2:.2f} s)"
        )
        print(
            f"bench process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
