"""Time and peak memory of an import meeting hostile input, next to sixteen ordinary runs.

    python bench/hostile_bench.py

Each case is a folder of one hostile file and sixteen one-hour runs, imported by the real
`loadwatch import` (a process pool); its whole process tree is sampled every 20 ms:
- a 2.8 KB `.fit.gz` inflating to a valid 2.8 MB FIT of 1.4 million two-byte records,
- the same FIT not compressed,
- a zip of four stored (not compressed) 250 MiB members named `.fit` and one real run,
- a GPX with one 20 MB attribute.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from export_bench import timed_import
from import_bench import generate
from loadwatch.synth import dense_fit

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "corpus"


def _stored_zip(path: Path, run: Path) -> None:
    block = b"\0" * 2**20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for k in range(4):
            with zf.open(f"big-{k}.fit", "w", force_zip64=True) as f:
                for _ in range(250):
                    f.write(block)
        zf.write(run, "run.fit")


def main() -> None:
    runs = generate(16)
    tmp = Path(tempfile.mkdtemp(prefix="lw-hostile-bench-"))
    dense = dense_fit(1_400_000)
    gpx = (CORPUS / "gpx/togeojson-run.gpx").read_text()
    cases = {
        "2.8 KB .fit.gz bomb": lambda d: (d / "bomb.fit.gz").write_bytes(gzip.compress(dense, 9)),
        "2.8 MB dense FIT": lambda d: (d / "dense.fit").write_bytes(dense),
        "zip, 4 stored 250 MiB .fit": lambda d: _stored_zip(d / "stored.zip", runs[0]),
        "GPX with a 20 MB attribute": lambda d: (d / "attr.gpx").write_text(
            gpx.replace("<gpx ", f'<gpx x="{"x" * 20_000_000}" ', 1)
        ),
    }
    try:
        print(f"{'case (+ 16 runs)':30}{'seconds':>9}{'peak RSS':>11}  outcome")
        for n, (label, make) in enumerate(cases.items()):
            folder = tmp / f"case-{n}"
            folder.mkdir()
            make(folder)
            for p in runs:
                os.link(p, folder / p.name)
            seconds, peak, summary = timed_import(tmp / f"{n}.db", folder)
            reasons = "; ".join(sorted({f["reason"] for f in summary["failed"]}))
            print(f"{label:30}{seconds:9.1f}{peak / 1024:8.0f} MiB  {summary['activities']} "
                  f"activities; {reasons[:110]}")  # fmt: skip
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
