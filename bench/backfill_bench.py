"""`activities backfill` of runs from an account export: the archive opened once for all its runs,
against once per run, side by side.

    python bench/backfill_bench.py [--activities 200] [--media-mb 200] [--repeat 3]

Builds the Strava export of export_bench.py (one-hour 1 Hz FIT runs as activities/*.fit.gz, and
media the importer never reads; cached in bench/out/), imports it with the real CLI into a fresh
SQLite database, and sets every run's signals NULL, as rows stored before loadwatch read them.
Then times, on the same database and archive:
  * once per run (the reference): for each run, the archive hashed, opened and its one member
    read and decoded (backfill's own `_from_archive` with that run alone): what a backfill that
    did not group runs by archive would do. It only reads; nothing is written.
  * once per archive: the real backfill (`backfill.backfill`): one hash, one opening, every
    member read and decoded, one transaction of writes; the signals are reset before each repeat.
Both decode every member once, in this process; the difference is the hashing and opening.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from export_bench import build, timed_import
from import_bench import generate
from loadwatch.backfill import _from_archive, backfill
from loadwatch.store import open_store

HERE = Path(__file__).resolve().parent
SIGNALS = ("step_rate_spm", "ascent_m", "descent_m", "avg_pace_s_per_km", "hr_drift_pct")


def _forget_signals(db: Path) -> None:
    with open_store(db) as store, store.transaction():
        store.db.execute(f"UPDATE activities SET {', '.join(f'{c} = NULL' for c in SIGNALS)}")


def once_per_run(db: Path) -> tuple[float, int]:
    """(seconds, runs read) with the archive hashed and opened for each run."""
    with open_store(db) as store:
        athlete = store.athletes.named("bench").id
        files = {i: (p, h) for i, p, h in store.files.imported(athlete)}
        runs = store.activities.missing_signals(athlete)
        t = time.perf_counter()
        read = 0
        for run in runs:
            assert run.file_id is not None
            path, digest = files[run.file_id]
            (outcome,) = _from_archive(path, digest, [run], None)
            read += not isinstance(outcome, str)
        return time.perf_counter() - t, read


def once_per_archive(db: Path) -> tuple[float, int]:
    """(seconds, runs filled) of the real backfill, the signals unknown again first."""
    _forget_signals(db)
    with open_store(db) as store:
        athlete = store.athletes.named("bench").id
        t = time.perf_counter()
        done = backfill(store, athlete)
        return time.perf_counter() - t, done.filled


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--activities", type=int, default=200)
    ap.add_argument("--media-mb", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    runs = generate(args.activities)
    export = HERE / "out" / f"strava-export-{args.activities}-{args.media_mb}mb.zip"
    build(export, runs, args.media_mb)
    tmp = Path(tempfile.mkdtemp(prefix="lw-backfill-bench-"))
    try:
        db = tmp / "export.db"
        timed_import(db, export)
        _forget_signals(db)
        per_run = min((once_per_run(db) for _ in range(args.repeat)), key=lambda r: r[0])
        per_archive = min((once_per_archive(db) for _ in range(args.repeat)), key=lambda r: r[0])
        assert per_run[1] == per_archive[1] == args.activities, (per_run, per_archive)
        print(
            f"Strava export: {args.activities} one-hour FIT runs (.fit.gz) + {args.media_mb} MB "
            f"of media, {export.stat().st_size / 2**20:.0f} MiB zip, {os.cpu_count()} cores; "
            f"best of {args.repeat}"
        )
        print(f"{'':40}{'seconds':>9}{'runs':>6}{'ms/run':>8}{'vs per run':>12}")
        for label, (seconds, n) in (
            ("archive opened once per run (reference)", per_run),
            ("archive opened once (backfill)", per_archive),
        ):
            print(
                f"{label:40}{seconds:>9.2f}{n:>6}{seconds / n * 1000:>8.1f}"
                f"{seconds / per_run[0]:>11.2f}x"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
