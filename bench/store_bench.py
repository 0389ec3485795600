"""The daily check of a club, side by side: SQLite, and PostgreSQL with 1, 2 and 4 workers.

    python bench/store_bench.py [--athletes 1000] [--years 2]

Builds the same club in both backends through the store's own API (N athletes, each with `years`
of generated runs, 3-6 a week, with an occasional long run), then times, in one run, the real
`loadwatch check` (import, engine, rules, ledger writes and emails to a local aiosmtpd server):
  * SQLite: one `loadwatch check` (a file has one writer at a time);
  * PostgreSQL: 1, 2 and 4 `loadwatch check --worker` processes started together.
Before each timed check the ledger is emptied, so every run does the same work (the first check
of every athlete: history recorded as known, the last days' alerts sent). Ratios are against the
SQLite run.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

AS_OF = date(2026, 11, 1)


def club_runs(athlete: int, years: int) -> list:
    """One athlete's runs: a steady base with a long run most weekends and the odd big jump."""
    from loadwatch.model import Activity

    rng = random.Random(athlete)
    days = 365 * years
    out = []
    base_km = rng.uniform(5, 12)
    for d in range(days):
        day = AS_OF - timedelta(days=days - 1 - d)
        if rng.random() > rng.uniform(0.45, 0.8):
            continue
        km = base_km * rng.uniform(0.7, 1.3)
        if day.weekday() == 6:
            km *= rng.uniform(1.4, 2.2)
        if rng.random() < 0.01:
            km *= 2.0
        start = datetime.combine(day, dtime(6, rng.randrange(60)), UTC)
        out.append(
            Activity(
                sport="running",
                sub_sport=None,
                start_utc=start,
                distance_m=round(km * 1000),
                moving_s=km * 330,
                elapsed_s=km * 340,
                source_format="fit",
                source_path=f"bench/{athlete}/{d}.fit",
                content_hash=f"{athlete}-{d}",
                avg_hr=148.0,
            )
        )
    return out


def build(url: str, athletes: int, years: int) -> float:
    from loadwatch.model import FileRecord
    from loadwatch.store import open_store

    t = time.perf_counter()
    with open_store(url) as store:
        for i in range(athletes):
            a = store.athletes.add(f"athlete{i:04d}", f"a{i}@club.test", "Europe/Berlin")
            runs = club_runs(i, years)
            store.files.save(a.id, FileRecord(f"bench://{i}", 1, 1, f"club-{i}", "imported", runs))
    return time.perf_counter() - t


RESET = [
    "DELETE FROM alerts",
    "DELETE FROM digests",
    "UPDATE athletes SET alerts_since = NULL",
]


def reset(url: str) -> None:
    """Empty the ledger, so the next check does the same work as the first."""
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            for sql in [*RESET, "DELETE FROM check_claims"]:
                conn.execute(sql)
    else:
        with sqlite3.connect(url) as conn:
            for sql in RESET:
                conn.execute(sql)


def timed_check(url: str, config: Path, workers: int) -> tuple[float, list[int]]:
    cmd = [sys.executable, "-m", "loadwatch", "--db", url, "--config", str(config)]
    cmd += ["check", "--as-of", AS_OF.isoformat()] + (["--worker"] if workers else [])
    t = time.perf_counter()
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE) for _ in range(max(workers, 1))]
    codes = [p.wait() for p in procs]
    elapsed = time.perf_counter() - t
    for p, c in zip(procs, codes, strict=True):
        if c not in (0, 75):
            raise SystemExit(f"check failed ({c}): {p.stderr.read().decode() if p.stderr else ''}")
    return elapsed, codes


class _Sink:
    count = 0  # messages accepted, for every instance

    async def handle_DATA(self, server, session, envelope):
        _Sink.count += 1
        return "250 OK"


def smtp_sink(work: Path):
    """A local SMTP server that accepts and counts; the config file that sends to it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(_Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    config = work / "loadwatch.toml"
    config.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'from = "loadwatch <bench@club.test>"\n'
    )
    return smtp, _Sink, config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--athletes", type=int, default=1000)
    ap.add_argument("--years", type=int, default=2)
    args = ap.parse_args()

    import pgserver

    with tempfile.TemporaryDirectory(prefix="lw-store-bench-") as tmp:
        work = Path(tmp)
        smtp, Sink, config = smtp_sink(work)
        server = pgserver.get_server(work / "pg", cleanup_mode="stop")
        try:
            pg_url = server.get_uri()
            sqlite_url = str(work / "club.db")
            print(f"club: {args.athletes} athletes x {args.years} years, check as of {AS_OF}")
            for name, url in (("SQLite", sqlite_url), ("PostgreSQL", pg_url)):
                print(f"  building {name}: {build(url, args.athletes, args.years):.1f} s")
            runs = [("SQLite, 1 check", sqlite_url, 0)] + [
                (f"PostgreSQL, {n} worker{'s' if n > 1 else ''}", pg_url, n) for n in (1, 2, 4)
            ]
            results = []
            for label, url, workers in runs:
                reset(url)
                before = Sink.count
                seconds, _ = timed_check(url, config, workers)
                results.append((label, seconds, Sink.count - before))
            base = results[0][1]
            print()
            print(f"{'':<26}{'seconds':>9}{'athletes/s':>12}{'emails':>8}{'vs SQLite':>11}")
            for label, seconds, emails in results:
                print(
                    f"{label:<26}{seconds:>9.1f}{args.athletes / seconds:>12.1f}{emails:>8}"
                    f"{base / seconds:>10.2f}x"
                )
            print(f"\n(this machine: {os.cpu_count()} cores)")
        finally:
            server.cleanup()
            smtp.stop()


if __name__ == "__main__":
    main()
