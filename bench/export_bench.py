"""Account exports: a Strava export of 1,000 activities and 500 MB of media, imported from disk.

    python bench/export_bench.py [--activities 1000] [--media-mb 500]

Builds the export once (cached in bench/out/): activities/*.fit.gz stored as Strava stores them,
activities.csv and shoes.csv in Strava's English columns, and media/ files of random bytes (photos
and videos the importer must never read). Then times, side by side, the real `loadwatch import`
of the export and of the same runs as a plain folder of .fit files, each into a fresh database,
with the peak memory of the whole process tree (the import and its workers, sampled every 20 ms).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from import_bench import ENV, generate

HERE = Path(__file__).resolve().parent

HEADER = [
    "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
    "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute",
    "Activity Private Note", "Activity Gear", "Filename", "Athlete Weight", "Bike Weight",
    "Elapsed Time", "Moving Time", "Distance", "Max Speed", "Average Speed", "Elevation Gain",
    "Max Heart Rate", "Average Heart Rate",
]  # fmt: skip


def build(path: Path, runs: list[Path], media_mb: int) -> None:
    if path.exists():
        return
    part = path.with_suffix(".part")
    rows = [HEADER]
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, run in enumerate(runs):
            member = f"activities/{1000 + i}.fit.gz"
            zf.writestr(member, gzip.compress(run.read_bytes()), compress_type=zipfile.ZIP_STORED)
            start = datetime(2024, 1, 1, 6, 0, tzinfo=UTC) + timedelta(days=i, minutes=i % 60)
            rows.append(
                [str(1000 + i), start.strftime("%b %-d, %Y, %-I:%M:%S %p"), f"Run {i}", "Run", "",
                 "3600", "10.80", "", "", "false", "", "Nike Pegasus 40", member, "", "",
                 "3600", "3590", "10800.0", "", "", "", "", ""]
            )  # fmt: skip
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        zf.writestr("activities.csv", text.getvalue())
        zf.writestr(
            "shoes.csv",
            "Shoe Name,Shoe Brand,Shoe Model,Shoe Default Sport Types\n,Nike,Pegasus 40,Run\n",
        )
        chunk = 4 * 2**20
        for i in range(media_mb // 4):  # 4 MB photos and videos, written without holding them
            name = f"media/{i:04d}.{'mp4' if i % 5 == 0 else 'jpg'}"
            with zf.open(zipfile.ZipInfo(name), "w") as f:
                f.write(os.urandom(chunk))
    part.rename(path)


def _tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        parents[int(entry)] = int(fields["PPid"])
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [p for p, pp in parents.items() if pp == pid and p not in tree]
    return sum(rss.get(p, 0) for p in tree)


def timed_import(db: Path, source: Path) -> tuple[float, int, dict]:
    base = [sys.executable, "-m", "loadwatch", "--db", str(db)]
    subprocess.run([*base, "athletes", "add", "bench"], check=True, capture_output=True, env=ENV)
    t = time.perf_counter()
    proc = subprocess.Popen(
        [*base, "import", str(source), "--json"], stdout=subprocess.PIPE, env=ENV
    )
    peak = 0

    def sample() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - t
    sampler.join()
    return seconds, peak, json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--activities", type=int, default=1000)
    ap.add_argument("--media-mb", type=int, default=500)
    args = ap.parse_args()
    runs = generate(args.activities)
    export = HERE / "out" / f"strava-export-{args.activities}-{args.media_mb}mb.zip"
    build(export, runs, args.media_mb)
    tmp = Path(tempfile.mkdtemp(prefix="lw-export-bench-"))
    try:
        folder = tmp / "runs"
        folder.mkdir()
        for p in runs:
            os.link(p, folder / p.name)
        loose = timed_import(tmp / "loose.db", folder)
        whole = timed_import(tmp / "export.db", export)
        print(
            f"Strava export: {args.activities} activities (.fit.gz) + {args.media_mb} MB of media, "
            f"{export.stat().st_size / 2**20:.0f} MiB zip, {os.cpu_count()} cores"
        )
        print(f"{'':34}{'seconds':>9}{'activities':>12}{'peak RSS':>11}{'vs folder':>11}")
        for label, (seconds, peak, summary) in (
            ("the same runs as a folder", loose),
            ("the export zip, from disk", whole),
        ):
            print(
                f"{label:34}{seconds:>9.2f}{summary['activities']:>12}{peak / 1024:>8.0f} MiB"
                f"{seconds / loose[0]:>10.2f}x"
            )
        failed = whole[2]["failed"]
        print(f"failed members: {len(failed)}" + (f" (first: {failed[0]})" if failed else ""))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
