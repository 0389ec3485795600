"""SQLite: one file, no server. WAL, a busy timeout and `BEGIN IMMEDIATE` for every write, so
readers never wait and two writers queue instead of failing. SQL and connection only.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import LockBusy, StoreError
from .migrate import KNEE_SIGNAL_COLUMNS, Migration, migrate, require_current, script
from .sql import SqlDb, SqlStore

BUSY_TIMEOUT_MS = 30_000


def _m0001_initial(db: SqlDb) -> None:
    script(
        db,
        """
        CREATE TABLE athletes (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            email TEXT,
            tz TEXT NOT NULL DEFAULT 'UTC',
            resting_hr INTEGER,
            max_hr INTEGER,
            sex TEXT,
            created_utc TEXT NOT NULL
        );
        CREATE TABLE imported_files (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('imported', 'duplicate', 'skipped')),
            reason TEXT,
            imported_utc TEXT NOT NULL,
            UNIQUE (athlete_id, path)
        );
        CREATE INDEX imported_files_hash ON imported_files (athlete_id, content_hash);
        CREATE TABLE shoes (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            start_m REAL NOT NULL DEFAULT 0,
            warn_m REAL NOT NULL DEFAULT 640000,
            retire_m REAL NOT NULL DEFAULT 800000,
            retired INTEGER NOT NULL DEFAULT 0,
            default_for TEXT,
            created_utc TEXT NOT NULL,
            UNIQUE (athlete_id, name)
        );
        CREATE TABLE activities (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
            file_id INTEGER REFERENCES imported_files(id) ON DELETE SET NULL,
            session_index INTEGER NOT NULL DEFAULT 0,
            sport TEXT NOT NULL,
            sub_sport TEXT,
            start_utc TEXT NOT NULL,
            utc_offset_s INTEGER,
            distance_m REAL NOT NULL,
            moving_s REAL,
            elapsed_s REAL,
            avg_hr REAL,
            max_hr REAL,
            elevation_gain_m REAL,
            hr_histogram TEXT,
            device TEXT,
            source_format TEXT NOT NULL,
            source_path TEXT,
            content_hash TEXT NOT NULL,
            duplicate_of INTEGER REFERENCES activities(id),
            shoe_id INTEGER REFERENCES shoes(id) ON DELETE SET NULL,
            UNIQUE (athlete_id, content_hash, session_index)
        );
        CREATE INDEX activities_by_start ON activities (athlete_id, start_utc);
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
            key TEXT NOT NULL UNIQUE,
            rule TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'known')),
            payload TEXT NOT NULL,
            created_utc TEXT NOT NULL,
            sent_utc TEXT,
            message_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        """,
    )


def _m0002_digests(db: SqlDb) -> None:
    # Coach digests have no athlete; they get their own ledger with the same promise.
    script(
        db,
        """
        CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            coach TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent')),
            created_utc TEXT NOT NULL,
            sent_utc TEXT,
            message_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        )
        """,
    )


def _m0003_failed_files(db: SqlDb) -> None:
    # Files that failed, as they were: a scheduled check reports a broken file once, not daily.
    script(
        db,
        """
        CREATE TABLE failed_files (
            athlete_id INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            reason TEXT NOT NULL,
            seen_utc TEXT NOT NULL,
            PRIMARY KEY (athlete_id, path)
        )
        """,
    )


def _m0004_alerts_since(db: SqlDb) -> None:
    # Set by an athlete's first check: alerts about earlier days are history, later ones news.
    db.execute("ALTER TABLE athletes ADD COLUMN alerts_since TEXT")


def _m0005_alert_keys_by_id(db: SqlDb) -> None:
    # Alert keys name the athlete by id, not by name, so a rename cannot resend history.
    for athlete_id, name in db.rows("SELECT id, name FROM athletes"):
        for row_id, key in db.rows(
            "SELECT id, key FROM alerts WHERE athlete_id = ?", (athlete_id,)
        ):
            rule, _, rest = key.partition(":")
            if rest.startswith(f"{name}:"):
                new = f"{rule}:{athlete_id}:{rest[len(name) + 1 :]}"
                db.execute("UPDATE alerts SET key = ? WHERE id = ?", (new, row_id))


# Edits belong to the outing: they live on the activity row and move with it when a better source
# of the same run takes over. `deleted` keeps a tombstone, so a re-import does not bring a
# deleted run back.
ACTIVITY_EDIT_COLUMNS = """
    ALTER TABLE activities ADD COLUMN sport_edit TEXT;
    ALTER TABLE activities ADD COLUMN distance_edit_m REAL;
    ALTER TABLE activities ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE activities ADD COLUMN exclude_reason TEXT;
    ALTER TABLE activities ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE activities ADD COLUMN edited_utc TEXT;
    ALTER TABLE activities ADD COLUMN distance_source TEXT;
    ALTER TABLE activities ADD COLUMN rpe INTEGER;
    ALTER TABLE activities ADD COLUMN name TEXT
"""


def _m0006_activity_edits(db: SqlDb) -> None:
    script(db, ACTIVITY_EDIT_COLUMNS)


def _m0007_alerts_by_athlete(db: SqlDb) -> None:
    # Every check asks for an athlete's pending alerts: without this, a scan of the club's ledger
    # (3 ms per athlete at 1,000 athletes). PostgreSQL has had it from its first migration.
    script(db, "CREATE INDEX alerts_by_athlete ON alerts (athlete_id, status);")


def _m0008_needs_a_look(db: SqlDb) -> None:
    # Why a stored run needs a person's eye (a month-long recording, a likely re-saved copy).
    db.execute("ALTER TABLE activities ADD COLUMN look TEXT")


def _m0009_devices_and_sources(db: SqlDb) -> None:
    # Whose watch a serial number is (`loadwatch sync`), and how far each account source of an
    # athlete was pulled (`loadwatch pull`): a cursor moves only with what was stored.
    script(
        db,
        """
        CREATE TABLE devices (
            serial TEXT PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
            last_sync_utc TEXT NOT NULL
        );
        CREATE TABLE source_cursors (
            athlete_id INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            cursor TEXT NOT NULL,
            updated_utc TEXT NOT NULL,
            PRIMARY KEY (athlete_id, source)
        )
        """,
    )


def _m0010_calendar_keys(db: SqlDb) -> None:
    # The secret in an athlete's calendar feed URL (`athletes calendar-key`): None until asked for.
    db.execute("ALTER TABLE athletes ADD COLUMN calendar_key TEXT")


def _m0011_pain_reports(db: SqlDb) -> None:
    # The runner's own pain reports (`loadwatch pain`): typed by hand, never from a file, so
    # they sit apart from the file-derived tables and survive every re-import.
    db.execute(
        """
        CREATE TABLE pain_reports (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
            at_when TEXT NOT NULL CHECK (at_when IN ('morning', 'during', 'after')),
            at_where TEXT,
            note TEXT,
            created_utc TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX pain_reports_by_day ON pain_reports (athlete_id, day)")


def _m0012_knee_signals(db: SqlDb) -> None:
    script(db, KNEE_SIGNAL_COLUMNS.format(real="REAL"))


def _m0017_athlete_units(db: SqlDb) -> None:
    # How an athlete reads distances and paces (units.py); the store itself counts metres.
    db.execute(
        "ALTER TABLE athletes ADD COLUMN units TEXT NOT NULL DEFAULT 'km' "
        "CHECK (units IN ('km', 'mi'))"
    )


MIGRATIONS: list[Migration] = [
    ("0001_initial", _m0001_initial),
    ("0002_digests", _m0002_digests),
    ("0003_failed_files", _m0003_failed_files),
    ("0004_alerts_since", _m0004_alerts_since),
    ("0005_alert_keys_by_id", _m0005_alert_keys_by_id),
    ("0006_activity_edits", _m0006_activity_edits),
    ("0007_alerts_by_athlete", _m0007_alerts_by_athlete),
    ("0008_needs_a_look", _m0008_needs_a_look),
    ("0009_devices_and_sources", _m0009_devices_and_sources),
    ("0010_calendar_keys", _m0010_calendar_keys),
    ("0011_pain_reports", _m0011_pain_reports),
    ("0012_knee_signals", _m0012_knee_signals),
    ("0017_athlete_units", _m0017_athlete_units),
]


def _param(value: Any) -> Any:
    """SQLite keeps moments as ISO text in UTC (sortable as text), days as ISO dates."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class SqliteDb(SqlDb):
    def __init__(self, path: Path, read_only: bool = False, immutable: bool = False):
        super().__init__()
        self.path = path
        self.read_only = read_only or immutable
        if immutable:
            # On a read-only mount SQLite cannot create the WAL's shared-memory file; immutable
            # tells it that nothing can change the file there, so it reads without one.
            uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            self.conn.execute("PRAGMA query_only = ON")
            return
        if read_only:
            # A live database read by `web --read-only` while a check writes it: mode=rw never
            # creates a missing file, query_only refuses every write, and (unlike mode=ro, which
            # cannot delete them) closing removes the WAL files SQLite made for reading.
            uri = f"file:{quote(str(path.resolve()))}?mode=rw"
            self.conn = sqlite3.connect(
                uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self.conn.execute("PRAGMA query_only = ON")
            return
        self.conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Switching a new file to WAL takes an exclusive lock and can answer "database is
        # locked" at once, without the busy handler, while another process creates the same
        # file: wait for it like for any other write.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, [_param(p) for p in params])
        except sqlite3.OperationalError as e:
            text = str(e)
            if "disk is full" in text or "disk I/O error" in text:
                raise StoreError(f"disk full: cannot write to {self.path} ({text})") from e
            if "readonly" in text or "read-only" in text or "query_only" in text or self.read_only:
                raise StoreError(
                    f"the database {self.path} is read-only (a read-only file or mount): "
                    "it can be read, not changed"
                ) from e
            raise

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so two writers never deadlock.
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def hold_athlete(self, athlete_id: int) -> None:
        pass  # BEGIN IMMEDIATE: no other transaction writes until this one ends


def _cannot_write(path: Path) -> bool:
    """The file or its folder refuses writes (mode, owner or a read-only mount)."""
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return True
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


class SqliteStore(SqlStore):
    """The default store: one file beside nothing."""

    def __init__(self, path: Path | str, read_only: bool = False):
        """`read_only`: use the file as it is (no folder, file, migration or write of any kind)."""
        self.path = Path(path)
        if read_only:
            if not self.path.is_file():
                raise StoreError(f"no database at {self.path} (read-only: nothing is created)")
            db = self._read_only(live=not _cannot_write(self.path))
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = SqliteDb(self.path)
                migrate(db, MIGRATIONS)
            except sqlite3.DatabaseError as e:
                if not (self.path.is_file() and _cannot_write(self.path)):
                    raise StoreError(f"cannot open database {self.path}: {e}") from e
                db = self._read_only(live=False)
        super().__init__(db, f"sqlite:///{self.path}")
        self._held: set[str] = set()

    def _read_only(self, live: bool) -> SqliteDb:
        """A database on a read-only file or mount (or opened read-only) still shows everything:
        reports, lists and the web page work; anything that writes fails with one line saying
        why. `live`: other processes may write it meanwhile (not on a read-only mount)."""
        try:
            db = SqliteDb(self.path, read_only=True, immutable=not live)
            done = {r[0] for r in db.conn.execute("SELECT name FROM schema_migrations")}
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot open database {self.path} (read-only): {e}") from e
        try:
            require_current(done, MIGRATIONS, str(self.path))
        except StoreError:
            db.close()
            raise
        return db

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """A file lock beside the database: the kernel drops it when the process dies."""
        lock_path = Path(f"{self.path}.lock" if name == "check" else f"{self.path}.{name}.lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise StoreError(f"cannot take the lock {lock_path}: {e.strerror or e}") from e
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as e:
                raise LockBusy(f"another loadwatch check is running (lock {lock_path})") from e
            self._held.add(name)
            yield
        finally:
            self._held.discard(name)
            os.close(fd)

    def claim_athletes(self, athlete_ids: Sequence[int], started_utc: datetime) -> Iterator[int]:
        """One file has one writer at a time: the worker that holds the check lock takes every
        athlete, and the others step aside (LockBusy)."""
        if "check" in self._held:
            yield from athlete_ids
            return
        with self.lock("check"):
            yield from athlete_ids

    def wait_for_claims(self, athlete_ids: Sequence[int], started_utc: datetime) -> list[int]:
        return []  # the one worker that held the check lock took every athlete
