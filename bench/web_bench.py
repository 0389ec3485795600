"""The dashboard for a club, side by side with the daily check's one pass over the same club.

    python bench/web_bench.py [--athletes 100 1000] [--backends sqlite postgres] [--years 2]
                              [--history-years 10] [--concurrent 200] [--skip-check]

Builds each club (bench/store_bench.py's runners, their runs ending today), runs the real
`loadwatch check` twice (the first sends what there is and stores every athlete's state; the
second, timed, finds nothing new: the one pass the pages are compared with), starts the real `loadwatch web` and times, one request after another:
  * the team page and the alerts page the first time (states as the check stored them) and
    warm (the median of 5);
  * the team page after every athlete's state was made stale (a new revision): the cost of
    recomputing a whole club in one pass, what a page pays when no check has run since a change;
  * an athlete page of a runner with `--history-years` of runs, the first time (its report and
    charts are made), warm (the median of 5: made once per revision of the runner's data) and
    right after a change to the runner's data (as after an edit on the page); each as the page
    itself ("page") and until its charts are there too ("+charts": the page, then its images
    asked for 6 at a time, as a browser does; a loadwatch that draws them inline has none);
then, on the smallest club, `--concurrent` clients asking for the team page at once (p50, p95,
slowest, and how many were answered 503), and again right after every athlete's state was made
stale (the page must be made again, from a club to recompute). With `--refresh SRC...`, after each
club's row, the background refresh of each source tree's `loadwatch web` in turn (see refresh()).
Times are wall time at the client
on this machine, which includes the HTTP round trip: the server's own time is at most that.
Ratios are page over check. The load average is printed: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import store_bench

HERE = Path(__file__).resolve().parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Web:
    """`loadwatch web` in its own process."""

    def __init__(self, url: str, config: Path, src: str | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "loadwatch", "--db", url, "--config", str(config)]
        # Its stderr to a file, not a pipe nobody reads: a server that logs (the background
        # refresh's warnings) would block once a pipe's buffer filled.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [*cmd, "web", "--port", str(self.port)],
            env=ENV if src is None else {**ENV, "PYTHONPATH": src},
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"loadwatch web died: {self.log.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("loadwatch web did not start")

    def get(self, path: str) -> tuple[float, int]:
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(self.base + path, timeout=600) as r:
                r.read()
                code = r.status
        except urllib.error.HTTPError as e:
            code = e.code
        return time.perf_counter() - t, code

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def build_history(url: str, years: int) -> int:
    """One runner with `years` of runs ending today: the athlete page's worst case."""
    from loadwatch.model import FileRecord
    from loadwatch.store import open_store

    with open_store(url) as store:
        a = store.athletes.add("veteran", "v@club.test", "Europe/Berlin")
        runs = store_bench.club_runs(99_999, years)
        store.files.save(a.id, FileRecord("bench://veteran", 1, 1, "veteran", "imported", runs))
        return a.id


def stale_all(url: str, athlete_id: int | None = None) -> None:
    """Every athlete's state stale (or one's), as after a change to each (the triggers' bump)."""
    sql = "UPDATE snapshots SET revision = revision + 1"
    if athlete_id is not None:
        sql += f" WHERE athlete_id = {int(athlete_id)}"
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)
    else:
        with sqlite3.connect(url) as conn:
            conn.execute(sql)


IMAGE = re.compile(r"<img src='([^']+)'")


def page_and_images(web: Web, path: str) -> tuple[float, float]:
    """(the page, the page and its images) in seconds, the images asked for 6 at a time."""
    t = time.perf_counter()
    with urllib.request.urlopen(web.base + path, timeout=300) as r:
        html = r.read().decode()
    page = time.perf_counter() - t
    images = IMAGE.findall(html)
    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda src: web.get(src.replace("&amp;", "&"))[1], images))
    if any(c != 200 for c in codes):
        raise SystemExit(f"an image of {path} answered {codes}")
    return page, time.perf_counter() - t


def stale_count(url: str) -> int:
    """How many stored states are stale by revision (what stale_all does to every one)."""
    sql = "SELECT count(*) FROM snapshots WHERE computed_revision IS NULL OR computed_revision <> revision"
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(sql).fetchone()
    else:
        with sqlite3.connect(url) as conn:
            row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def refresh(url: str, config: Path, src: str, timeout_s: float) -> None:
    """The background refresh of `src`'s `loadwatch web` (main's has none): after every state
    was made stale, the time until all are current again with no request; the team page asked
    for once that time (or `timeout_s`) has passed; and the team page asked for 1 s after the
    change, while a refresh runs."""
    web = Web(url, config, src)
    try:
        web.get("/")  # every state current, the page made
        time.sleep(3)  # and the server's own follow-up settled
        load = os.getloadavg()[0]
        stale_all(url)
        t = time.perf_counter()
        while stale_count(url) and time.perf_counter() - t < timeout_s:
            time.sleep(0.1)
        current = time.perf_counter() - t
        left = stale_count(url)
        after = web.get("/")[0]
        stale_all(url)
        time.sleep(1)
        during = web.get("/")[0]
        done = f"{current:6.1f}s" if not left else f"never in {timeout_s:.0f}s ({left} stale)"
        print(
            f"{'':>9}{src}: all current again after {done} with no request; team page after "
            f"that {after:.3f}s, 1 s after the change {during:.2f}s (load average {load:.1f})",
            flush=True,
        )
    finally:
        web.stop()


def concurrent(web: Web, path: str, n: int) -> tuple[list[float], list[int]]:
    times: list[float] = [0.0] * n
    codes: list[int] = [0] * n
    start = threading.Barrier(n)

    def one(i: int) -> None:
        start.wait()
        times[i], codes[i] = web.get(path)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, codes


def burst(web: Web, n: int, what: str) -> None:
    load = os.getloadavg()[0]
    times, codes = concurrent(web, "/", n)
    ok = sum(1 for c in codes if c == 200)
    p = statistics.quantiles(sorted(times), n=20)
    print(
        f"{'':>9}{n} concurrent {what}: p50 {statistics.median(times):.2f}s, "
        f"p95 {p[18]:.2f}s, slowest {max(times):.2f}s; {ok} answered 200, "
        f"{codes.count(503)} 503 (load average {load:.1f})",
        flush=True,
    )


def median_of(web: Web, path: str, n: int = 5) -> float:
    return statistics.median(web.get(path)[0] for _ in range(n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--athletes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--history-years", type=int, default=10)
    ap.add_argument("--concurrent", type=int, default=200)
    ap.add_argument("--skip-check", action="store_true", help="no check first (older loadwatch)")
    ap.add_argument(
        "--refresh",
        nargs="+",
        metavar="SRC",
        default=[],
        help="after each club's row, the background refresh of each source tree's loadwatch web "
        "(e.g. ../main/src src), one after another on the same club",
    )
    ap.add_argument("--refresh-timeout", type=float, default=120.0)
    args = ap.parse_args()
    # The club's runs end today, so the pages describe today (what a stored state is for).
    store_bench.AS_OF = datetime.now(UTC).date()

    with tempfile.TemporaryDirectory(prefix="lw-web-bench-") as tmp:
        work = Path(tmp)
        smtp, _sink, config = store_bench.smtp_sink(work)
        server = None
        try:
            print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
            head = (
                f"{'backend':>9}{'athletes':>9}{'check':>8}{'team 1st':>10}{'team':>8}"
                f"{'alerts':>8}{'stale team':>11}{'team/check':>11}"
            )
            print(head)
            print(f"{'':>9}athlete page of {args.history_years} years: first, warm (median of "
                  "5), after a change; page / page+charts")  # fmt: skip
            for backend in args.backends:
                for n in args.athletes:
                    if backend == "postgres":
                        if server is None:
                            import pgserver

                            server = pgserver.get_server(work / "pg", cleanup_mode="stop")
                        db = f"club{n}"
                        server.psql(f"DROP DATABASE IF EXISTS {db};")
                        server.psql(f"CREATE DATABASE {db};")
                        url = server.get_uri(db)
                    else:
                        url = str(work / f"club-{n}.db")
                    store_bench.build(url, n, args.years)
                    veteran = build_history(url, args.history_years)
                    check = 0.0
                    if not args.skip_check:
                        # The first check of the day sends what there is (and stores every
                        # state); the one timed is the next, that finds nothing new: the pass.
                        timed_check_today(url, config)
                        check, _ = timed_check_today(url, config)
                    web = Web(url, config)
                    try:
                        first = web.get("/")[0]
                        team = median_of(web, "/")
                        alerts = median_of(web, "/alerts")
                        stale = float("nan")
                        if not args.skip_check:  # an older loadwatch stores no states
                            stale_all(url)
                            stale = web.get("/")[0]
                        ratio = f"{team / check:.3f}" if check else "-"
                        print(
                            f"{backend:>9}{n:>9}{check:>7.2f}s{first:>9.3f}s{team:>7.3f}s"
                            f"{alerts:>7.3f}s{stale:>10.2f}s{ratio:>11}",
                            flush=True,
                        )
                        path = f"/athletes/{veteran}"
                        athlete_1st = page_and_images(web, path)
                        warm = [page_and_images(web, path) for _ in range(5)]
                        athlete = tuple(statistics.median(w[i] for w in warm) for i in (0, 1))
                        stale_all(url, veteran)
                        changed = page_and_images(web, path)
                        shown = "  ".join(
                            f"{what} {a:.3f}s / {b:.3f}s"
                            for what, (a, b) in (
                                ("first", athlete_1st), ("warm", athlete), ("changed", changed)
                            )
                        )  # fmt: skip
                        print(f"{'':>9}athlete: {shown}", flush=True)
                        if n == min(args.athletes) and args.concurrent:
                            burst(web, args.concurrent, "team pages")
                            if not args.skip_check:
                                # The same right after a change to every athlete: the first
                                # requests find every state stale and the page not made yet.
                                stale_all(url)
                                burst(web, args.concurrent, "team pages after a change")
                    finally:
                        web.stop()
                    for src in args.refresh:
                        refresh(url, config, str(Path(src).resolve()), args.refresh_timeout)
        finally:
            smtp.stop()
            if server is not None:
                server.cleanup()


def timed_check_today(url: str, config: Path) -> tuple[float, list[int]]:
    """`loadwatch check` for today (the club's runs end today): the one pass, timed."""
    cmd = [sys.executable, "-m", "loadwatch", "--db", url, "--config", str(config), "check"]
    t = time.perf_counter()
    p = subprocess.run(cmd, env=ENV, capture_output=True)
    elapsed = time.perf_counter() - t
    if p.returncode not in (0, 75):
        raise SystemExit(f"check failed ({p.returncode}): {p.stderr.decode()}")
    return elapsed, [p.returncode]


if __name__ == "__main__":
    main()
