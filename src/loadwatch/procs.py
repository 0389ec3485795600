"""Child processes die with their parent, and never hold the caller's pipe.

`loadwatch import DIR | cat` (or cron, or a wrapper reading a command's output) ends when the last
process holding the write end of the pipe is gone. A decoding process inherits stdin, stdout and
stderr; had it outlived the import (the import killed, a worker of a broken pool left waiting),
the caller would wait with it. So workers give those files up at once, and the kernel kills them
when their parent dies, whether the parent is reaped or not (a caller that reads everything before
it waits leaves a killed import a zombie: "is it still alive?" asked by pid says yes).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> bool:
    """Ask the kernel for SIGKILL when this process's parent exits (Linux; elsewhere False).

    The signal follows the parent *thread* that forked this process: call it only in a process
    whose parent is single-threaded (a fork server) or whose forking thread lives as long as the
    parent does."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def let_go_of_std_streams() -> None:
    """Point stdin, stdout and stderr at /dev/null: what a worker might print is not the
    caller's, and the caller's pipe ends when loadwatch itself ends."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _gone(pid: int) -> bool:
    """Whether a process has exited, a zombie included (on Linux, its state in /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except FileNotFoundError:
        return True
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def watch_parents(*pids: int, every_s: float = 0.2) -> None:
    """Exit (at once, without cleanup) when any of `pids` has exited or this process's parent
    changed: the fallback where the kernel's death signal is not to be had."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            if os.getppid() != parent or any(_gone(p) for p in pids):
                os._exit(0)
            time.sleep(every_s)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# How long a SIGTERM'd command may take to roll back and stop its workers before it just exits.
STOP_GRACE_S = 2.0


def _exit_after(seconds: float) -> None:
    time.sleep(seconds)
    sys.stderr.write("terminated\n")
    os._exit(143)


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so that transactions roll back, pools are
    stopped and their workers killed on the way out. Not an Exception, so that no handler meant
    for a bad file or a failed athlete swallows it."""


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises Terminated in the main thread (elsewhere, or where a
    command installs its own handler, as the daemon does, nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        # An exception raised where Python cannot propagate it (a finaliser, a weakref callback)
        # is printed and dropped: the process then ends anyway, a little later.
        threading.Thread(target=_exit_after, args=(STOP_GRACE_S,), daemon=True).start()
        raise Terminated

    before = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
