"""The decoding pool on its own (loadwatch.pool): real worker processes, one killed on purpose.

The import's own behaviour with it (a worker killed mid-import, the import killed, SIGTERM while
workers decode) is held in test_faults.py and test_processes.py."""

from __future__ import annotations

import os
import signal
import time
from itertools import pairwise

import pytest

from loadwatch.pool import Workers

MARK = {"set_up": False}


def _square(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def _set_up() -> None:
    MARK["set_up"] = True


def _was_set_up(x: int) -> bool:
    return MARK["set_up"]


def _dies_on_7(x: int) -> int:
    if x == 7:
        os.kill(os.getpid(), signal.SIGKILL)  # as a reader crashing in C would
    return x * 10


def _slower_first(x: int) -> int:
    time.sleep((5 - x) * 0.03)
    return x


def _span(x: int) -> tuple[int, float, float]:
    start = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process
    time.sleep(0.2)
    return x, start, time.monotonic()


def _crashed(x: int) -> str:
    return f"crashed on {x}"


def test_work_runs_in_worker_processes_and_comes_back_whole() -> None:
    with Workers(2) as workers:
        results = list(workers.unordered(_square, range(40), _crashed))
    assert sorted(r for r, _ in results) == [x * x for x in range(40)]
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_one_worker_means_no_process_at_all() -> None:
    with Workers(1) as workers:
        assert workers.pool is None
        results = list(workers.unordered(_square, range(3), _crashed))
    assert results == [(0, os.getpid()), (1, os.getpid()), (4, os.getpid())]


def test_each_worker_runs_its_setup_first() -> None:
    with Workers(2, setup=_set_up) as workers:
        assert set(workers.unordered(_was_set_up, range(8), _crashed)) == {True}
    assert MARK["set_up"] is False  # in the workers, not here


@pytest.mark.parametrize("ordered", [False, True])
def test_a_killed_worker_costs_its_item_and_the_rest_come_whole(ordered: bool) -> None:
    items = list(range(16))
    with Workers(2) as workers:
        run = workers.ordered if ordered else workers.unordered
        results = list(run(_dies_on_7, items, _crashed))
    expected = [_crashed(7) if x == 7 else x * 10 for x in items]
    assert (results if ordered else sorted(results, key=str)) == (
        expected if ordered else sorted(expected, key=str)
    )


def test_ordered_results_keep_the_items_order_when_later_ones_finish_first() -> None:
    with Workers(2) as workers:
        assert list(workers.ordered(_slower_first, range(6), _crashed)) == list(range(6))


def test_heavy_items_are_worked_on_one_at_a_time() -> None:
    """Two large files decoded at once would pass the memory budget (see importers.HEAVY_BYTES)."""
    heavy = {0, 2, 4, 6}
    with Workers(2, heavy=lambda x: x in heavy) as workers:
        spans = list(workers.unordered(_span, range(8), _crashed))
    assert len(spans) == 8
    big = sorted((start, end) for x, start, end in spans if x in heavy)
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(big))
    light = [(start, end) for x, start, end in spans if x not in heavy]
    # Light ones run beside a heavy one: the rule holds back heavy items only.
    assert any(s < e2 and s2 < e for s, e in light for s2, e2 in big)


def _quiet(member: object) -> bool:
    from loadwatch.importers import fit_native

    return fit_native.QUIET_WORKER


def test_the_imports_workers_keep_the_native_decoders_panics_off_stderr() -> None:
    """A panic in the Rust decoder prints a backtrace unless the worker says it is alone on
    stderr (ingest's setup); the file's one-line reason is what the user gets."""
    from loadwatch.ingest import _workers

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the import decodes in its own process, no worker")
    with _workers(2, files=100, archives=False) as workers:
        members = [(b"", f"{i}.fit") for i in range(4)]  # as an archive's members come
        assert set(workers.unordered(_quiet, members, _crashed)) == {True}
    assert _quiet(None) is False  # here, beside other threads, stderr stays open


def test_no_worker_is_started_once_items_are_in_flight(monkeypatch) -> None:
    """An import's worker killed mid-import failed one run in forty: a worker started by a
    submit while the pool broke (its manager thread closes the work queue without the submit's
    lock) took a closed pipe, and the fork server, handed half a request, died with a traceback;
    the files retried after it were reported as failed. Every worker is now started before the
    first item is sent."""
    import multiprocessing.forkserver as forkserver

    started = []
    spawn = forkserver.connect_to_new_process

    def counted(fds):
        started.append(len(fds))
        return spawn(fds)

    monkeypatch.setattr(forkserver, "connect_to_new_process", counted)
    with Workers(2) as workers:
        at_start = len(started)
        futures = [workers.pool.submit(time.sleep, 0.01) for _ in range(8)]
        assert [f.result() for f in futures] == [None] * 8
    assert at_start == 2 and len(started) == 2, started


def test_a_pool_never_given_an_item_leaves_no_worker_behind() -> None:
    """Started with the pool, workers waited forever when no file came (every file unchanged):
    they ignore SIGTERM, so `serve` kept them, and the interpreter's exit, joining them, hung."""
    with Workers(2) as workers:
        procs = list(workers.pool._processes.values())
    assert len(procs) == 2 and not any(p.is_alive() for p in procs)
