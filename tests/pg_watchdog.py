"""Stops the test PostgreSQL server when the tests stop, however they end.

Started by the `pg_server` fixture with a pipe on its stdin whose only writer is pytest: the end of
that pipe (pytest finished, crashed, got SIGTERM or kill -9) is the signal. pgserver's own
cleanup runs only at a normal exit, and a killed `make test` left the server running for half an
hour. The watchdog lives in a session of its own (a Ctrl-C to the terminal does not take it
first) and holds none of pytest's output.

    python tests/pg_watchdog.py POSTMASTER_PID
"""

from __future__ import annotations

import os
import signal
import sys
import time


def _is_postmaster(pid: int) -> bool:
    """The pid still names a postgres process (not a number the kernel gave to another)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv0 = f.read().split(b"\0", 1)[0]
    except OSError:
        return False
    return os.path.basename(argv0) == b"postgres"


def _stop(pid: int) -> None:
    # SIGINT: PostgreSQL's fast shutdown (sessions rolled back, a clean checkpoint); SIGQUIT, its
    # immediate shutdown, if that takes more than five seconds.
    for sig, wait_s in ((signal.SIGINT, 5.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 0.0)):
        if not _is_postmaster(pid):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and _is_postmaster(pid):
            time.sleep(0.05)


def main() -> None:
    pid = int(sys.argv[1])
    while sys.stdin.buffer.read(4096):
        pass  # nothing is written: the read returns only at the end of the pipe
    _stop(pid)


if __name__ == "__main__":
    main()
