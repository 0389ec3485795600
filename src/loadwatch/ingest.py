"""Paths in, stored activities out: walk, skip what is unchanged, decode in a process pool, store.

Decoding is the slow part and is pure, so it runs in worker processes; everything that touches the
database stays in this process, one transaction per file, in the order results arrive. Results are
consumed as they come, so memory stays flat however many files a folder holds.
"""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import NotAnActivity, UnreadableFile
from .importers import (
    HEAVY_BYTES,
    content_hash,
    is_activity_name,
    is_archive_name,
    read_stamped,
    refused_size,
    size_cap,
    stream_hash,
)
from .importers.exports import Progress, read_export
from .model import Activity, ArchiveLimits, Athlete, FileFailure, FileRecord, ImportSummary
from .pool import Workers
from .store import Store

# Below this many files a pool costs more to start than it saves.
POOL_MIN_FILES = 8


@dataclass(frozen=True)
class Candidate:
    path: str
    size: int
    mtime_ns: int
    file: str = ""  # the name to open, where `path` (the name shown and stored) had to be mended

    @property
    def opens(self) -> str:
        return self.file or self.path


def printable(path: str) -> str:
    """A file name as text: bytes that are not UTF-8 (an old camera's or a Windows-1252 name)
    are shown escaped, so the name can be stored, printed and put in JSON."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


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
                    if is_activity_name(name) or is_archive_name(name):
                        yield Path(root) / name
                    else:
                        summary.ignored += 1
        elif p.exists() or p.is_symlink():
            yield p
        else:
            summary.failed.append(FileFailure(printable(str(p)), "no such file or directory"))


def _walk_error(err: OSError, summary: ImportSummary) -> None:
    summary.failed.append(
        FileFailure(printable(str(err.filename)), f"cannot read folder: {err.strerror}")
    )


def _hash_file(path: str) -> str | None:
    try:
        return content_hash(Path(path).read_bytes())
    except OSError:
        return None  # decode() will say why


def decode(candidate: Candidate) -> Decoded:
    """Runs in a worker: never raises, so one bad file cannot stop the batch."""
    path = candidate.path
    # Refused before a byte is read, by the cap of the format its name says (the bytes decide
    # the format after reading, and their own cap applies then).
    kind, limit = size_cap(path)
    if candidate.size > limit:
        return Decoded(candidate, "", failed=refused_size(kind, candidate.size, limit))
    try:
        data = Path(candidate.opens).read_bytes()
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
    store: Store,
    athlete: Athlete,
    paths: Iterable[Path | str],
    *,
    workers: int | None = None,
    on_total: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    archive_limits: ArchiveLimits | None = None,
    retry_failed: bool = True,
    sport: str | None = None,
    settled_s: float = 0.0,
) -> ImportSummary:
    """Import files and folders for one athlete; a bad file is reported, the batch goes on.

    `on_total(n)` says n more items are to be done (files, then each archive's members as it is
    opened), `on_progress(n)` that n were.

    `sport` is given to the activities whose files do not say (an untyped GPX): the user knows
    what this import holds.

    A file that failed before and has not changed since is tried again (and reported again) only
    with `retry_failed`: the import command does, a scheduled inbox sync does not, so cron mails a
    broken file once rather than every morning.

    With `settled_s`, a file modified less than that many seconds ago is left for the next
    import: it may still be being copied (the daemon's interval import; its watcher waits for
    each file to stand still instead).
    """
    summary = ImportSummary()
    known = store.files.known(athlete.id)
    failed_before = {} if retry_failed else store.files.failed(athlete.id)
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
            summary.failed.append(
                FileFailure(printable(str(path)), f"cannot read: {e.strerror or e}")
            )
            continue
        if not path.is_file():
            summary.failed.append(FileFailure(printable(str(path)), "not a regular file"))
            continue
        if settled_s and time.time() - st.st_mtime < settled_s:
            continue  # still being written, perhaps: the next import takes it
        label = printable(key)
        state = known.get(label)
        if state and state.size == st.st_size and state.mtime_ns == st.st_mtime_ns:
            summary.unchanged += 1
            continue
        if failed_before.get(label) == (st.st_size, st.st_mtime_ns):
            summary.unchanged += 1
            continue
        todo.append(Candidate(label, st.st_size, st.st_mtime_ns, key if label != key else ""))

    if on_total:
        on_total(len(todo))
    files = [c for c in todo if not is_archive_name(c.path)]
    archives = [c for c in todo if is_archive_name(c.path)]
    known_hashes = store.files.known_hashes(athlete.id)
    copies: list[tuple[Candidate, str]] = []
    touched: list[Candidate] = []  # their own bytes again: only their time changed

    def not_copies(candidates: list[Candidate]) -> Iterator[Candidate]:
        # Runs in the pool's feeder thread, so it only reads files and a set, never the database.
        if not known_hashes:
            yield from candidates  # a first import: nothing to be a copy of (twins in it are found
            return  # when stored), so the files are read once, by the workers
        for c in candidates:
            digest = _hash_file(c.opens)
            state = known.get(c.path)
            if state is not None and digest == state.content_hash and digest in known_hashes:
                touched.append(c)
            elif digest in known_hashes:
                copies.append((c, digest))  # known bytes under another name: nothing to decode
            else:
                yield c

    # An archive's members join the progress as its directory is read.
    members = Progress(on_total or _nothing, on_progress or _nothing)
    stored: list[Stored] = []
    with _workers(workers, len(files), bool(archives)) as pool:
        decoded = (
            pool.unordered(decode, not_copies(files), _file_crashed)
            if len(files) >= POOL_MIN_FILES
            else map(decode, not_copies(files))  # with an archive's pool: too few to pay
        )
        for result in decoded:
            _store_one(store, athlete.id, _with_sport(result, sport), summary, stored)
            if on_progress:
                on_progress(1)
        for c in touched:
            store.files.restamp(athlete.id, c.path, c.size, c.mtime_ns)
            summary.unchanged += 1
            if on_progress:
                on_progress(1)
        for c, digest in copies:
            reason = "same bytes as a file imported before"
            _record_without_activities(store, athlete.id, c, digest, "duplicate", reason, summary)
            if on_progress:
                on_progress(1)
        for c in archives:
            state = known.get(c.path)
            _store_archive(
                store,
                athlete.id,
                c,
                pool,
                summary,
                archive_limits,
                members,
                stored,
                known_hashes,
                state.content_hash if state else None,
            )
            if on_progress:
                on_progress(1)
    _count_what_was_kept(store, athlete.id, stored, summary)
    for found in (summary.failed, summary.skipped_files, summary.notes):
        found.sort(key=lambda f: f.path)  # stable: a file's own lines keep their order
    return summary


@dataclass(frozen=True)
class Stored:
    """A file (or archive) whose activities this import stored."""

    path: str
    activities: int
    archive: bool = False


def _count_what_was_kept(
    store: Store, athlete_id: int, stored: list[Stored], summary: ImportSummary
) -> None:
    """Count the import from what it left in the store, not as files arrived: a run stored first
    from its GPX and then taken over by the watch's FIT (the better copy) in the same import
    made the GPX "imported" or a "duplicate" by the order the workers finished in. A file is
    imported when one of its activities counts, else a duplicate; `activities` is what counts,
    as `loadwatch activities` lists it."""
    if not stored:
        return
    kept: Counter[str] = Counter(store.activities.primary_paths(athlete_id))
    for s in stored:
        if s.archive:  # a member's path is the archive's and its own: `export.zip!1.fit`
            primary = sum(n for path, n in kept.items() if path.startswith(s.path + "!"))
        else:
            primary = kept[s.path]
        summary.activities += primary
        if s.archive:
            summary.imported += 1
            summary.duplicates += max(s.activities - primary, 0)
        elif primary:
            summary.imported += 1
        else:
            summary.duplicates += 1


def _nothing(n: int) -> None:
    pass


def _workers(workers: int | None, files: int, archives: bool) -> Workers:
    """A process pool when it pays (many files, or an archive of many members), else plain map."""
    cores = os.cpu_count() or 1
    n = min(workers, cores) if workers is not None else cores  # more than cores only costs
    return Workers(
        n if n > 1 and (files >= POOL_MIN_FILES or archives) else 1,
        preload=("loadwatch.ingest", "loadwatch.importers.fit"),
        setup=_quiet_decoders,
        heavy=_heavy,
    )


def _quiet_decoders() -> None:
    """In each worker: nothing else writes to its stderr (see fit_native.QUIET_WORKER)."""
    from .importers import fit_native

    fit_native.QUIET_WORKER = True


def _heavy(item: Any) -> bool:
    """A file or archive member large enough that decoding it takes a real share of memory."""
    if isinstance(item, Candidate):
        size, name = item.size, item.path
    else:  # an archive member: (bytes, label)
        size, name = len(item[0]), item[1]
    # A gzipped file inflates (typically 3-8x) before it is decoded.
    return size * (8 if name.lower().endswith(".gz") else 1) > HEAVY_BYTES


def _member_crashed(item: tuple[bytes, str]) -> tuple[str, FileFailure]:
    return item[1], FileFailure(item[1], "the reader crashed on this file (it was not imported)")


def _file_crashed(candidate: Candidate) -> Decoded:
    return Decoded(candidate, "", failed="the reader crashed on this file (it was not imported)")


def _store_archive(
    store: Store,
    athlete_id: int,
    c: Candidate,
    pool: Workers,
    summary: ImportSummary,
    limits: ArchiveLimits | None,
    progress: Progress,
    stored: list[Stored],
    known_hashes: set[str],
    own_hash: str | None,
) -> None:
    """An account export or a zip of activity files: all of it in one transaction, or nothing."""
    try:
        with open(c.opens, "rb") as f:
            digest = stream_hash(f)
    except OSError as e:
        summary.failed.append(FileFailure(c.path, f"cannot read: {e.strerror or e}"))
        return
    if digest == own_hash and digest in known_hashes:  # the archive itself, only touched
        store.files.restamp(athlete_id, c.path, c.size, c.mtime_ns)
        summary.unchanged += 1
        return
    if digest in known_hashes:  # known before this import: not read (the store decides others)
        reason = "same bytes as an archive imported before"
        _record_without_activities(store, athlete_id, c, digest, "duplicate", reason, summary)
        return
    try:
        # Read where it lies, member by member: an export's media are never read at all.
        mapper = functools.partial(pool.ordered, crashed=_member_crashed)
        export = read_export(c.opens, c.path, mapper=mapper, limits=limits, progress=progress)
    except UnreadableFile as e:
        summary.failed.append(FileFailure(e.path, e.reason))
        store.files.record_failure(athlete_id, c.path, c.size, c.mtime_ns, e.reason)
        return
    except OSError as e:
        summary.failed.append(FileFailure(c.path, f"cannot read: {e.strerror or e}"))
        return
    if export.kind == "zip" and not export.activities and not export.failed and not export.skipped:
        reason = "zip archive without activity files"
        _record_without_activities(store, athlete_id, c, digest, "skipped", reason, summary)
        return
    record = FileRecord(
        c.path,
        c.size,
        c.mtime_ns,
        digest,
        "imported",
        export.activities,
        shoes=export.shoes,
        gear=export.gear,
        gear_authoritative=export.gear_authoritative,
    )
    saved = store.files.save(athlete_id, record)
    if saved.same_bytes:  # a copy of an archive stored since this import began
        summary.duplicates += 1
        return
    summary.failed += export.failed
    summary.notes += export.notes
    summary.skipped += len(export.skipped)
    summary.skipped_files += export.skipped
    stored.append(Stored(c.path, saved.primary + saved.duplicates, archive=True))


def _with_sport(result: Decoded, sport: str | None) -> Decoded:
    if sport is None or not any(a.sport == "unknown" for a in result.activities):
        return result
    acts = tuple(replace(a, sport=sport) if a.sport == "unknown" else a for a in result.activities)
    return replace(result, activities=acts)


def _store_one(
    store: Store, athlete_id: int, result: Decoded, summary: ImportSummary, stored: list[Stored]
) -> None:
    c = result.candidate
    if result.failed is not None:
        summary.failed.append(FileFailure(c.path, result.failed))
        store.files.record_failure(athlete_id, c.path, c.size, c.mtime_ns, result.failed)
        return
    if result.skipped is not None:
        _record_without_activities(
            store, athlete_id, c, result.content_hash, "skipped", result.skipped, summary
        )
        return
    record = FileRecord(
        c.path, c.size, c.mtime_ns, result.content_hash, "imported", result.activities
    )
    saved = store.files.save(athlete_id, record)
    if saved.same_bytes:  # a copy of a file stored before (perhaps earlier in this import)
        summary.duplicates += 1
        return
    summary.notes += [FileFailure(c.path, n) for a in result.activities for n in a.notes]
    if saved.replaced:
        summary.replaced += saved.replaced
        summary.notes.append(
            FileFailure(
                c.path,
                f"changed since its last import: its new version replaced {saved.replaced}",
            )
        )
    stored.append(Stored(c.path, saved.primary + saved.duplicates))


def _record_without_activities(
    store: Store,
    athlete_id: int,
    c: Candidate,
    digest: str,
    status: str,
    reason: str,
    summary: ImportSummary,
) -> None:
    """A skipped or duplicate file is remembered, so the next import counts it unchanged."""
    store.files.save(
        athlete_id, FileRecord(c.path, c.size, c.mtime_ns, digest, status, reason=reason)
    )
    if status == "skipped":
        summary.skipped += 1
        summary.skipped_files.append(FileFailure(c.path, reason))
    else:
        summary.duplicates += 1
