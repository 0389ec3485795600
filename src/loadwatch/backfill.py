"""`loadwatch activities backfill`: the per-run signals (step rate, ascent, descent, pace, heart-rate
drift) for runs stored before the importers read them, from their files read again.

Why a command of its own and not a step of `import`: an import skips a file whose bytes it has
seen (that is what keeps a second import of a season at 2% of the first), so rows stored by an
older loadwatch would never be read again. The backfill reads only the files of runs with a signal
still unknown, and only where the file at the stored path still has the bytes imported (a file
changed since may hold another recording; it is left alone and counted). A value already stored is
never overwritten, so running it twice changes nothing the second time. Everything is written in
one transaction at the end: a failure leaves the store as it was.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LoadwatchError
from .importers import content_hash, read_bytes
from .model import Activity
from .store import Store


@dataclass
class Backfilled:
    """What one backfill did: runs looked at, filled, and those it could not, by reason."""

    checked: int = 0
    filled: int = 0
    without_file: int = 0  # typed in, or from an account's summary: nothing to read
    could_not: dict[str, int] = field(default_factory=dict)  # reason -> runs

    def failed(self, reason: str, runs: int) -> None:
        self.could_not[reason] = self.could_not.get(reason, 0) + runs


def backfill(store: Store, athlete_id: int) -> Backfilled:
    result = Backfilled()
    missing = store.activities.missing_signals(athlete_id)
    result.checked = len(missing)
    by_file: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for activity_id, file_id, session in missing:
        if file_id is None:
            result.without_file += 1
        else:
            by_file[file_id].append((activity_id, session))
    files = {i: (path, digest) for i, path, digest in store.files.imported(athlete_id)}
    updates: list[tuple[int, Activity]] = []
    for file_id, runs in by_file.items():
        if file_id not in files:
            result.without_file += len(runs)
            continue
        path, digest = files[file_id]
        acts, why = _read(path, digest)
        if acts is None:
            result.failed(why, len(runs))
            continue
        by_session = {a.session_index: a for a in acts}
        for activity_id, session in runs:
            act = by_session.get(session)
            if act is None:
                result.failed("its session is no longer in the file", 1)
            else:
                updates.append((activity_id, act))
    with store.transaction():
        for activity_id, act in updates:
            store.activities.fill_signals(activity_id, act)
    result.filled = len(updates)
    return result


def _read(path: str, digest: str) -> tuple[list[Activity] | None, str]:
    """The file's activities, or None and why not."""
    if "!" in path and not Path(path).exists():
        return None, "inside an archive (import the archive into a new database to read it)"
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
