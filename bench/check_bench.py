"""The daily check when nothing is new: what cron pays every morning for a club.

    python bench/check_bench.py [--athletes 100 1000] [--years 2]

Builds a club in SQLite (bench/store_bench.py's runners: 2 years each), runs `loadwatch check`
once to send what there is to send (to a local SMTP sink), then times the next checks of the same
day, which find nothing new, side by side with that first one.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from store_bench import AS_OF, build, smtp_sink, timed_check


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--athletes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--years", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lw-check-bench-") as tmp:
        work = Path(tmp)
        smtp, Sink, config = smtp_sink(work)
        try:
            print(f"check as of {AS_OF}, SQLite, {os.cpu_count()} cores")
            print(f"{'athletes':>9}{'first check':>13}{'emails':>8}{'nothing new':>13}{'ratio':>8}")
            for n in args.athletes:
                url = str(work / f"club-{n}.db")
                build(url, n, args.years)
                before = Sink.count
                first, _ = timed_check(url, config, 0)
                emails = Sink.count - before
                again = min(timed_check(url, config, 0)[0] for _ in range(3))
                assert Sink.count - before == emails, "a check with nothing new sent mail"
                print(f"{n:>9}{first:>12.2f}s{emails:>8}{again:>12.2f}s{first / again:>7.1f}x")
        finally:
            smtp.stop()


if __name__ == "__main__":
    main()
