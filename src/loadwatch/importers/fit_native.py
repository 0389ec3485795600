"""The pyfitparsernative adapter: a FIT file's messages into a `_Decoded` (Rust, about 9x
faster than fitdecode; every message at once, so for files up to NATIVE_MAX_BYTES).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pyfitparsernative

from .fit_decoded import (
    _LAP_FIELDS,
    _SESSION_FIELDS,
    FIT_EPOCH,
    _Decoded,
    _strides,
)

_TIME_FIELDS = frozenset(("timestamp", "start_time", "local_timestamp"))
_NATIVE_EPOCH = FIT_EPOCH.replace(tzinfo=None)
_SECOND = timedelta(seconds=1)


class _NeedsFitdecode(Exception):
    """The file uses something only fitdecode decodes; not an error in the file."""


def _product_names() -> dict[str, dict[int, str]]:
    """file_id.product's subfields from fitdecode's profile: manufacturer -> {product id: name}.

    The native decoder gives the product as a number; this names it as fitdecode would (so both
    paths describe the device alike) without a hand-kept table of watches."""
    from fitdecode import profile

    makers = profile.FIELD_TYPES["manufacturer"].enum
    file_id = next(m for m in profile.MESSAGE_TYPES.values() if m.name == "file_id")
    product = next(f for f in file_id.fields.values() if f.name == "product")
    out: dict[str, dict[int, str]] = {}
    for sub in product.subfields or ():
        names = profile.FIELD_TYPES[sub.name].enum
        for ref in sub.ref_fields:
            out[makers[ref.raw_value]] = names
    return out


_PRODUCTS: dict[str, dict[int, str]] | None = None


def _native_time(value) -> int | None:
    """The decoder's naive ISO text (UTC, or device-relative seconds from the epoch) as FIT seconds."""
    if not isinstance(value, str):
        return None
    return (datetime.fromisoformat(value) - _NATIVE_EPOCH) // _SECOND


def _pick(msg: dict, names) -> dict:
    return {
        k: (_native_time(msg[k]) if k in _TIME_FIELDS else msg[k])
        for k in names
        if msg.get(k) is not None
    }


def _decode_native(data: bytes) -> _Decoded:
    global _PRODUCTS
    out = _Decoded()
    records = out.records
    add = records.append
    parse_time, epoch, second = datetime.fromisoformat, _NATIVE_EPOCH, _SECOND
    for msg in pyfitparsernative.parse_fit_bytes(data):
        kind = msg["message_type"]
        if kind == "record":  # most messages: kept to a few dictionary lookups each
            stamp = msg.get("timestamp")
            if stamp is None:
                continue
            if "compressed_speed_distance" in msg:
                raise _NeedsFitdecode  # a component field: fitdecode expands it into distance
            hr = msg.get("heart_rate")
            dist = msg.get("distance")
            lat = msg.get("position_lat")
            lon = msg.get("position_long")
            alt = msg.get("enhanced_altitude")
            if alt is None:
                alt = msg.get("altitude")
            cad = msg.get("cadence")
            if cad is not None:
                frac = msg.get("fractional_cadence")
                cad = float(cad + frac) if frac.__class__ is float else _strides(cad, None)
            add(
                (
                    (parse_time(stamp) - epoch) // second,
                    hr if hr.__class__ is int and hr > 0 else None,
                    float(dist) if isinstance(dist, int | float) else None,
                    lat if lat.__class__ is int else None,
                    lon if lon.__class__ is int else None,
                    float(alt) if isinstance(alt, int | float) else None,
                    cad,
                )
            )
        elif kind == "session":
            out.session_marks.append(len(records))
            out.sessions.append(_pick(msg, _SESSION_FIELDS))
        elif kind == "lap":
            out.laps.append({**_pick(msg, _LAP_FIELDS), "_leg": len(out.sessions)})
        elif kind == "event":
            ts = _native_time(msg.get("timestamp"))
            if (
                str(msg.get("event")) == "timer"
                and str(msg.get("event_type")) == "start"
                and ts is not None
            ):
                out.starts.append(ts)
                out.start_legs.append(len(out.sessions))
        elif kind == "file_id":
            fid = _pick(msg, ("type", "manufacturer", "product"))
            if _PRODUCTS is None:
                _PRODUCTS = _product_names()
            names = _PRODUCTS.get(str(fid.get("manufacturer")))
            if names is not None and isinstance(fid.get("product"), int):
                fid["product"] = names.get(fid["product"], fid["product"])
            out.file_types.append(str(fid.get("type")))
            if not out.file_id or fid.get("type") == "activity":
                out.file_id = fid
        elif kind == "activity":
            out.activity = _pick(msg, ("timestamp", "local_timestamp"))
    return out


# Set in the import's worker processes, where nothing else writes to stderr.
QUIET_WORKER = False


@contextmanager
def _rust_panics_unprinted() -> Iterator[None]:
    """A panic in the native decoder prints a Rust backtrace on stderr before Python sees it;
    the user gets the file's one-line reason instead, so stderr is closed around the call. Only
    where no other thread could be writing a line that would be lost (a daemon's log): in a
    worker process, or in a process with a single thread."""
    if not (QUIET_WORKER or threading.active_count() == 1):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
