"""The SQLite store: one file, WAL, a busy timeout and `BEGIN IMMEDIATE` for every write.

Callers see the `Store` protocol only (Activity and Athlete in, DataFrames and dataclasses out), so
another backend such as PostgreSQL can stand in later. Parsing happens before a transaction opens;
each file's rows are written in exactly one transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .errors import NotFound, StoreError
from .migrations import migrate
from .model import RUNNING_SPORTS, SOURCE_RANK, Activity, Athlete, ShoeDecl

if TYPE_CHECKING:
    import pandas as pd

# The same outing from two sources: start within this window and distance within this fraction.
DUPLICATE_START_S = 120
DUPLICATE_DISTANCE_FRACTION = 0.05
BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int
    content_hash: str
    status: str


@dataclass(frozen=True)
class SavedFile:
    """What saving one file's activities did: how many are new and how many duplicate others."""

    primary: int
    duplicates: int


class Store(Protocol):
    def add_athlete(self, name: str, email: str | None, tz: str, **extra) -> Athlete: ...
    def athlete(self, name: str) -> Athlete: ...
    def athletes(self) -> list[Athlete]: ...
    def file_state(self, athlete_id: int, path: str) -> FileState | None: ...
    def known_files(self, athlete_id: int) -> dict[str, FileState]: ...
    def hash_known(self, athlete_id: int, content_hash: str) -> bool: ...
    def save_file(
        self,
        athlete_id: int,
        path: str,
        size: int,
        mtime_ns: int,
        content_hash: str,
        status: str,
        activities: Sequence[Activity],
        reason: str | None = None,
        shoes: Sequence[ShoeDecl] = (),
        gear: Mapping[tuple[str, int], str] | None = None,
        gear_authoritative: bool = False,
    ) -> SavedFile: ...
    def add_shoe(
        self,
        athlete_id: int,
        name: str,
        start_m: float = 0.0,
        warn_m: float = 640_000.0,
        retire_m: float = 800_000.0,
        default_for: str | None = None,
        update: bool = False,
    ) -> None: ...
    def shoes_frame(self, athlete_id: int) -> pd.DataFrame: ...
    def assign_shoe(
        self,
        athlete_id: int,
        shoe: str | None,
        activity_id: int | None = None,
        start_utc: datetime | None = None,
        end_utc: datetime | None = None,
    ) -> int: ...
    def retire_shoe(self, athlete_id: int, name: str, retired: bool = True) -> None: ...
    def activities_frame(
        self, athlete_id: int, include_duplicates: bool = False
    ) -> pd.DataFrame: ...
    def close(self) -> None: ...


def _utc_text(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqliteStore:
    """SQLite implementation of `Store`."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(
                str(self.path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            migrate(self.db)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot open database {self.path}: {e}") from e
        self.db.row_factory = sqlite3.Row

    # -- plumbing -------------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with the lock up front so two writers never deadlock."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- athletes -------------------------------------------------------------------------------
    def add_athlete(
        self,
        name: str,
        email: str | None = None,
        tz: str = "UTC",
        resting_hr: int | None = None,
        max_hr: int | None = None,
        sex: str | None = None,
        update: bool = False,
    ) -> Athlete:
        with self.write() as db:
            exists = db.execute("SELECT id FROM athletes WHERE name = ?", (name,)).fetchone()
            if exists and not update:
                raise StoreError(f"athlete {name!r} exists already")
            if exists:
                db.execute(
                    "UPDATE athletes SET email = COALESCE(?, email), tz = ?, "
                    "resting_hr = COALESCE(?, resting_hr), max_hr = COALESCE(?, max_hr), "
                    "sex = COALESCE(?, sex) WHERE id = ?",
                    (email, tz, resting_hr, max_hr, sex, exists["id"]),
                )
            else:
                db.execute(
                    "INSERT INTO athletes (name, email, tz, resting_hr, max_hr, sex, created_utc) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, email, tz, resting_hr, max_hr, sex, _now()),
                )
        return self.athlete(name)

    def athlete(self, name: str) -> Athlete:
        row = self.db.execute("SELECT * FROM athletes WHERE name = ?", (name,)).fetchone()
        if row is None:
            known = [a.name for a in self.athletes()]
            hint = (
                f" (known: {', '.join(known)})"
                if known
                else " (add one with 'loadwatch athletes add')"
            )
            raise NotFound(f"no athlete named {name!r}{hint}")
        return _athlete(row)

    def athletes(self) -> list[Athlete]:
        return [_athlete(r) for r in self.db.execute("SELECT * FROM athletes ORDER BY name")]

    # -- files and activities -------------------------------------------------------------------
    def file_state(self, athlete_id: int, path: str) -> FileState | None:
        row = self.db.execute(
            "SELECT size, mtime_ns, content_hash, status FROM imported_files "
            "WHERE athlete_id = ? AND path = ?",
            (athlete_id, path),
        ).fetchone()
        return FileState(*row) if row else None

    def known_files(self, athlete_id: int) -> dict[str, FileState]:
        """Every recorded file of an athlete, in one query: the unchanged check of a big folder."""
        rows = self.db.execute(
            "SELECT path, size, mtime_ns, content_hash, status FROM imported_files WHERE athlete_id = ?",
            (athlete_id,),
        )
        return {r[0]: FileState(r[1], r[2], r[3], r[4]) for r in rows}

    def failed_files(self, athlete_id: int) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) of files that failed as they are now."""
        rows = self.db.execute(
            "SELECT path, size, mtime_ns FROM failed_files WHERE athlete_id = ?", (athlete_id,)
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    def record_failure(
        self, athlete_id: int, path: str, size: int, mtime_ns: int, reason: str
    ) -> None:
        with self.write() as db:
            db.execute(
                "INSERT INTO failed_files (athlete_id, path, size, mtime_ns, reason, seen_utc) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (athlete_id, path) DO UPDATE SET "
                "size = excluded.size, mtime_ns = excluded.mtime_ns, reason = excluded.reason, "
                "seen_utc = excluded.seen_utc",
                (athlete_id, path, size, mtime_ns, reason, _now()),
            )

    def known_hashes(self, athlete_id: int) -> set[str]:
        """Content hashes of every file imported (or recorded as a copy) for an athlete."""
        rows = self.db.execute(
            "SELECT DISTINCT content_hash FROM imported_files WHERE athlete_id = ? AND status != 'skipped'",
            (athlete_id,),
        )
        return {r[0] for r in rows}

    def hash_known(self, athlete_id: int, content_hash: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM imported_files WHERE athlete_id = ? AND content_hash = ? "
                "AND status != 'skipped' LIMIT 1",
                (athlete_id, content_hash),
            ).fetchone()
            is not None
        )

    def save_file(
        self,
        athlete_id: int,
        path: str,
        size: int,
        mtime_ns: int,
        content_hash: str,
        status: str,
        activities: Sequence[Activity] = (),
        reason: str | None = None,
        shoes: Sequence[ShoeDecl] = (),
        gear: Mapping[tuple[str, int], str] | None = None,
        gear_authoritative: bool = False,
    ) -> SavedFile:
        """Record a file (or a whole export) and its activities in one transaction.

        Cross-source duplicates are resolved as they arrive; `shoes` an export declares are
        created, and `gear` (content hash, session) -> shoe name puts each run on its shoe, also
        when the run itself was already stored from another source.
        """
        primary = duplicates = 0
        gear = gear or {}
        with self.write() as db:
            for decl in shoes:
                self._declare_shoe(db, athlete_id, decl)
            db.execute(
                "INSERT INTO imported_files "
                "(athlete_id, path, size, mtime_ns, content_hash, status, reason, imported_utc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (athlete_id, path) DO UPDATE SET size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, content_hash = excluded.content_hash, "
                "status = excluded.status, reason = excluded.reason, imported_utc = excluded.imported_utc",
                (athlete_id, path, size, mtime_ns, content_hash, status, reason, _now()),
            )
            file_id = db.execute(
                "SELECT id FROM imported_files WHERE athlete_id = ? AND path = ?",
                (athlete_id, path),
            ).fetchone()[0]
            for act in activities:
                shoe_id = self._shoe_by_name(
                    db, athlete_id, gear.get((act.content_hash, act.session_index))
                )
                known = db.execute(
                    "SELECT id, duplicate_of FROM activities WHERE athlete_id = ? AND content_hash = ? "
                    "AND session_index = ?",
                    (athlete_id, act.content_hash, act.session_index),
                ).fetchone()
                if known:
                    duplicates += 1  # the same bytes under another name: already stored
                    if shoe_id is not None:
                        db.execute(
                            "UPDATE activities SET shoe_id = ? WHERE id = ?",
                            (shoe_id, known[1] or known[0]),
                        )
                    continue
                if self._insert_resolving_duplicates(
                    db, athlete_id, file_id, act, shoe_id, defaults=not gear_authoritative
                ):
                    primary += 1
                else:
                    duplicates += 1
        return SavedFile(primary, duplicates)

    @staticmethod
    def _shoe_by_name(db: sqlite3.Connection, athlete_id: int, name: str | None) -> int | None:
        if not name:
            return None
        row = db.execute(
            "SELECT id FROM shoes WHERE athlete_id = ? AND name = ?", (athlete_id, name)
        ).fetchone()
        return row[0] if row else None

    @staticmethod
    def _declare_shoe(db: sqlite3.Connection, athlete_id: int, decl: ShoeDecl) -> None:
        """A shoe from an export: created once; it becomes a default only where none is set."""
        if db.execute(
            "SELECT 1 FROM shoes WHERE athlete_id = ? AND name = ?", (athlete_id, decl.name)
        ).fetchone():
            return
        default = decl.default_for
        if (
            default
            and db.execute(
                "SELECT 1 FROM shoes WHERE athlete_id = ? AND default_for = ?",
                (athlete_id, default),
            ).fetchone()
        ):
            default = None
        db.execute(
            "INSERT INTO shoes (athlete_id, name, default_for, created_utc) VALUES (?, ?, ?, ?)",
            (athlete_id, decl.name, default, _now()),
        )

    def _insert_resolving_duplicates(
        self,
        db: sqlite3.Connection,
        athlete_id: int,
        file_id: int,
        act: Activity,
        gear_shoe: int | None = None,
        defaults: bool = True,
    ) -> bool:
        """Insert; if the same outing is stored from another source, keep the better one primary.

        Returns True when the new activity is the primary copy.
        """
        lo = _utc_text(act.start_utc - timedelta(seconds=DUPLICATE_START_S))
        hi = _utc_text(act.start_utc + timedelta(seconds=DUPLICATE_START_S))
        twin = None
        for row in db.execute(
            "SELECT id, distance_m, source_format, content_hash FROM activities "
            "WHERE athlete_id = ? AND duplicate_of IS NULL AND start_utc BETWEEN ? AND ? "
            "ORDER BY ABS(julianday(start_utc) - julianday(?))",
            (athlete_id, lo, hi, _utc_text(act.start_utc)),
        ):
            if row["content_hash"] == act.content_hash:
                continue  # another session of the same file (a multisport leg) is no duplicate
            if abs(row["distance_m"] - act.distance_m) <= DUPLICATE_DISTANCE_FRACTION * max(
                row["distance_m"], act.distance_m
            ):
                twin = row
                break
        new_is_primary = twin is None or SOURCE_RANK.get(act.source_format, 0) > SOURCE_RANK.get(
            twin["source_format"], 0
        )
        if gear_shoe is not None and act.is_run:
            shoe_id = gear_shoe  # the export says which shoe: that beats any default
        else:
            shoe_id = self._default_shoe(db, athlete_id, act) if twin is None and defaults else None
        new_id = db.execute(
            "INSERT INTO activities (athlete_id, file_id, session_index, sport, sub_sport, start_utc, "
            "utc_offset_s, distance_m, moving_s, elapsed_s, avg_hr, max_hr, elevation_gain_m, "
            "hr_histogram, device, source_format, source_path, content_hash, duplicate_of, shoe_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                athlete_id,
                file_id,
                act.session_index,
                act.sport,
                act.sub_sport,
                _utc_text(act.start_utc),
                act.utc_offset_s,
                act.distance_m,
                act.moving_s,
                act.elapsed_s,
                act.avg_hr,
                act.max_hr,
                act.elevation_gain_m,
                json.dumps(act.hr_histogram_s) if act.hr_histogram_s else None,
                act.device,
                act.source_format,
                act.source_path,
                act.content_hash,
                None if new_is_primary else twin["id"],
                shoe_id,
            ),
        ).lastrowid
        if twin is not None and not new_is_primary and gear_shoe is not None:
            db.execute("UPDATE activities SET shoe_id = ? WHERE id = ?", (gear_shoe, twin["id"]))
        if twin is not None and new_is_primary:
            # The better source takes over: the old copy and its own duplicates now point here,
            # and whatever shoe the old copy carried moves with it (unless the export named one).
            if gear_shoe is None:
                db.execute(
                    "UPDATE activities SET shoe_id = (SELECT shoe_id FROM activities WHERE id = ?) "
                    "WHERE id = ?",
                    (twin["id"], new_id),
                )
            db.execute(
                "UPDATE activities SET duplicate_of = ?, shoe_id = NULL "
                "WHERE id = ? OR duplicate_of = ?",
                (new_id, twin["id"], twin["id"]),
            )
        return new_is_primary

    @staticmethod
    def _default_shoe(db: sqlite3.Connection, athlete_id: int, act: Activity) -> int | None:
        """The athlete's default shoe for this kind of run: a sub-sport default (e.g. trail)
        beats the running default; walks, rides and swims get no shoe."""
        if not act.is_run:
            return None
        keys = [k for k in (act.sub_sport, act.sport, "running") if k and k != "generic"]
        for key in keys:
            row = db.execute(
                "SELECT id FROM shoes WHERE athlete_id = ? AND default_for = ? AND retired = 0 "
                "ORDER BY id DESC LIMIT 1",
                (athlete_id, key),
            ).fetchone()
            if row:
                return row[0]
        return None

    # -- shoes ----------------------------------------------------------------------------------
    def add_shoe(
        self,
        athlete_id: int,
        name: str,
        start_m: float = 0.0,
        warn_m: float = 640_000.0,
        retire_m: float = 800_000.0,
        default_for: str | None = None,
        update: bool = False,
    ) -> None:
        with self.write() as db:
            exists = db.execute(
                "SELECT id FROM shoes WHERE athlete_id = ? AND name = ?", (athlete_id, name)
            ).fetchone()
            if exists and not update:
                raise StoreError(f"shoe {name!r} exists already")
            if default_for:
                # One default per kind of run: the new one takes over.
                db.execute(
                    "UPDATE shoes SET default_for = NULL WHERE athlete_id = ? AND default_for = ?",
                    (athlete_id, default_for),
                )
            if exists:
                db.execute(
                    "UPDATE shoes SET start_m = ?, warn_m = ?, retire_m = ?, "
                    "default_for = COALESCE(?, default_for) WHERE id = ?",
                    (start_m, warn_m, retire_m, default_for, exists[0]),
                )
            else:
                db.execute(
                    "INSERT INTO shoes (athlete_id, name, start_m, warn_m, retire_m, default_for, "
                    "created_utc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (athlete_id, name, start_m, warn_m, retire_m, default_for, _now()),
                )

    def shoes_frame(self, athlete_id: int) -> pd.DataFrame:
        import pandas as pd

        return pd.read_sql_query(
            "SELECT * FROM shoes WHERE athlete_id = ? ORDER BY retired, name",
            self.db,
            params=(athlete_id,),
        )

    def _shoe_id(self, athlete_id: int, name: str) -> int:
        row = self.db.execute(
            "SELECT id FROM shoes WHERE athlete_id = ? AND name = ?", (athlete_id, name)
        ).fetchone()
        if row is None:
            names = [
                r[0]
                for r in self.db.execute(
                    "SELECT name FROM shoes WHERE athlete_id = ? ORDER BY name", (athlete_id,)
                )
            ]
            hint = (
                f" (known: {', '.join(names)})"
                if names
                else " (add one with 'loadwatch shoes add')"
            )
            raise NotFound(f"no shoe named {name!r}{hint}")
        return row[0]

    def activity_owner(self, activity_id: int) -> str:
        row = self.db.execute(
            "SELECT a.name FROM activities x JOIN athletes a ON a.id = x.athlete_id WHERE x.id = ?",
            (activity_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no activity {activity_id} (see 'loadwatch activities')")
        return row[0]

    def shoe_owners(self, name: str) -> list[str]:
        rows = self.db.execute(
            "SELECT a.name FROM shoes s JOIN athletes a ON a.id = s.athlete_id WHERE s.name = ? ORDER BY a.name",
            (name,),
        )
        return [r[0] for r in rows]

    def assign_shoe(
        self,
        athlete_id: int,
        shoe: str | None,
        activity_id: int | None = None,
        start_utc: datetime | None = None,
        end_utc: datetime | None = None,
    ) -> int:
        """Put one activity, or every run in [start, end), on a shoe (None: no shoe). Returns count."""
        shoe_id = self._shoe_id(athlete_id, shoe) if shoe else None
        with self.write() as db:
            if activity_id is not None:
                row = db.execute(
                    "SELECT duplicate_of FROM activities WHERE id = ? AND athlete_id = ?",
                    (activity_id, athlete_id),
                ).fetchone()
                if row is None:
                    raise NotFound(f"no activity {activity_id} for this athlete")
                target = row[0] or activity_id  # a duplicate's shoe lives on its primary copy
                return db.execute(
                    "UPDATE activities SET shoe_id = ? WHERE id = ?", (shoe_id, target)
                ).rowcount
            sports = sorted(RUNNING_SPORTS)
            sql = (
                "UPDATE activities SET shoe_id = ? WHERE athlete_id = ? AND duplicate_of IS NULL "
                f"AND sport IN ({', '.join('?' * len(sports))})"
            )
            args: list = [shoe_id, athlete_id, *sports]
            if start_utc is not None:
                sql += " AND start_utc >= ?"
                args.append(_utc_text(start_utc))
            if end_utc is not None:
                sql += " AND start_utc < ?"
                args.append(_utc_text(end_utc))
            return db.execute(sql, args).rowcount

    def retire_shoe(self, athlete_id: int, name: str, retired: bool = True) -> None:
        shoe_id = self._shoe_id(athlete_id, name)
        with self.write() as db:
            db.execute(
                "UPDATE shoes SET retired = ?, default_for = CASE WHEN ? THEN NULL ELSE default_for END "
                "WHERE id = ?",
                (int(retired), int(retired), shoe_id),
            )

    def activities_frame(self, athlete_id: int, include_duplicates: bool = False) -> pd.DataFrame:
        """The athlete's activities as a DataFrame with an aware UTC `start_utc` column."""
        import pandas as pd  # not at module level: `import` of an unchanged folder needs no pandas

        sql = "SELECT * FROM activities WHERE athlete_id = ?"
        if not include_duplicates:
            sql += " AND duplicate_of IS NULL"
        frame = pd.read_sql_query(sql + " ORDER BY start_utc, id", self.db, params=(athlete_id,))
        frame["start_utc"] = pd.to_datetime(frame["start_utc"], utc=True, format="ISO8601")
        return frame

    # -- alert and digest ledger (the policy lives in ledger.py) -------------------------------
    def known_alert_keys(self, keys: Sequence[str]) -> set[str]:
        known: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            rows = self.db.execute(
                f"SELECT key FROM alerts WHERE key IN ({', '.join('?' * len(chunk))})", chunk
            )
            known.update(r[0] for r in rows)
        return known

    def alerts_since(self, athlete_id: int, first_check: date | None = None) -> date | None:
        """The day an athlete's alerts start; with `first_check`, set it if it was never set."""
        if first_check is not None:
            with self.write() as db:
                db.execute(
                    "UPDATE athletes SET alerts_since = ? WHERE id = ? AND alerts_since IS NULL",
                    (first_check.isoformat(), athlete_id),
                )
        row = self.db.execute(
            "SELECT alerts_since FROM athletes WHERE id = ?", (athlete_id,)
        ).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    def insert_alerts(
        self, athlete_id: int, rows: Sequence[tuple[str, str, str, str]]
    ) -> list[str]:
        """(key, rule, status, payload) rows; a key already present is left alone. Returns the
        statuses of the rows actually inserted."""
        inserted = []
        with self.write() as db:
            for key, rule, status, payload in rows:
                cur = db.execute(
                    "INSERT INTO alerts (athlete_id, key, rule, status, payload, created_utc) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                    (athlete_id, key, rule, status, payload, _now()),
                )
                if cur.rowcount:
                    inserted.append(status)
        return inserted

    def alert_payloads(
        self, athlete_id: int, statuses: Sequence[str], since_utc: datetime | None = None
    ) -> list[str]:
        sql = f"SELECT payload FROM alerts WHERE athlete_id = ? AND status IN ({', '.join('?' * len(statuses))})"
        args: list = [athlete_id, *statuses]
        if since_utc is not None:
            sql += " AND created_utc >= ?"
            args.append(_utc_text(since_utc))
        return [r[0] for r in self.db.execute(sql + " ORDER BY id", args)]

    def alert_ledger(self, athlete_id: int) -> list[dict]:
        """Every ledger row of an athlete, oldest first, for `loadwatch alerts`."""
        rows = self.db.execute(
            "SELECT key, rule, status, payload, created_utc, sent_utc, attempts, last_error "
            "FROM alerts WHERE athlete_id = ? ORDER BY id",
            (athlete_id,),
        )
        return [dict(r) for r in rows]

    def alerts_sent(self, keys: Sequence[str], message_id: str) -> None:
        with self.write() as db:
            db.executemany(
                "UPDATE alerts SET status = 'sent', sent_utc = ?, message_id = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE key = ? AND status = 'pending'",
                [(_now(), message_id, k) for k in keys],
            )

    def alerts_failed(self, keys: Sequence[str], error: str) -> None:
        with self.write() as db:
            db.executemany(
                "UPDATE alerts SET attempts = attempts + 1, last_error = ? WHERE key = ? AND status = 'pending'",
                [(error, k) for k in keys],
            )

    def digest_status(self, key: str, coach: str | None = None) -> str | None:
        """The digest's status; with `coach`, first record it as pending if it is new."""
        with self.write() as db:
            if coach is not None:
                db.execute(
                    "INSERT INTO digests (key, coach, status, created_utc) VALUES (?, ?, 'pending', ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    (key, coach, _now()),
                )
            row = db.execute("SELECT status FROM digests WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def digest_finished(self, key: str, message_id: str | None, error: str | None) -> None:
        with self.write() as db:
            if error is None:
                db.execute(
                    "UPDATE digests SET status = 'sent', sent_utc = ?, message_id = ?, attempts = attempts + 1 "
                    "WHERE key = ?",
                    (_now(), message_id, key),
                )
            else:
                db.execute(
                    "UPDATE digests SET attempts = attempts + 1, last_error = ? WHERE key = ?",
                    (error, key),
                )


def _athlete(row: sqlite3.Row) -> Athlete:
    return Athlete(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        tz=row["tz"],
        resting_hr=row["resting_hr"],
        max_hr=row["max_hr"],
        sex=row["sex"],
    )


def open_store(path: Path | str) -> SqliteStore:
    return SqliteStore(path)
