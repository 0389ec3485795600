"""Mutation fuzz: corpus files truncated, flipped, with bytes inserted or cut, imported in one batch.

Every mutated file must end as imported, skipped or failed with a one-line reason: no traceback,
no "internal error", no rows left by a file that failed, an intact database. Half of the mutated
FIT files get their header and checksums recomputed, so the decoders themselves meet the garbage
(otherwise the CRC check refuses nearly all of them before any decoding).

`make test` runs a fixed seed over 240 files; `make fuzz` (LOADWATCH_FUZZ_FILES, default 1,250 in
5 batches) the longer run.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from loadwatch.importers.fit import fit_crc

from .conftest import CORPUS

SEED = 20261125
SOURCES = sorted(
    p
    for sub in ("fit", "gpx", "tcx")
    for p in (CORPUS / sub).iterdir()
    if p.suffix in (".fit", ".gpx", ".tcx") and p.stat().st_size < 400_000
)


def fit_reframed(data: bytes) -> bytes:
    """A mutated FIT file made self-consistent again: data size and both CRCs recomputed."""
    if len(data) < 16 or data[0] not in (12, 14):
        return data
    size = data[0]
    body = bytearray(data[: len(data) - 2])
    body[4:8] = (len(body) - size).to_bytes(4, "little")
    if size == 14:
        body[12:14] = fit_crc(bytes(body[:12])).to_bytes(2, "little")
    return bytes(body) + fit_crc(bytes(body)).to_bytes(2, "little")


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    kind = rng.choice(["truncate", "flip", "insert", "delete", "flip", "splice"])
    if kind == "truncate":
        del out[rng.randrange(1, len(out)) :]
    elif kind == "flip":
        for _ in range(rng.randint(1, 16)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    elif kind == "insert":
        at = rng.randrange(len(out))
        out[at:at] = rng.randbytes(rng.randint(1, 64))
    elif kind == "delete":
        at = rng.randrange(len(out))
        del out[at : at + rng.randint(1, 256)]
    else:  # a run of the file copied over another place
        a, b = rng.randrange(len(out)), rng.randrange(len(out))
        n = rng.randint(1, 512)
        out[b : b + n] = out[a : a + n]
    return bytes(out)


def make_batch(folder: Path, count: int, rng: random.Random) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        src = rng.choice(SOURCES)
        data = mutate(src.read_bytes(), rng)
        if src.suffix == ".fit" and rng.random() < 0.5:
            data = fit_reframed(data)
        (folder / f"m{i:04d}-{src.name}").write_bytes(data)


def run_batch(tmp: Path, folder: Path) -> None:
    db = tmp / f"{folder.name}.db"
    base = [sys.executable, "-m", "loadwatch", "--db", str(db)]
    subprocess.run([*base, "athletes", "add", "fuzz"], check=True, capture_output=True)
    out = subprocess.run(
        [*base, "import", str(folder), "--json"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode in (0, 3), out.stderr[-2000:]
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    summary = json.loads(out.stdout)  # the summary always comes out
    files = len(list(folder.iterdir()))
    done = summary["imported"] + summary["duplicates"] + summary["skipped"] + len(summary["failed"])
    assert done == files
    internal = [f for f in summary["failed"] if "internal error" in f["reason"]]
    assert internal == []
    assert all("\n" not in f["reason"] for f in summary["failed"])
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        failed = {f["path"] for f in summary["failed"]}
        paths = {r[0] for r in conn.execute("SELECT source_path FROM activities")}
        assert not failed & paths, "a failed file left rows"
        (n,) = conn.execute("SELECT count(*) FROM activities").fetchone()
        assert n >= summary["activities"]


def test_a_mutated_corpus_batch_fails_file_by_file(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    make_batch(tmp_path / "batch", 240, rng)
    run_batch(tmp_path, tmp_path / "batch")


@pytest.mark.skipif(not os.environ.get("LOADWATCH_FUZZ_FILES"), reason="make fuzz")
def test_the_long_fuzz(tmp_path: Path) -> None:
    total = int(os.environ["LOADWATCH_FUZZ_FILES"])
    rng = random.Random(int(os.environ.get("LOADWATCH_FUZZ_SEED", SEED)))
    for b in range(5):
        folder = tmp_path / f"batch{b}"
        make_batch(folder, total // 5, rng)
        run_batch(tmp_path, folder)
