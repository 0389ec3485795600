"""A runner's data, packed to leave and read back: `loadwatch export` and its import.

loadwatch keeps no file's bytes, only the path it imported each file from and the file's
SHA-256. So the export copies each file from that path when the bytes there are still the ones
imported (account exports under `archives/`, the rest under `files/`); a file moved, deleted or changed since is listed as missing in the manifest, and its
runs travel as stored records instead (their totals and heart-rate histogram, not the track).
Beside the files: `activities.csv` (for people and spreadsheets), `pain.csv` (the runner's pain
reports: typed by hand, in no file) and `edits.json` (for loadwatch: the athlete, the shoes, and
every run's stored record, edits, shoe and copy-of link, keyed by the bytes it came from). `loadwatch import OUT.zip` into any database reads the files as any zip of activity files,
then puts the edits and the pain reports back.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .errors import UnreadableFile, UsageError
from .importers import content_hash
from .importers.archives import SafeZip
from .model import PAIN_WHEN, Activity, Athlete, decode_histogram
from .names import cleaned, text_problem
from .store import Store

MANIFEST = "loadwatch-export.json"
EDITS = "edits.json"
PAIN = "pain.csv"
PAIN_COLUMNS = ["day", "score", "when", "where", "note"]
FORMAT = "loadwatch-export"
VERSION = 1
# The user's decisions on a run, restored as they were.
EDIT_FIELDS = (
    "sport_edit", "distance_edit_m", "excluded", "exclude_reason", "deleted", "rpe", "race",
)  # fmt: skip
RECORD_FIELDS = (
    "session_index", "sport", "sub_sport", "utc_offset_s", "distance_m", "moving_s", "elapsed_s",
    "avg_hr", "max_hr", "elevation_gain_m", "device", "source_format", "source_path",
    "content_hash", "distance_source", "rpe", "name", "look", "step_rate_spm", "ascent_m",
    "descent_m", "hr_drift_pct",
)  # fmt: skip


@dataclass
class Exported:
    path: Path
    files: int = 0
    records: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


@dataclass
class Restored:
    shoes: int = 0
    records: int = 0
    edited: int = 0
    unmatched: int = 0
    pain: int = 0
    pain_refused: list[str] = field(default_factory=list)  # one line per row not read back


def _member_name(i: int, path: str) -> str:
    """`files/0003-Morning_Run.fit`: numbered (two folders may hold the same name), and only
    plain characters, whatever the original name held. Account exports (zips) go under
    `archives/`: kept for the runner, not read again by the import (a Garmin export's zips of
    zips would be one level deeper than archives may nest); their runs come back from records."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", cleaned(os.path.basename(path))).lstrip(".") or "file"
    folder = "archives" if base.lower().endswith(".zip") else "files"
    return f"{folder}/{i:04d}-{base[-120:]}"


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def write(
    store: Store, athlete: Athlete, out: Path, activities_csv: str, pain_csv: str = ""
) -> Exported:
    """Write the export to `out` (whole or not at all: a temporary file renamed at the end)."""
    result = Exported(out)
    rows = store.activities.export_rows(athlete.id)
    by_id = {r["id"]: r for r in rows}
    included: set[int] = set()
    manifest_files = []
    try:
        fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=out.parent or ".")
    except OSError as e:
        raise UsageError(f"cannot write {out}: {e.strerror or e}") from e
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for i, (file_id, path, digest) in enumerate(store.files.imported(athlete.id), 1):
                try:
                    data = Path(path).read_bytes()
                except OSError as e:
                    result.missing.append((path, f"cannot read: {e.strerror or e}"))
                    continue
                if content_hash(data) != digest:
                    result.missing.append((path, "changed since it was imported"))
                    continue
                member = _member_name(i, path)
                zf.writestr(member, data)
                included.add(file_id)
                manifest_files.append({"path": path, "member": member, "sha256": digest})
            result.files = len(manifest_files)
            runs = []
            for r in rows:
                run: dict[str, Any] = {
                    "key": [r["content_hash"], r["session_index"]],
                    "start_utc": r["start_utc"].isoformat(),
                    "shoe": r["shoe"],
                    "duplicate_of": (
                        [
                            by_id[r["duplicate_of"]]["content_hash"],
                            by_id[r["duplicate_of"]]["session_index"],
                        ]
                        if r["duplicate_of"] in by_id
                        else None
                    ),  # fmt: skip
                    "look": r["look"],
                    "edits": {c: r[c] for c in EDIT_FIELDS},
                }
                # What brings the run back when no file in the export does (a file gone
                # missing, a run typed in, a row of an account export's activities.csv).
                run["record"] = {c: _jsonable(r[c]) for c in RECORD_FIELDS} | {
                    "hr_histogram": r["hr_histogram"]
                }
                result.records += r["file_id"] not in included
                runs.append(run)
            edits = {
                "format": FORMAT,
                "version": VERSION,
                "athlete": {
                    "name": athlete.name,
                    "email": athlete.email,
                    "tz": athlete.tz,
                    "resting_hr": athlete.resting_hr,
                    "max_hr": athlete.max_hr,
                    "sex": athlete.sex,
                },
                "shoes": [
                    {
                        "name": s.name,
                        "start_m": s.start_m,
                        "warn_m": s.warn_m,
                        "retire_m": s.retire_m,
                        "retired": s.retired,
                        "default_for": s.default_for,
                    }
                    for s in store.shoes.all(athlete.id)
                ],
                "runs": runs,
            }
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "athlete": athlete.name,
                "exported_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "files": manifest_files,
                "missing": [{"path": p, "why": why} for p, why in result.missing],
                "runs_without_file": result.records,
                "not_included": "alert history, watches and account-source cursors",
            }
            zf.writestr(EDITS, json.dumps(edits, indent=1))
            zf.writestr("activities.csv", activities_csv)
            zf.writestr(PAIN, pain_csv)
            zf.writestr(MANIFEST, json.dumps(manifest, indent=1))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def read_edits(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The edits of a loadwatch export, or None when `path` is not one (any other file or zip)."""
    if not str(path).lower().endswith(".zip") or not os.path.isfile(path):
        return None
    try:
        with SafeZip(path, str(path)) as zf:
            if MANIFEST not in zf.names or EDITS not in zf.names:
                return None
            doc = json.loads(zf.read(EDITS))
            pain = zf.read(PAIN).decode("utf-8-sig") if PAIN in zf.names else ""
    except (UnreadableFile, ValueError):
        return None  # the import says what is wrong with it
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return None
    if doc.get("version") != VERSION:
        raise UsageError(
            f"{path}: a loadwatch export of version {doc.get('version')}; this loadwatch reads "
            f"version {VERSION}"
        )
    doc["pain_csv"] = pain  # exports written before pain.csv existed have none
    return doc


def _text(cell: str) -> str | None:
    """A cell of pain.csv back as typed: empty is none, and the `'` that csvout puts before a
    spreadsheet formula character comes off again."""
    if cell.startswith("'") and cell[1:].startswith(("=", "+", "-", "@", "\t", "\r")):
        cell = cell[1:]
    return cell or None


PainRow = tuple[date, int, str, str | None, str | None]  # day, score, when, where, note


def pain_rows(text: str, today: date | None = None) -> tuple[list[PainRow], list[str]]:
    """The reports of a pain.csv, and a line for each row that is not one (it is left out; the
    others are read): the same checks as `loadwatch pain`, a day after `today` included."""
    rows, refused = [], []
    for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        where, note = _text(row.get("where") or ""), _text(row.get("note") or "")
        try:
            day = date.fromisoformat(row.get("day") or "")
            score = int(row.get("score") or "")
            when = row.get("when") or ""
            if not 0 <= score <= 10 or when not in PAIN_WHEN or (today and day > today):
                raise ValueError
            problem = text_problem(where or "", "where") or text_problem(note or "", "note")
        except ValueError:
            problem = (
                f"not a pain report (day YYYY-MM-DD, not in the future; score 0-10; when one "
                f"of {', '.join(PAIN_WHEN)})"
            )
        if problem:
            shown = ",".join(str(v) for v in row.values())[:80]
            refused.append(f"{PAIN} line {n}: {problem}: {shown!r}")
            continue
        rows.append((day, score, when, where, note))
    return rows, refused


def restore(
    store: Store, athlete: Athlete, doc: dict[str, Any], today: date | None = None
) -> Restored:
    """After the export's files were imported: its shoes, the runs no file brought back (from
    their records), every run's edits, shoe and copy-of link, and the pain reports (none dated
    after `today`, the athlete's), in one transaction."""
    result = Restored()
    with store.transaction():
        for s in doc.get("shoes", []):
            store.shoes.add(
                athlete.id, s["name"], s["start_m"], s["warn_m"], s["retire_m"],
                s["default_for"], update=True,
            )  # fmt: skip
            if s["retired"]:
                store.shoes.retire(athlete.id, s["name"])
            result.shoes += 1
        runs = doc.get("runs", [])
        shoes = store.shoes.all(athlete.id)
        known = {
            (r["content_hash"], r["session_index"])
            for r in store.activities.export_rows(athlete.id)
        }
        for run in runs:
            rec = run.get("record")
            if rec is None:
                continue
            fields = {c: rec.get(c) for c in RECORD_FIELDS}
            act = Activity(
                **fields,
                start_utc=datetime.fromisoformat(run["start_utc"]),
                hr_histogram_s=decode_histogram(rec.get("hr_histogram")),
            )
            if (act.content_hash, act.session_index) not in known:
                store.activities.add_manual(athlete.id, act, shoes)
                known.add((act.content_hash, act.session_index))
                result.records += 1
        for run in runs:
            d = run.get("duplicate_of")
            dup = (str(d[0]), int(d[1])) if d else None
            edits = dict(run.get("edits", {})) | {"look": run.get("look")}
            key = (str(run["key"][0]), int(run["key"][1]))
            if store.activities.restore(athlete.id, key, edits, run.get("shoe"), dup):
                result.edited += 1
            else:
                result.unmatched += 1
        # The pain reports, oldest first; one already stored (the same zip read twice) is not
        # added again, while two equal reports on one day stay two.
        reports, result.pain_refused = pain_rows(str(doc.get("pain_csv") or ""), today)
        have = Counter(
            (r.day, r.score, r.when, r.where, r.note) for r in store.pain.all(athlete.id)
        )
        for report in reversed(reports):
            if have[report]:
                have[report] -= 1
                continue
            store.pain.add(athlete.id, *report)
            result.pain += 1
    return result
