"""Write the 16 one-hour runs the process and fault tests import (needs the `test` extra: fit-tool).

    python tests/data/runs/generate.py          write them here
    python tests/data/runs/generate.py --check  say whether the stored files are what it writes

Each run is 10 km at 1 Hz (about 3,300 records, 76 kB), one a day from 2026-09-01 06:00 UTC, seed =
its number, written by `loadwatch.synth`: long enough to keep a process pool's workers decoding while
a test kills one. Writing them costs about 30 s of CPU (fit-tool builds each record in Python), so
the output is committed and the tests only copy it; run this again only to change the runs.
"""

from __future__ import annotations

import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "src"))

from loadwatch.synth import SyntheticRun, write_run  # noqa: E402

RUNS = 16
OUT = Path(__file__).resolve().parent


def name(i: int) -> str:
    return f"run-{i:02d}.fit"


def write(args: tuple[int, str]) -> None:
    i, folder = args
    start = datetime(2026, 9, 1, 6, 0, tzinfo=UTC) + timedelta(days=i)
    write_run(SyntheticRun(start, 10_000.0, seed=i), Path(folder) / name(i))


def main(argv: list[str]) -> int:
    check = "--check" in argv
    with tempfile.TemporaryDirectory() as tmp:
        folder = tmp if check else str(OUT)
        with ProcessPoolExecutor() as pool:
            list(pool.map(write, [(i, folder) for i in range(RUNS)]))
        if not check:
            return 0
        stale = [
            name(i)
            for i in range(RUNS)
            if not (OUT / name(i)).exists()
            or (OUT / name(i)).read_bytes() != (Path(tmp) / name(i)).read_bytes()
        ]
    for n in stale:
        print(f"{n}: differs from what loadwatch.synth writes now (run without --check)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
