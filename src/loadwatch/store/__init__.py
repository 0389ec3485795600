"""The store: `open_store(url)` and the `Store` protocol its backends share.

`url` is a file path or `sqlite:///path` (the default backend: one file, no server) or
`postgresql://user@host/db` (a club's server; several check workers can share it).
"""

from __future__ import annotations

from pathlib import Path

from .base import ActivityRepo, AthleteRepo, FileRepo, LedgerRepo, ShoeRepo, Store
from .sql import SqlStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def open_store(url: str | Path, read_only: bool = False) -> Store:
    """Open (and create or migrate) the database a path or URL names; `read_only` opens an
    existing, current one as it is and writes nothing."""
    text = str(url)
    if is_postgres(text):
        from .postgres import PostgresStore

        return PostgresStore(text, read_only)
    from .sqlite import SqliteStore

    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    return SqliteStore(Path(text).expanduser(), read_only)


def open_reader(url: str | Path) -> Store:
    """A connection to a database opened before (and migrated) by this process, that cannot
    write: SQLite's file opened `mode=ro`, a PostgreSQL session whose transactions are all
    read-only."""
    text = str(url)
    if is_postgres(text):
        from .postgres import PostgresStore

        return PostgresStore(text, read_only=True)
    from .sqlite import SqliteStore

    return SqliteStore.reader(Path(text.removeprefix("sqlite:///")).expanduser())


__all__ = [
    "ActivityRepo",
    "AthleteRepo",
    "FileRepo",
    "LedgerRepo",
    "ShoeRepo",
    "SqlStore",
    "Store",
    "is_postgres",
    "open_reader",
    "open_store",
]
