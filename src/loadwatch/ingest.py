"""Paths in, stored activities out: walk, skip what is unchanged, decode in a process pool, store.

Decoding is the slow part and is pure, so it runs in worker processes; everything that touches the
database stays in this process, one transaction per file, in the order results arrive. Results are
consumed as they come, so memory stays flat however many files a folder holds.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import NotAnActivity, UnreadableFile
from .importers import content_hash, is_activity_name, read_stamped
from .model import Activity, FileFailure, ImportSummary
from .store import SqliteStore

# Below this many files a pool costs more to start than it saves.
POOL_MIN_FILES = 8


@dataclass(frozen=True)
class Candidate:
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Decoded:
    """A worker's answer for one file: activities, or the reason there are none."""

    candidate: Candidate
    content_hash: str
    activities: tuple[Activity, ...] = ()
    skipped: str | None = None
    failed: str | None = None


def discover(paths: Iterable[Path | str], summary: ImportSummary) -> Iterator[Path]:
    """Files named directly are always tried; inside folders only activity file names are."""
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            for root, dirs, files in os.walk(p, onerror=lambda e: _walk_error(e, summary)):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if is_activity_name(name):
                        yield Path(root) / name
                    else:
                        summary.ignored += 1
        elif p.exists() or p.is_symlink():
            yield p
        else:
            summary.failed.append(FileFailure(str(p), "no such file or directory"))


def _walk_error(err: OSError, summary: ImportSummary) -> None:
    summary.failed.append(FileFailure(str(err.filename), f"cannot read folder: {err.strerror}"))


def decode(candidate: Candidate) -> Decoded:
    """Runs in a worker: never raises, so one bad file cannot stop the batch."""
    path = candidate.path
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return Decoded(candidate, "", failed=f"cannot read: {e.strerror or e}")
    digest = content_hash(data)
    try:
        activities = read_stamped(data, path, digest)
    except NotAnActivity as e:
        return Decoded(candidate, digest, skipped=e.reason)
    except UnreadableFile as e:
        return Decoded(candidate, digest, failed=e.reason)
    except Exception as e:  # a reader bug must cost one file, not the batch
        return Decoded(
            candidate, digest, failed=f"internal error while reading: {type(e).__name__}: {e}"
        )
    return Decoded(candidate, digest, tuple(activities))


def import_paths(
    store: SqliteStore,
    athlete_name: str,
    paths: Iterable[Path | str],
    *,
    workers: int | None = None,
    on_total: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import files and folders for one athlete; a bad file is reported, the batch goes on."""
    athlete = store.athlete(athlete_name)
    summary = ImportSummary()
    known = store.known_files(athlete.id)
    todo: list[Candidate] = []
    seen: set[str] = set()
    for path in discover(paths, summary):
        key = str(path.resolve())
        if key in seen:
            continue
        seen.add(key)
        try:
            st = path.stat()
        except OSError as e:
            summary.failed.append(FileFailure(str(path), f"cannot read: {e.strerror or e}"))
            continue
        if not path.is_file():
            summary.failed.append(FileFailure(str(path), "not a regular file"))
            continue
        state = known.get(key)
        if state and state.size == st.st_size and state.mtime_ns == st.st_mtime_ns:
            summary.unchanged += 1
            continue
        todo.append(Candidate(key, st.st_size, st.st_mtime_ns))

    if on_total:
        on_total(len(todo))
    for result in _decode_all(todo, workers):
        _store_one(store, athlete.id, result, summary)
        if on_progress:
            on_progress(1)
    return summary


def _decode_all(todo: list[Candidate], workers: int | None) -> Iterator[Decoded]:
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(todo) < POOL_MIN_FILES:
        yield from map(decode, todo)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    chunk = max(1, min(16, len(todo) // (workers * 8)))
    with ctx.Pool(workers) as pool:
        yield from pool.imap_unordered(decode, todo, chunksize=chunk)


def _store_one(
    store: SqliteStore, athlete_id: int, result: Decoded, summary: ImportSummary
) -> None:
    c = result.candidate
    if result.failed is not None:
        summary.failed.append(FileFailure(c.path, result.failed))
        return
    if result.skipped is not None:
        store.save_file(
            athlete_id,
            c.path,
            c.size,
            c.mtime_ns,
            result.content_hash,
            "skipped",
            reason=result.skipped,
        )
        summary.skipped += 1
        summary.skipped_files.append(FileFailure(c.path, result.skipped))
        return
    if store.hash_known(athlete_id, result.content_hash):
        store.save_file(
            athlete_id,
            c.path,
            c.size,
            c.mtime_ns,
            result.content_hash,
            "duplicate",
            reason="same bytes as a file imported before",
        )
        summary.duplicates += 1
        return
    saved = store.save_file(
        athlete_id, c.path, c.size, c.mtime_ns, result.content_hash, "imported", result.activities
    )
    summary.activities += saved.primary
    if saved.primary:
        summary.imported += 1
    else:
        summary.duplicates += 1
