"""What the rest of loadwatch may ask of a store: small repositories, a transaction and a lock.

Everything above the store sees these protocols only, so SQLite (one file, no server) and
PostgreSQL (a club's server) stand in for each other; `tests/test_store_contract.py` holds both to
the same behaviour. Rules (which copy of a run counts, which shoe is the default) live in
`dedupe.py`; the backends hold SQL and nothing else.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..model import (
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
    UnfilledRun,
)

if TYPE_CHECKING:
    import pandas as pd


class AthleteRepo(Protocol):
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
    ) -> Athlete: ...
    def get(self, athlete_id: int) -> Athlete: ...
    def named(self, name: str) -> Athlete: ...
    def all(self) -> list[Athlete]: ...
    def alerts_since(self, athlete_id: int, first_check: date | None = None) -> date | None: ...
    def change(self, athlete_id: int, **fields: object) -> Athlete: ...
    def rename(self, athlete_id: int, new_name: str) -> Athlete: ...
    def remove(self, athlete_id: int) -> dict[str, int]: ...
    def calendar_key(self, athlete_id: int, new_key: str | None = None) -> str | None: ...


class FileRepo(Protocol):
    def known(self, athlete_id: int) -> dict[str, FileState]: ...
    def known_hashes(self, athlete_id: int) -> set[str]: ...
    def restamp(self, athlete_id: int, path: str, size: int, mtime_ns: int) -> None: ...
    def imported(self, athlete_id: int) -> list[tuple[int, str, str]]: ...
    def failed(self, athlete_id: int) -> dict[str, tuple[int, int]]: ...
    def failures(self, athlete_id: int) -> list[FileFailure]: ...
    def record_failure(
        self, athlete_id: int, path: str, size: int, mtime_ns: int, reason: str
    ) -> None: ...
    def save(self, athlete_id: int, record: FileRecord) -> SavedFile: ...


class ActivityRepo(Protocol):
    def frame(
        self, athlete_id: int, include_duplicates: bool = False, include_excluded: bool = False
    ) -> pd.DataFrame: ...
    def counted_all(self, athlete_ids: Sequence[int] | None = None) -> pd.DataFrame: ...
    def owner(self, activity_id: int) -> int: ...
    def needing_sport(self, athlete_id: int) -> list[tuple[int, str]]: ...
    def primary_paths(self, athlete_id: int) -> list[str]: ...
    def needing_look(self, athlete_id: int) -> list[tuple[int, str, str]]: ...
    def seen(self, athlete_id: int, activity_id: int) -> None: ...
    def separate(self, athlete_id: int, activity_id: int) -> None: ...
    def edit(
        self,
        athlete_id: int,
        activity_id: int,
        sport: str | None = None,
        distance_m: float | None = None,
        rpe: int | None = None,
        race: bool | None = None,
    ) -> int: ...
    def set_excluded(
        self, athlete_id: int, activity_id: int, excluded: bool, reason: str | None = None
    ) -> int: ...
    def delete(self, athlete_id: int, activity_id: int) -> None: ...
    def add_manual(self, athlete_id: int, act: Activity, shoes: Sequence[Shoe]) -> int: ...
    def export_rows(self, athlete_id: int) -> list[dict[str, Any]]: ...
    def missing_signals(self, athlete_id: int) -> list[UnfilledRun]: ...
    def fill_signals(self, activity_id: int, act: Activity) -> None: ...
    def restore(
        self,
        athlete_id: int,
        key: tuple[str, int],
        edits: Mapping[str, Any],
        shoe: str | None,
        duplicate_of: tuple[str, int] | None,
    ) -> bool: ...


class ShoeRepo(Protocol):
    def add(
        self,
        athlete_id: int,
        name: str,
        start_m: float = 0.0,
        warn_m: float = ...,
        retire_m: float = ...,
        default_for: str | None = None,
        update: bool = False,
    ) -> Shoe: ...
    def all(self, athlete_id: int) -> list[Shoe]: ...
    def find(self, athlete_id: int, name: str | None) -> Shoe | None: ...
    def named(self, athlete_id: int, name: str) -> Shoe: ...
    def owners(self, name: str) -> list[int]: ...
    def assign(
        self,
        athlete_id: int,
        shoe: str | None,
        activity_id: int | None = None,
        start_utc: datetime | None = None,
        end_utc: datetime | None = None,
    ) -> int: ...
    def retire(self, athlete_id: int, name: str, retired: bool = True) -> None: ...


class LedgerRepo(Protocol):
    def known_keys(self, keys: Sequence[str]) -> set[str]: ...
    def insert(self, athlete_id: int, alerts: Sequence[tuple[Alert, str]]) -> list[str]: ...
    def entries(
        self,
        athlete_id: int,
        statuses: Sequence[str] | None = None,
        since_utc: datetime | None = None,
    ) -> list[LedgerEntry]: ...
    def entries_all(
        self, statuses: Sequence[str] | None = None, newest: int | None = None
    ) -> dict[int, list[LedgerEntry]]: ...
    def open_all(self, since_utc: datetime) -> dict[int, list[LedgerEntry]]: ...
    def mark_sent(
        self, keys: Sequence[str], message_id: str | None, note: str | None = None
    ) -> None: ...
    def mark_failed(self, keys: Sequence[str], error: str) -> None: ...
    def delivered(self, keys: Sequence[str], channel: str) -> set[str]: ...
    def deliveries(self, keys: Sequence[str]) -> list[Delivery]: ...
    def delivery_finished(
        self,
        keys: Sequence[str],
        channel: str,
        athlete_id: int | None,
        message_id: str | None,
        error: str | None,
    ) -> None: ...
    def digest_status(self, key: str, coach: str | None = None) -> str | None: ...
    def digest_finished(self, key: str, message_id: str | None, error: str | None) -> None: ...


class SourceRepo(Protocol):
    def device_owner(self, serial: str) -> int | None: ...
    def remember_device(self, athlete_id: int, serial: str) -> None: ...
    def cursor(self, athlete_id: int, source: str) -> str | None: ...
    def set_cursor(self, athlete_id: int, source: str, cursor: str) -> None: ...


class PainRepo(Protocol):
    def add(
        self,
        athlete_id: int,
        day: date,
        score: int,
        when: str = "morning",
        where: str | None = None,
        note: str | None = None,
    ) -> PainReport: ...
    def get(self, report_id: int) -> PainReport: ...
    def all(self, athlete_id: int) -> list[PainReport]: ...
    def all_for(self, athlete_ids: Sequence[int]) -> dict[int, list[PainReport]]: ...
    def delete(self, report_id: int) -> PainReport: ...


@dataclass(frozen=True)
class StoredState:
    """An athlete's stored current state as the store holds it: `payload` (the state as text,
    see `snapshot.py`) was computed from the athlete's data at `computed_revision`, for `day`,
    under settings with `fingerprint` and with the ledger's `alerts_since`. `revision` and
    `athlete_alerts_since` are the athlete's now; the state is current only while they match."""

    athlete_id: int
    revision: int
    computed_revision: int | None
    day: date | None
    fingerprint: str | None
    alerts_since: date | None
    athlete_alerts_since: date | None
    payload: str | None


class SnapshotRepo(Protocol):
    def all(self, payloads: bool = True) -> dict[int, StoredState]: ...
    def payloads(self, computed: Mapping[int, int]) -> dict[int, str]: ...
    def get(self, athlete_id: int) -> StoredState | None: ...
    def write(
        self,
        athlete_id: int,
        revision: int,
        day: date,
        fingerprint: str,
        alerts_since: date | None,
        payload: str,
    ) -> bool: ...


class Store(Protocol):
    """One database: its repositories, a transaction spanning them, and the check's locks."""

    @property
    def url(self) -> str: ...
    @property
    def athletes(self) -> AthleteRepo: ...
    @property
    def files(self) -> FileRepo: ...
    @property
    def activities(self) -> ActivityRepo: ...
    @property
    def shoes(self) -> ShoeRepo: ...
    @property
    def ledger(self) -> LedgerRepo: ...
    @property
    def sources(self) -> SourceRepo: ...
    @property
    def pain(self) -> PainRepo: ...
    @property
    def snapshots(self) -> SnapshotRepo: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Everything inside commits together or not at all (nested calls join the outer one)."""
        ...

    def lock(self, name: str) -> AbstractContextManager[None]:
        """Exclusive across processes; raises LockBusy at once when another holds it."""
        ...

    def claim_athletes(self, athlete_ids: Sequence[int], started_utc: datetime) -> Iterator[int]:
        """Hand out athletes to concurrent workers: each athlete to one worker at a time, and
        not again to a worker once checked after `started_utc`."""
        ...

    def wait_for_claims(self, athlete_ids: Sequence[int], started_utc: datetime) -> list[int]:
        """Wait until no other worker is checking any of these athletes; those still not checked
        since `started_utc` (let go by a worker that died) are returned, to be claimed."""
        ...

    def data_version(self) -> Hashable:
        """A value that differs from this connection's previous one whenever a change was
        committed meanwhile (by another connection or process, or by this one); equal values
        mean nothing this connection reads has changed. Opaque: compare values of one
        connection only. It may move without a change to this database (PostgreSQL: any write
        on the server), never stay with one."""
        ...

    def close(self) -> None: ...
