"""Plain, frozen dataclasses that cross module boundaries. Units are in the field names."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from typing import Any, ClassVar

from .units import METRES, Units, amount, metres

# Preference when the same outing arrives from several sources: the device's own totals win.
# A platform summary carries device totals without the file; a manual entry carries a guess.
SOURCE_RANK = {"fit": 4, "tcx": 3, "summary": 2, "gpx": 1, "manual": 0}

RUNNING_SPORTS = frozenset({"running", "trail_running", "treadmill_running", "track_running"})
# What a user may set a run's sport to; the short names are accepted too.
SPORTS = (
    *sorted(RUNNING_SPORTS),
    "walking",
    "hiking",
    "cycling",
    "swimming",
    "other",
    "unknown",
)
SPORT_ALIASES = {
    "trail": "trail_running",
    "treadmill": "treadmill_running",
    "track": "track_running",
}


def sport_name(text: str) -> str:
    """A sport as the user typed it -> the stored name; ValueError names the choices."""
    name = SPORT_ALIASES.get(text.strip().lower(), text.strip().lower())
    if name not in SPORTS:
        choices = ", ".join([*SPORTS, *SPORT_ALIASES])
        raise ValueError(f"unknown sport {text!r} (one of: {choices})")
    return name


# A file's own UTC offset decides the day of a run abroad; real offsets are whole quarter hours
# from UTC-12 to UTC+14 (Chatham's +12:45, Nepal's +5:45 included).
MAX_UTC_OFFSET_S = 14 * 3600


def plausible_offset_s(seconds: object) -> int | None:
    """A UTC offset a clock can show, else None (a device's bug: the athlete's zone decides)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    if seconds != seconds or abs(seconds) > MAX_UTC_OFFSET_S or seconds % 900:
        return None
    return int(seconds)


# Shoe reminders: 640 km (400 mi) and 800 km (500 mi). Retail and podiatry convention, not outcome
# evidence; every layer (CLI, config, store) takes its defaults from here.
SHOE_WARN_M = 640_000.0
SHOE_RETIRE_M = 800_000.0


@dataclass(frozen=True)
class Activity:
    """One recorded session, with the device's own totals where the file has them.

    `hr_histogram_s` maps a heart-rate value (bpm) to the seconds spent at it, so TRIMP and zone
    loads can be recomputed when the athlete's resting or maximum heart rate changes later.
    """

    sport: str
    sub_sport: str | None
    start_utc: datetime
    distance_m: float
    moving_s: float | None
    elapsed_s: float | None
    source_format: str
    source_path: str = ""
    content_hash: str = ""
    session_index: int = 0
    # The run's own UTC offset where the file records its local time (FIT local_timestamp, an
    # offset on GPX/TCX times): its day is the local day where it was run. None: the athlete's zone.
    utc_offset_s: int | None = None
    avg_hr: float | None = None
    max_hr: float | None = None
    elevation_gain_m: float | None = None
    hr_histogram_s: dict[int, float] = field(default_factory=dict)
    device: str | None = None
    athlete: str | None = None
    # Where the distance came from: "session" (the device's total), "laps", "records",
    # "gps" (the track), "summary" (a platform's), "manual" (typed in).
    distance_source: str | None = None
    # Session rating of perceived exertion (CR-10, 0-10): typed with a manual entry or an edit,
    # or read from the source (a FIT session's workout_rpe, Strava's "Perceived Exertion").
    rpe: int | None = None
    name: str | None = None  # what the file or the user calls it ("Morning Run")
    # What the reader noticed and mended (`import --verbose` lists it); not stored.
    notes: tuple[str, ...] = ()
    # Why a person should look at this run (a watch left recording for a month): stored, and
    # listed under "needs a look" until `activities seen ID`.
    look: str | None = None
    # Descriptive knee-load signals (README "Step rate and descent"), never alerted on. FIT: the
    # session's own totals (avg_cadence + avg_fractional_cadence, doubled: FIT running cadence
    # counts one foot; total_ascent/total_descent). GPX and TCX: ascent and descent from the
    # altitude stream (importers/climb.py), step rate from the points' cadence
    # (importers/steps.py). None where the file has no cadence or no altitude.
    # `elevation_gain_m` stays beside `ascent_m`: it is what platform summaries and exports carry.
    step_rate_spm: float | None = None
    ascent_m: float | None = None
    descent_m: float | None = None
    # Pace:HR decoupling of the second half against the first, in percent (importers/drift.py);
    # None without a distance and heart-rate stream of 20 moving minutes.
    hr_drift_pct: float | None = None

    @property
    def is_run(self) -> bool:
        return is_running(self.sport, self.sub_sport)

    @property
    def avg_pace_s_per_km(self) -> float | None:
        return pace_s_per_km(self.distance_m, self.moving_s)


@dataclass(frozen=True)
class Track:
    """One run's records as read again from its stored file for its page (never stored): equal
    columns, one entry per record, in time order. `t_s` counts seconds from the run's start;
    `distance_m` is cumulative (the device's where it wrote one, else summed from positions);
    `step_rate_spm` counts both feet. None where a record lacks the value."""

    t_s: list[float]
    distance_m: list[float | None]
    hr_bpm: list[float | None]
    altitude_m: list[float | None]
    step_rate_spm: list[float | None]
    lat: list[float | None]
    lon: list[float | None]
    source: str  # what the columns came from, said on the page ("FIT records")


def pace_s_per_km(distance_m: float | None, moving_s: float | None) -> float | None:
    """Seconds per kilometre over the moving time; None without distance or time."""
    if not distance_m or not moving_s or distance_m <= 0 or moving_s <= 0:
        return None
    return moving_s / (distance_m / 1000.0)


def encode_histogram(hist: dict[int, float]) -> str | None:
    """The one stored form of a heart-rate histogram: JSON of bpm -> seconds, or nothing."""
    return json.dumps({str(k): v for k, v in hist.items()}) if hist else None


def decode_histogram(text: object) -> dict[int, float]:
    """The inverse of `encode_histogram`; anything else (None, NaN, empty) is no histogram."""
    if not isinstance(text, str) or not text:
        return {}
    return {int(k): float(v) for k, v in json.loads(text).items()}


def is_running(sport: str | None, sub_sport: str | None = None) -> bool:
    """Running, trail, treadmill and track count as running load; walking and the rest do not.

    FIT files say trail and treadmill in the sub-sport of a `running` session, so the sport alone
    decides; the sub-sport is kept for per-surface shoe defaults.
    """
    return bool(sport) and sport in RUNNING_SPORTS


@dataclass(frozen=True)
class Athlete:
    id: int
    name: str
    email: str | None
    tz: str
    resting_hr: int | None = None
    max_hr: int | None = None
    sex: str | None = None
    units: Units = "km"  # how they read distances and paces (units.py); the store counts metres


@dataclass(frozen=True)
class Shoe:
    id: int
    athlete_id: int
    name: str
    start_m: float = 0.0
    warn_m: float = SHOE_WARN_M
    retire_m: float = SHOE_RETIRE_M
    retired: bool = False
    default_for: str | None = None


PAIN_WHEN = ("morning", "during", "after")


@dataclass(frozen=True)
class PainReport:
    """What a runner felt, in their own words: a 0-10 numeric rating scale (0 none, 10 worst
    imaginable) on a day, `when` one of PAIN_WHEN. Typed by the runner, never from a file."""

    id: int
    athlete_id: int
    day: date
    score: int
    when: str = "morning"
    where: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ShoeDecl:
    """A shoe an account export declares (Strava's shoes.csv); `default_for` from its sport types."""

    name: str
    aliases: tuple[str, ...] = ()
    default_for: str | None = None


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps that make a hostile zip a one-line refusal instead of a full disk or memory."""

    max_members: int = 100_000
    max_member_bytes: int = 256 * 2**20
    max_total_bytes: int = 4 * 2**30
    max_ratio: float = 100.0
    max_depth: int = 2  # an export zip holding zips of uploaded files, and no deeper


@dataclass(frozen=True)
class FileState:
    """What the store remembers of a file, so an unchanged one is not decoded again."""

    size: int
    mtime_ns: int
    content_hash: str
    status: str


@dataclass(frozen=True)
class SavedFile:
    """What saving one file's activities did: how many are new and how many duplicate others."""

    primary: int
    duplicates: int
    replaced: int = 0  # activities of an earlier version of the same file, now replaced
    # The file's bytes were known already (under another name): recorded as a duplicate, with
    # none of its activities stored.
    same_bytes: bool = False


@dataclass(frozen=True)
class FileRecord:
    """A file (or a whole export, or a service's activity) as an import hands it to the store.

    `status` is what the importer found: "imported" (its `activities`, perhaps none), "skipped"
    (not an activity: `reason`) or "duplicate" (known bytes, not decoded: `reason`). An export
    also declares `shoes` and puts runs on them: `gear` maps (content hash, session) to a shoe
    name, and with `gear_authoritative` a run it names no shoe for gets no default either.
    """

    path: str
    size: int
    mtime_ns: int
    content_hash: str
    status: str
    activities: Sequence[Activity] = ()
    reason: str | None = None
    shoes: Sequence[ShoeDecl] = ()
    gear: Mapping[tuple[str, int], str] = field(default_factory=dict)
    gear_authoritative: bool = False


@dataclass(frozen=True)
class UnfilledRun:
    """A stored run with a per-run signal still unknown, and where its bytes came from: what
    `activities backfill` needs to read it again and to know whether reading it gained anything.
    `source_path` is an archive member's label (`export.zip!activities/1.fit.gz`) for a run from
    an archive, whose file (`file_id`) is the archive itself; `content_hash` is the hash of the
    bytes the run was read from (the member's, for a member)."""

    activity_id: int
    file_id: int | None
    session_index: int
    source_path: str
    content_hash: str
    source_format: str
    unknown: tuple[str, ...]  # the signal columns still NULL


@dataclass(frozen=True)
class FileFailure:
    path: str
    reason: str


@dataclass
class ImportSummary:
    """What one import did, file by file; the CLI prints it and `--json` serialises it."""

    imported: int = 0
    duplicates: int = 0
    unchanged: int = 0
    skipped: int = 0
    ignored: int = 0
    activities: int = 0
    replaced: int = 0  # activities of files changed in place, replaced by their new version
    failed: list[FileFailure] = field(default_factory=list)
    skipped_files: list[FileFailure] = field(default_factory=list)
    notes: list[FileFailure] = field(default_factory=list)  # what a reader mended
    # Activities whose file did not say what sport they are: (id, path), to set by hand.
    needs_sport: list[tuple[int, str]] = field(default_factory=list)
    # Configured inbox folders that do not exist: said on every check, never silently empty.
    missing_inboxes: list[str] = field(default_factory=list)
    # Activities stored with a reason to look at them: (id, path, reason).
    needs_look: list[tuple[int, str, str]] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "ignored": self.ignored,
            "activities": self.activities,
            "replaced": self.replaced,
            "failed": [{"path": f.path, "reason": f.reason} for f in self.failed],
            "skipped_files": [{"path": f.path, "reason": f.reason} for f in self.skipped_files],
            "notes": [{"path": f.path, "note": f.reason} for f in self.notes],
            "needs_sport": [{"id": i, "path": p} for i, p in self.needs_sport],
            "needs_look": [{"id": i, "path": p, "reason": r} for i, p, r in self.needs_look],
        }


@dataclass
class SourceOutcome:
    """What one watch (`sync`) or one account source (`pull`) brought in for an athlete; a
    `problem` is one line saying why it brought nothing (the rest still went on)."""

    source: str  # the watch's folder, or "intervals.icu:i123456"
    athlete: str | None
    imported: ImportSummary = field(default_factory=ImportSummary)
    serial: str | None = None  # a watch's serial number
    problem: str | None = None

    def as_json(self) -> dict:
        return {
            "source": self.source,
            "athlete": self.athlete,
            "serial": self.serial,
            "problem": self.problem,
            **self.imported.as_json(),
        }


@dataclass(frozen=True)
class Numbers:
    """The numbers behind an alert: each rule declares a frozen dataclass of them (units in the
    field names), stored in the ledger as a JSON object of its fields.

    A field a later version added is optional (None in rows written before it existed), so a
    stored alert of any age reads back as its rule's type (`numbers_from`).

    Distances are held in metres like every layer's. The ledger's rows and `alerts --json` have
    always given them in km: `KM` names each metre field's stored key and its rounding in km
    (None: to the millimetre), so the JSON object keeps its keys and values. The metres are
    held as the stored km say them (`__post_init__`): an alert read back equals the one found."""

    KM: ClassVar[Mapping[str, tuple[str, int | None]]] = {}

    def __post_init__(self) -> None:
        for name, (_, digits) in self.KM.items():
            v = getattr(self, name)
            if v is None:
                continue
            if digits is not None:  # 24,381.4 m is stored as 24.381 km: it is 24,381 m
                v = metres(round(v / METRES["km"], digits))
            object.__setattr__(self, name, round(float(v), 3))

    def as_dict(self) -> dict[str, Any]:
        out = {}
        for key, v in asdict(self).items():
            if key in self.KM:
                key, digits = self.KM[key]
                km = amount(v, "km")
                v = km if km is None or digits is None else round(km, digits)
            out[key] = v
        return out

    def episode(self) -> str | None:
        """The first day (ISO) of the episode the alert belongs to, for rules whose alerts
        come in episodes (mailed once, again only when worse); None: the alert is its own."""
        return None


@dataclass(frozen=True)
class StoredNumbers(Numbers):
    """Numbers as stored, for a rule this program has not registered (one since removed, or a
    reader that never imported the rules) or a row its rule's type cannot read: kept, not lost."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)

    def episode(self) -> str | None:
        started = self.values.get("episode_started")
        return str(started) if started else None


# Alert.rule (a rule's kind of alert) -> the numbers type its rule declared (rules.register).
NUMBER_TYPES: dict[str, type[Numbers]] = {}


def numbers_from(kind: str, values: Mapping[str, Any]) -> Numbers:
    """Stored numbers (a JSON object) as their rule's type; keys the type no longer has are
    dropped, and a row the type cannot read stays as stored."""
    cls = NUMBER_TYPES.get(kind)
    if cls is None:
        return StoredNumbers(dict(values))
    names = {f.name for f in fields(cls)}
    in_km = {key: name for name, (key, _) in cls.KM.items()}
    read = {k: v for k, v in values.items() if k in names and k not in cls.KM}
    read |= {in_km[k]: None if v is None else metres(v) for k, v in values.items() if k in in_km}
    try:
        return cls(**read)
    except TypeError:  # a field it has always had is missing: not a row of this rule's
        return StoredNumbers(dict(values))


@dataclass(frozen=True)
class Alert:
    """One warning about one thing (a run, a week, a shoe level), with its numbers and its study.

    `key` is stable across re-imports and restarts (rule, athlete and the day, week or shoe level
    it is about), so the ledger can promise: never sent twice.
    """

    key: str
    athlete: str
    rule: str
    day: date  # the athlete's local day the alert is about
    title: str
    text: str  # plain words with the numbers, window, baseline and band
    citation: str
    numbers: Numbers = field(default_factory=StoredNumbers)
    # Keys an earlier loadwatch gave the same alert: if the ledger knows one, this one is history.
    aliases: tuple[str, ...] = ()
    # A state that holds today (a worn-out shoe), not an event of a past day: news on the first
    # check even when it began before the lookback (see ledger.is_news).
    ongoing: bool = False


@dataclass(frozen=True)
class Delivery:
    """One channel's record of an alert or digest: sent there (never again there), or pending
    there with its attempts and the last error."""

    key: str
    channel: str
    status: str  # "pending" or "sent"
    attempts: int
    last_error: str | None = None
    sent_utc: datetime | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class LedgerEntry:
    """One alert as the ledger holds it: what it says, and whether and when it went out."""

    alert: Alert
    status: str  # "pending", "sent" or "known"
    created_utc: datetime
    sent_utc: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    message_id: str | None = None
