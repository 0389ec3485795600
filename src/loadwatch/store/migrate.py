"""Ordered, named schema migrations, recorded in the database they changed.

Each backend keeps its own list (SQLite and PostgreSQL differ in types, not in meaning). Each
migration runs once, inside the transaction that records it. A database that knows a migration
this program does not was written by a newer loadwatch: it is refused, not guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..errors import StoreError
from .sql import now_utc

if TYPE_CHECKING:
    from .sql import SqlDb

Migration = tuple[str, Callable[["SqlDb"], None]]


def script(db: SqlDb, sql: str) -> None:
    """Several statements, one at a time, inside the migration's transaction."""
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def require_current(done: set[str], migrations: Sequence[Migration], where: str) -> None:
    """A database used as it is (read-only) must hold exactly the migrations this program knows:
    an older one cannot be upgraded without a write, a newer one may mean something else."""
    known = [name for name, _ in migrations]
    if not done:
        raise StoreError(f"{where} is not a loadwatch database (no tables yet)")
    if done - set(known):
        raise StoreError(
            f"the database {where} was written by a newer loadwatch "
            f"(migration {sorted(done - set(known))[-1]}); upgrade loadwatch"
        )
    if any(name not in done for name in known):
        raise StoreError(
            f"the database {where} was written by an older loadwatch and is opened read-only: "
            "open it once where it can be written (without --read-only), so it can be upgraded"
        )


def migrate(db: SqlDb, migrations: Sequence[Migration], serialize: str = "") -> list[str]:
    """Apply what is missing, in order; return the names applied.

    `serialize` is a statement run first in each migration's transaction that makes concurrent
    starters wait for each other (SQLite's BEGIN IMMEDIATE already does).
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(name TEXT PRIMARY KEY, applied_utc TEXT NOT NULL)"
    )
    done = {row[0] for row in db.rows("SELECT name FROM schema_migrations")}
    unknown = sorted(done - {name for name, _ in migrations})
    if unknown:
        raise StoreError(
            f"the database was written by a newer loadwatch (migration {unknown[-1]}); "
            "upgrade loadwatch"
        )
    applied = []
    for name, func in migrations:
        if name in done:
            continue
        with db.transaction():
            if serialize:
                db.execute(serialize)
            # Someone else may have migrated between our read and our lock.
            if db.one("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)):
                continue
            func(db)
            db.execute(
                "INSERT INTO schema_migrations (name, applied_utc) VALUES (?, ?)",
                (name, now_utc().isoformat()),
            )
        applied.append(name)
    return applied


# Per-run knee-load signals read at import (model.Activity): step rate, the device's or the
# altitude stream's ascent and descent, pace over the moving time. Rows stored before stay NULL
# until their files are read again.
KNEE_SIGNAL_COLUMNS = """
    ALTER TABLE activities ADD COLUMN step_rate_spm {real};
    ALTER TABLE activities ADD COLUMN ascent_m {real};
    ALTER TABLE activities ADD COLUMN descent_m {real};
    ALTER TABLE activities ADD COLUMN avg_pace_s_per_km {real}
"""
# Pace:HR decoupling per run (importers/drift.py), read at import; NULL for rows stored before
# until `loadwatch activities backfill` reads their files again.
HR_DRIFT_COLUMN = "ALTER TABLE activities ADD COLUMN hr_drift_pct {real}"


# A race the runner marked (`activities edit ID --race`): it stays in the load but leaves the
# spike reference (the 30-day longest run) and the headroom's run cap (load/spikes.py).
RACE_COLUMN = "ALTER TABLE activities ADD COLUMN race {boolean} NOT NULL DEFAULT {false}"


# Delivery per channel (email, each Apprise URL): an alert or digest is settled once every
# channel it goes to has it; a channel that is down keeps only its own row pending. `key` is
# an alert's or a digest's key (a digest has no athlete); `channel` a stable id, never a URL
# (the URL may hold a secret).
DELIVERIES = """
    CREATE TABLE deliveries (
        key TEXT NOT NULL,
        channel TEXT NOT NULL,
        athlete_id {id} REFERENCES athletes(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_utc {moment},
        message_id TEXT,
        PRIMARY KEY (key, channel)
    )
"""


# Each athlete's current state (the digest row, see `snapshot.py`) is stored, with the revision of
# the athlete's data it was computed from. Triggers bump the revision in the same transaction as
# any change to what the state is computed from (runs, shoes, pain reports, the athlete's zone,
# name and heart rates), so a state computed before a change can never read as current; a row per
# athlete exists from the athlete's first moment, so every change finds one to bump. An upsert of
# the same values (the config synced on every start) changes nothing and bumps nothing.
SNAPSHOT_TABLES = ("activities", "shoes", "pain_reports")
SNAPSHOT_ATHLETE_COLUMNS = ("name", "tz", "resting_hr", "max_hr", "sex")
SNAPSHOT_SHOE_COLUMNS = ("name", "start_m", "warn_m", "retire_m", "retired", "default_for")
