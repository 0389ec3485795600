"""What the config file owns of the store: the fields its sync (App.sync_config) writes again
at the start of every command. An edit of one of them elsewhere would seem to work and be
undone by the next command, so it is refused with the file and the key to change instead.
Pure: settings and the edit in, a one-line reason or None out."""

from __future__ import annotations

from collections.abc import Mapping

from .config import AthleteConfig, Settings

# An athlete's columns the sync writes and their words; the zone always (UTC when the file
# gives none: `tz` has a default), the others only where the file gives them (the store keeps
# the stored value for a missing one).
ATHLETE_WORDS = {
    "email": "email",
    "tz": "time zone",
    "resting_hr": "resting heart rate",
    "max_hr": "maximum heart rate",
    "sex": "sex",
    "units": "units",
}
# A shoe's: the distances always (they have defaults), a default kind and retirement where set.
SHOE_WORDS = {
    "start_m": ("start distance", "start_km"),
    "warn_m": ("warn distance", "warn_km"),
    "retire_m": ("retire distance", "retire_km"),
    "default_for": ("default", "default_for"),
    "retired": ("retirement", "retired"),
}


def _declared(settings: Settings, athlete: str) -> AthleteConfig | None:
    return next((a for a in settings.athletes if a.name == athlete), None)


def _changed(sets: Mapping[str, object], changes: Mapping[str, object]) -> list[str]:
    """The changes to a field the config sets to something else (setting the config's own
    value changes nothing, and passes)."""
    return [k for k, v in changes.items() if k in sets and v != sets[k]]


def _said(words: list[str], keys: list[str], table: str, where: object) -> str:
    many = len(words) > 1 or words == ["units"]
    return (
        f"{' and '.join(words)} {'are' if many else 'is'} set in {where} ({table} "
        f"{', '.join(keys)}); change {'them' if many else 'it'} there"
    )


def athlete_edit_problem(
    settings: Settings, athlete: str, changes: Mapping[str, object]
) -> str | None:
    """Why an edit of an athlete (field -> new value) would not stick, or None."""
    declared = _declared(settings, athlete)
    if declared is None:
        return None
    sets: dict[str, object] = {"tz": declared.tz}
    sets |= {k: getattr(declared, k) for k in ATHLETE_WORDS if getattr(declared, k) is not None}
    owned = _changed(sets, changes)
    if not owned:
        return None
    where = settings.source or "the config file"
    words = [ATHLETE_WORDS[k] for k in owned]
    return f"{athlete}'s " + _said(words, owned, "[[athletes]]", where)


def shoe_edit_problem(
    settings: Settings, athlete: str, shoe: str, changes: Mapping[str, object]
) -> str | None:
    """Why a change to a shoe (start_m, warn_m, retire_m, default_for, retired -> new value)
    would not stick, or None: the config declares the shoe with other values, or gives the
    kind of run it claims to another of its shoes."""
    declared = _declared(settings, athlete)
    if declared is None:
        return None
    where = settings.source or "the config file"
    kind = changes.get("default_for")
    for s in declared.shoes:
        if s.name == shoe:
            sets: dict[str, object] = {
                "start_m": s.start_m,
                "warn_m": s.warn_m,
                "retire_m": s.retire_m,
            }
            if s.default_for is not None:
                sets["default_for"] = s.default_for
            if s.retired:
                sets["retired"] = True
            owned = _changed(sets, changes)
            if owned:
                words = [SHOE_WORDS[k][0] for k in owned]
                keys = [SHOE_WORDS[k][1] for k in owned]
                return f"{athlete}'s shoe {shoe!r}: its " + _said(
                    words, keys, "[[athletes.shoes]]", where
                )
        elif kind is not None and s.default_for == kind:
            return (
                f"{athlete}'s default shoe for {kind} runs is {s.name!r}, set in {where} "
                "([[athletes.shoes]] default_for); change it there"
            )
    return None
