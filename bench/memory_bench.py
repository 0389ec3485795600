"""Peak memory of one import batch made of the largest files each format may be.

    python bench/memory_bench.py

A folder of files at (just under) their format's cap, FIT 12 MiB (chained runs), GPX 48 MiB
(streamed), TCX 16 MiB, three of each, plus 500 KiB FIT files (the native decoder's largest) and a
hundred ordinary runs; then the real `loadwatch import`, its whole process tree sampled every 20 ms.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from export_bench import timed_import
from import_bench import generate
from loadwatch.importers import FORMAT_LIMITS

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "corpus"


def _grow(src: str, open_tag: str, close_tag: str, size: int) -> str:
    """A track grown to `size` bytes by repeating its points, the rest of the file kept."""
    i, j = src.index(open_tag) + len(open_tag), src.rindex(close_tag)
    body = src[i:j]
    return src[:i] + body * max(1, (size - len(src)) // len(body)) + src[j:]


def main() -> None:
    runs = generate(160)
    tmp = Path(tempfile.mkdtemp(prefix="lw-memory-bench-"))
    try:
        folder = tmp / "batch"
        folder.mkdir()
        fit_cap, gpx_cap, tcx_cap = (FORMAT_LIMITS[k] - 2**16 for k in ("fit", "gpx", "tcx"))

        def chained(cap: int) -> bytes:
            out = b""
            for p in runs:
                data = p.read_bytes()
                if len(out) + len(data) > cap:
                    return out
                out += data
            return out

        for k in range(3):
            (folder / f"chained-{k}.fit").write_bytes(chained(fit_cap))
            gpx = (CORPUS / "gpx/sweatpy-activity_4801048867.gpx").read_text()
            (folder / f"long-{k}.gpx").write_text(_grow(gpx, "<trkseg>", "</trkseg>", gpx_cap))
            tcx = (CORPUS / "tcx/sweatpy-activity_4801048867.tcx").read_text()
            (folder / f"long-{k}.tcx").write_text(_grow(tcx, "<Track>", "</Track>", tcx_cap))
            (folder / f"native-{k}.fit").write_bytes(chained(512 * 2**10))
        for p in runs[:100]:
            os.link(p, folder / p.name)
        sizes = sorted((p.stat().st_size for p in folder.iterdir()), reverse=True)
        for p in sorted(folder.iterdir())[:12]:
            print(f"  {p.name}: {p.stat().st_size / 2**20:.2f} MiB")
        seconds, peak, summary = timed_import(tmp / "m.db", folder)
        print(
            f"batch: {len(sizes)} files, {sum(sizes) / 2**20:.0f} MiB; largest "
            + ", ".join(f"{s / 2**20:.1f}" for s in sizes[:4])
            + f" MiB; {os.cpu_count()} cores"
        )
        print(
            f"import: {seconds:.1f} s, {summary['activities']} activities, "
            f"{len(summary['failed'])} failed; peak RSS of the process tree {peak / 1024:.0f} MiB"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
