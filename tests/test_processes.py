"""Processes die with their parent: an import killed any way, or one of its workers killed, never
leaves a process holding the caller's pipe (`loadwatch import DIR | cat` and cron wrappers wait
for the end of output, which comes only when the last holder of the pipe is gone)."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_faults import (
    RUNS,
    _children,
    run_files,  # noqa: F401 (the fixture, shared)
)


def _descendants(pid: int) -> list[int]:
    out = []
    for child in _children(pid):
        out += [child, *_descendants(child)]
    return out


def _alive(pids: list[int]) -> list[int]:
    """Those still running (a zombie is dead: it holds no file)."""
    out = []
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            out.append(p)
    return out


def _read_to_eof(
    fd: int, timeout: float, proc: subprocess.Popen | None = None
) -> tuple[str, float | None, float | None]:
    """All a pipe gives until its end: the text, when the end came (None: not in time) and, given
    `proc`, when it exited (it is then reaped as it exits, as a shell does)."""
    data = b""
    exited = None
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], min(left, 0.02))
        if proc is not None and exited is None and proc.poll() is not None:
            exited = time.monotonic()
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return data.decode(), time.monotonic(), exited
        data += chunk
    return data.decode(), None, exited


def _inbox(files: list[Path], folder: Path, copies: int) -> Path:
    folder.mkdir()
    for k in range(copies):
        for f in files:
            shutil.copy(f, folder / f"{k}-{f.name}")
    return folder


def _start_import(tmp_path: Path, inbox: Path) -> tuple[subprocess.Popen, int]:
    """`loadwatch import INBOX --workers 2`, its stdout and stderr one pipe, as `| cat` gives."""
    db = tmp_path / "lw.db"
    base = [sys.executable, "-m", "loadwatch", "--db", str(db)]
    subprocess.run([*base, "athletes", "add", "ana"], check=True, capture_output=True)
    read, write = os.pipe()
    proc = subprocess.Popen([*base, "import", str(inbox), "--workers", "2"], stdout=write,
                            stderr=write)  # fmt: skip
    os.close(write)
    return proc, read


def _workers(proc: subprocess.Popen) -> list[int]:
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        # The workers are the fork server's children.
        workers = [w for child in _children(proc.pid) for w in _children(child)]
        if workers:
            return workers
        time.sleep(0.002)
    pytest.fail("no worker seen: the import used no pool")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_import_ends_its_output_at_once_and_leaves_no_process(
    tmp_path: Path, request: pytest.FixtureRequest, sig: signal.Signals
) -> None:
    """The fork server, its workers and the resource tracker lived on for minutes, holding the
    caller's pipe. The killed import is not reaped before the end of output (as a caller that
    reads everything, then waits, does not): nothing may depend on its reaping."""
    proc, out = _start_import(
        tmp_path, _inbox(request.getfixturevalue("run_files"), tmp_path / "inbox", 4)
    )
    try:
        _workers(proc)
        family = _descendants(proc.pid)
        os.kill(proc.pid, sig)
        killed = time.monotonic()
        text, eof, _ = _read_to_eof(out, timeout=20)
        assert eof is not None and eof - killed < 3, f"no end of output: {text[-300:]!r}"
        deadline = time.monotonic() + 3
        while _alive(family) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _alive(family) == [], "a child of the killed import lives on"
        assert proc.wait(timeout=10) == (-sig if sig == signal.SIGKILL else 143)
        if sig == signal.SIGTERM:
            assert text.strip().splitlines()[-1] == "terminated", text
    finally:
        os.close(out)
        if proc.poll() is None:
            proc.kill()


def test_a_worker_killed_mid_import_costs_nothing_and_the_output_ends_with_the_import(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """After kill -9 of one worker the import finished, but the end of its output came 120 s
    later: a process of the broken pool held the pipe."""
    proc, out = _start_import(
        tmp_path, _inbox(request.getfixturevalue("run_files"), tmp_path / "inbox", 3)
    )
    try:
        workers = _workers(proc)
        family = _descendants(proc.pid)
        os.kill(workers[0], signal.SIGKILL)
        text, eof, exited = _read_to_eof(out, timeout=120, proc=proc)
        assert eof is not None, f"no end of output: {text[-300:]!r}"
        assert proc.wait(timeout=10) == 0, text
        exited = exited or time.monotonic()  # (the output may end a moment before the exit)
        assert f"imported {RUNS} files ({RUNS} activities), {2 * RUNS} duplicates" in text
        assert "0 failed" in text
        assert eof - exited < 3, f"the end of output came {eof - exited:.1f} s after the import"
        deadline = time.monotonic() + 3
        while _alive(family) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _alive(family) == []
    finally:
        os.close(out)
        if proc.poll() is None:
            proc.kill()
