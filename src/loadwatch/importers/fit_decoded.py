"""What a FIT decoder hands the activity builder (fit.py): one `_Decoded` per file, the
messages' fields both decoders read, and the limits they share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# FIT timestamps count seconds from 1989-12-31 00:00 UTC; values below 0x10000000 are
# "seconds since the device was powered on", which cannot be placed on a calendar day.
FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
FIT_DATETIME_MIN = 0x10000000
# A gap between two records longer than this is a pause, not time spent at that heart rate.

_SESSION_FIELDS = (
    "start_time",
    "timestamp",
    "sport",
    "sub_sport",
    "total_distance",
    "total_timer_time",
    "total_elapsed_time",
    "avg_heart_rate",
    "max_heart_rate",
    "total_ascent",
    "workout_rpe",
    "total_descent",
    # avg_running_cadence in the profile is a subfield of avg_cadence (field 18) when the sport is
    # running; the raw field is read so both decoders see it alike.
    "avg_cadence",
    "avg_fractional_cadence",
)


_LAP_FIELDS = (
    "start_time",
    "timestamp",
    "total_distance",
    "total_timer_time",
    "total_elapsed_time",
)
# Records one file may hold: over eleven days at one a second. A real file that large is over the
# 12 MiB FIT cap anyway (the chained synthetic runs of bench/memory_bench.py, 21 bytes a record,
# hold 600,000); a hostile one of two-byte records (a heart rate under a compressed timestamp)
# is 1.4 million records in 2.8 MB, which took 425 MiB.
MAX_RECORDS = 1_000_000


class _TooManyRecords(Exception):
    pass


@dataclass
class _Decoded:
    """What one pass over the frames keeps: summaries, laps, timer starts and record samples."""

    sessions: list[dict] = field(default_factory=list)
    laps: list[dict] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # timer-start events
    # (timestamp, heart rate or None, distance or None, lat, lon in semicircles or None,
    # altitude in metres or None, cadence in strides a minute or None: for a session without
    # its own climb or cadence totals)
    records: list[
        tuple[int, int | None, float | None, int | None, int | None, float | None, float | None]
    ] = field(default_factory=list)
    file_types: list[str] = field(default_factory=list)
    file_id: dict = field(default_factory=dict)
    activity: dict = field(default_factory=dict)
    # Message order, for files whose legs cannot be told apart by time (a chained file whose
    # legs overlap): how many records came before each session, the sessions before each
    # timer start; each lap carries the sessions before it as "_leg".
    session_marks: list[int] = field(default_factory=list)
    start_legs: list[int] = field(default_factory=list)


def _strides(cadence, fraction) -> float | None:
    """A record's cadence (strides or revolutions a minute) with its fractional part."""
    if not isinstance(cadence, int | float):
        return None
    return float(cadence) + (float(fraction) if isinstance(fraction, int | float) else 0.0)
