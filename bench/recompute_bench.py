"""The whole-club recompute, side by side: every athlete's state computed in one pass, what a page
pays when every state is stale (and what the check's pass stores), with this tree's loadwatch and
another tree's, alternately, so that both see the same minutes of a shared machine.

    python bench/recompute_bench.py --against /path/to/other/src [--athletes 1000] [--years 2]
                                    [--rounds 3] [--db club.db]

Builds a club in SQLite (bench/store_bench.py's runners, their runs ending today) unless `--db`
names one, then times `snapshot.current_states` over every athlete with nothing stored (each
state computed, none written) in a fresh process per run: this tree's `src`, then `--against`.
Prints each round's seconds, the ratio (other over this) and the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import store_bench

SRC = Path(__file__).resolve().parent.parent / "src"
TIMED = """
import sys, time
from datetime import UTC, datetime
from loadwatch import snapshot
from loadwatch.config import Settings
from loadwatch.store import open_store
with open_store(sys.argv[1]) as store:
    athletes = store.athletes.all()
    t = time.perf_counter()
    states = snapshot.current_states(store, Settings(), athletes, datetime.now(UTC), write=False)
    assert states.computed == len(athletes)
    print(time.perf_counter() - t)
"""


def timed(src: Path, db: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", TIMED, db], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--against", type=Path, required=True, help="the other tree's src directory")
    ap.add_argument("--athletes", type=int, default=1000)
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--db", help="an existing club (SQLite file); built when not given")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lw-recompute-bench-") as tmp:
        db = args.db
        if db is None:
            store_bench.AS_OF = datetime.now(UTC).date()
            db = str(Path(tmp) / "club.db")
            store_bench.build(db, args.athletes, args.years)
        print(f"{os.cpu_count()} cores; every state of {db} computed, nothing stored")
        print(f"{'round':>6}{'this':>9}{'other':>9}{'other/this':>12}{'load':>7}")
        for i in range(1, args.rounds + 1):
            this = timed(SRC, db)
            other = timed(args.against, db)
            load = os.getloadavg()[0]
            print(
                f"{i:>6}{this:>8.2f}s{other:>8.2f}s{other / this:>11.1f}x{load:>7.1f}", flush=True
            )


if __name__ == "__main__":
    main()
