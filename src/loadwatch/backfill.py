"""`loadwatch activities backfill`: the per-run signals (step rate, ascent, descent, pace, heart-rate
drift) for runs stored before the importers read them, from their files read again.

Why a command of its own and not a step of `import`: an import skips a file whose bytes it has
seen (that is what keeps a second import of a season at 2% of the first), so rows stored by an
older loadwatch would never be read again. The backfill reads only the files of runs with a signal
still unknown, and only where the file at the stored path still has the bytes imported (a file
changed since may hold another recording; it is left alone and counted).

A run from an account export or a zip of files was read from a member of the archive, and the
archive is what the store remembers as its file: the archive is checked against its stored hash,
opened once for all its runs (`read_members`, the import's own member reader and decoder), and
each member's bytes against the hash its runs were stored with.

A value already stored is never overwritten, and a run whose file has nothing more to give is not
written at all, so running it twice changes nothing the second time. Everything is written in one
transaction at the end: a failure leaves the store as it was.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LoadwatchError, UnreadableFile
from .importers import content_hash, is_archive_name, read_bytes, stream_hash
from .importers.exports import read_members
from .model import Activity, ArchiveLimits, FileFailure, UnfilledRun
from .store import Store

# Runs typed in, or taken from a platform's summary (an export's activities.csv row, a Garmin
# summary, a pulled account's list): their file, if any, holds no recording of them.
WITHOUT_RECORDING = frozenset({"manual", "summary"})

# What reading one run again gave: its activity as read now, or why there is none.
Outcome = Activity | str


@dataclass
class Backfilled:
    """What one backfill did: runs looked at, filled, and those it could not, by reason."""

    checked: int = 0
    filled: int = 0
    # Read again, but their files know no more than the store (a track without cadence).
    nothing_more: int = 0
    without_file: int = 0  # typed in, or from an account's summary: nothing to read
    could_not: dict[str, int] = field(default_factory=dict)  # reason -> runs

    def failed(self, reason: str, runs: int) -> None:
        self.could_not[reason] = self.could_not.get(reason, 0) + runs


def backfill(store: Store, athlete_id: int, limits: ArchiveLimits | None = None) -> Backfilled:
    """`limits`: the archive caps the import applies (`import.*` settings), applied again here."""
    result = Backfilled()
    missing = store.activities.missing_signals(athlete_id)
    result.checked = len(missing)
    files = {i: (path, digest) for i, path, digest in store.files.imported(athlete_id)}
    by_file: dict[int, list[UnfilledRun]] = defaultdict(list)
    for run in missing:
        if (
            run.file_id is None
            or run.file_id not in files
            or run.source_format in WITHOUT_RECORDING
        ):
            result.without_file += 1
        else:
            by_file[run.file_id].append(run)
    updates: list[tuple[int, Activity]] = []
    for file_id, runs in by_file.items():
        path, digest = files[file_id]
        if is_archive_name(path):  # as the import decided: every .zip is an archive
            outcomes = _from_archive(path, digest, runs, limits)
        else:
            outcomes = _from_file(path, digest, runs)
        for run, outcome in zip(runs, outcomes, strict=True):
            if isinstance(outcome, str):
                result.failed(outcome, 1)
            elif any(getattr(outcome, c) is not None for c in run.unknown):
                updates.append((run.activity_id, outcome))
            else:
                result.nothing_more += 1
    with store.transaction():
        for activity_id, act in updates:
            store.activities.fill_signals(activity_id, act)
    result.filled = len(updates)
    return result


def _from_file(path: str, digest: str, runs: list[UnfilledRun]) -> list[Outcome]:
    acts, why = _read(path, digest)
    if acts is None:
        return [why for _ in runs]
    return [_session(acts, run) for run in runs]


def _read(path: str, digest: str) -> tuple[list[Activity] | None, str]:
    """The file's activities, or None and why not."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None, "file gone"
    except OSError as e:
        return None, f"file unreadable ({e.strerror or e})"
    if content_hash(data) != digest:
        return None, "file changed since it was imported"
    try:
        return read_bytes(data, path), ""
    except LoadwatchError as e:
        return None, f"file unreadable ({e})"


def _from_archive(
    path: str, digest: str, runs: list[UnfilledRun], limits: ArchiveLimits | None
) -> list[Outcome]:
    members = _open_archive(path, digest, {r.source_path for r in runs}, limits)
    if isinstance(members, str):
        return [members for _ in runs]
    return [_member(members.get(run.source_path), run) for run in runs]


def _open_archive(
    path: str, digest: str, wanted: set[str], limits: ArchiveLimits | None
) -> dict[str, list[Activity] | FileFailure] | str:
    """The wanted members of the archive, read in one opening, or why not. Hashed (as its import
    hashed it) and read through the same open file, so the archive cannot be swapped between check and reading."""
    name = repr(Path(path).name)  # which one, in one line whatever its name holds
    try:
        with open(path, "rb") as f:
            if stream_hash(f) != digest:
                return f"archive {name} changed since it was imported"
            f.seek(0)
            return read_members(f, path, wanted, limits=limits)
    except FileNotFoundError:
        return f"archive {name} gone"
    except OSError as e:
        return f"archive {name} unreadable ({e.strerror or e})"
    except UnreadableFile as e:  # refused whole, as its import would refuse it now
        return f"archive {name} unreadable ({e.reason})"


def _member(read: list[Activity] | FileFailure | None, run: UnfilledRun) -> Outcome:
    if read is None:
        return "no longer in its archive"
    if isinstance(read, FileFailure):
        return f"file unreadable ({read.reason})"
    if any(a.content_hash != run.content_hash for a in read):
        return "archive member changed since it was imported"
    return _session(read, run)


def _session(acts: list[Activity], run: UnfilledRun) -> Outcome:
    act = next((a for a in acts if a.session_index == run.session_index), None)
    return "its session is no longer in the file" if act is None else act
