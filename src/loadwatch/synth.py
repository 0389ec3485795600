"""Realistic synthetic FIT runs, written with fit-tool: for the sample data, benchmarks and tests.

fit-tool is a development dependency (the `test` extra); nothing at run time imports this module.
A run is sampled at 1 Hz with position, heart rate, cadence, speed, cumulative distance and
altitude, and closed with lap, session and activity messages whose totals match the records,
as a watch writes them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

EARTH_RADIUS_M = 6_371_008.8
FIT_EPOCH_UNIX_S = 631_065_600


@dataclass(frozen=True)
class SyntheticRun:
    start_utc: datetime
    distance_m: float
    pace_s_per_km: float = 330.0
    sport: str = "running"
    sub_sport: str = "generic"
    hr_mean: float = 145.0
    utc_offset_s: int | None = 3600  # None: no local_timestamp (the file says no local time)
    lat0: float = 52.52
    lon0: float = 13.40
    seed: int = 0
    # 1 s is what the benchmark asks for; watches' smart recording writes every few seconds.
    record_interval_s: int = 1
    # Faithful defects of real files, for the importers' tests:
    session_distance: bool = True  # False: the session has no total_distance
    lap_distance: bool = True  # False: nor do the laps
    record_distance: bool = True  # False: the records carry no distance either (GPS only)
    session_start: bool = True  # False: the session has no start_time
    session_hr: bool = True  # False: no avg/max heart rate in the session
    workout_rpe: int | None = None  # the session's workout_rpe as stored: CR-10 x 10
    heart_rate: bool = True  # False: a strap that sent only zeros
    missing_final_s: int = 0  # the session and its laps stop this long before the records do
    lost_laps_s: int = 0  # only the laps stop this long before the records (the session does not)
    left_recording_s: int = 0  # paused at the end and saved this much later (elapsed, not timer)
    cadence: int = 84  # strides a minute (one foot, as FIT records it: 84 is 168 steps a minute)


def _ms(dt: datetime) -> int:
    return int(dt.astimezone(UTC).timestamp() * 1000)


def write_run(run: SyntheticRun, path: Path | str) -> Path:
    """Write one run as a FIT activity file and return its path."""
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.activity_message import ActivityMessage
    from fit_tool.profile.messages.event_message import EventMessage
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.lap_message import LapMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.messages.session_message import SessionMessage
    from fit_tool.profile.profile_type import (
        Event,
        EventType,
        FileType,
        Manufacturer,
        Sport,
        SubSport,
    )

    rng = random.Random(run.seed)
    speed = 1000.0 / run.pace_s_per_km
    duration = int(round(run.distance_m / speed))
    start_ms = _ms(run.start_utc)
    builder = FitFileBuilder(auto_define=True, min_string_size=50)

    fid = FileIdMessage()
    fid.type = FileType.ACTIVITY
    fid.manufacturer = Manufacturer.DEVELOPMENT.value
    fid.product = 1
    fid.serial_number = 0x10AD0000 + run.seed % 0xFFFF
    fid.time_created = start_ms
    builder.add(fid)

    ev = EventMessage()
    ev.event = Event.TIMER
    ev.event_type = EventType.START
    ev.timestamp = start_ms
    builder.add(ev)

    # A loop of the right circumference, run as many times as the distance needs.
    radius = 600.0 + rng.random() * 400.0
    dist = 0.0
    ascent = 0.0
    prev_alt = None
    hrs = []
    records = []
    step = max(1, run.record_interval_s)
    for i in range(0, duration + 1, step):
        v = speed * (1.0 + 0.04 * math.sin(i / 97.0) + rng.gauss(0, 0.01)) if i else 0.0
        dist = min(run.distance_m, dist + v * step) if i < duration else run.distance_m
        angle = dist / radius
        north = radius * math.sin(angle)
        east = radius * (1 - math.cos(angle))
        lat = run.lat0 + math.degrees(north / EARTH_RADIUS_M)
        lon = run.lon0 + math.degrees(east / (EARTH_RADIUS_M * math.cos(math.radians(run.lat0))))
        alt = 40.0 + 8.0 * math.sin(dist / 900.0)
        if prev_alt is not None and alt > prev_alt:
            ascent += alt - prev_alt
        prev_alt = alt
        warmup = min(1.0, i / 600.0)
        hr = int(
            round(run.hr_mean - 25 * (1 - warmup) + 6 * (i / max(duration, 1)) + rng.gauss(0, 2))
        )
        hrs.append(hr)
        rec = RecordMessage()
        rec.timestamp = start_ms + i * 1000
        rec.position_lat = lat
        rec.position_long = lon
        if run.record_distance:
            rec.distance = dist
        rec.speed = v
        rec.heart_rate = hr if run.heart_rate else 0
        rec.cadence = run.cadence + rng.randint(-2, 2)
        rec.altitude = alt
        records.append(rec)
    builder.add_all(records)
    # A lost final lap: the summaries end early and cover only part of the distance.
    summarised = duration - run.missing_final_s
    end_ms = start_ms + summarised * 1000
    dist = run.distance_m * summarised / duration
    duration = summarised

    ev = EventMessage()
    ev.event = Event.TIMER
    ev.event_type = EventType.STOP_ALL
    ev.timestamp = end_ms
    builder.add(ev)

    sport = Sport[run.sport.upper()]
    sub = SubSport[run.sub_sport.upper()]
    lap_s = duration - run.lost_laps_s
    lap = LapMessage()
    lap.timestamp = start_ms + lap_s * 1000
    lap.start_time = start_ms
    lap.total_elapsed_time = float(lap_s)
    lap.total_timer_time = float(lap_s)
    if run.lap_distance:
        lap.total_distance = dist * lap_s / duration
    lap.sport = sport
    builder.add(lap)

    ses = SessionMessage()
    ses.timestamp = end_ms + run.left_recording_s * 1000
    if run.session_start:
        ses.start_time = start_ms
    ses.total_elapsed_time = float(duration + run.left_recording_s)
    ses.total_timer_time = float(duration)
    if run.session_distance:
        ses.total_distance = dist
    ses.sport = sport
    ses.sub_sport = sub
    if run.session_hr:
        ses.avg_heart_rate = int(round(sum(hrs) / len(hrs))) if run.heart_rate else 0
        ses.max_heart_rate = max(hrs) if run.heart_rate else 0
    ses.total_ascent = int(round(ascent))
    if run.workout_rpe is not None:
        ses.workout_rpe = run.workout_rpe
    ses.first_lap_index = 0
    ses.num_laps = 1
    builder.add(ses)

    act = ActivityMessage()
    act.timestamp = end_ms + run.left_recording_s * 1000
    act.total_timer_time = float(duration)
    act.num_sessions = 1
    if run.utc_offset_s is not None:
        # Raw FIT time (seconds since 1989-12-31), which fit-tool does not convert.
        act.local_timestamp = act.timestamp // 1000 + run.utc_offset_s - FIT_EPOCH_UNIX_S
    builder.add(act)

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    builder.build().to_file(str(out))
    return out


def dense_fit(records: int) -> bytes:
    """A valid FIT activity (CRCs right) whose records are two bytes each, a heart rate under a
    compressed-timestamp header: a hostile file for the importers' memory and time caps. A
    thousand such records gzip to about a byte."""
    import struct

    import fastcrc

    def fit_crc(data: bytes) -> int:
        return fastcrc.crc16.arc(data)  # the FIT protocol's CRC-16

    def define(local: int, number: int, fields: list[tuple[int, int, int]]) -> bytes:
        out = bytes([0x40 | local, 0, 0]) + struct.pack("<HB", number, len(fields))
        return out + b"".join(bytes(f) for f in fields)

    t0 = 1_100_000_000  # 2024-11-09, in FIT seconds
    body = define(0, 0, [(0, 1, 0x00)]) + bytes([0x00, 4])  # file_id: an activity
    session = [(2, 4, 0x86), (253, 4, 0x86), (7, 4, 0x86), (8, 4, 0x86), (9, 4, 0x86), (5, 1, 0)]
    body += define(1, 18, session)
    body += bytes([0x01]) + struct.pack("<IIIIIB", t0, t0 + 3600, 3600000, 3600000, 1000000, 1)
    body += define(2, 20, [(253, 4, 0x86)]) + bytes([0x02]) + struct.pack("<I", t0)
    body += define(2, 20, [(3, 1, 0x02)]) + bytes([0x80 | 2 << 5, 150]) * records
    head = struct.pack("<BBHI4s", 14, 0x20, 2140, len(body), b".FIT")
    data = head + struct.pack("<H", fit_crc(head)) + body
    return data + struct.pack("<H", fit_crc(data))
