"""SQLite: one file, no server. WAL, a busy timeout and `BEGIN IMMEDIATE` for every write, so
readers never wait and two writers queue instead of failing. SQL and connection only.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import LockBusy, StoreError
from .migrate import (
    DELIVERIES,
    HR_DRIFT_COLUMN,
    KNEE_SIGNAL_COLUMNS,
    RACE_COLUMN,
    SNAPSHOT_ATHLETE_COLUMNS,
    SNAPSHOT_SHOE_COLUMNS,
    SNAPSHOT_TABLES,
    Migration,
    migrate,
    require_current,
    script,
)
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


def _m0013_races(db: SqlDb) -> None:
    db.execute(RACE_COLUMN.format(boolean="INTEGER", false="0"))


def _m0014_hr_drift(db: SqlDb) -> None:
    db.execute(HR_DRIFT_COLUMN.format(real="REAL"))


def _m0015_deliveries(db: SqlDb) -> None:
    db.execute(DELIVERIES.format(id="INTEGER", moment="TEXT"))


def _m0016_snapshots(db: SqlDb) -> None:
    # The stored current state of each athlete (see store/migrate.py, SNAPSHOT_TABLES).
    db.execute(
        """
        CREATE TABLE snapshots (
            athlete_id INTEGER PRIMARY KEY REFERENCES athletes(id) ON DELETE CASCADE,
            revision INTEGER NOT NULL DEFAULT 0,
            computed_revision INTEGER,
            day TEXT,
            fingerprint TEXT,
            alerts_since TEXT,
            payload TEXT,
            computed_utc TEXT
        )
        """
    )
    db.execute("INSERT INTO snapshots (athlete_id) SELECT id FROM athletes")
    # The open alerts of a whole club in one query (pending, or sent lately): without it, a scan
    # of every alert of every runner's history (25 ms at 100 athletes of 2 years).
    db.execute("CREATE INDEX alerts_open ON alerts (status, created_utc)")
    bump = "UPDATE snapshots SET revision = revision + 1 WHERE athlete_id"
    db.execute(
        "CREATE TRIGGER snapshots_new_athlete AFTER INSERT ON athletes "
        "BEGIN INSERT INTO snapshots (athlete_id) VALUES (NEW.id); END"
    )
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in SNAPSHOT_ATHLETE_COLUMNS)
    db.execute(
        f"CREATE TRIGGER snapshots_athlete AFTER UPDATE ON athletes WHEN {changed} "
        f"BEGIN {bump} = NEW.id; END"
    )
    for table in SNAPSHOT_TABLES:
        when = ""
        if table == "shoes":
            when = "WHEN " + " OR ".join(
                f"OLD.{c} IS NOT NEW.{c}" for c in ("athlete_id", *SNAPSHOT_SHOE_COLUMNS)
            )
        db.execute(
            f"CREATE TRIGGER snapshots_{table}_insert AFTER INSERT ON {table} "
            f"BEGIN {bump} = NEW.athlete_id; END"
        )
        db.execute(
            f"CREATE TRIGGER snapshots_{table}_update AFTER UPDATE ON {table} {when} "
            f"BEGIN {bump} IN (OLD.athlete_id, NEW.athlete_id); END"
        )
        db.execute(
            f"CREATE TRIGGER snapshots_{table}_delete AFTER DELETE ON {table} "
            f"BEGIN {bump} = OLD.athlete_id; END"
        )


def _m0018_check_claims(db: SqlDb) -> None:
    # When each athlete was last checked by a worker (`check --worker`): a worker that starts
    # after another finished finds the athletes of its run done, as on PostgreSQL (0001).
    db.execute(
        "CREATE TABLE check_claims ("
        "athlete_id INTEGER PRIMARY KEY REFERENCES athletes(id) ON DELETE CASCADE, "
        "checked_utc TEXT)"
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
    ("0013_races", _m0013_races),
    ("0014_hr_drift", _m0014_hr_drift),
    ("0015_deliveries", _m0015_deliveries),
    ("0016_snapshots", _m0016_snapshots),
    ("0017_athlete_units", _m0017_athlete_units),
    ("0018_check_claims", _m0018_check_claims),
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
    def __init__(
        self, path: Path, read_only: bool = False, immutable: bool = False, mode_ro: bool = False
    ):
        super().__init__()
        self.path = path
        self.read_only = read_only or immutable or mode_ro
        if mode_ro:
            # A server's pooled reader: the file opened read-only, so nothing through it can
            # write; the server's own writer connection keeps the WAL files it needs. A pooled
            # connection serves one request at a time, on whichever thread runs it.
            uri = f"file:{quote(str(path.resolve()))}?mode=ro"
            self.conn = sqlite3.connect(
                uri,
                uri=True,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            return
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
                uri,
                uri=True,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            self.conn.execute("PRAGMA query_only = ON")
            return
        # Not bound to a thread: the web's one writer serves edits from its worker threads, one
        # at a time under a lock.
        self.conn = sqlite3.connect(
            str(path),
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
        )
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

    def data_version(self) -> Hashable:
        # data_version moves when another connection commits; total_changes counts this one's.
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return (int(version), self.conn.total_changes)

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

    @classmethod
    def reader(cls, path: Path | str) -> SqliteStore:
        """A connection that cannot write (`mode=ro`), for a server that opened (and migrated)
        the database once at start and keeps a writer open: nothing is checked again."""
        store = cls.__new__(cls)
        store.path = Path(path)
        SqlStore.__init__(store, SqliteDb(store.path, mode_ro=True), f"sqlite:///{store.path}")
        store._held = set()
        return store

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
        since = _moment(started_utc)
        with self.lock("check"):
            done = {
                r[0]
                for r in self.db.rows(
                    "SELECT athlete_id FROM check_claims WHERE checked_utc >= ?", (since,)
                )
            }
            for athlete_id in athlete_ids:
                if athlete_id in done:
                    continue  # a worker of this run (or of a later one) has checked it
                yield athlete_id
                # Checked no earlier than this run's start, so no worker of this run takes the
                # athlete again; a later run does. A worker killed before this line leaves it
                # unchecked, for the next worker to take.
                checked = _moment(max(datetime.now(UTC), started_utc))
                self.db.execute(
                    "INSERT INTO check_claims (athlete_id, checked_utc) VALUES (?, ?) "
                    "ON CONFLICT (athlete_id) DO UPDATE SET checked_utc = excluded.checked_utc",
                    (athlete_id, checked),
                )

    def wait_for_claims(self, athlete_ids: Sequence[int], started_utc: datetime) -> list[int]:
        return []  # the one worker that held the check lock took every athlete


def _moment(t: datetime) -> str:
    """A UTC instant as text that sorts as time does (microseconds always written)."""
    return t.astimezone(UTC).isoformat(timespec="microseconds")
