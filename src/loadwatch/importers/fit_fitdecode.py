"""The fitdecode adapter: a FIT file's frames into a `_Decoded` (pure Python, streaming;
the fallback for what the native decoder does not do).
"""

from __future__ import annotations

import io

import fitdecode
from fitdecode import CrcCheck, ErrorHandling, FitReader

from .fit_decoded import (
    _LAP_FIELDS,
    _SESSION_FIELDS,
    MAX_RECORDS,
    _Decoded,
    _strides,
    _TooManyRecords,
)


def _values(frame: fitdecode.FitDataMessage, names) -> dict:
    out = {}
    for name in names:
        if frame.has_field(name):
            value = frame.get_value(name, fallback=None)
            if value is not None:  # an invalid value is no value, as the native decoder says it
                out[name] = value
    return out


def _decode_fitdecode(data: bytes) -> _Decoded:
    out = _Decoded()
    reader = FitReader(
        io.BytesIO(data),
        # No processor: raw values, the few we use converted here; halves fitdecode's time.
        processor=None,
        check_crc=CrcCheck.DISABLED,  # check_crc() verified every file's CRC already
        # WARN lets fitdecode read past recoverable oddities (field sizes that are not a
        # multiple of their type, as COROS writes); CRC, EOF and undefined messages still raise.
        error_handling=ErrorHandling.WARN,
    )
    with reader as fit:
        for frame in fit:
            if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                continue
            name = frame.name
            if name == "record":
                ts = frame.get_value("timestamp", fallback=None)
                if not isinstance(ts, int):
                    continue
                if len(out.records) >= MAX_RECORDS:
                    raise _TooManyRecords
                hr = frame.get_value("heart_rate", fallback=None)
                dist = frame.get_value("distance", fallback=None)
                lat = frame.get_value("position_lat", fallback=None)
                lon = frame.get_value("position_long", fallback=None)
                alt = frame.get_value("enhanced_altitude", fallback=None)
                if alt is None:
                    alt = frame.get_value("altitude", fallback=None)
                cad = frame.get_value("cadence", fallback=None)
                frac = frame.get_value("fractional_cadence", fallback=None)
                out.records.append(
                    (
                        ts,
                        hr if isinstance(hr, int) and hr > 0 else None,
                        float(dist) if isinstance(dist, int | float) else None,
                        lat if isinstance(lat, int) else None,
                        lon if isinstance(lon, int) else None,
                        float(alt) if isinstance(alt, int | float) else None,
                        _strides(cad, frac),
                    )
                )
            elif name == "session":
                out.session_marks.append(len(out.records))
                out.sessions.append(_values(frame, _SESSION_FIELDS))
            elif name == "lap":
                out.laps.append({**_values(frame, _LAP_FIELDS), "_leg": len(out.sessions)})
            elif name == "event":
                ev = _values(frame, ("timestamp", "event", "event_type"))
                if (
                    str(ev.get("event")) == "timer"
                    and str(ev.get("event_type")) == "start"
                    and isinstance(ev.get("timestamp"), int)
                ):
                    out.starts.append(ev["timestamp"])
                    out.start_legs.append(len(out.sessions))
            elif name == "file_id":
                fid = _values(frame, ("type", "manufacturer", "product", "garmin_product"))
                out.file_types.append(str(fid.get("type")))
                if not out.file_id or fid.get("type") == "activity":
                    out.file_id = fid
            elif name == "activity":
                out.activity = _values(frame, ("timestamp", "local_timestamp"))
    return out
