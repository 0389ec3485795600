"""The repositories in SQL that SQLite and PostgreSQL both speak.

Statements use `?` placeholders and portable SQL (`ON CONFLICT`, `RETURNING`); each backend's
`SqlDb` adapts parameters and placeholders and owns its transactions. What a statement means for
the runner (which copy counts, which shoe is the default) is decided in `dedupe.py`, not here.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from .. import dedupe
from ..errors import NotFound, StoreError
from ..model import (
    RUNNING_SPORTS,
    SHOE_RETIRE_M,
    SHOE_WARN_M,
    Activity,
    Alert,
    Athlete,
    Delivery,
    FileFailure,
    FileRecord,
    FileState,
    LedgerEntry,
    PainReport,
    SavedFile,
    Shoe,
    ShoeDecl,
    UnfilledRun,
    encode_histogram,
    numbers_from,
)
from .base import StoredState

if TYPE_CHECKING:
    import pandas as pd

# Ledger queries over many keys go in chunks, under every backend's parameter limit.
KEY_CHUNK = 500


def utc(value: Any) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite keeps ISO text, PostgreSQL timestamptz)."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return dt.astimezone(UTC)


def utc_or_none(value: Any) -> datetime | None:
    return None if value is None else utc(value)


def day_or_none(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def now_utc() -> datetime:
    """When a row was written: bookkeeping only, never an input to the arithmetic."""
    return datetime.now(UTC).replace(microsecond=0)


class SqlDb(ABC):
    """One connection, as the repositories need it: statements, rows, frames, transactions."""

    def __init__(self) -> None:
        self._depth = 0

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement with `?` placeholders; returns a DB-API cursor."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """The backend's own write transaction."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def data_version(self) -> Hashable:
        """See Store.data_version."""

    @abstractmethod
    def hold_athlete(self, athlete_id: int) -> None:
        """Inside a transaction: wait until no other transaction is storing runs of this athlete.

        Whether an outing is new or a twin is decided by reading what is stored; two imports at
        once (a cron check and the user) must not both decide before either has written. SQLite
        has one writer at a time already; PostgreSQL takes a lock."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; a nested call joins the one already open."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with self._transaction():
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return [tuple(r) for r in self.execute(sql, params).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        row = self.execute(sql, params).fetchone()
        return tuple(row) if row is not None else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return row[0] if row else None

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        import pandas as pd  # not at module level: an import of an unchanged folder needs none

        cur = self.execute(sql, params)
        columns = [d[0] for d in cur.description]
        return pd.DataFrame.from_records(cur.fetchall(), columns=columns, coerce_float=True)


def _in(values: Sequence[Any]) -> str:
    return "(" + ", ".join("?" * len(values)) + ")"


class SqlAthletes:
    def __init__(self, db: SqlDb):
        self.db = db

    _COLUMNS = "id, name, email, tz, resting_hr, max_hr, sex, units"

    def add(
        self,
        name: str,
        email: str | None = None,
        tz: str = "UTC",
        resting_hr: int | None = None,
        max_hr: int | None = None,
        sex: str | None = None,
        update: bool = False,
        units: str | None = None,
    ) -> Athlete:
        # One statement, so two processes syncing the same config cannot both insert.
        on_conflict = (
            "DO UPDATE SET email = COALESCE(excluded.email, athletes.email), tz = excluded.tz, "
            "resting_hr = COALESCE(excluded.resting_hr, athletes.resting_hr), "
            "max_hr = COALESCE(excluded.max_hr, athletes.max_hr), "
            "sex = COALESCE(excluded.sex, athletes.sex), "
            "units = COALESCE(?, athletes.units)"
            if update
            else "DO NOTHING"
        )
        with self.db.transaction():
            cur = self.db.execute(
                "INSERT INTO athletes (name, email, tz, resting_hr, max_hr, sex, units, created_utc) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) {on_conflict}",
                (name, email, tz, resting_hr, max_hr, sex, units or "km", now_utc())
                + ((units,) if update else ()),
            )
            if not cur.rowcount:
                raise StoreError(f"athlete {name!r} exists already")
        return self.named(name)

    def get(self, athlete_id: int) -> Athlete:
        row = self.db.one(f"SELECT {self._COLUMNS} FROM athletes WHERE id = ?", (athlete_id,))
        if row is None:
            raise NotFound(f"no athlete with id {athlete_id}")
        return Athlete(*row)

    def named(self, name: str) -> Athlete:
        row = self.db.one(f"SELECT {self._COLUMNS} FROM athletes WHERE name = ?", (name,))
        if row is None:
            known = [a.name for a in self.all()]
            hint = (
                f" (known: {', '.join(known)})"
                if known
                else " (add one with 'loadwatch athletes add')"
            )
            raise NotFound(f"no athlete named {name!r}{hint}")
        return Athlete(*row)

    def all(self) -> list[Athlete]:
        return [
            Athlete(*r) for r in self.db.rows(f"SELECT {self._COLUMNS} FROM athletes ORDER BY name")
        ]

    # What `change` may set (the name has its own method: it must stay unique).
    CHANGEABLE = ("email", "tz", "resting_hr", "max_hr", "sex", "units")

    def change(self, athlete_id: int, **fields: Any) -> Athlete:
        """Set the given columns (None clears one); the others stay."""
        unknown = set(fields) - set(self.CHANGEABLE)
        if unknown:
            raise StoreError(f"cannot change {', '.join(sorted(unknown))} of an athlete")
        self.get(athlete_id)
        if fields:
            with self.db.transaction():
                self.db.execute(
                    f"UPDATE athletes SET {', '.join(f'{c} = ?' for c in fields)} WHERE id = ?",
                    (*fields.values(), athlete_id),
                )
        return self.get(athlete_id)

    def rename(self, athlete_id: int, new_name: str) -> Athlete:
        self.get(athlete_id)
        with self.db.transaction():
            if self.db.one(
                "SELECT 1 FROM athletes WHERE name = ? AND id <> ?", (new_name, athlete_id)
            ):
                raise StoreError(f"athlete {new_name!r} exists already")
            self.db.execute("UPDATE athletes SET name = ? WHERE id = ?", (new_name, athlete_id))
        return self.get(athlete_id)

    def calendar_key(self, athlete_id: int, new_key: str | None = None) -> str | None:
        """The secret of the athlete's calendar feed; with `new_key`, set it first."""
        self.get(athlete_id)
        if new_key is not None:
            with self.db.transaction():
                self.db.execute(
                    "UPDATE athletes SET calendar_key = ? WHERE id = ?", (new_key, athlete_id)
                )
        return self.db.scalar("SELECT calendar_key FROM athletes WHERE id = ?", (athlete_id,))

    # Every table that holds an athlete's rows, children first; what a backend adds beyond these
    # (PostgreSQL's check claims) goes with the athlete by ON DELETE CASCADE.
    ATHLETE_TABLES = (
        "alerts", "failed_files", "devices", "source_cursors", "pain_reports", "activities",
        "shoes", "imported_files",
    )  # fmt: skip

    def remove(self, athlete_id: int) -> dict[str, int]:
        """Every row of the athlete, in one transaction; the rows removed per table."""
        self.get(athlete_id)
        removed: dict[str, int] = {}
        with self.db.transaction():
            # A copy points at its primary: unlink first, so the order of deletion is free.
            self.db.execute(
                "UPDATE activities SET duplicate_of = NULL, shoe_id = NULL WHERE athlete_id = ?",
                (athlete_id,),
            )
            for table in self.ATHLETE_TABLES:
                cur = self.db.execute(f"DELETE FROM {table} WHERE athlete_id = ?", (athlete_id,))
                removed[table] = max(int(cur.rowcount), 0)
            self.db.execute("DELETE FROM athletes WHERE id = ?", (athlete_id,))
        return removed

    def alerts_since(self, athlete_id: int, first_check: date | None = None) -> date | None:
        """The day an athlete's alerts start; with `first_check`, set it if it was never set."""
        if first_check is not None:
            with self.db.transaction():
                self.db.execute(
                    "UPDATE athletes SET alerts_since = ? WHERE id = ? AND alerts_since IS NULL",
                    (first_check, athlete_id),
                )
        return day_or_none(
            self.db.scalar("SELECT alerts_since FROM athletes WHERE id = ?", (athlete_id,))
        )


class SqlShoes:
    def __init__(self, db: SqlDb):
        self.db = db

    _COLUMNS = "id, athlete_id, name, start_m, warn_m, retire_m, retired, default_for"

    def add(
        self,
        athlete_id: int,
        name: str,
        start_m: float = 0.0,
        warn_m: float = SHOE_WARN_M,
        retire_m: float = SHOE_RETIRE_M,
        default_for: str | None = None,
        update: bool = False,
    ) -> Shoe:
        with self.db.transaction():
            if default_for:
                # One default per kind of run: the new one takes over.
                self.db.execute(
                    "UPDATE shoes SET default_for = NULL WHERE athlete_id = ? AND default_for = ? "
                    "AND name <> ?",
                    (athlete_id, default_for, name),
                )
            on_conflict = (
                "DO UPDATE SET start_m = excluded.start_m, warn_m = excluded.warn_m, "
                "retire_m = excluded.retire_m, "
                "default_for = COALESCE(excluded.default_for, shoes.default_for)"
                if update
                else "DO NOTHING"
            )
            if not self._insert(
                athlete_id, name, start_m, warn_m, retire_m, default_for, on_conflict
            ):
                raise StoreError(f"shoe {name!r} exists already")
        return self.named(athlete_id, name)

    def _insert(
        self,
        athlete_id: int,
        name: str,
        start_m: float,
        warn_m: float,
        retire_m: float,
        default_for: str | None,
        on_conflict: str = "DO NOTHING",
    ) -> bool:
        cur = self.db.execute(
            "INSERT INTO shoes (athlete_id, name, start_m, warn_m, retire_m, retired, default_for, "
            "created_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            f"ON CONFLICT (athlete_id, name) {on_conflict}",
            (athlete_id, name, start_m, warn_m, retire_m, False, default_for, now_utc()),
        )
        return bool(cur.rowcount)

    def declare(self, athlete_id: int, decl: ShoeDecl) -> None:
        """A shoe from an export: created once; a default only where none is set."""
        default = dedupe.declared_default(decl, self.all(athlete_id))
        self._insert(athlete_id, decl.name, 0.0, SHOE_WARN_M, SHOE_RETIRE_M, default)

    @staticmethod
    def _shoe(row: tuple) -> Shoe:
        id_, athlete_id, name, start_m, warn_m, retire_m, retired, default_for = row
        return Shoe(
            id_, athlete_id, name, float(start_m), float(warn_m), float(retire_m), bool(retired),
            default_for,
        )  # fmt: skip

    def all(self, athlete_id: int) -> list[Shoe]:
        rows = self.db.rows(
            f"SELECT {self._COLUMNS} FROM shoes WHERE athlete_id = ? ORDER BY retired, name",
            (athlete_id,),
        )
        return [self._shoe(r) for r in rows]

    def find(self, athlete_id: int, name: str | None) -> Shoe | None:
        if not name:
            return None
        row = self.db.one(
            f"SELECT {self._COLUMNS} FROM shoes WHERE athlete_id = ? AND name = ?",
            (athlete_id, name),
        )
        return self._shoe(row) if row else None

    def named(self, athlete_id: int, name: str) -> Shoe:
        shoe = self.find(athlete_id, name)
        if shoe is None:
            names = sorted(s.name for s in self.all(athlete_id))
            hint = (
                f" (known: {', '.join(names)})"
                if names
                else " (add one with 'loadwatch shoes add')"
            )
            raise NotFound(f"no shoe named {name!r}{hint}")
        return shoe

    def owners(self, name: str) -> list[int]:
        rows = self.db.rows(
            "SELECT athlete_id FROM shoes WHERE name = ? ORDER BY athlete_id", (name,)
        )
        return [r[0] for r in rows]

    def assign(
        self,
        athlete_id: int,
        shoe: str | None,
        activity_id: int | None = None,
        start_utc: datetime | None = None,
        end_utc: datetime | None = None,
    ) -> int:
        """Put one activity, or every run in [start, end), on a shoe (None: no shoe). Returns count."""
        shoe_id = self.named(athlete_id, shoe).id if shoe else None
        with self.db.transaction():
            if activity_id is not None:
                row = self.db.one(
                    "SELECT duplicate_of FROM activities WHERE id = ? AND athlete_id = ?",
                    (activity_id, athlete_id),
                )
                if row is None:
                    raise NotFound(f"no activity {activity_id} for this athlete")
                target = row[0] or activity_id  # a duplicate's shoe lives on its primary copy
                return int(
                    self.db.execute(
                        "UPDATE activities SET shoe_id = ? WHERE id = ?", (shoe_id, target)
                    ).rowcount
                )
            sports = sorted(RUNNING_SPORTS)
            sql = (
                "UPDATE activities SET shoe_id = ? WHERE athlete_id = ? AND duplicate_of IS NULL "
                f"AND sport IN {_in(sports)}"
            )
            args: list[Any] = [shoe_id, athlete_id, *sports]
            if start_utc is not None:
                sql += " AND start_utc >= ?"
                args.append(start_utc)
            if end_utc is not None:
                sql += " AND start_utc < ?"
                args.append(end_utc)
            return int(self.db.execute(sql, args).rowcount)

    def retire(self, athlete_id: int, name: str, retired: bool = True) -> None:
        shoe = self.named(athlete_id, name)
        with self.db.transaction():
            self.db.execute(
                "UPDATE shoes SET retired = ?, default_for = ? WHERE id = ?",
                (retired, None if retired else shoe.default_for, shoe.id),
            )


# What the engine and the lists see: the user's edits over what the file said, which stays
# available as `recorded_sport` and `recorded_distance_m`.
ACTIVITY_COLUMNS = (
    "id, athlete_id, file_id, session_index, COALESCE(sport_edit, sport) AS sport, sub_sport, "
    "start_utc, utc_offset_s, COALESCE(distance_edit_m, distance_m) AS distance_m, moving_s, "
    "elapsed_s, avg_hr, max_hr, elevation_gain_m, hr_histogram, device, source_format, "
    "source_path, content_hash, duplicate_of, shoe_id, excluded, exclude_reason, "
    "sport AS recorded_sport, distance_m AS recorded_distance_m, sport_edit, distance_edit_m, "
    "distance_source, rpe, edited_utc, name, look, step_rate_spm, ascent_m, descent_m, "
    "avg_pace_s_per_km, hr_drift_pct, race"
)
# What the daily check's one pass over every athlete reads: the counted runs' load, time, effort
# and shoe. (Not the heart-rate histograms: a club's would fill memory.)
CHECK_COLUMNS = (
    "id, athlete_id, COALESCE(sport_edit, sport) AS sport, sub_sport, start_utc, utc_offset_s, "
    "COALESCE(distance_edit_m, distance_m) AS distance_m, moving_s, elapsed_s, avg_hr, shoe_id, rpe, "
    "race"
)
# Edits that move to the better copy when the same outing arrives from another source.
EDIT_COLUMNS = (
    "sport_edit", "distance_edit_m", "excluded", "exclude_reason", "deleted", "rpe", "race",
)  # fmt: skip
# Setting them on the copy that takes over: a rating the old copy lacked leaves the new file's own.
EDITS_SET = ", ".join(f"{c} = COALESCE(?, {c})" if c == "rpe" else f"{c} = ?" for c in EDIT_COLUMNS)


def _aware_starts(frame: pd.DataFrame) -> pd.DataFrame:
    """`start_utc` as aware UTC timestamps: SQLite gives ISO text, PostgreSQL datetimes."""
    import pandas as pd

    start = frame["start_utc"]
    frame["start_utc"] = (
        pd.to_datetime(start, utc=True, format="ISO8601")
        if start.dtype == object
        else pd.to_datetime(start, utc=True)
    )
    return frame


class SqlActivities:
    def __init__(self, db: SqlDb):
        self.db = db

    def frame(
        self, athlete_id: int, include_duplicates: bool = False, include_excluded: bool = False
    ) -> pd.DataFrame:
        """The athlete's activities, edits applied, with an aware UTC `start_utc` column.

        By default what counts: primary copies, not excluded; deleted runs never appear."""

        sql = f"SELECT {ACTIVITY_COLUMNS} FROM activities WHERE athlete_id = ? AND deleted = ?"
        args: list[Any] = [athlete_id, False]
        if not include_duplicates:
            sql += " AND duplicate_of IS NULL"
        if not include_excluded:
            sql += " AND excluded = ?"
            args.append(False)
        frame = self.db.frame(sql + " ORDER BY start_utc, id", args)
        frame["excluded"] = frame["excluded"].astype(bool)
        frame["race"] = frame["race"].astype(bool)
        return _aware_starts(frame)

    def primary_paths(self, athlete_id: int) -> list[str]:
        """The source path of every run that counts (excluded ones too), one per run: an
        import's summary is counted from them without loading pandas."""
        rows = self.db.rows(
            "SELECT source_path FROM activities WHERE athlete_id = ? AND deleted = ? "
            "AND duplicate_of IS NULL",
            (athlete_id, False),
        )
        return [r[0] or "" for r in rows]

    # What an export keeps of each stored run: enough to restore it without its file.
    EXPORT_COLUMNS = (
        "id", "file_id", "session_index", "sport", "sub_sport", "start_utc", "utc_offset_s",
        "distance_m", "moving_s", "elapsed_s", "avg_hr", "max_hr", "elevation_gain_m",
        "hr_histogram", "device", "source_format", "source_path", "content_hash", "duplicate_of",
        "distance_source", "rpe", "name", "look", "sport_edit", "distance_edit_m", "excluded",
        "exclude_reason", "deleted", "step_rate_spm", "ascent_m", "descent_m", "hr_drift_pct",
        "race",
    )  # fmt: skip

    def export_rows(self, athlete_id: int) -> list[dict[str, Any]]:
        """Every stored row of an athlete (copies and deleted runs too), with its shoe's name,
        oldest first: what `loadwatch export` writes."""
        cols = ", ".join(f"a.{c}" for c in self.EXPORT_COLUMNS)
        rows = self.db.rows(
            f"SELECT {cols}, s.name FROM activities a LEFT JOIN shoes s ON s.id = a.shoe_id "
            "WHERE a.athlete_id = ? ORDER BY a.start_utc, a.id",
            (athlete_id,),
        )
        out = []
        for r in rows:
            d = dict(zip((*self.EXPORT_COLUMNS, "shoe"), r, strict=True))
            d["start_utc"] = utc(d["start_utc"])
            d["excluded"], d["deleted"] = bool(d["excluded"]), bool(d["deleted"])
            d["race"] = bool(d["race"])
            out.append(d)
        return out

    def restore(
        self,
        athlete_id: int,
        key: tuple[str, int],
        edits: Mapping[str, Any],
        shoe: str | None,
        duplicate_of: tuple[str, int] | None,
    ) -> bool:
        """Put an exported run's edits, shoe and copy-of link back on the run stored from the
        same bytes (content hash, session). False when no such run is stored."""
        row_id = self.db.scalar(
            "SELECT id FROM activities WHERE athlete_id = ? AND content_hash = ? "
            "AND session_index = ?",
            (athlete_id, *key),
        )
        if row_id is None:
            return False
        shoe_id = self.db.scalar(
            "SELECT id FROM shoes WHERE athlete_id = ? AND name = ?", (athlete_id, shoe)
        ) if shoe else None  # fmt: skip
        primary = None
        if duplicate_of is not None:
            primary = self.db.scalar(
                "SELECT id FROM activities WHERE athlete_id = ? AND content_hash = ? "
                "AND session_index = ?",
                (athlete_id, *duplicate_of),
            )
        columns = [c for c in (*EDIT_COLUMNS, "look") if c in edits]
        with self.db.transaction():
            self.db.execute(
                "UPDATE activities SET shoe_id = ?, duplicate_of = ?"
                + "".join(f", {c} = ?" for c in columns)
                + " WHERE id = ?",
                (shoe_id, primary, *(edits[c] for c in columns), row_id),
            )
        return True

    def counted_all(self, athlete_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Every athlete's counted activities (primary, not excluded, not deleted), the columns
        the daily check needs, ordered by athlete then start: one query for a whole club (or
        for a few `athlete_ids`; many are read as the whole club, for the caller to pick)."""

        where = ""
        args: list[Any] = [False, False]
        if athlete_ids is not None and len(athlete_ids) <= KEY_CHUNK:
            where = f" AND athlete_id IN {_in(athlete_ids)}" if athlete_ids else " AND 1 = 0"
            args += list(athlete_ids)
        sql = (
            f"SELECT {CHECK_COLUMNS} FROM activities WHERE deleted = ? AND duplicate_of IS NULL "
            f"AND excluded = ?{where} ORDER BY athlete_id, start_utc, id"
        )
        frame = self.db.frame(sql, args)
        frame["race"] = frame["race"].astype(bool)
        return _aware_starts(frame)

    def needing_sport(self, athlete_id: int) -> list[tuple[int, str]]:
        """(id, source path) of the counted runs whose file did not say their sport."""
        rows = self.db.rows(
            "SELECT id, source_path FROM activities WHERE athlete_id = ? AND deleted = ? "
            "AND excluded = ? AND duplicate_of IS NULL AND COALESCE(sport_edit, sport) = ? "
            "ORDER BY start_utc",
            (athlete_id, False, False, "unknown"),
        )
        return [(int(i), str(p or "")) for i, p in rows]

    def needing_look(self, athlete_id: int) -> list[tuple[int, str, str]]:
        """(id, source path, reason) of the stored runs a person should look at."""
        rows = self.db.rows(
            "SELECT id, source_path, look FROM activities WHERE athlete_id = ? AND deleted = ? "
            "AND look IS NOT NULL ORDER BY start_utc, id",
            (athlete_id, False),
        )
        return [(int(i), str(p or ""), str(r)) for i, p, r in rows]

    def seen(self, athlete_id: int, activity_id: int) -> None:
        """Looked at: no longer listed as needing a look (nothing else changes)."""
        self._row(athlete_id, activity_id)
        with self.db.transaction():
            self.db.execute(
                "UPDATE activities SET look = NULL, edited_utc = ? WHERE id = ?",
                (now_utc(), activity_id),
            )

    def separate(self, athlete_id: int, activity_id: int) -> None:
        """A copy kept as a duplicate is its own run after all: it counts, and is not listed."""
        self._row(athlete_id, activity_id)
        with self.db.transaction():
            self.db.execute(
                "UPDATE activities SET duplicate_of = NULL, look = NULL, edited_utc = ? "
                "WHERE id = ?",
                (now_utc(), activity_id),
            )

    def _row(self, athlete_id: int, activity_id: int) -> None:
        if not self.db.one(
            "SELECT 1 FROM activities WHERE id = ? AND athlete_id = ? AND deleted = ?",
            (activity_id, athlete_id, False),
        ):
            raise NotFound(
                f"no activity {activity_id} for this athlete (see 'loadwatch activities --all')"
            )

    def owner(self, activity_id: int) -> int:
        # An id beyond 64 bits is no activity (the drivers raise OverflowError on it).
        in_range = 0 < activity_id < 2**63
        athlete_id = (
            self.db.scalar("SELECT athlete_id FROM activities WHERE id = ?", (activity_id,))
            if in_range
            else None
        )
        if athlete_id is None:
            raise NotFound(f"no activity {activity_id} (see 'loadwatch activities')")
        return int(athlete_id)

    def _primaries_near(self, athlete_id: int, act: Activity) -> list[dedupe.StoredRun]:
        lo, hi = dedupe.twin_window(act)
        rows = self.db.rows(
            "SELECT id, start_utc, distance_m, source_format, content_hash FROM activities "
            "WHERE athlete_id = ? AND duplicate_of IS NULL AND start_utc BETWEEN ? AND ?",
            (athlete_id, lo, hi),
        )
        return [dedupe.StoredRun(r[0], utc(r[1]), float(r[2]), r[3], r[4]) for r in rows]

    def _shifted_near(self, athlete_id: int, act: Activity) -> list[dedupe.StoredRun]:
        lo, hi = dedupe.shifted_window(act)
        rows = self.db.rows(
            "SELECT id, start_utc, distance_m, source_format, content_hash, moving_s, elapsed_s, "
            "avg_hr, max_hr FROM activities WHERE athlete_id = ? AND duplicate_of IS NULL "
            "AND start_utc BETWEEN ? AND ? AND distance_m BETWEEN ? AND ?",
            (athlete_id, lo, hi, act.distance_m - 1.0, act.distance_m + 1.0),
        )
        return [dedupe.StoredRun(r[0], utc(r[1]), float(r[2]), r[3], r[4], *r[5:]) for r in rows]

    def insert(
        self,
        athlete_id: int,
        file_id: int | None,
        act: Activity,
        shoes: Sequence[Shoe],
        gear_shoe: int | None = None,
        defaults: bool = True,
    ) -> bool:
        """Insert; if the same outing is stored from another source, keep the better one primary.

        Returns True when the new activity is the primary copy.
        """
        twin = dedupe.find_twin(act, self._primaries_near(athlete_id, act))
        shifted = None
        if twin is None:
            twin = shifted = dedupe.find_shifted_copy(act, self._shifted_near(athlete_id, act))
        primary = dedupe.new_is_primary(act, twin)
        shoe_id: int | None
        if gear_shoe is not None and act.is_run:
            shoe_id = gear_shoe  # the export says which shoe: that beats any default
        else:
            shoe_id = dedupe.default_shoe(act, shoes) if twin is None and defaults else None
        new_id: int = self.db.scalar(
            "INSERT INTO activities (athlete_id, file_id, session_index, sport, sub_sport, start_utc, "
            "utc_offset_s, distance_m, moving_s, elapsed_s, avg_hr, max_hr, elevation_gain_m, "
            "hr_histogram, device, source_format, source_path, content_hash, duplicate_of, shoe_id, "
            "distance_source, rpe, name, look, step_rate_spm, ascent_m, descent_m, "
            "avg_pace_s_per_km, hr_drift_pct) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?) "
            "RETURNING id",
            (
                athlete_id,
                file_id,
                act.session_index,
                act.sport,
                act.sub_sport,
                act.start_utc,
                act.utc_offset_s,
                act.distance_m,
                act.moving_s,
                act.elapsed_s,
                act.avg_hr,
                act.max_hr,
                act.elevation_gain_m,
                encode_histogram(act.hr_histogram_s),
                act.device,
                act.source_format,
                act.source_path,
                act.content_hash,
                None if primary or twin is None else twin.id,
                shoe_id,
                act.distance_source,
                act.rpe,
                act.name,
                act.look,
                act.step_rate_spm,
                act.ascent_m,
                act.descent_m,
                act.avg_pace_s_per_km,
                act.hr_drift_pct,
            ),
        )
        if twin is not None and not primary:
            # A copy of a deleted run is deleted with it.
            self.db.execute(
                "UPDATE activities SET deleted = (SELECT deleted FROM activities WHERE id = ?) "
                "WHERE id = ?",
                (twin.id, new_id),
            )
            if gear_shoe is not None:
                self.set_shoe(twin.id, gear_shoe)
        if twin is not None and primary:
            # The better source takes over: the old copy and its own duplicates now point here,
            # and whatever shoe the old copy carried moves with it (unless the export named one).
            if gear_shoe is None:
                self.db.execute(
                    "UPDATE activities SET shoe_id = (SELECT shoe_id FROM activities WHERE id = ?) "
                    "WHERE id = ?",
                    (twin.id, new_id),
                )
            # The user's edits belong to the outing, not to the bytes: they move along too.
            row = self.db.one(
                f"SELECT {', '.join(EDIT_COLUMNS)} FROM activities WHERE id = ?", (twin.id,)
            )
            if row is not None:
                self.db.execute(
                    f"UPDATE activities SET {EDITS_SET} WHERE id = ?",
                    (*row, new_id),
                )
            self.db.execute(
                "UPDATE activities SET duplicate_of = ?, shoe_id = NULL "
                "WHERE id = ? OR duplicate_of = ?",
                (new_id, twin.id, twin.id),
            )
        if shifted is not None:
            # Only likely the same run: the copy not counted is listed, to be looked at.
            hours = round((act.start_utc - shifted.start_utc).total_seconds() / 3600)
            copy_id, kept_id = (shifted.id, new_id) if primary else (new_id, shifted.id)
            self.db.execute(
                "UPDATE activities SET look = ? WHERE id = ?",
                (dedupe.shifted_look(copy_id, kept_id, hours), copy_id),
            )
        return primary

    def primary_id(self, athlete_id: int, activity_id: int) -> int:
        """The copy that counts for an activity id (a duplicate's edits go to its primary)."""
        row = self.db.one(
            "SELECT duplicate_of FROM activities WHERE id = ? AND athlete_id = ? AND deleted = ?",
            (activity_id, athlete_id, False),
        )
        if row is None:
            raise NotFound(
                f"no activity {activity_id} for this athlete (see 'loadwatch activities')"
            )
        return int(row[0] or activity_id)

    def edit(
        self,
        athlete_id: int,
        activity_id: int,
        sport: str | None = None,
        distance_m: float | None = None,
        rpe: int | None = None,
        race: bool | None = None,
    ) -> int:
        """Correct what a file got wrong; the recorded values stay. Returns the id edited.

        `rpe` has one column, an edit like the others (it moves with the outing to a better
        copy); a file's own rating fills it only where no one set one (see `insert`)."""
        target = self.primary_id(athlete_id, activity_id)
        with self.db.transaction():
            if sport is not None:
                self.db.execute(
                    "UPDATE activities SET sport_edit = ?, edited_utc = ? WHERE id = ?",
                    (sport, now_utc(), target),
                )
            if distance_m is not None:
                self.db.execute(
                    "UPDATE activities SET distance_edit_m = ?, edited_utc = ? WHERE id = ?",
                    (distance_m, now_utc(), target),
                )
            if rpe is not None:
                self.db.execute(
                    "UPDATE activities SET rpe = ?, edited_utc = ? WHERE id = ?",
                    (rpe, now_utc(), target),
                )
            if race is not None:
                self.db.execute(
                    "UPDATE activities SET race = ?, edited_utc = ? WHERE id = ?",
                    (race, now_utc(), target),
                )
        return target

    def set_excluded(
        self, athlete_id: int, activity_id: int, excluded: bool, reason: str | None = None
    ) -> int:
        """Kept and shown, but not counted (a GPS glitch, a run logged twice by hand)."""
        target = self.primary_id(athlete_id, activity_id)
        with self.db.transaction():
            self.db.execute(
                "UPDATE activities SET excluded = ?, exclude_reason = ?, edited_utc = ? WHERE id = ?",
                (excluded, reason if excluded else None, now_utc(), target),
            )
        return target

    def delete(self, athlete_id: int, activity_id: int) -> None:
        """A manual entry goes; a run from a file stays as a tombstone, so the next import of the
        same file (or of the same run from another source) does not bring it back."""
        target = self.primary_id(athlete_id, activity_id)
        with self.db.transaction():
            manual = self.db.scalar(
                "SELECT file_id IS NULL FROM activities WHERE id = ?", (target,)
            )
            if manual:
                self.db.execute("DELETE FROM activities WHERE duplicate_of = ?", (target,))
                self.db.execute("DELETE FROM activities WHERE id = ?", (target,))
            else:
                self.db.execute(
                    "UPDATE activities SET deleted = ?, edited_utc = ? WHERE id = ? OR duplicate_of = ?",
                    (True, now_utc(), target, target),
                )

    # What `activities backfill` fills on rows stored before the importers read them.
    SIGNAL_COLUMNS = ("step_rate_spm", "ascent_m", "descent_m", "avg_pace_s_per_km", "hr_drift_pct")

    def missing_signals(self, athlete_id: int) -> list[UnfilledRun]:
        """The athlete's stored runs (not deleted) with any of `SIGNAL_COLUMNS` unknown, oldest
        first."""
        unknown = " OR ".join(f"{c} IS NULL" for c in self.SIGNAL_COLUMNS)
        rows = self.db.rows(
            f"SELECT id, file_id, session_index, source_path, content_hash, source_format, "
            f"{', '.join(self.SIGNAL_COLUMNS)} FROM activities WHERE athlete_id = ? "
            f"AND deleted = ? AND ({unknown}) ORDER BY start_utc, id",
            (athlete_id, False),
        )
        return [
            UnfilledRun(
                int(i),
                None if f is None else int(f),
                int(s or 0),
                str(p or ""),
                str(h),
                str(fmt or ""),
                tuple(c for c, v in zip(self.SIGNAL_COLUMNS, values, strict=True) if v is None),
            )
            for i, f, s, p, h, fmt, *values in rows
        ]

    def fill_signals(self, activity_id: int, act: Activity) -> None:
        """Fill what is unknown of a stored run's signals from its file read again; a value
        already stored stays (the backfill never overwrites)."""
        sets = ", ".join(f"{c} = COALESCE({c}, ?)" for c in self.SIGNAL_COLUMNS)
        self.db.execute(
            f"UPDATE activities SET {sets} WHERE id = ?",
            (*(getattr(act, c) for c in self.SIGNAL_COLUMNS), activity_id),
        )

    def add_manual(self, athlete_id: int, act: Activity, shoes: Sequence[Shoe]) -> int:
        """A run without a file; the same outing from a file later takes over (and keeps any
        edit). Returns the new id."""
        with self.db.transaction():
            self.db.hold_athlete(athlete_id)
            self.insert(athlete_id, None, act, shoes)
            return int(
                self.db.scalar(
                    "SELECT id FROM activities WHERE athlete_id = ? AND content_hash = ?",
                    (athlete_id, act.content_hash),
                )
            )

    def take_out_file(self, athlete_id: int, file_id: int) -> list[tuple]:
        """Remove the activities of an earlier version of a file (a GPX cropped and saved over
        itself), returning what the user had set on them: (start, shoe, *edits). Copies of them
        from other files count again until the new version's twins are found."""
        old = self.db.rows(
            f"SELECT id, start_utc, shoe_id, {', '.join(EDIT_COLUMNS)} FROM activities "
            "WHERE athlete_id = ? AND file_id = ?",
            (athlete_id, file_id),
        )
        for row in old:
            self.db.execute(
                "UPDATE activities SET duplicate_of = NULL WHERE duplicate_of = ?", (row[0],)
            )
            self.db.execute("DELETE FROM activities WHERE id = ?", (row[0],))
        return [(utc(r[1]), *r[2:]) for r in old]

    def put_back(self, athlete_id: int, file_id: int, kept: list[tuple]) -> None:
        """The user's shoe and edits onto the new version's run of the same outing."""
        if not kept:
            return
        rows = self.db.rows(
            "SELECT id, start_utc FROM activities WHERE athlete_id = ? AND file_id = ?",
            (athlete_id, file_id),
        )
        window = dedupe.DUPLICATE_START_S
        for activity_id, start in rows:
            near = [k for k in kept if abs((k[0] - utc(start)).total_seconds()) <= window]
            if not near:
                continue
            _, shoe_id, *edits = min(near, key=lambda k: abs((k[0] - utc(start)).total_seconds()))
            self.db.execute(
                f"UPDATE activities SET shoe_id = ?, {EDITS_SET} WHERE id = ?",
                (shoe_id, *edits, activity_id),
            )

    def set_shoe(self, activity_id: int, shoe_id: int | None) -> None:
        self.db.execute("UPDATE activities SET shoe_id = ? WHERE id = ?", (shoe_id, activity_id))

    def same_bytes(self, athlete_id: int, content_hash: str, session_index: int) -> int | None:
        """The primary copy of a session already stored from the same bytes, if any."""
        row = self.db.one(
            "SELECT id, duplicate_of FROM activities WHERE athlete_id = ? AND content_hash = ? "
            "AND session_index = ?",
            (athlete_id, content_hash, session_index),
        )
        return None if row is None else int(row[1] or row[0])


# A file's bytes are known when a file with them was imported or recorded as a copy (a skipped
# file is a copy of nothing): the one test of "same bytes?" for a whole file, both for the set an
# import reads before decoding and for the check `save` makes in its transaction.
KNOWN_BYTES = "athlete_id = ? AND status <> 'skipped'"
SAME_BYTES = "same bytes as a file imported before"


class SqlFiles:
    def __init__(self, db: SqlDb, activities: SqlActivities, shoes: SqlShoes):
        self.db = db
        self.activities = activities
        self.shoes = shoes

    def known(self, athlete_id: int) -> dict[str, FileState]:
        """Every recorded file of an athlete, in one query: the unchanged check of a big folder."""
        rows = self.db.rows(
            "SELECT path, size, mtime_ns, content_hash, status FROM imported_files "
            "WHERE athlete_id = ?",
            (athlete_id,),
        )
        return {r[0]: FileState(r[1], r[2], r[3], r[4]) for r in rows}

    def imported(self, athlete_id: int) -> list[tuple[int, str, str]]:
        """(id, path, content hash) of every file whose runs were stored, in import order."""
        rows = self.db.rows(
            "SELECT id, path, content_hash FROM imported_files WHERE athlete_id = ? "
            "AND status = 'imported' ORDER BY id",
            (athlete_id,),
        )
        return [(int(i), str(p), str(h)) for i, p, h in rows]

    def known_hashes(self, athlete_id: int) -> set[str]:
        """Content hashes of every file imported (or recorded as a copy) for an athlete: what an
        import reads before decoding, to leave known bytes undecoded (`save` decides)."""
        rows = self.db.rows(
            f"SELECT DISTINCT content_hash FROM imported_files WHERE {KNOWN_BYTES}", (athlete_id,)
        )
        return {r[0] for r in rows}

    def restamp(self, athlete_id: int, path: str, size: int, mtime_ns: int) -> None:
        """A recorded file found again with its own bytes (touched, copied back in place): its
        new size and time are remembered, so the next import counts it unchanged by its stat."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE imported_files SET size = ?, mtime_ns = ? WHERE athlete_id = ? AND path = ?",
                (size, mtime_ns, athlete_id, path),
            )

    def _bytes_known(self, athlete_id: int, content_hash: str, path: str) -> bool:
        """Known under another name (the file itself saved again is no copy of itself)."""
        row = self.db.one(
            f"SELECT 1 FROM imported_files WHERE {KNOWN_BYTES} AND content_hash = ? "
            "AND path <> ? LIMIT 1",
            (athlete_id, content_hash, path),
        )
        return row is not None

    def failed(self, athlete_id: int) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) of files that failed as they are now."""
        rows = self.db.rows(
            "SELECT path, size, mtime_ns FROM failed_files WHERE athlete_id = ?", (athlete_id,)
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    def failures(self, athlete_id: int) -> list[FileFailure]:
        """The files that failed, with their reasons, for the athlete page."""
        rows = self.db.rows(
            "SELECT path, reason FROM failed_files WHERE athlete_id = ? ORDER BY path",
            (athlete_id,),
        )
        return [FileFailure(p, r) for p, r in rows]

    def record_failure(
        self, athlete_id: int, path: str, size: int, mtime_ns: int, reason: str
    ) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO failed_files (athlete_id, path, size, mtime_ns, reason, seen_utc) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (athlete_id, path) DO UPDATE SET "
                "size = excluded.size, mtime_ns = excluded.mtime_ns, reason = excluded.reason, "
                "seen_utc = excluded.seen_utc",
                (athlete_id, path, size, mtime_ns, reason, now_utc()),
            )

    def save(self, athlete_id: int, record: FileRecord) -> SavedFile:
        """Record a file (or a whole export) and its activities in one transaction.

        This is where "same bytes?" is answered, under the athlete's lock: a file to be imported
        whose bytes are known already is recorded as a duplicate and stores nothing; a session
        stored before from the same bytes (an export's member, a file's twin) is not stored
        again. Cross-source duplicates are resolved as they arrive; `shoes` an export declares
        are created, and `gear` (content hash, session) -> shoe name puts each run on its shoe,
        also when the run itself was already stored from another source.
        """
        primary = duplicates = 0
        path, content_hash = record.path, record.content_hash
        with self.db.transaction():
            self.db.hold_athlete(athlete_id)
            same_bytes = record.status == "imported" and self._bytes_known(
                athlete_id, content_hash, path
            )
            if same_bytes:
                duplicates = len(record.activities)  # each a copy of one stored from the bytes
                record = FileRecord(
                    path,
                    record.size,
                    record.mtime_ns,
                    content_hash,
                    "duplicate",
                    reason=SAME_BYTES,
                )
            gear = record.gear
            before = self.db.one(
                "SELECT id, content_hash, status FROM imported_files WHERE athlete_id = ? AND path = ?",
                (athlete_id, path),
            )
            kept: list[tuple] = []
            replaced = 0
            if before is not None and before[1] != content_hash and before[2] == "imported":
                # The file changed at the same path: its new version replaces the old one.
                kept = self.activities.take_out_file(athlete_id, int(before[0]))
                replaced = len(kept)
            for decl in record.shoes:
                self.shoes.declare(athlete_id, decl)
            known_shoes = self.shoes.all(athlete_id)
            by_name = {s.name: s.id for s in known_shoes}
            file_id = self.db.scalar(
                "INSERT INTO imported_files "
                "(athlete_id, path, size, mtime_ns, content_hash, status, reason, imported_utc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (athlete_id, path) DO UPDATE SET size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, content_hash = excluded.content_hash, "
                "status = excluded.status, reason = excluded.reason, "
                "imported_utc = excluded.imported_utc RETURNING id",
                (
                    athlete_id,
                    path,
                    record.size,
                    record.mtime_ns,
                    content_hash,
                    record.status,
                    record.reason,
                    now_utc(),
                ),
            )
            self.db.execute(
                "DELETE FROM failed_files WHERE athlete_id = ? AND path = ?", (athlete_id, path)
            )
            for act in record.activities:
                shoe_id = by_name.get(gear.get((act.content_hash, act.session_index)) or "")
                stored = self.activities.same_bytes(athlete_id, act.content_hash, act.session_index)
                if stored is not None:
                    duplicates += 1  # the same bytes under another name: already stored
                    if shoe_id is not None:
                        self.activities.set_shoe(stored, shoe_id)
                    continue
                if self.activities.insert(
                    athlete_id,
                    file_id,
                    act,
                    known_shoes,
                    shoe_id,
                    defaults=not record.gear_authoritative,
                ):
                    primary += 1
                else:
                    duplicates += 1
            self.activities.put_back(athlete_id, file_id, kept)
        return SavedFile(primary, duplicates, replaced, same_bytes)


def _alert_payload(alert: Alert) -> str:
    return json.dumps(
        {
            "athlete": alert.athlete,
            "day": alert.day.isoformat(),
            "title": alert.title,
            "text": alert.text,
            "citation": alert.citation,
            "numbers": alert.numbers.as_dict(),
        }
    )


def _alert(key: str, rule: str, payload: str) -> Alert:
    d = json.loads(payload)
    return Alert(
        key=key,
        athlete=d["athlete"],
        rule=rule,
        day=date.fromisoformat(d["day"]),
        title=d["title"],
        text=d["text"],
        citation=d["citation"],
        numbers=numbers_from(rule, d.get("numbers", {})),
    )


def _entry(
    key: str,
    rule: str,
    status: str,
    payload: str,
    created: Any,
    sent: Any,
    attempts: Any,
    last_error: str | None,
    message_id: str | None,
) -> LedgerEntry:
    return LedgerEntry(
        alert=_alert(key, rule, payload),
        status=status,
        created_utc=utc(created),
        sent_utc=utc_or_none(sent),
        attempts=int(attempts),
        last_error=last_error,
        message_id=message_id,
    )


class SqlSnapshots:
    """Each athlete's stored current state; the triggers of migration 0016 (PostgreSQL 0011)
    bump `revision` with every change it depends on."""

    def __init__(self, db: SqlDb):
        self.db = db

    def get(self, athlete_id: int) -> StoredState | None:
        """One athlete's (no payload read: what a change compares before and after)."""
        row = self.db.one(
            "SELECT athlete_id, revision FROM snapshots WHERE athlete_id = ?", (athlete_id,)
        )
        if row is None:
            return None
        return StoredState(int(row[0]), int(row[1]), None, None, None, None, None, None)

    def all(self, payloads: bool = True) -> dict[int, StoredState]:
        """Every athlete's; without `payloads`, a stored payload reads as "" (see `payloads`):
        a server that keeps the states it decoded reads only what changed."""
        payload = "s.payload" if payloads else "CASE WHEN s.payload IS NULL THEN NULL ELSE '' END"
        rows = self.db.rows(
            "SELECT s.athlete_id, s.revision, s.computed_revision, s.day, s.fingerprint, "
            f"s.alerts_since, a.alerts_since, {payload} FROM snapshots s "
            "JOIN athletes a ON a.id = s.athlete_id"
        )
        return {
            int(r[0]): StoredState(
                int(r[0]),
                int(r[1]),
                None if r[2] is None else int(r[2]),
                day_or_none(r[3]),
                r[4],
                day_or_none(r[5]),
                day_or_none(r[6]),
                r[7],
            )
            for r in rows
        }

    def payloads(self, computed: Mapping[int, int]) -> dict[int, str]:
        """The stored payloads of these athletes, each only while it is still the one computed
        at the given revision (athlete id -> computed revision)."""
        out: dict[int, str] = {}
        ids = list(computed)
        for i in range(0, len(ids), KEY_CHUNK):
            chunk = ids[i : i + KEY_CHUNK]
            for athlete_id, revision, payload in self.db.rows(
                "SELECT athlete_id, computed_revision, payload FROM snapshots "
                f"WHERE athlete_id IN {_in(chunk)}",
                chunk,
            ):
                if payload is not None and revision == computed[int(athlete_id)]:
                    out[int(athlete_id)] = payload
        return out

    def write(
        self,
        athlete_id: int,
        revision: int,
        day: date,
        fingerprint: str,
        alerts_since: date | None,
        payload: str,
    ) -> bool:
        """Store a state computed from the data at `revision`; nothing is written (False) when
        the data changed since (the revision moved on): that state was never current."""
        with self.db.transaction():
            cur = self.db.execute(
                "UPDATE snapshots SET computed_revision = revision, day = ?, fingerprint = ?, "
                "alerts_since = ?, payload = ?, computed_utc = ? "
                "WHERE athlete_id = ? AND revision = ?",
                (day, fingerprint, alerts_since, payload, now_utc(), athlete_id, revision),
            )
            return bool(cur.rowcount)


class SqlLedger:
    def __init__(self, db: SqlDb):
        self.db = db

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        known: set[str] = set()
        for i in range(0, len(keys), KEY_CHUNK):
            chunk = list(keys[i : i + KEY_CHUNK])
            rows = self.db.rows(f"SELECT key FROM alerts WHERE key IN {_in(chunk)}", chunk)
            known.update(r[0] for r in rows)
        return known

    def insert(self, athlete_id: int, alerts: Sequence[tuple[Alert, str]]) -> list[str]:
        """(alert, status) pairs; a key already present is left alone. Returns the statuses of
        the rows actually inserted."""
        inserted = []
        with self.db.transaction():
            for alert, status in alerts:
                cur = self.db.execute(
                    "INSERT INTO alerts (athlete_id, key, rule, status, payload, created_utc) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                    (athlete_id, alert.key, alert.rule, status, _alert_payload(alert), now_utc()),
                )
                if cur.rowcount:
                    inserted.append(status)
        return inserted

    def entries_all(
        self, statuses: Sequence[str] | None = None, newest: int | None = None
    ) -> dict[int, list[LedgerEntry]]:
        """Every athlete's ledger rows in one query (athlete id -> oldest first), or only the
        club's `newest` rows: the team and alerts pages of a whole club."""
        sql = (
            "SELECT athlete_id, key, rule, status, payload, created_utc, sent_utc, attempts, "
            "last_error, message_id FROM alerts"
        )
        args: list[Any] = []
        if statuses is not None:
            sql += f" WHERE status IN {_in(statuses)}"
            args += list(statuses)
        if newest is None:
            rows = self.db.rows(sql + " ORDER BY id", args)
        else:
            rows = self.db.rows(sql + " ORDER BY id DESC LIMIT ?", [*args, newest])[::-1]
        out: dict[int, list[LedgerEntry]] = {}
        for athlete_id, *row in rows:
            out.setdefault(int(athlete_id), []).append(_entry(*row))
        return out

    def open_all(self, since_utc: datetime) -> dict[int, list[LedgerEntry]]:
        """What the digest and the team page count as open, for every athlete in one query
        (athlete id -> oldest first): pending of any age, and sent since a moment."""
        rows = self.db.rows(
            "SELECT athlete_id, key, rule, status, payload, created_utc, sent_utc, attempts, "
            "last_error, message_id FROM alerts WHERE status = ? "
            "OR (status = ? AND created_utc >= ?) ORDER BY id",
            ("pending", "sent", since_utc),
        )
        out: dict[int, list[LedgerEntry]] = {}
        for athlete_id, *row in rows:
            out.setdefault(int(athlete_id), []).append(_entry(*row))
        return out

    def entries(
        self,
        athlete_id: int,
        statuses: Sequence[str] | None = None,
        since_utc: datetime | None = None,
    ) -> list[LedgerEntry]:
        """Ledger rows of an athlete, oldest first."""
        sql = (
            "SELECT key, rule, status, payload, created_utc, sent_utc, attempts, last_error, "
            "message_id FROM alerts WHERE athlete_id = ?"
        )
        args: list[Any] = [athlete_id]
        if statuses is not None:
            sql += f" AND status IN {_in(statuses)}"
            args += list(statuses)
        if since_utc is not None:
            sql += " AND created_utc >= ?"
            args.append(since_utc)
        return [_entry(*row) for row in self.db.rows(sql + " ORDER BY id", args)]

    def mark_sent(
        self, keys: Sequence[str], message_id: str | None, note: str | None = None
    ) -> None:
        """Sent: never sent again. `note` keeps what went wrong for some recipients."""
        sent = now_utc()
        with self.db.transaction():
            for key in keys:
                self.db.execute(
                    "UPDATE alerts SET status = 'sent', sent_utc = ?, message_id = ?, "
                    "attempts = attempts + 1, last_error = ? WHERE key = ? AND status = 'pending'",
                    (sent, message_id, note, key),
                )

    def mark_failed(self, keys: Sequence[str], error: str) -> None:
        with self.db.transaction():
            for key in keys:
                self.db.execute(
                    "UPDATE alerts SET attempts = attempts + 1, last_error = ? "
                    "WHERE key = ? AND status = 'pending'",
                    (error, key),
                )

    def delivered(self, keys: Sequence[str], channel: str) -> set[str]:
        """The keys (alerts' or digests') this channel has had."""
        done: set[str] = set()
        for i in range(0, len(keys), KEY_CHUNK):
            chunk = list(keys[i : i + KEY_CHUNK])
            rows = self.db.rows(
                f"SELECT key FROM deliveries WHERE channel = ? AND status = 'sent' "
                f"AND key IN {_in(chunk)}",
                [channel, *chunk],
            )
            done.update(r[0] for r in rows)
        return done

    def deliveries(self, keys: Sequence[str]) -> list[Delivery]:
        """Every channel's record of these keys, by key and channel."""
        out: list[Delivery] = []
        for i in range(0, len(keys), KEY_CHUNK):
            chunk = list(keys[i : i + KEY_CHUNK])
            rows = self.db.rows(
                "SELECT key, channel, status, attempts, last_error, sent_utc, message_id "
                f"FROM deliveries WHERE key IN {_in(chunk)}",
                chunk,
            )
            out += [
                Delivery(k, c, s, int(n), err, utc_or_none(sent), mid)
                for k, c, s, n, err, sent, mid in rows
            ]
        return sorted(out, key=lambda d: (d.key, d.channel))

    def delivery_finished(
        self,
        keys: Sequence[str],
        channel: str,
        athlete_id: int | None,
        message_id: str | None,
        error: str | None,
    ) -> None:
        """One channel's attempt at these keys: sent (never again on it) or, with `error`, still
        pending on it with one more attempt. A key sent on a channel stays sent."""
        sent = now_utc() if error is None else None
        status = "sent" if error is None else "pending"
        with self.db.transaction():
            for key in keys:
                self.db.execute(
                    "INSERT INTO deliveries (key, channel, athlete_id, status, attempts, "
                    "last_error, sent_utc, message_id) VALUES (?, ?, ?, ?, 1, ?, ?, ?) "
                    "ON CONFLICT (key, channel) DO UPDATE SET status = ?, "
                    "attempts = deliveries.attempts + 1, last_error = ?, sent_utc = ?, "
                    "message_id = ? WHERE deliveries.status = 'pending'",
                    (key, channel, athlete_id, status, error, sent, message_id)
                    + (status, error, sent, message_id),
                )

    def digest_status(self, key: str, coach: str | None = None) -> str | None:
        """The digest's status; with `coach`, first record it as pending if it is new."""
        with self.db.transaction():
            if coach is not None:
                self.db.execute(
                    "INSERT INTO digests (key, coach, status, created_utc) "
                    "VALUES (?, ?, 'pending', ?) ON CONFLICT (key) DO NOTHING",
                    (key, coach, now_utc()),
                )
            return self.db.scalar("SELECT status FROM digests WHERE key = ?", (key,))

    def digest_finished(self, key: str, message_id: str | None, error: str | None) -> None:
        with self.db.transaction():
            if error is None:
                self.db.execute(
                    "UPDATE digests SET status = 'sent', sent_utc = ?, message_id = ?, "
                    "attempts = attempts + 1 WHERE key = ?",
                    (now_utc(), message_id, key),
                )
            else:
                self.db.execute(
                    "UPDATE digests SET attempts = attempts + 1, last_error = ? WHERE key = ?",
                    (error, key),
                )


class SqlSources:
    """Where data comes from without a file named by hand: watches (by serial number) and
    account sources (each with its cursor)."""

    def __init__(self, db: SqlDb):
        self.db = db

    def device_owner(self, serial: str) -> int | None:
        return self.db.scalar("SELECT athlete_id FROM devices WHERE serial = ?", (serial,))

    def remember_device(self, athlete_id: int, serial: str) -> None:
        """The watch with this serial is this athlete's (a watch handed on changes owner)."""
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO devices (serial, athlete_id, last_sync_utc) VALUES (?, ?, ?) "
                "ON CONFLICT (serial) DO UPDATE SET athlete_id = excluded.athlete_id, "
                "last_sync_utc = excluded.last_sync_utc",
                (serial, athlete_id, now_utc()),
            )

    def cursor(self, athlete_id: int, source: str) -> str | None:
        return self.db.scalar(
            "SELECT cursor FROM source_cursors WHERE athlete_id = ? AND source = ?",
            (athlete_id, source),
        )

    def set_cursor(self, athlete_id: int, source: str, cursor: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO source_cursors (athlete_id, source, cursor, updated_utc) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (athlete_id, source) DO UPDATE SET "
                "cursor = excluded.cursor, updated_utc = excluded.updated_utc",
                (athlete_id, source, cursor, now_utc()),
            )


class SqlPain:
    """The runner's pain reports: typed by hand, apart from every table a file fills."""

    def __init__(self, db: SqlDb):
        self.db = db

    _COLUMNS = "id, athlete_id, day, score, at_when, at_where, note"

    def add(
        self,
        athlete_id: int,
        day: date,
        score: int,
        when: str = "morning",
        where: str | None = None,
        note: str | None = None,
    ) -> PainReport:
        with self.db.transaction():
            new_id = self.db.scalar(
                "INSERT INTO pain_reports (athlete_id, day, score, at_when, at_where, note, "
                "created_utc) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (athlete_id, day, score, when, where, note, now_utc()),
            )
        return self.get(int(new_id))

    @staticmethod
    def _report(row: tuple) -> PainReport:
        id_, athlete_id, day, score, when, where, note = row
        d = day_or_none(day)
        assert d is not None
        return PainReport(int(id_), int(athlete_id), d, int(score), when, where, note)

    def get(self, report_id: int) -> PainReport:
        row = self.db.one(f"SELECT {self._COLUMNS} FROM pain_reports WHERE id = ?", (report_id,))
        if row is None:
            raise NotFound(f"no pain report with id {report_id}")
        return self._report(row)

    def all(self, athlete_id: int) -> list[PainReport]:
        """Newest first: by day, then by the order they were written."""
        return [
            self._report(r)
            for r in self.db.rows(
                f"SELECT {self._COLUMNS} FROM pain_reports WHERE athlete_id = ? "
                "ORDER BY day DESC, id DESC",
                (athlete_id,),
            )
        ]

    def all_for(self, athlete_ids: Sequence[int]) -> dict[int, list[PainReport]]:
        """Every listed athlete's reports, newest first, in one query per 500 athletes (the
        daily check reads everyone's at once); an athlete without reports maps to []."""
        out: dict[int, list[PainReport]] = {int(a): [] for a in athlete_ids}
        ids = list(out)
        for i in range(0, len(ids), KEY_CHUNK):
            chunk = ids[i : i + KEY_CHUNK]
            for r in self.db.rows(
                f"SELECT {self._COLUMNS} FROM pain_reports WHERE athlete_id IN {_in(chunk)} "
                "ORDER BY day DESC, id DESC",
                chunk,
            ):
                report = self._report(r)
                out[report.athlete_id].append(report)
        return out

    def delete(self, report_id: int) -> PainReport:
        report = self.get(report_id)
        with self.db.transaction():
            self.db.execute("DELETE FROM pain_reports WHERE id = ?", (report_id,))
        return report


class SqlStore(ABC):
    """The repositories over one connection; a backend adds its connection, lock and claims."""

    def __init__(self, db: SqlDb, url: str):
        self.db = db
        self._url = url
        self._athletes = SqlAthletes(db)
        self._shoes = SqlShoes(db)
        self._activities = SqlActivities(db)
        self._files = SqlFiles(db, self._activities, self._shoes)
        self._ledger = SqlLedger(db)
        self._sources = SqlSources(db)
        self._pain = SqlPain(db)
        self._snapshots = SqlSnapshots(db)

    @property
    def url(self) -> str:
        return self._url

    @property
    def athletes(self) -> SqlAthletes:
        return self._athletes

    @property
    def files(self) -> SqlFiles:
        return self._files

    @property
    def activities(self) -> SqlActivities:
        return self._activities

    @property
    def shoes(self) -> SqlShoes:
        return self._shoes

    @property
    def ledger(self) -> SqlLedger:
        return self._ledger

    @property
    def sources(self) -> SqlSources:
        return self._sources

    @property
    def pain(self) -> SqlPain:
        return self._pain

    @property
    def snapshots(self) -> SqlSnapshots:
        return self._snapshots

    def transaction(self) -> AbstractContextManager[None]:
        return self.db.transaction()

    @abstractmethod
    def lock(self, name: str) -> AbstractContextManager[None]: ...

    @abstractmethod
    def claim_athletes(
        self, athlete_ids: Sequence[int], started_utc: datetime
    ) -> Iterator[int]: ...

    @abstractmethod
    def wait_for_claims(self, athlete_ids: Sequence[int], started_utc: datetime) -> list[int]: ...

    def data_version(self) -> Hashable:
        return self.db.data_version()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
