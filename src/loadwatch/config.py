"""Config text in, frozen settings out (TOML). Every error names its key; unknown keys are refused
with a close match; secrets are named by environment variable, never written in the file.

`SETTINGS` is the table of every scalar key (default, help, citation); the example config and the
README are tested against it.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .model import ArchiveLimits

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Setting:
    key: str  # "section.name"
    default: Any
    help: str
    citation: str = ""
    kind: type | tuple = str
    required: bool = False


SETTINGS: list[Setting] = [
    Setting("smtp.host", None, "SMTP server host name.", kind=str),
    Setting(
        "smtp.port",
        None,
        "SMTP port (default 587 for starttls, 465 for ssl, 25 for none).",
        kind=int,
    ),
    Setting(
        "smtp.security", "starttls", '"starttls", "ssl" (implicit TLS) or "none" (localhost only).'
    ),
    Setting("smtp.username", None, "Login name; leave out for servers without AUTH."),
    Setting(
        "smtp.password_env", "LOADWATCH_SMTP_PASSWORD", "Environment variable holding the password."
    ),
    Setting("smtp.from", "loadwatch <loadwatch@localhost>", "From address of every email."),
    Setting("smtp.ca_file", None, "PEM file of a private CA to trust, besides the system's."),
    Setting(
        "smtp.timeout_s",
        30,
        "Seconds to wait for the server before giving up (alerts stay pending).",
        kind=(int, float),
    ),
    Setting(
        "rules.spike_pct",
        10,
        "Alert on a run more than this % longer than the longest run of the previous 30 days.",
        "Frandsen et al. 2025, BJSM 59(17):1203-1210",
        kind=(int, float),
    ),
    Setting(
        "rules.spike_min_band",
        "small",
        'Smallest spike band that alerts: "small", "moderate" or "large".',
        "Frandsen et al. 2025",
    ),
    Setting(
        "rules.weekly_jump_pct",
        30,
        "Alert when the last 7 days are more than this % above the 7 before.",
        "Nielsen et al. 2014, JOSPT 44(10):739-747",
        kind=(int, float),
    ),
    Setting(
        "rules.weekly_jump_min_km",
        10,
        "Only when the earlier 7 days had at least this many km.",
        "Nielsen et al. 2014",
        kind=(int, float),
    ),
    Setting(
        "rules.acwr_enabled",
        True,
        "Alert on the 7:28 rolling coupled ratio (team-sport evidence).",
        "Gabbett 2016; Hulin 2016",
        kind=bool,
    ),
    Setting(
        "rules.acwr_threshold",
        1.5,
        "Alert when the 7:28 rolling coupled ratio is above this.",
        "Gabbett 2016, BJSM 50(5):273-280 (team sport)",
        kind=(int, float),
    ),
    Setting(
        "rules.shoe_alerts",
        True,
        "Remind when a shoe passes its warn and its retire distance.",
        "convention (480-800 km), not outcome evidence",
        kind=bool,
    ),
    Setting(
        "rules.lookback_days",
        3,
        "An athlete's first check records alerts about days more than this many "
        "days before it as known history, not emailed.",
        kind=int,
    ),
    Setting("schedule.check_time", "07:00", "Daily check, in each athlete's local time (HH:MM)."),
    Setting(
        "schedule.inbox_interval_minutes",
        15,
        "How often `serve` imports new files from the inboxes.",
        kind=(int, float),
    ),
    Setting("schedule.digest_weekday", "mon", "Weekday of weekly coach digests (mon..sun)."),
    Setting(
        "schedule.check_interval_s",
        None,
        "Run the check every N seconds instead of daily (testing).",
        kind=(int, float),
    ),
    Setting("store.database", None, "SQLite database file (the --db flag and LOADWATCH_DB win)."),
    Setting(
        "import.workers", None, "Decoding processes for imports (default: all cores).", kind=int
    ),
    Setting(
        "import.max_archive_members", 100_000, "Refuse a zip with more members than this.", kind=int
    ),
    Setting(
        "import.max_member_mb",
        256,
        "Refuse a zip member larger than this (MiB, inflated).",
        kind=(int, float),
    ),
    Setting(
        "import.max_archive_mb",
        4096,
        "Refuse a zip that inflates to more than this in all (MiB).",
        kind=(int, float),
    ),
    Setting(
        "import.max_compression_ratio",
        100,
        "Refuse a zip member that inflates more than this many "
        "times its compressed size (a zip bomb).",
        kind=(int, float),
    ),
    Setting(
        "import.max_archive_depth",
        2,
        "Zips inside zips: refuse deeper nesting than this.",
        kind=int,
    ),
]
SETTING_KEYS = {s.key: s for s in SETTINGS}
ATHLETE_KEYS = {"name", "email", "tz", "inbox", "resting_hr", "max_hr", "sex", "shoes"}
SHOE_KEYS = {"name", "start_km", "warn_km", "retire_km", "default_for", "retired"}
COACH_KEYS = {"name", "email", "athletes", "digest", "tz"}
SECTIONS = {"smtp", "rules", "schedule", "store", "import", "athletes", "coaches"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_env: str = "LOADWATCH_SMTP_PASSWORD"
    sender: str = "loadwatch <loadwatch@localhost>"
    ca_file: Path | None = None
    timeout_s: float = 30.0


@dataclass(frozen=True)
class RuleSettings:
    spike_pct: float = 10.0
    spike_min_band: str = "small"
    weekly_jump_pct: float = 30.0
    weekly_jump_min_km: float = 10.0
    acwr_enabled: bool = True
    acwr_threshold: float = 1.5
    shoe_alerts: bool = True
    lookback_days: int = 3


@dataclass(frozen=True)
class ScheduleSettings:
    check_time: time = time(7, 0)
    inbox_interval_minutes: float = 15.0
    digest_weekday: str = "mon"
    check_interval_s: float | None = None


@dataclass(frozen=True)
class ShoeConfig:
    name: str
    start_km: float = 0.0
    warn_km: float = 640.0
    retire_km: float = 800.0
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
    digest: str = "daily"
    tz: str = "UTC"


@dataclass(frozen=True)
class Settings:
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    rules: RuleSettings = field(default_factory=RuleSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    athletes: tuple[AthleteConfig, ...] = ()
    coaches: tuple[CoachConfig, ...] = ()
    database: Path | None = None
    import_workers: int | None = None
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
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


def parse(text: str, path: Path | None = None) -> Settings:
    """Parse config text; every problem is collected and reported at once."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("", f"{path or 'config'} is not valid TOML: {e}") from e
    errors = _Errors()
    _unknown(errors, "", raw, SECTIONS)
    values: dict[str, Any] = {}
    for section in ("smtp", "rules", "schedule", "store", "import"):
        table = raw.get(section, {})
        if not isinstance(table, dict):
            errors.add(section, "expected a table")
            continue
        known = {s.key.split(".", 1)[1] for s in SETTINGS if s.key.startswith(section + ".")}
        _unknown(errors, f"{section}.", table, known)
        for name, value in table.items():
            key = f"{section}.{name}"
            if key in SETTING_KEYS:
                values[key] = _typed(errors, key, value, SETTING_KEYS[key].kind)

    def get(key: str):
        v = values.get(key)
        return SETTING_KEYS[key].default if v is None else v

    security = get("smtp.security")
    if security not in ("starttls", "ssl", "none"):
        errors.add("smtp.security", f'must be "starttls", "ssl" or "none", not {security!r}')
    host = get("smtp.host")
    if security == "none" and host and host not in LOCAL_HOSTS:
        errors.add(
            "smtp.security",
            f'"none" sends the password and mail in clear text: only for localhost, not {host!r}',
        )
    port = values.get("smtp.port") or {"starttls": 587, "ssl": 465}.get(security, 25)
    ca = get("smtp.ca_file")
    ca_path = None
    if ca:
        ca_path = Path(ca).expanduser()
        if path and not ca_path.is_absolute():
            ca_path = path.parent / ca_path
        if not ca_path.exists():
            errors.add("smtp.ca_file", f"no such file {str(ca_path)!r}")
    smtp = SmtpSettings(
        host,
        int(port),
        security,
        get("smtp.username"),
        get("smtp.password_env"),
        get("smtp.from"),
        ca_path,
        float(get("smtp.timeout_s")),
    )

    band = get("rules.spike_min_band")
    if band not in ("small", "moderate", "large"):
        errors.add("rules.spike_min_band", f'must be "small", "moderate" or "large", not {band!r}')
    for key in (
        "rules.spike_pct",
        "rules.weekly_jump_pct",
        "rules.weekly_jump_min_km",
        "rules.acwr_threshold",
    ):
        if get(key) < 0:
            errors.add(key, "must not be negative")
    if get("rules.lookback_days") < 0:
        errors.add("rules.lookback_days", "must not be negative")
    rules = RuleSettings(
        float(get("rules.spike_pct")),
        band,
        float(get("rules.weekly_jump_pct")),
        float(get("rules.weekly_jump_min_km")),
        bool(get("rules.acwr_enabled")),
        float(get("rules.acwr_threshold")),
        bool(get("rules.shoe_alerts")),
        int(get("rules.lookback_days")),
    )

    check_time = time(7, 0)
    try:
        hh, mm = str(get("schedule.check_time")).split(":")
        check_time = time(int(hh), int(mm))
    except ValueError:
        errors.add("schedule.check_time", f"expected HH:MM, got {get('schedule.check_time')!r}")
    weekday = get("schedule.digest_weekday")
    if weekday not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        errors.add("schedule.digest_weekday", f"expected mon..sun, got {weekday!r}")
    interval = values.get("schedule.check_interval_s")
    schedule = ScheduleSettings(
        check_time,
        float(get("schedule.inbox_interval_minutes")),
        weekday,
        float(interval) if interval else None,
    )

    athletes = _athletes(raw.get("athletes", []), errors, path)
    names = {a.name for a in athletes}
    coaches = _coaches(raw.get("coaches", []), errors, names)
    for key in (
        "import.max_archive_members",
        "import.max_member_mb",
        "import.max_archive_mb",
        "import.max_compression_ratio",
        "import.max_archive_depth",
    ):
        if get(key) <= 0:
            errors.add(key, "must be positive")
    limits = ArchiveLimits(
        max_members=int(get("import.max_archive_members")),
        max_member_bytes=int(get("import.max_member_mb") * 2**20),
        max_total_bytes=int(get("import.max_archive_mb") * 2**20),
        max_ratio=float(get("import.max_compression_ratio")),
        max_depth=int(get("import.max_archive_depth")),
    )
    errors.raise_if_any(path)
    db = get("store.database")
    return Settings(
        smtp,
        rules,
        schedule,
        tuple(athletes),
        tuple(coaches),
        Path(db).expanduser() if db else None,
        values.get("import.workers"),
        limits,
        path,
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
                    float(s.get("warn_km", 640.0)),
                    float(s.get("retire_km", 800.0)),
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
        if digest not in ("daily", "weekly"):
            errors.add(f"{prefix}digest", f'"daily" or "weekly", not {digest!r}')
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
