"""Ordered, named schema migrations, recorded in the database they changed.

Each migration runs once, inside the transaction that records it. A database that knows a
migration this program does not was written by a newer loadwatch: it is refused, not guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from .errors import StoreError

Migration = tuple[str, Callable[[sqlite3.Connection], None]]


def _script(db: sqlite3.Connection, sql: str) -> None:
    # executescript() would COMMIT first and break the migration's transaction.
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _m0001_initial(db: sqlite3.Connection) -> None:
    _script(
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


def _m0002_digests(db: sqlite3.Connection) -> None:
    # Coach digests have no athlete; they get their own ledger with the same promise.
    _script(
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


def _m0003_failed_files(db: sqlite3.Connection) -> None:
    # Files that failed, as they were: a scheduled check reports a broken file once, not daily.
    _script(
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


def _m0004_alerts_since(db: sqlite3.Connection) -> None:
    # Set by an athlete's first check: alerts about earlier days are history, later ones news.
    db.execute("ALTER TABLE athletes ADD COLUMN alerts_since TEXT")


MIGRATIONS: list[Migration] = [
    ("0001_initial", _m0001_initial),
    ("0002_digests", _m0002_digests),
    ("0003_failed_files", _m0003_failed_files),
    ("0004_alerts_since", _m0004_alerts_since),
]


def migrate(db: sqlite3.Connection, migrations: list[Migration] = MIGRATIONS) -> list[str]:
    """Apply what is missing, in order; return the names applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_utc TEXT NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM schema_migrations")}
    known = {name for name, _ in migrations}
    unknown = sorted(done - known)
    if unknown:
        raise StoreError(
            f"the database was written by a newer loadwatch (migration {unknown[-1]}); upgrade loadwatch"
        )
    applied = []
    for name, func in migrations:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # Someone else may have migrated between our read and our lock.
            if db.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone():
                db.execute("COMMIT")
                continue
            func(db)
            db.execute(
                "INSERT INTO schema_migrations (name, applied_utc) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied
