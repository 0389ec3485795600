"""Run page speed: one run of a runner with 10 years of daily running, as the user waits.

    python bench/run_page_bench.py [--years 10]

Builds the athlete of report_bench.py (cached in bench/out/) plus one real 1 Hz FIT run of
12 km written by fit-tool (about 4,000 records), then times, each the median of 5:
`loadwatch activities show ID` and `--json` in a fresh process, and `GET /activities/ID`,
`GET /athletes/ID` and `GET /athletes/ID/totals` on a running `loadwatch web`. The run page reads
its one file; the athlete page reads none.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from report_bench import AS_OF, ENV, HERE, build, history


def cli(db: Path, *args: str) -> tuple[float, str]:
    cmd = [sys.executable, "-m", "loadwatch", "--db", str(db), *args]
    subprocess.run(cmd, capture_output=True, check=True, env=ENV)  # warm
    runs, out = [], ""
    for _ in range(5):
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, check=True, env=ENV, text=True).stdout
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), out


def get(url: str) -> tuple[float, int]:
    urllib.request.urlopen(url).read()  # warm
    runs, size = [], 0
    for _ in range(5):
        t = time.perf_counter()
        size = len(urllib.request.urlopen(url).read())
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    base = out / f"report-{args.years}y.db"
    build(base, args.years)
    db = out / f"runpage-{args.years}y.db"
    shutil.copyfile(base, db)
    from loadwatch.synth import SyntheticRun, write_run

    fit = out / "runpage-12km.fit"
    start = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 17, 0, tzinfo=UTC)
    write_run(SyntheticRun(start_utc=start, distance_m=12_000.0, pace_s_per_km=300.0), fit)
    subprocess.run(
        [sys.executable, "-m", "loadwatch", "--db", str(db), "import", str(fit), "-a", "runner"],
        check=True,
        capture_output=True,
        env=ENV,
    )
    from loadwatch.store import open_store

    with open_store(str(db)) as store:
        athlete = store.athletes.named("runner")
        frame = store.activities.frame(athlete.id)
        run_id = int(frame[frame["source_path"] == str(fit)]["id"].iloc[0])
    print(f"one athlete, {args.years} years ({len(history(args.years)):,} runs), one 1 Hz FIT run")
    print(f"{'':40}{'seconds':>9}")
    for label, command in (
        ("activities show ID", ["activities", "show", str(run_id)]),
        ("activities show ID --json", ["activities", "show", str(run_id), "--json"]),
        ("report (for comparison)", ["report", "--as-of", str(AS_OF)]),
        ("totals --by week", ["totals", "--as-of", str(AS_OF)]),
    ):
        seconds, _ = cli(db, *command)
        print(f"{label:40}{seconds:>9.2f}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web = subprocess.Popen(
        [sys.executable, "-m", "loadwatch", "--db", str(db), "web", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        root = f"http://127.0.0.1:{port}"
        for label, path in (
            ("GET /activities/ID", f"/activities/{run_id}"),
            ("GET /athletes/ID", f"/athletes/{athlete.id}?as_of={AS_OF}"),
            ("GET /athletes/ID/totals?by=week", f"/athletes/{athlete.id}/totals?as_of={AS_OF}"),
        ):
            seconds, size = get(root + path)
            print(f"{label:40}{seconds:>9.2f}   {size / 1024:.0f} KB")
    finally:
        web.terminate()
        web.wait(timeout=15)


if __name__ == "__main__":
    main()
