"""Config text in, frozen settings out (TOML). Every error names its key; unknown keys are refused
with a close match; secrets are named by environment variable, never written in the file.

`SETTINGS` is the table of every scalar key (default, help, citation); the example config and the
README are tested against it.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .model import SHOE_RETIRE_M, SHOE_WARN_M, ArchiveLimits

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NUMBER = (int, float)


def _hhmm(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def setting(
    default: Any,
    help: str,
    citation: str = "",
    *,
    kind: type | tuple[type, ...] | None = None,
    key: str | None = None,
    minimum: float | None = None,
    positive: bool = False,
    choices: tuple[str, ...] = (),
    convert: Callable[[Any], Any] | None = None,
    documented: Any = MISSING,
) -> Any:
    """A settings field and its documentation in one place: the key is written only here.

    `key` is the TOML name where it differs from the field's; `convert` turns the TOML value into
    the field's type (raising ValueError when it cannot); `documented` is the default as written
    in the config file where it differs from the field's default.
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
        "positive": positive,
        "choices": choices,
        "convert": convert,
        "documented": default if documented is MISSING else documented,
    }
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
class RuleSettings:
    spike_pct: float = setting(
        10,
        "Alert on a run more than this % longer than the longest run of the previous 30 days.",
        "Frandsen et al. 2025, BJSM 59(17):1203-1210",
        minimum=0,
    )
    spike_min_band: str = setting(
        "small",
        'Smallest spike band that alerts: "small", "moderate" or "large".',
        "Frandsen et al. 2025",
        choices=("small", "moderate", "large"),
    )
    weekly_jump_pct: float = setting(
        30,
        "Alert when the last 7 days are more than this % above the 7 before (and the weekly "
        "average of the 14 before), on run days.",
        "Nielsen et al. 2014, JOSPT 44(10):739-747",
        minimum=0,
    )
    weekly_jump_min_km: float = setting(
        10,
        "Only when the earlier 7 days had at least this many km.",
        "loadwatch's choice (Nielsen 2014 set no floor)",
        minimum=0,
    )
    spike_min_km: float = setting(
        1,
        "Runs shorter than this never count as a spike (a 20 m GPS blip is no long run).",
        "loadwatch's choice",
        minimum=0,
    )
    acwr_enabled: bool = setting(
        False,
        "Alert on the 7:28 rolling coupled ratio. Off: its bands come from team sport, and in "
        "runners a related ratio went with fewer injuries, not more.",
        "Gabbett 2016; Frandsen 2025 (uncoupled ratio, negative dose-response in runners)",
    )
    acwr_threshold: float = setting(
        1.5,
        "Alert when the 7:28 rolling coupled ratio is above this.",
        "Gabbett 2016, BJSM 50(5):273-280 (team sport)",
        minimum=0,
    )
    acwr_min_chronic_km: float = setting(
        10,
        "No ratio alert while the 28-day weekly average is under this (a ratio of trivial volume).",
        "loadwatch's choice",
        minimum=0,
    )
    shoe_alerts: bool = setting(
        True,
        "Remind when a shoe passes its warn and its retire distance.",
        "convention (480-800 km), not outcome evidence",
    )
    lookback_days: int = setting(
        3,
        "An athlete's first check records alerts about days more than this many "
        "days before it as known history, not emailed.",
        kind=int,
        minimum=0,
    )


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


# The TOML sections and the settings they hold.
SECTION_TYPES: dict[str, type] = {
    "smtp": SmtpSettings,
    "rules": RuleSettings,
    "schedule": ScheduleSettings,
    "store": StoreSettings,
    "import": ImportSettings,
    "web": WebSettings,
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


SETTINGS: list[Setting] = [
    Setting(
        f"{section}.{_toml_name(f)}",
        f.metadata["documented"],
        f.metadata["help"],
        f.metadata["citation"],
        f.metadata["kind"],
    )
    for section, cls in SECTION_TYPES.items()
    for f in fields(cls)
]
SETTING_KEYS = {s.key: s for s in SETTINGS}
ATHLETE_KEYS = {"name", "email", "tz", "inbox", "resting_hr", "max_hr", "sex", "shoes"}
SHOE_KEYS = {"name", "start_km", "warn_km", "retire_km", "default_for", "retired"}
COACH_KEYS = {"name", "email", "athletes", "digest", "tz", "cc_alerts"}
SECTIONS = {*SECTION_TYPES, "athletes", "coaches"}


@dataclass(frozen=True)
class ShoeConfig:
    name: str
    start_km: float = 0.0
    warn_km: float = SHOE_WARN_M / 1000
    retire_km: float = SHOE_RETIRE_M / 1000
    default_for: str | None = None
    retired: bool = False


@dataclass(frozen=True)
class AthleteConfig:
    name: str
    email: str | None = None
    tz: str = "UTC"
    inbox: tuple[Path, ...] = ()
    resting_hr: int | None = None
    max_hr: int | None = None
    sex: str | None = None
    shoes: tuple[ShoeConfig, ...] = ()


@dataclass(frozen=True)
class CoachConfig:
    name: str
    email: str
    athletes: tuple[str, ...]
    digest: str = "daily"  # "daily", "weekly" or "none"
    tz: str = "UTC"
    # Copied on each athlete alert; by default only a coach without a digest is.
    cc_alerts: bool = False


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


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, msg: str) -> None:
        self.items.append((key, msg))

    def raise_if_any(self, path: Path | None) -> None:
        if not self.items:
            return
        where = f"{path}: " if path else ""
        if len(self.items) == 1:
            key, msg = self.items[0]
            raise ConfigError(key, f"{msg} ({where.rstrip(': ')})" if where else msg)
        text = "; ".join(f"{k}: {m}" for k, m in self.items)
        raise ConfigError(
            "", f"{len(self.items)} problems in {where.rstrip(': ') or 'the config'}: {text}"
        )


def _unknown(errors: _Errors, prefix: str, keys, known) -> None:
    for key in keys:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            errors.add(f"{prefix}{key}", f"unknown key{hint}")


def _typed(errors: _Errors, key: str, value: Any, kind) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        errors.add(key, f"expected {' or '.join(k.__name__ for k in kinds)}, got {value!r}")
        return None
    if not isinstance(value, kinds):
        errors.add(key, f"expected {' or '.join(k.__name__ for k in kinds)}, got {value!r}")
        return None
    return value


def _tz(errors: _Errors, key: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add(key, f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)")
    return value


def _section(errors: _Errors, section: str, table: Any) -> Any:
    """One TOML table -> its settings dataclass: types, ranges and choices checked per key."""
    cls = SECTION_TYPES[section]
    if not isinstance(table, dict):
        errors.add(section, "expected a table")
        return cls()
    by_name = {_toml_name(f): f for f in fields(cls)}
    _unknown(errors, f"{section}.", table, by_name)
    values: dict[str, Any] = {}
    for name, raw in table.items():
        f = by_name.get(name)
        if f is None:
            continue
        key, m = f"{section}.{name}", f.metadata
        value = _typed(errors, key, raw, m["kind"])
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
        if m["convert"] is not None:
            try:
                value = m["convert"](value)
            except ValueError:
                errors.add(key, f"cannot read {value!r} (expected {m['help']})")
                continue
        values[f.name] = value
    return cls(**values)


def parse(text: str, path: Path | None = None) -> Settings:
    """Parse config text; every problem is collected and reported at once."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("", f"{path or 'config'} is not valid TOML: {e}") from e
    errors = _Errors()
    _unknown(errors, "", raw, SECTIONS)
    smtp, rules, schedule, store, imports, web = (
        _section(errors, name, raw.get(name, {})) for name in SECTION_TYPES
    )
    # What one key means for another.
    if smtp.security == "none" and smtp.host and smtp.host not in LOCAL_HOSTS:
        errors.add(
            "smtp.security",
            f'"none" sends the password and mail in clear text: only for localhost, not {smtp.host!r}',
        )
    if smtp.port is not None and smtp.port > 65535:
        errors.add("smtp.port", f"must be a port from 1 to 65535, not {smtp.port}")
    ca = smtp.ca_file
    if ca is not None:
        ca = ca.expanduser()
        if path and not ca.is_absolute():
            ca = path.parent / ca
        if not ca.exists():
            errors.add("smtp.ca_file", f"no such file {str(ca)!r}")
    smtp = replace(smtp, ca_file=ca)
    if store.database and "://" not in store.database:
        store = replace(store, database=str(Path(store.database).expanduser()))
    athletes = _athletes(raw.get("athletes", []), errors, path)
    names = {a.name for a in athletes}
    coaches = _coaches(raw.get("coaches", []), errors, names)
    errors.raise_if_any(path)
    return Settings(
        smtp, rules, schedule, store, imports, web, tuple(athletes), tuple(coaches), path
    )


def _athletes(items, errors: _Errors, path: Path | None) -> list[AthleteConfig]:
    out: list[AthleteConfig] = []
    if not isinstance(items, list):
        errors.add("athletes", "expected [[athletes]] tables")
        return out
    for i, a in enumerate(items):
        prefix = f"athletes[{i}]."
        if not isinstance(a, dict) or not isinstance(a.get("name"), str) or not a.get("name"):
            errors.add(f"athletes[{i}].name", "every athlete needs a name")
            continue
        _unknown(errors, prefix, a, ATHLETE_KEYS)
        inbox = a.get("inbox", [])
        if isinstance(inbox, str):
            inbox = [inbox]
        if not isinstance(inbox, list) or not all(isinstance(x, str) for x in inbox):
            errors.add(f"{prefix}inbox", f"expected a folder or a list of folders, got {inbox!r}")
            inbox = []
        folders = []
        for folder in inbox:
            p = Path(folder).expanduser()
            if path and not p.is_absolute():
                p = path.parent / p
            folders.append(p)
        shoes = []
        for j, s in enumerate(a.get("shoes", [])):
            sp = f"{prefix}shoes[{j}]."
            if not isinstance(s, dict) or not s.get("name"):
                errors.add(f"{sp}name", "every shoe needs a name")
                continue
            _unknown(errors, sp, s, SHOE_KEYS)
            shoes.append(
                ShoeConfig(
                    str(s["name"]),
                    float(s.get("start_km", 0.0)),
                    float(s.get("warn_km", SHOE_WARN_M / 1000)),
                    float(s.get("retire_km", SHOE_RETIRE_M / 1000)),
                    s.get("default_for"),
                    bool(s.get("retired", False)),
                )
            )
        sex = a.get("sex")
        if sex not in (None, "female", "male"):
            errors.add(
                f"{prefix}sex", f'"female" or "male" (selects the TRIMP weighting), not {sex!r}'
            )
        out.append(
            AthleteConfig(
                a["name"],
                a.get("email"),
                _tz(errors, f"{prefix}tz", a.get("tz", "UTC")),
                tuple(folders),
                a.get("resting_hr"),
                a.get("max_hr"),
                sex,
                tuple(shoes),
            )
        )
    return out


def _coaches(items, errors: _Errors, athlete_names: set[str]) -> list[CoachConfig]:
    out: list[CoachConfig] = []
    for i, c in enumerate(items if isinstance(items, list) else []):
        prefix = f"coaches[{i}]."
        if not isinstance(c, dict) or not c.get("name") or not c.get("email"):
            errors.add(f"coaches[{i}]", "every coach needs a name and an email")
            continue
        _unknown(errors, prefix, c, COACH_KEYS)
        digest = c.get("digest", "daily")
        if digest not in ("daily", "weekly", "none"):
            errors.add(f"{prefix}digest", f'"daily", "weekly" or "none", not {digest!r}')
        cc_alerts = c.get("cc_alerts", digest == "none")
        if not isinstance(cc_alerts, bool):
            errors.add(f"{prefix}cc_alerts", f"expected true or false, got {cc_alerts!r}")
            cc_alerts = False
        athletes = tuple(c.get("athletes", []))
        for name in athletes:
            if athlete_names and name not in athlete_names:
                close = difflib.get_close_matches(name, list(athlete_names), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                errors.add(f"{prefix}athletes", f"no [[athletes]] entry named {name!r}{hint}")
        out.append(
            CoachConfig(
                c["name"],
                c["email"],
                athletes,
                digest,
                _tz(errors, f"{prefix}tz", c.get("tz", "UTC")),
                cc_alerts,
            )
        )
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


def environment_problems(settings: Settings, environ: dict[str, str]) -> list[tuple[str, str]]:
    """What the file says that this machine cannot do: checked by `config check`, all at once."""
    out = []
    for i, a in enumerate(settings.athletes):
        for folder in a.inbox:
            if not folder.is_dir():
                out.append((f"athletes[{i}].inbox", f"no folder {str(folder)!r}"))
    mailed = [a.name for a in settings.athletes if a.email] + [c.name for c in settings.coaches]
    if mailed and not settings.smtp.host:
        out.append(("smtp.host", f"not set, but {', '.join(mailed)} should get email"))
    if settings.smtp.username and not environ.get(settings.smtp.password_env):
        out.append(
            ("smtp.password_env", f"environment variable {settings.smtp.password_env} is not set")
        )
    return out
