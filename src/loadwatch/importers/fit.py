"""FIT activity files: every CRC checked first, then decoded strictly (errors raised).

One Activity per `session` message: a multisport or chained file gives each leg separately, with the
device's own totals (`total_distance`, `total_timer_time` as moving time, `total_elapsed_time`).

Two decoders fill the same `_Decoded`: pyfitparsernative (Rust, ~9x faster than fitdecode) is the fast
path; fitdecode is the fallback for what the native one does not do (component expansion of
`compressed_speed_distance`, subfields other than the product name) or refuses after a good CRC.
`tests/test_fit_decoders.py` proves both give identical activities on every corpus file.
Each decoder is an adapter of its own (fit_native.py, fit_fitdecode.py, sharing fit_decoded.py);
the checksums are fit_crc.py's; this module picks the decoder and builds the activities.
"""

from __future__ import annotations

import warnings
from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import islice
from operator import itemgetter

import fitdecode
import numpy as np

from ..errors import NotAnActivity, UnreadableFile
from ..model import Activity, is_running, plausible_offset_s
from .climb import climb_m
from .drift import hr_drift_pct
from .fit_crc import check_crc, fit_crc  # noqa: F401 (fit.fit_crc, as before)
from .fit_decoded import (
    FIT_DATETIME_MIN,
    FIT_EPOCH,
    MAX_RECORDS,
    _Decoded,
    _TooManyRecords,
)
from .fit_fitdecode import _decode_fitdecode
from .fit_native import _decode_native, _NeedsFitdecode, _rust_panics_unprinted
from .hr import hr_histogram, mean_hr

SEMICIRCLE_DEG = 180.0 / 2**31
# A session whose records go on this much longer (and further) is missing its final lap(s).
MISSING_LAP_S = 60.0
MISSING_LAP_FRACTION = 0.02


def _fit_time(raw: int) -> datetime:
    return FIT_EPOCH + timedelta(seconds=raw)


def _device(file_id: dict) -> str | None:
    maker = file_id.get("manufacturer")
    product = file_id.get("garmin_product") or file_id.get("product")
    if maker is None and product is None:
        return None
    return f"{maker or 'unknown'}/{product if product is not None else 'unknown'}"


# The native decoder returns every message at once as dictionaries, about 100 times the file's
# size in memory; above this size fitdecode streams the frames instead (12x), so a long recording
# costs time, not memory. 512 KiB is about three hours of 1-second recording.
NATIVE_MAX_BYTES = 512 * 2**10


def _decode(data: bytes, path: str, decoder: str) -> _Decoded:
    """The native decoder where it can; fitdecode where it cannot or will not, with its reasons."""
    if decoder == "native" or (decoder == "auto" and len(data) <= NATIVE_MAX_BYTES):
        try:
            with _rust_panics_unprinted():
                return _decode_native(data)
        except _NeedsFitdecode:
            if decoder == "native":
                raise
        except (ValueError, OverflowError):
            if decoder == "native":
                raise
        except BaseException as e:
            # Hostile bytes behind a good CRC can make the Rust decoder panic (a division by
            # zero in a field definition): pyo3 raises that as a BaseException. fitdecode
            # then reads the file or says why, in one line.
            if type(e).__name__ != "PanicException":
                raise
            if decoder == "native":
                raise UnreadableFile(path, "corrupt FIT file (the native decoder gave up)") from e
            # Refused after a good CRC: fitdecode, more lenient (WARN), reads it or says why.
    try:
        with warnings.catch_warnings():
            # fitdecode warns about what it recovered from; that is not the user's business.
            warnings.simplefilter("ignore")
            return _decode_fitdecode(data)
    except _TooManyRecords as e:
        raise UnreadableFile(path, _too_many_records()) from e
    except fitdecode.FitHeaderError as e:
        raise UnreadableFile(path, f"not a FIT file or corrupt header ({e})") from e
    except fitdecode.FitEOFError as e:
        raise UnreadableFile(path, f"truncated FIT file ({e})") from e
    except fitdecode.FitError as e:
        raise UnreadableFile(path, f"corrupt FIT file ({e})") from e
    except Exception as e:
        # fitdecode trusts the file's definitions; hostile bytes behind a good checksum can make
        # it fail anywhere (IndexError, TypeError, even its own assertions).
        raise UnreadableFile(
            path, f"corrupt FIT file ({type(e).__name__}: {e})".replace("\n", " ")
        ) from e


def _too_many_records() -> str:
    return f"more than {MAX_RECORDS:,} records (eleven days at one a second); refused"


def read_fit(data: bytes, path: str = "", decoder: str = "auto") -> list[Activity]:
    """Decode a FIT file (possibly chained) into its sessions.

    Raises UnreadableFile for anything a strict reader refuses and NotAnActivity for valid files
    that hold no activity (settings, monitoring, workouts, courses...). `decoder` is "auto" (native,
    fitdecode where needed), or "native" / "fitdecode" alone, for the test that compares them.
    """
    check_crc(data, path)
    decoded = _decode(data, path, decoder)
    if len(decoded.records) > MAX_RECORDS:  # the native decoder's (its input is small)
        raise UnreadableFile(path, _too_many_records())
    sessions, records, file_types = decoded.sessions, decoded.records, decoded.file_types
    file_id, activity_msg = decoded.file_id, decoded.activity

    if not file_types:
        raise UnreadableFile(path, "FIT file without a file_id message")
    if not sessions:
        kinds = ", ".join(sorted(set(file_types)))
        if kinds == "activity":
            raise NotAnActivity(
                path, "not an activity: FIT activity file without a session (nothing recorded)"
            )
        raise NotAnActivity(path, f"not an activity: FIT {kinds} file")

    offset_s = None
    ts, local = activity_msg.get("timestamp"), activity_msg.get("local_timestamp")
    if isinstance(ts, int) and isinstance(local, int) and ts >= FIT_DATETIME_MIN:
        # The watch's local clock at the activity's end: its offset decides the run's day.
        offset_s = plausible_offset_s(local - ts)

    device = _device(file_id)
    starts = [_session_start(s, decoded.starts, records) for s in sessions]
    legs = None if _apart_in_time(sessions, starts) else _legs_by_order(decoded)
    if legs is not None:
        # Each leg's fallbacks (laps, records, timer starts) from its own messages.
        activities = []
        for index, (s, (mine, laps, own_starts)) in enumerate(zip(sessions, legs, strict=True)):
            start = _session_start(s, own_starts, mine)
            if start is None:
                raise _no_clock(path, index, s)
            mine = sorted(mine, key=itemgetter(0)) if _unordered(mine) else mine
            activities.append(_activity(s, index, start, mine, laps, path, offset_s, device))
        return activities
    # In time order (recordings are, so this is usually a no-op), for slicing by session.
    if _unordered(records):
        records = sorted(records, key=itemgetter(0))
    times = [r[0] for r in records]
    activities = []
    for index, (s, start) in enumerate(zip(sessions, starts, strict=True)):
        if start is None:
            raise _no_clock(path, index, s)
        # The session's own records and laps: from its start to the next session's (or the end).
        later = [t for t in starts[index + 1 :] if t is not None and t > start]
        until = min(later) if later else None
        lo = bisect_left(times, start)
        mine = records[lo : bisect_left(times, until, lo) if until is not None else None]
        in_span = [
            lap
            for lap in decoded.laps
            if isinstance(lap.get("start_time"), int)
            and lap["start_time"] >= start
            and (until is None or lap["start_time"] < until)
        ]
        activities.append(_activity(s, index, start, mine, in_span, path, offset_s, device))
    return activities


def _no_clock(path: str, index: int, s: dict) -> UnreadableFile:
    return UnreadableFile(
        path,
        f"session {index} has no clock time (device-relative start "
        f"{s.get('start_time')!r} and no timed records): the watch's clock was not set, "
        "so the run cannot be placed on a day",
    )


def _unordered(records: list) -> bool:
    return any(a[0] > b[0] for a, b in zip(records, islice(records, 1, None), strict=False))


def _apart_in_time(sessions: list[dict], starts: Sequence[int | None]) -> bool:
    """Whether each session starts after the one before it has ended (within a second), so
    that time alone tells whose a record or lap is."""
    for prev, start, s in zip(starts, islice(starts, 1, None), sessions, strict=False):
        if prev is None or start is None:
            return False
        took = _num(s.get("total_elapsed_time"))
        took = took if took is not None else _num(s.get("total_timer_time")) or 0.0
        if start < prev + took - 1.0:
            return False
    return True


def _legs_by_order(decoded: _Decoded) -> list[tuple[list, list[dict], list[int]]] | None:
    """Each session's records, laps and timer starts by message order, when the file is laid
    out leg by leg (each leg's messages, then its session): in a chained file two legs' times
    may overlap or be equal, so time cannot tell whose a lap is. None for one session, or when
    some session has no messages of its own before it (all summaries at the start or the end
    of the file, as a multisport watch may write them): then time decides, as it can."""
    marks, n = decoded.session_marks, len(decoded.sessions)
    if n < 2:
        return None
    legs = []
    for i in range(n):
        lo = marks[i - 1] if i else 0
        hi = marks[i] if i < n - 1 else len(decoded.records)  # the last leg keeps what trails
        mine = decoded.records[lo:hi]
        laps = [lap for lap in decoded.laps if lap["_leg"] == i]
        if lo == marks[i] and not laps:
            return None
        starts = [t for t, leg in zip(decoded.starts, decoded.start_legs, strict=True) if leg == i]
        legs.append((mine, laps, starts))
    return legs


def _session_start(s: dict, starts: Sequence[int], records: list) -> int | None:
    """The session's start_time; without one (or with a device-relative one), the first
    timer-start event, else the first record, when they carry real clock time."""
    start = s.get("start_time")
    if isinstance(start, int) and start >= FIT_DATETIME_MIN:
        return start
    if start is None:
        candidates = [t for t in starts if t >= FIT_DATETIME_MIN]
        if not candidates:
            candidates = [r[0] for r in records if r[0] >= FIT_DATETIME_MIN]
        end = s.get("timestamp")
        if isinstance(end, int) and end >= FIT_DATETIME_MIN:
            candidates = [t for t in candidates if t <= end] or candidates
        if candidates:
            return min(candidates)
    return None


def _path_m(mine: list) -> float:
    """The GPS path in 2D from the records' positions (haversine), for a file with nothing else."""
    import math

    pts = [
        (r[3] * SEMICIRCLE_DEG, r[4] * SEMICIRCLE_DEG)
        for r in mine
        if r[3] is not None and r[4] is not None
    ]
    total = 0.0
    for (la1, lo1), (la2, lo2) in zip(pts, pts[1:], strict=False):
        p1, p2 = math.radians(la1), math.radians(la2)
        a = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lo2 - lo1) / 2) ** 2
        )
        total += 2 * 6_371_008.8 * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
    return total


def _activity(
    s: dict,
    index: int,
    start: int,
    mine: list,
    in_span: list[dict],
    path: str,
    offset_s: int | None,
    device: str | None,
) -> Activity:
    elapsed = _num(s.get("total_elapsed_time"))
    timer = _num(s.get("total_timer_time"))
    session_end = start + (elapsed if elapsed is not None else timer or 0.0)
    lap_m = sum(float(lap.get("total_distance") or 0.0) for lap in in_span)
    record_m = max((r[2] for r in mine if r[2] is not None), default=None)
    if record_m is not None:
        first = next((r[2] for r in mine if r[2] is not None), 0.0)
        record_m -= first if first and first < record_m else 0.0  # a leg of a longer recording
    distance = _num(s.get("total_distance")) or 0.0
    source = "session"
    last_record = mine[-1][0] if mine else None

    def stops_short(value_m: float, end: float | None) -> bool:
        """Ends more than a minute before the records and 2% short of their distance."""
        return (
            last_record is not None
            and end is not None
            and record_m is not None
            and last_record - end > MISSING_LAP_S
            and record_m > value_m * (1 + MISSING_LAP_FRACTION)
        )

    if distance <= 0:
        ends = [end for end in map(_lap_end, in_span) if end is not None]
        laps_end = max(ends) if ends else None
        for value, name in ((lap_m, "laps"), (record_m, "records"), (None, "gps")):
            if name == "gps":
                value = _path_m(mine)  # the costly one, only when nothing else says
            if name == "laps" and value and stops_short(value, laps_end):
                continue  # the laps stop well before the records (a lost final lap)
            if value:
                distance, source = float(value), name
                break
        if (
            source == "records"
            and lap_m
            and last_record is not None
            and last_record - session_end > MISSING_LAP_S
        ):
            # Neither the laps nor the session reach the end of the records: their time wins.
            elapsed = timer = float(last_record - start)
            session_end = last_record
    elif record_m is not None and last_record is not None and stops_short(distance, session_end):
        # The session stops well before its own records (a lost final lap): the records cover
        # the whole outing, so their distance and time win.
        distance, source = record_m, "records"
        elapsed = float(last_record - start)
        lap_timer = sum(float(lap.get("total_timer_time") or 0.0) for lap in in_span)
        timer = max(timer or 0.0, lap_timer) if lap_timer > (timer or 0.0) else elapsed
        session_end = last_record
    hist = hr_histogram([(r[0], r[1]) for r in mine if r[1] is not None and r[0] <= session_end])
    avg_hr = _num(s.get("avg_heart_rate")) or None  # 0 is a strap that sent nothing
    if avg_hr is None:
        avg_hr = mean_hr(hist)
    max_hr = _num(s.get("max_heart_rate")) or None
    if max_hr is None and hist:
        max_hr = float(max(hist))
    sport = s.get("sport")
    sub = s.get("sub_sport")
    ascent, descent = _num(s.get("total_ascent")), _num(s.get("total_descent"))
    if ascent is None or descent is None:
        # What the device did not total: from the session's own altitude records, as a GPX
        # track is counted.
        climb = climb_m([[r[5] for r in mine if r[5] is not None and r[0] <= session_end]])
        if climb is not None:
            ascent = climb[0] if ascent is None else ascent
            descent = climb[1] if descent is None else descent
    step_rate = _step_rate(s)
    if step_rate is None and is_running(str(sport)):
        # No session cadence: the mean of the records' non-zero cadence (a record a second, as
        # watches write running records), doubled.
        cadences = [r[6] for r in mine if r[6] and r[0] <= session_end]
        step_rate = 2.0 * sum(cadences) / len(cadences) if cadences else None
    return Activity(
        sport=str(sport) if sport is not None else "generic",
        sub_sport=str(sub) if sub is not None else None,
        start_utc=_fit_time(start),
        distance_m=distance,
        moving_s=timer,
        elapsed_s=elapsed,
        source_format="fit",
        source_path=path,
        session_index=index,
        utc_offset_s=offset_s,
        avg_hr=avg_hr,
        max_hr=max_hr,
        elevation_gain_m=_num(s.get("total_ascent")),
        hr_histogram_s=hist,
        device=device,
        distance_source=source,
        rpe=_workout_rpe(s.get("workout_rpe")),
        step_rate_spm=step_rate,
        ascent_m=ascent,
        descent_m=descent,
        hr_drift_pct=_drift(mine, session_end) if hist else None,
    )


def _drift(mine: list, session_end: float) -> float | None:
    """Pace:HR decoupling (importers/drift.py) from the session's records with a distance."""
    rows = [(r[0], r[2], r[1] or 0) for r in mine if r[2] is not None and r[0] <= session_end]
    if len(rows) < 2:
        return None
    a = np.array(rows, dtype=float)
    return hr_drift_pct(np.diff(a[:, 0]), np.diff(a[:, 1]), a[:-1, 2])


def _step_rate(s: dict) -> float | None:
    """Steps a minute from a running session's average cadence, which counts one foot (strides):
    2 x (avg_cadence + avg_fractional_cadence). Other sports' cadence is pedal or stroke rate."""
    if not is_running(str(s.get("sport"))):
        return None
    cadence = _num(s.get("avg_cadence"))
    if not cadence:  # 0: no footpod or wrist cadence recorded
        return None
    return 2.0 * (cadence + (_num(s.get("avg_fractional_cadence")) or 0.0))


def _lap_end(lap: dict) -> float | None:
    """When a lap ended: its timestamp, else its start plus its elapsed time."""
    end = lap.get("timestamp")
    if isinstance(end, int):
        return float(end)
    begin, took = lap.get("start_time"), _num(lap.get("total_elapsed_time"))
    return float(begin) + took if isinstance(begin, int) and took is not None else None


def _workout_rpe(raw) -> int | None:
    """The session's `workout_rpe` on the CR-10 scale: the FIT profile stores it "multiplied
    10x" with no declared scale, so both decoders hand over 0-100 (70 is RPE 7)."""
    value = _num(raw)
    if value is None or not 0 <= value <= 100:
        return None
    return round(value / 10)


def _num(value) -> float | None:
    return float(value) if isinstance(value, int | float) else None
