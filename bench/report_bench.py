"""Report speed: `loadwatch report` for a runner with 10 years of daily running, as the user waits.

    python bench/report_bench.py [--years 10]

Builds one athlete (a run almost every day, long runs on Sundays, heart rate; cached in bench/out/)
and times the real CLI in a fresh process, side by side: plain text, JSON (the shown weeks), JSON of
every day (`--all-days`), and text with the HTML page and its charts. Each is the median of 5 runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = date(2026, 11, 1)


def history(years: int) -> list:
    from loadwatch.model import Activity

    rng = random.Random(years)
    days = 365 * years
    out = []
    for d in range(days):
        day = AS_OF - timedelta(days=days - 1 - d)
        if rng.random() < 0.1:
            continue
        km = rng.uniform(6, 12) * (rng.uniform(1.5, 2.2) if day.weekday() == 6 else 1.0)
        out.append(
            Activity(
                sport="running",
                sub_sport=None,
                start_utc=datetime.combine(day, dtime(6, rng.randrange(60)), UTC),
                distance_m=round(km * 1000),
                moving_s=km * 330,
                elapsed_s=km * 340,
                source_format="fit",
                source_path=f"bench/{d}.fit",
                content_hash=f"day-{d}",
                avg_hr=148.0,
                hr_histogram_s={h: 30.0 for h in range(120, 175)},
            )
        )
    return out


def build(db: Path, years: int) -> None:
    from loadwatch.model import FileRecord
    from loadwatch.store import open_store

    if db.exists():
        return
    with open_store(str(db)) as store:
        a = store.athletes.add("runner", None, "Europe/Berlin", 50, 190, "f")
        record = FileRecord("bench://history", 1, 1, "history", "imported", history(years))
        store.files.save(a.id, record)


# As on a user's machine: Python caches compiled modules (some shells and CI images turn it off,
# which adds ~0.1 s of compiling to every start of the CLI).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(db: Path, *args: str) -> tuple[float, int]:
    cmd = [sys.executable, "-m", "loadwatch", "--db", str(db), "report", "--as-of", str(AS_OF)]
    runs, size = [], 0
    subprocess.run([*cmd, *args], capture_output=True, check=True, env=ENV)  # warm: caches
    for _ in range(5):
        t = time.perf_counter()
        out = subprocess.run([*cmd, *args], capture_output=True, check=True, env=ENV)
        runs.append(time.perf_counter() - t)
        size = len(out.stdout)
    return statistics.median(runs), size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    db = out / f"report-{args.years}y.db"
    build(db, args.years)
    print(f"one athlete, {args.years} years of daily running ({len(history(args.years)):,} runs)")
    print(f"{'loadwatch report':34}{'seconds':>9}{'output':>12}")
    html = out / "report-bench.html"
    for label, extra in (
        ("text (12 weeks)", []),
        ("--json (12 weeks)", ["--json"]),
        ("--json --weeks 520", ["--json", "--weeks", "520"]),
        ("--json --all-days", ["--json", "--all-days"]),
        ("text + --html (charts)", ["--html", str(html)]),
    ):
        seconds, size = timed(db, *extra)
        print(f"{label:34}{seconds:>9.2f}{size / 1024:>10.0f} KB")


if __name__ == "__main__":
    main()
