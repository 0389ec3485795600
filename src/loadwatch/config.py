"""Config text in, frozen settings out (TOML). Every error names its key; unknown keys are refused
with a close match; secrets are named by environment variable, never written in the file.

`SETTINGS` is the table of every scalar key (default, help, citation); the example config and the
README are tested against it. The `[rules]` keys are declared by the rules themselves and read
from `rulesettings` (why there: see that module), so `SETTINGS` is computed when read.
"""

from __future__ import annotations

import difflib
import re
import textwrap
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .model import SHOE_RETIRE_M, SHOE_WARN_M, ArchiveLimits
from .names import email_problem, name_problem
from .rulesettings import RuleSettings
from .units import amount, to_metres

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NUMBER = (int, float)


def _hhmm(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def _zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(
            f"unknown time zone {text!r} (use an IANA name such as Europe/Berlin)"
        ) from e
    return text


def _name(text: str) -> str:
    problem = name_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _email(text: str) -> str:
    problem = email_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _names(items: list) -> tuple[str, ...]:
    if not all(isinstance(x, str) for x in items):
        raise ValueError(f"expected a list of names, got {items!r}")
    return tuple(_name(x) for x in items)


class _ItemProblems(ValueError):
    """Some items of a list are wrong: each is said at its own index (`key[i]`), and the list
    is kept as read, so that `config check` still asks Apprise about the good items where they
    stand (`parse` refuses the file anyway)."""

    def __init__(self, problems: list[tuple[int, str]], value: tuple[str, ...]):
        super().__init__(problems[0][1])
        self.problems = problems
        self.value = value


def _each(items: list, good: Callable[[object], bool], expected: str) -> tuple[str, ...]:
    """A list of strings of which every item is checked, not only the first wrong one."""
    bad = [(i, f"expected {expected}, not {x!r}") for i, x in enumerate(items) if not good(x)]
    if bad:
        raise _ItemProblems(bad, tuple(str(x) for x in items))
    return tuple(items)


def _urls(items: list) -> tuple[str, ...]:
    """Apprise URLs, one channel each; whether Apprise can use them is for `config check`."""
    return _each(
        items,
        lambda x: isinstance(x, str) and "://" in x,
        'an Apprise URL like "ntfys://ntfy.sh/ana-knee"',
    )


def _env_names(items: list) -> tuple[str, ...]:
    return _each(
        items,
        lambda x: isinstance(x, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", x) is not None,
        'the name of an environment variable like "ANA_PUSH_URL"',
    )


NOTIFY_HELP = (
    "Apprise URLs their {what} also go to (ntfy, Telegram, Signal, Matrix, Gotify, Pushover...); "
    "a URL that holds a token or password goes in notify_env instead."
)
NOTIFY_ENV_HELP = (
    "Names of environment variables, each holding one Apprise URL (for URLs with a secret)."
)


def _folders(value: str | list) -> tuple[Path, ...]:
    """Expanded here; made absolute against the config file's folder by `parse`."""
    items = [value] if isinstance(value, str) else value
    if not all(isinstance(x, str) and x for x in items):
        raise ValueError(f"expected a folder or a list of folders, got {value!r}")
    return tuple(Path(x).expanduser() for x in items)


def setting(
    default: Any,
    help: str,
    citation: str = "",
    *,
    kind: type | tuple[type, ...] | None = None,
    key: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
    choices: tuple[str, ...] = (),
    convert: Callable[[Any], Any] | None = None,
    documented: Any = MISSING,
    expected: str | None = None,
) -> Any:
    """A settings field and its documentation in one place: the key is written only here.

    `key` is the TOML name where it differs from the field's; `convert` turns the TOML value into
    the field's type (raising ValueError, whose text is the reason, when it cannot); `documented`
    is the default as written in the config file where it differs from the field's default. A
    `default` of MISSING makes the key required (give `kind` then).
    """
    inferred = kind or (
        NUMBER
        if isinstance(default, int | float) and not isinstance(default, bool)
        else type(default)
    )
    meta = {
        "help": help,
        "citation": citation,
        "kind": inferred,
        "key": key,
        "minimum": minimum,
        "maximum": maximum,
        "positive": positive,
        "choices": choices,
        "convert": convert,
        "expected": expected,
        "documented": default if documented is MISSING else documented,
    }
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = setting(None, "SMTP server host name.", kind=str)
    port: int | None = setting(
        None,
        "SMTP port (default 587 for starttls, 465 for ssl, 25 for none).",
        kind=int,
        minimum=1,
    )
    security: str = setting(
        "starttls",
        '"starttls", "ssl" (implicit TLS) or "none" (localhost only).',
        choices=("starttls", "ssl", "none"),
    )
    username: str | None = setting(
        None, "Login name; leave out for servers without AUTH.", kind=str
    )
    password_env: str = setting(
        "LOADWATCH_SMTP_PASSWORD", "Environment variable holding the password."
    )
    sender: str = setting(
        "loadwatch <loadwatch@localhost>", "From address of every email.", key="from"
    )
    ca_file: Path | None = setting(
        None, "PEM file of a private CA to trust, besides the system's.", kind=str, convert=Path
    )
    timeout_s: float = setting(
        30, "Seconds to wait for the server before giving up (alerts stay pending).", positive=True
    )

    @property
    def port_number(self) -> int:
        """The port set, or the usual one for the security chosen."""
        return self.port or DEFAULT_PORTS[self.security]


@dataclass(frozen=True)
class ScheduleSettings:
    check_time: time = setting(
        time(7, 0),
        "Daily check, in each athlete's local time (HH:MM).",
        kind=str,
        convert=_hhmm,
        documented="07:00",
    )
    inbox_interval_minutes: float = setting(
        15, "How often `serve` imports new files from the inboxes.", positive=True
    )
    inbox_watch: str = setting(
        "events",
        '`serve` imports a file within seconds of its arrival: "events" (the kernel says when '
        'a folder changes), "polling" (network mounts, which say nothing) or "off" (only the '
        "interval import).",
        choices=("events", "polling", "off"),
    )
    inbox_settle_s: float = setting(
        2,
        "A new inbox file is imported once its size has not changed for this many seconds "
        "(a file still being copied is not read).",
        positive=True,
    )
    digest_weekday: str = setting(
        "mon", "Weekday of weekly coach digests (mon..sun).", choices=WEEKDAYS
    )
    check_interval_s: float | None = setting(
        None,
        "Run the check every N seconds instead of daily (testing).",
        kind=NUMBER,
        positive=True,
    )


@dataclass(frozen=True)
class StoreSettings:
    database: str | None = setting(
        None,
        "Database: a SQLite file, or postgresql://... (the --db flag and LOADWATCH_DB win).",
        kind=str,
    )


@dataclass(frozen=True)
class ImportSettings:
    workers: int | None = setting(
        None, "Decoding processes for imports (default: all cores).", kind=int, minimum=1
    )
    max_archive_members: int = setting(
        100_000, "Refuse a zip with more members than this.", kind=int, positive=True
    )
    max_member_mb: float = setting(
        256, "Refuse a zip member larger than this (MiB, inflated).", positive=True
    )
    max_archive_mb: float = setting(
        4096, "Refuse a zip that inflates to more than this in all (MiB).", positive=True
    )
    max_compression_ratio: float = setting(
        100,
        "Refuse a zip member that inflates more than this many "
        "times its compressed size (a zip bomb).",
        positive=True,
    )
    max_archive_depth: int = setting(
        2, "Zips inside zips: refuse deeper nesting than this.", kind=int, positive=True
    )

    @property
    def archive_limits(self) -> ArchiveLimits:
        return ArchiveLimits(
            max_members=self.max_archive_members,
            max_member_bytes=int(self.max_member_mb * 2**20),
            max_total_bytes=int(self.max_archive_mb * 2**20),
            max_ratio=float(self.max_compression_ratio),
            max_depth=self.max_archive_depth,
        )


def _public_url(text: str) -> str:
    """The dashboard's address as a browser sees it: scheme, host and port, nothing else."""
    from urllib.parse import urlsplit

    parts = urlsplit(text.strip())
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as e:
        raise ValueError(text) from e
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(text)
    return f"{parts.scheme}://{parts.netloc.lower()}"


@dataclass(frozen=True)
class WebSettings:
    public_url: str | None = setting(
        None,
        "The dashboard's address behind a proxy, like https://coach.example.org: its host name "
        "is accepted besides this machine's.",
        kind=str,
        convert=_public_url,
    )


@dataclass(frozen=True)
class SyncSettings:
    mount_roots: tuple[Path, ...] | None = setting(
        None,
        "Folders `loadwatch sync` searches (a few levels deep) for a watch's GARMIN/Activity "
        "(default: /media, /run/media, /mnt, /Volumes and the desktop's gvfs MTP mounts).",
        kind=(str, list),
        convert=_folders,
        expected="a folder or a list of folders",
    )


# Said as what it is: thresholds borrowed from tendinopathy, never tested for runner's knee.
PAIN_SOURCE = (
    "Borrowed from the pain-monitoring model for Achilles and patellar tendinopathy "
    "(Silbernagel 2007; Sprague 2021) and Esculier 2018's symptom-guided education for "
    "patellofemoral pain; not validated thresholds for runner's knee"
)


@dataclass(frozen=True)
class PainSettings:
    """What a pain report (0-10) means for the level `headroom` shows (green, amber, red)."""

    green_max: int = setting(
        2,
        "A pain score up to this is green: the headroom as usual.",
        PAIN_SOURCE,
        kind=int,
        minimum=0,
        maximum=10,
    )
    red_min: int = setting(
        6,
        "A pain score from this is red: rest or cross-train (between the two: amber, hold).",
        PAIN_SOURCE,
        kind=int,
        minimum=1,
        maximum=10,
    )
    response_points: int = setting(
        2,
        "A morning score this many points above the previous morning's is red (the 24-hour "
        "response).",
        PAIN_SOURCE,
        kind=int,
        minimum=1,
        maximum=10,
    )
    valid_days: int = setting(
        7,
        "Days a pain report stays valid; without one, the pain level is none (unknown).",
        kind=int,
        minimum=1,
        maximum=60,
    )


def _hrr_edges(value: list) -> tuple[float, ...]:
    if (
        len(value) != 4
        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
        or not all(a < b for a, b in zip([0, *value], [*value, 100.0001], strict=True))
    ):
        raise ValueError(f"expected 4 rising percentages between 0 and 100, got {value!r}")
    return tuple(float(x) for x in value)


@dataclass(frozen=True)
class ZoneSettings:
    """Where the five heart-rate zones begin (load/zones.py)."""

    hrr_edges_pct: tuple[float, ...] = setting(
        (60.0, 70.0, 80.0, 90.0),
        "Where zones 2, 3, 4 and 5 begin, in percent of the heart-rate reserve (max - resting); "
        "zone 1 is everything below. Needs the athlete's resting_hr and max_hr.",
        "Heart-rate reserve: Karvonen, Kentala & Mustala 1957; the 10% bands are a coaching "
        "convention, not outcome evidence",
        kind=list,
        convert=_hrr_edges,
        documented=[60, 70, 80, 90],
        expected="4 rising percentages",
    )


# The TOML sections and the settings they hold.
SECTION_TYPES: dict[str, type] = {
    "smtp": SmtpSettings,
    "rules": RuleSettings,
    "schedule": ScheduleSettings,
    "store": StoreSettings,
    "import": ImportSettings,
    "web": WebSettings,
    "sync": SyncSettings,
    "pain": PainSettings,
    "zones": ZoneSettings,
}


@dataclass(frozen=True)
class Setting:
    """One row of the settings table, derived from the section dataclasses."""

    key: str  # "section.name"
    default: Any
    help: str
    citation: str
    kind: type | tuple[type, ...]


def _toml_name(f: Field) -> str:
    return f.metadata.get("key") or f.name


def _fields(cls: type) -> list[Any]:
    """A section's keys: a dataclass's fields, or the declared ones of `RuleSettings`, which
    describe themselves the same way (`name`, `metadata`)."""
    declared = getattr(cls, "declared", None)
    return list(declared()) if declared is not None else list(fields(cls))


def settings_table() -> list[Setting]:
    """Every section's keys, the rules' as the registered rules declare them now."""
    return [
        Setting(
            f"{section}.{_toml_name(f)}",
            f.metadata["documented"],
            f.metadata["help"],
            f.metadata["citation"],
            f.metadata["kind"],
        )
        for section, cls in SECTION_TYPES.items()
        for f in _fields(cls)
    ]


def __getattr__(name: str) -> Any:
    """`SETTINGS` and `SETTING_KEYS`, read when asked for: a rule registered later is in them."""
    if name == "SETTINGS":
        return settings_table()
    if name == "SETTING_KEYS":
        return {s.key: s for s in settings_table()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value:g}" if isinstance(value, float) else str(value)


def example_section(section: str) -> str:
    """A section of the example config as its keys declare it: each key's help and study as
    comments, then the key and its default (the example config holds this text; a test says so)."""
    lines = [f"[{section}]"]
    for f in _fields(SECTION_TYPES[section]):
        for text in (f.metadata["help"], f.metadata["citation"]):
            lines += [f"# {line}" for line in textwrap.wrap(text, 98)]
        lines.append(f"{_toml_name(f)} = {_toml_value(f.metadata['documented'])}")
    return "\n".join(lines) + "\n"


SHOE_CITATION = "convention (480-800 km), not outcome evidence"


@dataclass(frozen=True)
class ShoeConfig:
    name: str = setting(
        MISSING, "The shoe's name, as runs and reminders show it.", kind=str, convert=_name
    )
    start_km: float = setting(
        0.0, "Distance already on the shoe when loadwatch started counting it (km).", minimum=0
    )
    warn_km: float = setting(
        amount(SHOE_WARN_M, "km"), "First reminder at this distance (km).", SHOE_CITATION,
        positive=True,
    )  # fmt: skip
    retire_km: float = setting(
        amount(SHOE_RETIRE_M, "km"), "Retirement reminder at this distance (km).", SHOE_CITATION,
        positive=True,
    )  # fmt: skip
    default_for: str | None = setting(
        None, 'New runs of this kind get this shoe ("running", "trail", "treadmill").', kind=str
    )
    retired: bool = setting(False, "Retired: kept for its history, no new runs, no reminders.")

    # The km the user types, as the metres every layer below counts.
    @property
    def start_m(self) -> int:
        return to_metres(self.start_km, "km")

    @property
    def warn_m(self) -> int:
        return to_metres(self.warn_km, "km")

    @property
    def retire_m(self) -> int:
        return to_metres(self.retire_km, "km")


def _address(text: str) -> str:
    if not text.startswith(("https://", "http://")):
        raise ValueError(f"expected an address like https://www.strava.com, not {text!r}")
    return text.rstrip("/")


def _client_id(value: int | str) -> str:
    if not str(value).isdigit():
        raise ValueError(f"expected the application's number (12345), not {value!r}")
    return str(value)


@dataclass(frozen=True)
class SourceConfig:
    type: str = setting(
        MISSING, 'The account: "intervals.icu" or "strava".', kind=str,
        choices=("intervals.icu", "strava"),
    )  # fmt: skip
    athlete_id: str = setting(
        "", 'intervals.icu: their athlete id there ("i123456"; "0": the key\'s own athlete).',
        kind=str, documented=None,
    )  # fmt: skip
    api_key_env: str = setting(
        "", "intervals.icu: environment variable holding their API key (never the key itself).",
        kind=str, documented=None,
    )  # fmt: skip
    base_url: str = setting(
        "",
        "The service's address (default https://intervals.icu, https://www.strava.com; tests "
        "and proxies point it elsewhere).",
        kind=str,
        convert=_address,
        documented=None,
    )
    history_days: int = setting(
        90, "How far back the first pull reaches (days).", kind=int, positive=True
    )
    client_id: str = setting(
        "", "strava: the Client ID of the runner's own API application.", kind=(int, str),
        convert=_client_id, documented=None, expected="a number",
    )  # fmt: skip
    client_secret_env: str = setting(
        "", "strava: environment variable holding that application's Client Secret.", kind=str,
        documented=None,
    )  # fmt: skip
    token_file: Path | None = setting(
        None,
        "strava: the file `loadwatch strava connect` keeps their refresh token in (mode 0600); "
        "a relative path starts at the config file's folder.",
        kind=str,
        convert=lambda t: Path(t).expanduser(),
    )


# The keys each type of account needs.
SOURCE_KEYS = {
    "intervals.icu": ("athlete_id", "api_key_env"),
    "strava": ("client_id", "client_secret_env", "token_file"),
}


@dataclass(frozen=True)
class AthleteConfig:
    name: str = setting(
        MISSING, "The athlete's name, as commands and emails name them.", kind=str, convert=_name
    )
    email: str | None = setting(None, "Where their alerts go.", kind=str, convert=_email)
    tz: str = setting(
        "UTC", "IANA time zone: their days, weeks and daily check are counted in it.",
        convert=_zone,
    )  # fmt: skip
    inbox: tuple[Path, ...] = setting(
        (),
        "A folder or a list of folders every check imports; a relative path starts at the "
        "config file's folder.",
        kind=(str, list),
        convert=_folders,
        documented=[],
        expected="a folder or a list of folders",
    )
    resting_hr: int | None = setting(
        None, "Resting heart rate (for TRIMP and heart-rate zones).", kind=int, minimum=20,
        maximum=120,
    )  # fmt: skip
    max_hr: int | None = setting(
        None, "Maximum heart rate (for TRIMP and heart-rate zones).", kind=int, minimum=100,
        maximum=240,
    )  # fmt: skip
    sex: str | None = setting(
        None, '"female" or "male": selects the Banister TRIMP weighting.', kind=str,
        choices=("female", "male"),
    )  # fmt: skip
    units: str | None = setting(
        None, '"km" or "mi": how they read distances and paces (kept as set when not given).',
        kind=str, choices=("km", "mi"), documented="km",
    )  # fmt: skip
    devices: tuple[Path, ...] = setting(
        (),
        "Where their watch shows up when plugged in, for `loadwatch sync` (a mount point holding "
        "GARMIN/Activity, or the folder of activity files itself); a relative path starts at "
        "the config file's folder.",
        kind=(str, list),
        convert=_folders,
        documented=[],
        expected="a folder or a list of folders",
    )
    shoes: tuple[ShoeConfig, ...] = setting(
        (), "Their shoes, as [[athletes.shoes]] tables.", kind=list, documented=[]
    )
    sources: tuple[SourceConfig, ...] = setting(
        (),
        "Their accounts `pull`, `check` and `serve` fetch new runs from, as [[athletes.sources]] "
        "tables.",
        kind=list,
        documented=[],
    )
    notify: tuple[str, ...] = setting(
        (), NOTIFY_HELP.format(what="alerts"), kind=list, convert=_urls, documented=[]
    )
    notify_env: tuple[str, ...] = setting(
        (), NOTIFY_ENV_HELP, kind=list, convert=_env_names, documented=[]
    )


@dataclass(frozen=True)
class CoachConfig:
    name: str = setting(MISSING, "The coach's name.", kind=str, convert=_name)
    email: str | None = setting(
        None,
        "Where their digest goes by email; a coach without one gets it as a push (notify or "
        "notify_env), and needs one of the two.",
        kind=str,
        convert=_email,
    )
    athletes: tuple[str, ...] = setting(
        (), "Their athletes, by the names of [[athletes]] entries.", kind=list, convert=_names,
        documented=[],
    )  # fmt: skip
    digest: str = setting(
        "daily", 'How often their digest comes: "daily", "weekly" or "none".',
        choices=("daily", "weekly", "none"),
    )  # fmt: skip
    tz: str = setting("UTC", "IANA time zone of their digest's day.", convert=_zone)
    units: str | None = setting(
        None, '"km" or "mi" for their whole digest (default: each athlete in their own).',
        kind=str, choices=("km", "mi"),
    )  # fmt: skip
    cc_alerts: bool = setting(
        False,
        'Copied on each athlete alert (default: only when their digest is "none").',
        documented='digest = "none"',
    )
    notify: tuple[str, ...] = setting(
        (),
        NOTIFY_HELP.format(what="digest (and, with cc_alerts, their athletes' alerts)"),
        kind=list,
        convert=_urls,
        documented=[],
    )
    notify_env: tuple[str, ...] = setting(
        (), NOTIFY_ENV_HELP, kind=list, convert=_env_names, documented=[]
    )


# The tables of people and shoes, and their keys, documented like the sections' settings.
TABLE_TYPES: dict[str, type] = {
    "athletes": AthleteConfig,
    "athletes.shoes": ShoeConfig,
    "athletes.sources": SourceConfig,
    "coaches": CoachConfig,
}
TABLE_SETTINGS: list[Setting] = [
    Setting(
        f"{table}.{_toml_name(f)}",
        f.metadata["documented"],
        f.metadata["help"],
        f.metadata["citation"],
        f.metadata["kind"],
    )
    for table, cls in TABLE_TYPES.items()
    for f in fields(cls)
]
SECTIONS = {*SECTION_TYPES, "athletes", "coaches"}


@dataclass(frozen=True)
class Settings:
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    rules: RuleSettings = field(default_factory=RuleSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    imports: ImportSettings = field(default_factory=ImportSettings)
    web: WebSettings = field(default_factory=WebSettings)
    athletes: tuple[AthleteConfig, ...] = ()
    coaches: tuple[CoachConfig, ...] = ()
    source: Path | None = None
    sync: SyncSettings = field(default_factory=SyncSettings)
    pain: PainSettings = field(default_factory=PainSettings)
    zones: ZoneSettings = field(default_factory=ZoneSettings)


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, msg: str) -> None:
        self.items.append((key, msg))

    def raise_if_any(self, path: Path | None) -> None:
        if self.items:
            raise ConfigError.many(self.items, path)


def _unknown(errors: _Errors, prefix: str, keys, known) -> None:
    for key in keys:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            errors.add(f"{prefix}{key}", f"unknown key{hint}")


def _typed(errors: _Errors, key: str, value: Any, kind, expected: str | None = None) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        what = expected or " or ".join(k.__name__ for k in kinds)
        errors.add(key, f"expected {what}, got {value!r}")
        return None
    return value


def _values(errors: _Errors, prefix: str, cls: type, table: dict) -> dict[str, Any]:
    """One TOML table's keys -> the dataclass's field values: types, ranges, choices and
    conversions checked per key, every problem collected. Keys of kind list of tables (shoes)
    are left to the caller."""
    by_name = {_toml_name(f): f for f in _fields(cls)}
    _unknown(errors, prefix, table, by_name)
    values: dict[str, Any] = {}
    for name, raw in table.items():
        f = by_name.get(name)
        if f is None or f.name in ("shoes", "sources"):
            continue
        key, m = f"{prefix}{name}", f.metadata
        value = _typed(errors, key, raw, m["kind"], m["expected"])
        if value is None:
            continue
        if m["choices"] and value not in m["choices"]:
            words = ", ".join(f'"{c}"' for c in m["choices"])
            errors.add(key, f"must be one of {words}, not {value!r}")
            continue
        if m["positive"] and value <= 0:
            errors.add(key, f"must be positive, not {value!r}")
            continue
        if m["minimum"] is not None and value < m["minimum"]:
            errors.add(key, f"must be at least {m['minimum']}, not {value!r}")
            continue
        if m["maximum"] is not None and value > m["maximum"]:
            errors.add(key, f"must be at most {m['maximum']}, not {value!r}")
            continue
        if m["convert"] is not None:
            try:
                value = m["convert"](value)
            except _ItemProblems as e:
                for i, msg in e.problems:
                    errors.add(f"{key}[{i}]", msg)
                value = e.value
            except ValueError as e:
                errors.add(key, str(e) or f"cannot read {value!r} (expected {m['help']})")
                continue
        values[f.name] = value
    return values


def _required(errors: _Errors, prefix: str, cls: type, table: dict, values: dict[str, Any]) -> bool:
    """Whether every required key has a good value; a key left out is said here (a bad value
    was said already)."""
    required = [f for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    for f in required:
        if _toml_name(f) not in table:
            errors.add(f"{prefix}{_toml_name(f)}", "missing (required)")
    return all(f.name in values for f in required)


def _section(errors: _Errors, section: str, table: Any) -> Any:
    """One TOML section -> its settings dataclass."""
    cls = SECTION_TYPES[section]
    if not isinstance(table, dict):
        errors.add(section, "expected a table")
        return cls()
    return cls(**_values(errors, f"{section}.", cls, table))


def _tables(errors: _Errors, key: str, items: Any) -> list[tuple[str, dict]]:
    """A TOML array of tables ([[athletes]]) as (key prefix, table) pairs."""
    if not isinstance(items, list):
        errors.add(key, f"expected [[{key}]] tables")
        return []
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.add(f"{key}[{i}]", "expected a table")
            continue
        out.append((f"{key}[{i}].", item))
    return out


def parse(text: str, path: Path | None = None) -> Settings:
    """Parse config text; every problem is collected and reported at once."""
    settings, errors = _parse(text, path)
    errors.raise_if_any(path)
    return settings


def problems(
    path: Path,
    environ: dict[str, str],
    check_url: Callable[[str, bool], str | None] | None = None,
) -> list[tuple[str, str]]:
    """Everything wrong with a config file, in one list: what it says (types, ranges, names,
    addresses) and what this machine cannot do (a missing inbox, no SMTP host for the people
    to mail, an unset password variable). `config check` prints them all in one run;
    `check_url(url, from_env)` says what is wrong with a push URL (Apprise, from notify/),
    without sending anything."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        return [("", f"cannot read {path}: {e.strerror}")]
    try:
        settings, errors = _parse(text, path)
    except ConfigError as e:  # not TOML at all: nothing more to say
        return list(e.problems)
    said = {key for key, _ in errors.items}
    return errors.items + environment_problems(settings, environ, check_url, said)


def _parse(text: str, path: Path | None) -> tuple[Settings, _Errors]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("", f"{path or 'config'} is not valid TOML: {e}") from e
    errors = _Errors()
    _unknown(errors, "", raw, SECTIONS)
    smtp, rules, schedule, store, imports, web, sync, pain, zones = (
        _section(errors, name, raw.get(name, {})) for name in SECTION_TYPES
    )
    if pain.red_min <= pain.green_max:
        errors.add(
            "pain.red_min",
            f"must be above pain.green_max ({pain.green_max}), not {pain.red_min}",
        )
    if sync.mount_roots is not None:
        sync = replace(sync, mount_roots=tuple(_beside(p, path) for p in sync.mount_roots))
    # What one key means for another.
    if smtp.security == "none" and smtp.host and smtp.host not in LOCAL_HOSTS:
        errors.add(
            "smtp.security",
            f'"none" sends the password and mail in clear text: only for localhost, not {smtp.host!r}',
        )
    if smtp.port is not None and smtp.port > 65535:
        errors.add("smtp.port", f"must be a port from 1 to 65535, not {smtp.port}")
    if smtp.sender and email_problem(parseaddr(smtp.sender)[1]):
        errors.add("smtp.from", f"{smtp.sender!r} has no email address like loadwatch@example.com")
    # Relative paths in the file start at its folder, whatever the command's working directory.
    ca = smtp.ca_file
    if ca is not None:
        ca = _beside(ca.expanduser(), path)
        if not ca.exists():
            errors.add("smtp.ca_file", f"no such file {str(ca)!r}")
    smtp = replace(smtp, ca_file=ca)
    if store.database and "://" not in store.database:
        store = replace(store, database=str(_beside(Path(store.database).expanduser(), path)))
    athletes = _athletes(raw.get("athletes", []), errors, path)
    names = [a.name for a in athletes]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.add("athletes", f"{name!r} is declared more than once")
    coaches = _coaches(raw.get("coaches", []), errors, set(names))
    settings = Settings(
        smtp,
        rules,
        schedule,
        store,
        imports,
        web,
        tuple(athletes),
        tuple(coaches),
        path,
        sync,
        pain,
        zones,
    )
    return settings, errors


def _beside(p: Path, config: Path | None) -> Path:
    return config.parent / p if config is not None and not p.is_absolute() else p


def _athletes(items: Any, errors: _Errors, path: Path | None) -> list[AthleteConfig]:
    out: list[AthleteConfig] = []
    for prefix, table in _tables(errors, "athletes", items):
        values = _values(errors, prefix, AthleteConfig, table)
        values["inbox"] = tuple(_beside(p, path) for p in values.get("inbox", ()))
        values["devices"] = tuple(_beside(p, path) for p in values.get("devices", ()))
        shoes = []
        for sp, shoe in _tables(errors, f"{prefix}shoes", table.get("shoes", [])):
            shoe_values = _values(errors, sp, ShoeConfig, shoe)
            if _required(errors, sp, ShoeConfig, shoe, shoe_values):
                shoes.append(ShoeConfig(**shoe_values))
        sources = []
        for sp, src in _tables(errors, f"{prefix}sources", table.get("sources", [])):
            src_values = _values(errors, sp, SourceConfig, src)
            if _required(errors, sp, SourceConfig, src, src_values) and _source_keys(
                errors, sp, src_values
            ):
                if src_values.get("token_file") is not None:
                    src_values["token_file"] = _beside(src_values["token_file"], path)
                sources.append(SourceConfig(**src_values))
        if _required(errors, prefix, AthleteConfig, table, values):
            out.append(AthleteConfig(**values, shoes=tuple(shoes), sources=tuple(sources)))
    return out


def _source_keys(errors: _Errors, prefix: str, values: dict[str, Any]) -> bool:
    """The keys the account's type needs are there, and no other type's."""
    kind = values["type"]
    ok = True
    for other, keys in SOURCE_KEYS.items():
        for key in keys:
            if other == kind and not values.get(key):
                errors.add(f"{prefix}{key}", f"missing (required for type = {kind!r})")
                ok = False
            elif other != kind and key in values and key not in SOURCE_KEYS[kind]:
                errors.add(f"{prefix}{key}", f"only for type = {other!r}, not {kind!r}")
                ok = False
    base = values.get("base_url", "")
    if kind == "strava" and base and not base.startswith("https://"):
        errors.add(f"{prefix}base_url", f"Strava is spoken to over https only, not {base!r}")
        ok = False
    return ok


def _coaches(items: Any, errors: _Errors, athlete_names: set[str]) -> list[CoachConfig]:
    out: list[CoachConfig] = []
    for prefix, table in _tables(errors, "coaches", items):
        values = _values(errors, prefix, CoachConfig, table)
        if "cc_alerts" not in table:
            values["cc_alerts"] = values.get("digest", "daily") == "none"
        for name in values.get("athletes", ()):
            if athlete_names and name not in athlete_names:
                close = difflib.get_close_matches(name, list(athlete_names), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                errors.add(f"{prefix}athletes", f"no [[athletes]] entry named {name!r}{hint}")
        # Somewhere for the digest to go (a value rejected above was said already).
        reach = ("email", "notify", "notify_env")
        if not any(values.get(k) for k in reach):
            if not any(k in table and k not in values for k in reach):
                errors.add(
                    f"{prefix}email",
                    "missing: a coach needs an email address, or a push channel in notify or "
                    "notify_env, for their digest",
                )
        if _required(errors, prefix, CoachConfig, table, values):
            out.append(CoachConfig(**values))
    return out


def load(path: Path | None) -> Settings:
    """Settings from a file; no file means defaults (a lone runner needs only SMTP)."""
    if path is None or not path.exists():
        return Settings(source=None)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError("", f"cannot read {path}: {e.strerror}") from e
    return parse(text, path)


@dataclass(frozen=True)
class NotifyUrl:
    """One push channel as the config names it: `key` says where (athletes[0].notify_env[1]),
    `env` the variable it comes from (None: written in the file), `url` None when unset."""

    key: str
    env: str | None
    url: str | None


def notify_urls(
    urls: tuple[str, ...], env_names: tuple[str, ...], prefix: str, environ: Mapping[str, str]
) -> list[NotifyUrl]:
    """A person's push channels: the URLs in the file, then those from the environment."""
    out = [NotifyUrl(f"{prefix}notify[{i}]", None, u) for i, u in enumerate(urls)]
    for i, name in enumerate(env_names):
        out.append(NotifyUrl(f"{prefix}notify_env[{i}]", name, environ.get(name) or None))
    return out


def environment_problems(
    settings: Settings,
    environ: dict[str, str],
    check_url: Callable[[str, bool], str | None] | None = None,
    said: Collection[str] = (),
) -> list[tuple[str, str]]:
    """What the file says that this machine cannot do: checked by `config check`, all at once;
    not for a key `said` wrong already (an item that is no URL is not asked of Apprise)."""
    out = []
    people: list[tuple[str, AthleteConfig | CoachConfig]] = [
        *((f"athletes[{i}].", a) for i, a in enumerate(settings.athletes)),
        *((f"coaches[{i}].", c) for i, c in enumerate(settings.coaches)),
    ]
    for prefix, person in people:
        for n in notify_urls(person.notify, person.notify_env, prefix, environ):
            if n.key in said:
                continue
            if n.url is None:
                out.append((n.key, f"environment variable {n.env} is not set"))
            elif check_url is not None:
                problem = check_url(n.url, n.env is not None)
                if problem:
                    out.append((n.key, problem))
    for i, a in enumerate(settings.athletes):
        for folder in a.inbox:
            if not folder.is_dir():
                out.append((f"athletes[{i}].inbox", f"no folder {str(folder)!r}"))
    mailed = [a.name for a in settings.athletes if a.email]
    mailed += [c.name for c in settings.coaches if c.email]
    if mailed and not settings.smtp.host:
        out.append(("smtp.host", f"not set, but {', '.join(mailed)} should get email"))
    for i, a in enumerate(settings.athletes):
        for j, src in enumerate(a.sources):
            env_key = "api_key_env" if src.type == "intervals.icu" else "client_secret_env"
            variable = getattr(src, env_key)
            if not environ.get(variable):
                out.append(
                    (
                        f"athletes[{i}].sources[{j}].{env_key}",
                        f"environment variable {variable} is not set",
                    )
                )
            if src.token_file is not None and not src.token_file.exists():
                out.append(
                    (
                        f"athletes[{i}].sources[{j}].token_file",
                        f"no file {str(src.token_file)!r}: run `loadwatch strava connect "
                        f"--athlete {a.name}` once",
                    )
                )
    if settings.smtp.username and not environ.get(settings.smtp.password_env):
        out.append(
            ("smtp.password_env", f"environment variable {settings.smtp.password_env} is not set")
        )
    return out
