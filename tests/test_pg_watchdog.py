"""The test PostgreSQL server stops when the tests stop, however they end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO

PROBE = "LW_PG_PROBE"


@pytest.mark.skipif(PROBE not in os.environ, reason="run by the test below, in its own pytest")
def test_holds_the_server_until_killed(pg_server) -> None:
    Path(os.environ[PROBE]).write_text(f"{pg_server.get_pid()}\n")
    time.sleep(120)


def _postgres_family(postmaster: int) -> list[int]:
    """The postmaster and its processes (checkpointer, writer...), from /proc."""
    out = [postmaster]
    try:
        out += [
            int(x)
            for x in Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        ]
    except OSError:
        pass
    return out


def _running(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            out.append(pid)
    return out


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_test_run_stops_its_postgres_server(tmp_path: Path, sig: signal.Signals) -> None:
    """pgserver stops its server only at a normal exit: a `make test` killed mid-run left it
    running for half an hour."""
    probe = tmp_path / "postmaster.pid"
    env = {**os.environ, PROBE: str(probe)}
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
         str(tmp_path / "inner"), f"{Path(__file__)}::test_holds_the_server_until_killed"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not probe.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert probe.exists(), "the inner test run started no server"
        family = _postgres_family(int(probe.read_text()))
        assert _running(family), "no postgres running"
        run.send_signal(sig)
        run.wait(timeout=30)
        gone = time.monotonic() + 10
        while _running(family) and time.monotonic() < gone:
            time.sleep(0.1)
        assert _running(family) == [], "the server outlived the tests"
    finally:
        if run.poll() is None:
            run.kill()
