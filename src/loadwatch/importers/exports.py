"""Whole account exports: a Strava bulk export or a Garmin Connect data export, as downloaded.

Both are read through SafeZip, from disk, member by member: only `activities.csv`, `shoes.csv`, the
summaries and the activity files are ever read, as the decoding processes free up. The result is every activity with the device's totals
where a file exists (and the platform's summary where none does), the shoes the export declares,
and, per activity, the gear it was recorded with, so shoe mileage is rebuilt from the runs.

Strava: `activities.csv` lists every activity; `Filename` points to activities/*.fit.gz|.gpx.gz|
.tcx.gz (or plain), empty for manual entries, which are imported from the row. Column names
repeat: the first copy is in display units, the last in SI units (metres, seconds); the SI copies
are used. `Activity Date` ("Oct 7, 2020, 2:43:11 PM") is UTC. `Activity Gear` names a shoe as
"Brand Model" or "Brand Model Name" (or a bike); `shoes.csv` lists the shoes.

Garmin: summaries in DI_CONNECT/DI-Connect-Fitness/*_summarizedActivities.json (distance in cm,
durations in ms, start in epoch ms; multisport parents skipped); FIT files inside nested zips
DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_*.zip, mixed with wellness files, matched to
the summaries by start time. No gear: loadwatch's own shoe rules apply.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import IO

from ..errors import NotAnActivity, UnreadableFile
from ..model import Activity, ArchiveLimits, FileFailure, ShoeDecl
from ..names import cleaned
from . import ACTIVITY_SUFFIXES, content_hash, read_bytes, refused_size, size_cap
from .archives import ArchiveRefused, SafeZip
from .checks import check
from .sports import declared
from .strava_csv import (
    parse_date,
    parse_number,
    perceived_exertion,
    read_activities,
    read_shoes,
)

MATCH_WINDOW = timedelta(minutes=2)

MULTISPORT = {"multi_sport", "multisport", "triathlon", "duathlon"}


@dataclass(frozen=True)
class Skipped(FileFailure):
    """A member that is valid but no activity (wellness, settings...)."""


@dataclass
class ExportResult:
    kind: str
    activities: list[Activity] = field(default_factory=list)
    gear: dict[tuple[str, int], str] = field(
        default_factory=dict
    )  # (content_hash, session) -> shoe name
    shoes: list[ShoeDecl] = field(default_factory=list)
    skipped: list[FileFailure] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    notes: list[FileFailure] = field(default_factory=list)
    # Strava says which shoe every activity was on (or none): default shoes must not add to that.
    gear_authoritative: bool = False


def decode_member(item: tuple[bytes, str]):
    """(label, activities) of one member's bytes, or (label, the reason there are none)."""
    data, label = item
    try:
        digest = content_hash(data)
        return label, [
            replace(a, source_path=label, content_hash=digest) for a in read_bytes(data, label)
        ]
    except NotAnActivity as e:
        return label, Skipped(e.path, e.reason)
    except UnreadableFile as e:
        return label, FileFailure(e.path, e.reason)
    except Exception as e:  # a reader bug costs one member, not the export
        return label, FileFailure(label, f"internal error while reading: {type(e).__name__}: {e}")


def detect(zf: SafeZip) -> str | None:
    names = zf.names
    if "loadwatch-export.json" in names:
        return "loadwatch"  # its own export: its activities.csv is for people, not a Strava one
    if any(n.split("/", 1)[0] == "DI_CONNECT" or "/DI_CONNECT/" in n for n in names):
        return "garmin"
    if any(n.rsplit("/", 1)[-1] == "activities.csv" for n in names):
        return "strava"
    return None


@dataclass
class Progress:
    """How the caller hears of the work inside an archive: `more(n)` members are to be read,
    `done(n)` were. Both do nothing by default."""

    more: Callable[[int], None] = lambda n: None
    done: Callable[[int], None] = lambda n: None


def read_export(
    source: bytes | str | os.PathLike[str],
    label: str,
    mapper: Callable = map,
    limits: ArchiveLimits | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """An account export (or any zip of activity files), from its path or its bytes, into
    activities, shoes and gear."""
    with SafeZip(source, label, limits or ArchiveLimits()) as zf:
        kind = detect(zf)
        progress = progress or Progress()
        if kind == "strava":
            return _strava(zf, mapper, progress)
        if kind == "garmin":
            return _garmin(zf, mapper, progress)
        # loadwatch's export keeps the account exports it was given under archives/, not read
        # again: their runs come back from the export's records (see export.py).
        return _plain_zip(zf, mapper, progress, nested=kind != "loadwatch")


def read_members(
    source: bytes | str | os.PathLike[str] | IO[bytes],
    label: str,
    wanted: Collection[str],
    mapper: Callable = map,
    limits: ArchiveLimits | None = None,
) -> dict[str, list[Activity] | FileFailure]:
    """Some members of an archive, decoded again as its import decoded them, by the labels the
    import gave their activities (`export.zip!activities/1.fit.gz`; inside a zip in the archive,
    `garmin.zip!DI_CONNECT/.../UploadedFiles_0.zip!1.fit`): label -> activities (stamped with
    the member's own hash, as at import) or why none.

    For `activities backfill`: the archive is opened once for all the members it asks for, and
    only those are read, through the same caps (`_members`) and decoder (`decode_member`) as an
    import. A label the archive does not hold is absent from the answer; a cap the archive breaks
    refuses it whole (ArchiveRefused), as at import."""
    found: dict[str, list[Activity] | FileFailure] = {}
    with SafeZip(source, label, limits or ArchiveLimits()) as zf:
        _read_wanted(zf, frozenset(wanted), mapper, found)
    return found


def _read_wanted(
    zf: SafeZip,
    wanted: frozenset[str],
    mapper: Callable,
    found: dict[str, list[Activity] | FileFailure],
) -> None:
    result = ExportResult("members")  # where `_members` puts a member it could not read
    names = [n for n in zf.names if f"{zf.label}!{n}" in wanted]
    for member, outcome in mapper(decode_member, _members(zf, names, result)):
        found[member] = outcome
    for failure in result.failed:
        found[failure.path] = failure
    # A zip inside the archive (a few in a Garmin export) is opened only when a wanted label
    # points into it.
    for name in (n for n in zf.names if n.lower().endswith(".zip")):
        within = [w for w in wanted if w.startswith(f"{zf.label}!{name}!")]
        if not within:
            continue
        try:
            with zf.nested(name) as inner:
                _read_wanted(inner, frozenset(within), mapper, found)
        except ArchiveRefused:
            raise
        except UnreadableFile as e:
            found.update({w: FileFailure(w, e.reason) for w in within})


def _collect(result: ExportResult, outcome) -> list[Activity]:
    if isinstance(outcome, Skipped):
        result.skipped.append(FileFailure(outcome.path, outcome.reason))
        return []
    if isinstance(outcome, FileFailure):
        result.failed.append(outcome)
        return []
    return outcome


def _members(
    zf: SafeZip, names: Iterable[str], result: ExportResult
) -> Iterator[tuple[bytes, str]]:
    """(bytes, label) of each member, read when a worker is ready for it; a corrupt one is
    reported and skipped, one beyond a cap refuses the archive."""
    for name in names:
        # Held to its format's cap by its declared size, as a file is by its size, before a
        # byte is read (four stored 250 MiB members named .fit took 1.3 GB); the bytes read are
        # held to the declared size (SafeZip.read).
        kind, limit = size_cap(name)
        size = zf.admit(name)  # a member past the archive's own caps refuses the archive
        if size > limit:
            result.failed.append(FileFailure(f"{zf.label}!{name}", refused_size(kind, size, limit)))
            continue
        try:
            yield zf.read(name), f"{zf.label}!{name}"
        except ArchiveRefused:
            raise
        except UnreadableFile as e:
            result.failed.append(FileFailure(e.path, e.reason))


def _decoded(mapper, items: Iterable, progress: Progress) -> Iterator:
    for outcome in mapper(decode_member, items):
        yield outcome
        progress.done(1)


def _plain_zip(
    zf: SafeZip,
    mapper,
    progress: Progress,
    result: ExportResult | None = None,
    nested: bool = True,
) -> ExportResult:
    """A zip of activity files (zips inside it are opened too, down to the depth cap)."""
    result = result or ExportResult("zip")
    names = [n for n in zf.names if n.lower().endswith(ACTIVITY_SUFFIXES)]
    progress.more(len(names))
    for _label, outcome in _decoded(mapper, _members(zf, names, result), progress):
        result.activities += _collect(result, outcome)
    for name in (n for n in zf.names if nested and n.lower().endswith(".zip")):
        try:
            with zf.nested(name) as inner:
                _plain_zip(inner, mapper, progress, result)
        except ArchiveRefused:
            raise
        except UnreadableFile as e:
            result.failed.append(FileFailure(e.path, e.reason))
    return result


# -- Strava --------------------------------------------------------------------------------------
def _strava_shoes(zf: SafeZip, prefix: str) -> list[ShoeDecl]:
    name = prefix + "shoes.csv"
    if name not in zf.names:
        return []
    out = []
    for row in read_shoes(zf.read(name).decode("utf-8-sig")):
        # A shoe's name reaches email headers: control characters become spaces (names.py).
        brand, model, nick = (
            cleaned(row.get(k, "")).strip() for k in ("Shoe Brand", "Shoe Model", "Shoe Name")
        )
        base = f"{brand} {model}".strip()
        full = f"{base} {nick}".strip()
        display = full  # what Activity Gear says: "Brand Model" or "Brand Model Name"
        if not display:
            continue
        aliases = tuple(dict.fromkeys(a for a in (full, base, nick) if a))
        # The sport types the shoe is the default for, in the account's language: a plain run
        # makes it the running default, only trail runs the trail default.
        kinds = [declared(t) for t in row.get("Shoe Default Sport Types", "").split(",")]
        runs = [k for k in kinds if k is not None and k[0] == "running"]
        default = None
        if any(k[1] is None for k in runs):
            default = "running"
        elif any(k[1] == "trail" for k in runs):
            default = "trail"
        out.append(ShoeDecl(display, aliases, default))
    return out


def _strava(zf: SafeZip, mapper, progress: Progress) -> ExportResult:
    result = ExportResult("strava", gear_authoritative=True)
    csv_name = next(n for n in zf.names if n.rsplit("/", 1)[-1] == "activities.csv")
    prefix = csv_name[: -len("activities.csv")]
    try:
        rows, note = read_activities(zf.read(csv_name).decode("utf-8-sig"))
    except ValueError as e:
        raise UnreadableFile(zf.label, str(e)) from e
    if note:
        result.notes.append(FileFailure(f"{zf.label}!activities.csv", note))
    result.shoes = _strava_shoes(zf, prefix)
    alias = {a.lower(): s.name for s in result.shoes for a in s.aliases}

    by_file: dict[str, list[dict]] = {}
    manual: list[dict] = []
    for row in rows:
        fname = row.get("Filename", "").strip()
        if fname:
            by_file.setdefault(prefix + fname, []).append(row)
        else:
            manual.append(row)

    names = [n for n in by_file if n in zf.names]
    for missing in sorted(set(by_file) - set(zf.names)):
        result.failed.append(
            FileFailure(f"{zf.label}!{missing}", "listed in activities.csv but not in the archive")
        )
    label_to_name = {f"{zf.label}!{n}": n for n in names}
    progress.more(len(names))
    for label, outcome in _decoded(mapper, _members(zf, names, result), progress):
        name = label_to_name[label]
        acts = _collect(result, outcome)
        for row in by_file[name]:
            gear = alias.get(cleaned(row.get("Activity Gear", "")).strip().lower())
            act = _match(acts, row)
            if gear and act is not None:
                result.gear[(act.content_hash, act.session_index)] = gear
            rpe = perceived_exertion(row)
            if act is not None and act.rpe is None and rpe is not None:
                acts[acts.index(act)] = replace(act, rpe=rpe)  # the file's own rating wins
        result.activities += acts
    for row in manual:
        act = _strava_manual(row, zf.label)
        if act is None:
            result.failed.append(
                FileFailure(
                    f"{zf.label}!activities.csv",
                    f"row {row.get('Activity ID')}: date {row.get('Activity Date')!r} not understood",
                )
            )
            continue
        act = _checked(act, f"{zf.label}!activities.csv#{row.get('Activity ID')}", result)
        if act is None:
            continue
        result.activities.append(act)
        gear = alias.get(cleaned(row.get("Activity Gear", "")).strip().lower())
        if gear:
            result.gear[(act.content_hash, 0)] = gear
    if rows and not result.activities:
        # Recording the export as imported would hide the failure on the next import.
        why = result.failed[0].reason if result.failed else "no readable activity"
        raise UnreadableFile(
            zf.label, f"none of the {len(rows)} activities in activities.csv could be read ({why})"
        )
    return result


def _match(acts: list[Activity], row: dict) -> Activity | None:
    """The session of a (multi-activity) file that a CSV row describes: closest start time."""
    if len(acts) == 1:
        return acts[0]
    try:
        start = parse_date(row.get("Activity Date", ""))
    except ValueError:
        return None
    best = min(acts, key=lambda a: abs(a.start_utc - start), default=None)
    return best if best is not None and abs(best.start_utc - start) <= MATCH_WINDOW else None


def _strava_manual(row: dict, label: str) -> Activity | None:
    try:
        start = parse_date(row.get("Activity Date", ""))
    except ValueError:
        return None
    kind = row.get("Activity Type", "").strip()
    sport, sub = declared(kind) or (kind.lower().replace(" ", "_") or "generic", None)
    distance = parse_number(row.get("Distance"))  # the last copy: metres
    elapsed = parse_number(row.get("Elapsed Time"))
    moving = parse_number(row.get("Moving Time")) or elapsed
    ident = row.get("Activity ID", "").strip() or f"{start.isoformat()}-{kind}"
    return Activity(
        sport=sport,
        sub_sport=sub,
        start_utc=start,
        distance_m=distance or 0.0,
        moving_s=moving,
        elapsed_s=elapsed,
        source_format="manual",
        distance_source="summary",
        source_path=f"{label}!activities.csv#{ident}",
        content_hash=hashlib.sha256(f"strava-activity:{ident}".encode()).hexdigest(),
        avg_hr=parse_number(row.get("Average Heart Rate")),
        max_hr=parse_number(row.get("Max Heart Rate")),
        elevation_gain_m=parse_number(row.get("Elevation Gain")),
        device="strava (manual entry)",
        rpe=perceived_exertion(row),
    )


# -- Garmin --------------------------------------------------------------------------------------
def _garmin(zf: SafeZip, mapper, progress: Progress) -> ExportResult:
    result = ExportResult("garmin")
    summaries: list[dict] = []
    for name in sorted(zf.names):
        if "DI-Connect-Fitness/" in name and name.endswith("_summarizedActivities.json"):
            try:
                doc = json.loads(zf.read(name))
            except (ValueError, UnicodeDecodeError) as e:
                result.failed.append(
                    FileFailure(f"{zf.label}!{name}", f"unreadable summary JSON ({e})")
                )
                continue
            for block in doc if isinstance(doc, list) else [doc]:
                summaries += (
                    block.get("summarizedActivitiesExport", []) if isinstance(block, dict) else []
                )
    uploads = sorted(n for n in zf.names if "DI-Connect-Uploaded-Files/" in n)
    nested = [n for n in uploads if n.lower().endswith(".zip")]
    loose = [n for n in uploads if n.lower().endswith(ACTIVITY_SUFFIXES)]
    progress.more(len(loose))

    def files() -> Iterator[tuple[bytes, str]]:
        # One inner zip in memory at a time; its members read as the workers free up.
        for name in nested:
            try:
                inner = zf.nested(name)
            except ArchiveRefused:
                raise
            except UnreadableFile as e:
                result.failed.append(FileFailure(e.path, e.reason))
                continue
            with inner:
                wanted = [n for n in inner.names if n.lower().endswith(ACTIVITY_SUFFIXES)]
                progress.more(len(wanted))
                yield from _members(inner, wanted, result)
        yield from _members(zf, loose, result)

    for _label, outcome in _decoded(mapper, files(), progress):
        result.activities += _collect(result, outcome)
    recorded = [a.start_utc for a in result.activities]
    for s in summaries:
        act = _garmin_summary(s, zf.label)
        if act is None:
            continue
        if any(abs(t - act.start_utc) <= MATCH_WINDOW for t in recorded):
            continue  # the FIT file of this activity is in the export: its totals win
        act = _checked(act, f"{zf.label}!summary {s.get('activityId')}", result)
        if act is not None:
            result.activities.append(act)
    return result


def _checked(act: Activity, label: str, result: ExportResult) -> Activity | None:
    """A platform's summary gets the same sanity checks as a file: an impossible one is
    reported and left out, the rest of the export goes on."""
    try:
        (ok,) = check([act], label)
    except UnreadableFile as e:
        result.failed.append(FileFailure(e.path, e.reason))
        return None
    return ok


def _garmin_summary(s: dict, label: str) -> Activity | None:
    kind = str(s.get("activityType", "")).lower()
    if kind in MULTISPORT or s.get("parent") is True or s.get("isParent") is True:
        return None  # the legs are listed on their own
    start_ms = s.get("startTimeGmt") or s.get("beginTimestamp")
    if not isinstance(start_ms, int | float):
        return None
    sport, sub = declared(kind) or (kind or "generic", None)
    ms = lambda key: (s[key] / 1000.0) if isinstance(s.get(key), int | float) else None  # noqa: E731
    ident = s.get("activityId") or int(start_ms)
    return Activity(
        sport=sport,
        sub_sport=sub,
        start_utc=datetime.fromtimestamp(start_ms / 1000.0, UTC),
        distance_m=(s.get("distance") or 0.0) / 100.0,  # centimetres
        moving_s=ms("movingDuration") or ms("duration"),
        elapsed_s=ms("elapsedDuration") or ms("duration"),
        source_format="summary",
        distance_source="summary",
        source_path=f"{label}!summarizedActivities#{ident}",
        content_hash=hashlib.sha256(f"garmin-activity:{ident}".encode()).hexdigest(),
        avg_hr=s.get("avgHr"),
        max_hr=s.get("maxHr"),
        elevation_gain_m=(s["elevationGain"] / 100.0)
        if isinstance(s.get("elevationGain"), int | float)
        else None,
        device="garmin connect (summary)",
    )
