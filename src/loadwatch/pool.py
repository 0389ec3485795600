"""A process pool for slow, pure work (decoding files) that a crash or a kill cannot spoil.

Workers are forked from a fork server (a clean, single-threaded process), die with their parent
however it ends, hold none of the caller's files or pipes, and ignore SIGTERM and Ctrl-C (the
parent decides when to stop). A worker that dies costs its own item, not the batch. Items are
submitted a few at a time, so memory stays flat however many there are.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from . import procs


def _nothing(n: int) -> None:
    pass


def _never(item: Any) -> bool:
    return False


def _worker_init(parent: int, setup: Callable[[], None] | None) -> None:
    """In each worker process: leave stopping to the parent (the daemon's SIGTERM handler must
    not run in a worker), and die with it, however it ends, holding none of its files.

    A worker is the fork server's child, and the fork server exits when the import does (its
    liveness pipe ends): the kernel's death signal then takes the worker at once. Each worker
    was handed a copy of that pipe's write end, which kept the fork server, and so every worker,
    alive after a killed import; it is closed here. The caller's stdin, stdout and stderr are let
    go, so `loadwatch import DIR | cat` ends when loadwatch does. A watch thread is the fallback
    where the kernel's signal is not to be had."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    server = os.getppid()
    procs.die_with_parent()
    _close_forkserver_alive_fd()
    procs.let_go_of_std_streams()
    gc.freeze()  # the preloaded modules are never garbage: keep the collector off them
    if setup is not None:
        setup()
    procs.watch_parents(parent, server)


def _close_forkserver_alive_fd() -> None:
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        try:
            os.close(fd)
        except OSError:
            pass
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


# What a future raises when its worker died: the pool says it broke, or (a race) the pipe the
# work was being written to broke first. The work functions themselves never raise (a decoder
# returns its failure): an exception from one ends the iteration, as it would with map.
POOL_DIED = (BrokenProcessPool, BrokenPipeError, ConnectionError, EOFError)


class Workers:
    """`n` worker processes (with 1, none: plain map in this process), used as a context manager.

    A worker that dies (a reader crashing in C, the kernel's OOM killer) costs its item, not the
    batch: the pool is replaced, the items that were in flight are retried one by one, and the
    one that kills its worker again is `crashed(item)`. `preload` names the modules the fork
    server imports once for every worker (those of the work functions); `setup` runs in each
    worker as it starts (a module-level function: it is pickled); `heavy(item)` says an item
    takes a real share of memory, and such items are decoded one at a time.
    """

    def __init__(
        self,
        n: int,
        *,
        preload: Sequence[str] = (),
        setup: Callable[[], None] | None = None,
        heavy: Callable[[Any], bool] = _never,
    ):
        self.n = max(1, n)
        self.preload = list(preload)
        self.setup = setup
        self.heavy = heavy
        self.pool: Any = None

    def _start(self, n: int | None = None) -> ProcessPoolExecutor:
        # A fork server: workers are forked from a clean, single-threaded process, not from this
        # one, whose pool threads may hold locks at the moment of a fork (a replacement pool
        # could deadlock), and whose open files (the check's lock) they would inherit.
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            ctx.set_forkserver_preload(
                [
                    "loadwatch.forkserver_init",  # first: see its docstring
                    "__main__",
                    *self.preload,
                ]
            )
        pool = ProcessPoolExecutor(
            n or self.n,
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(os.getpid(), self.setup),
        )
        # Every worker now, before any work: left to itself the pool starts one on a submit, and
        # a submit racing the pool's breakage (a worker killed) pickles a queue whose pipe the
        # pool's manager thread is closing: the fork server then reads a half-sent request and
        # dies with a traceback on the user's terminal, and the files retried after it are lost
        # (CPython's terminate_broken closes the call queue's reader without the submit lock).
        launch = getattr(pool, "_launch_processes", None)
        if launch is not None:
            launch()
            # A first (empty) task starts the manager thread, which alone tells the workers to
            # exit at shutdown: a pool never given a file would keep them waiting (they ignore
            # SIGTERM), and the interpreter's exit joins them.
            pool.submit(_nothing, 0)
        return pool

    @staticmethod
    def _kill(pool: Any) -> None:
        """Kill a pool's workers: they ignore SIGTERM (see _worker_init). Taken before
        shutdown(), which forgets them."""
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            if proc.is_alive():
                proc.kill()

    def _restart(self) -> None:
        old = self.pool
        # A broken pool stops its surviving workers with SIGTERM, which they ignore: left alive
        # they would wait for work forever, and so would the pool's manager thread and the
        # interpreter's exit. They are killed (their files are read again by the caller).
        self._kill(old)
        old.shutdown(wait=False, cancel_futures=True)
        self.pool = self._start()

    def __enter__(self) -> Workers:
        if self.n > 1:
            self.pool = self._start()
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is None:
            return
        if exc[0] is not None:
            # Stopped (SIGTERM, Ctrl-C, an error): what the workers decode is wanted no more,
            # and waiting for a large file would keep the caller waiting too.
            self._kill(self.pool)
            self.pool.shutdown(wait=False, cancel_futures=True)
        else:
            self.pool.shutdown(wait=True)

    def _isolated(self, func, item, crashed):
        """One item in a pool of its own: its result, or `crashed(item)` if it kills the worker."""
        with self._start(1) as one:
            try:
                return one.submit(func, item).result()
            except POOL_DIED:
                return crashed(item)

    def _windowed(self, func, items: Iterable, crashed, ordered: bool) -> Iterator:
        """Submit a few at a time (memory stays flat), yield results in order or as they finish.

        When the pool breaks, whatever was in flight is read again one by one in pools of its
        own: a file that kills its worker again is `crashed(item)`; the others come out whole."""
        window = self.n * 4
        pending: dict[Any, Any] = {}  # future -> item, in submission order
        it = iter(items)
        exhausted = False
        held: Any = None  # a large item waiting for the large one in flight
        while True:
            broken: list[Any] = []  # in flight when the pool broke, in order
            unsent: list[Any] = []  # taken from `items` but refused by a broken pool
            while not exhausted and len(pending) < window:
                if held is not None:
                    item, held = held, None
                else:
                    try:
                        item = next(it)
                    except StopIteration:
                        exhausted = True
                        break
                if self.heavy(item) and any(self.heavy(x) for x in pending.values()):
                    held = item  # one large file at a time: two would pass the memory budget
                    break
                try:
                    pending[self.pool.submit(func, item)] = item
                except (BrokenProcessPool, RuntimeError, OSError):
                    # A pool whose worker just died refuses work (or its pipe is broken).
                    unsent.append(item)
                    break
            if not unsent:
                if not pending:
                    return
                if ordered:
                    first = next(iter(pending))
                    wait([first])
                    done_now = [first]
                else:
                    done_now = list(wait(pending, return_when=FIRST_COMPLETED).done)
                for fut in done_now:
                    item = pending.pop(fut)
                    try:
                        result = fut.result()
                    except POOL_DIED:
                        broken.append(item)
                    else:
                        yield result
            if broken or unsent:
                leftovers = [*broken, *pending.values(), *unsent]
                if held is not None:
                    leftovers.append(held)
                    held = None
                pending.clear()
                self._restart()
                for item in leftovers:
                    yield self._isolated(func, item, crashed)

    def unordered(self, func, items: Iterable, crashed):
        """Results as they finish (in this process, in order, without a pool)."""
        if self.pool is None:
            return map(func, items)
        return self._windowed(func, items, crashed, ordered=False)

    def ordered(self, func, items, crashed):
        """Results in order, the items taken lazily as workers free up (an archive's members)."""
        if self.pool is None:
            return map(func, items)
        return self._windowed(func, items, crashed, ordered=True)
