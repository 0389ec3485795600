"""The `[rules]` settings: each rule declares its own keys (default, help, study) in its module,
and they are registered here, below both the config that parses them and the rules that read them.

Why here: `config` sits below `rules` in the import layers (the rules read their settings, the
config knows nothing of analysis), so the config cannot import the rules to learn their keys.
Instead the declarations are plain data registered in this bottom-layer module when a rule
registers (`rules.register`), and `RuleSettings` is an immutable mapping typed by them: the
config validates `[rules]` against the same declarations, the README table and the example config
are generated from them, and a new rule's keys need no edit of `config.py`. The built-in rules
register when `loadwatch.rules` is imported, which the program does before it reads a config
(`app.read_settings`, `config check`); reading the declarations before that is a programming
error and says so (`declared`), never a silent "unknown key".

(Listing every rule's keys in one low module instead would make adding a rule an edit of two
modules; moving the config above the rules would break the layers' promise that the config is
parsed once, low, and passed down to whatever it configures.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .units import to_metres

NUMBER = (int, float)


@dataclass(frozen=True)
class RuleSetting:
    """One key of the `[rules]` section: its default, a help line and the study behind it.

    `kind` is inferred from the default (any number for a number); `minimum`, `maximum`,
    `positive` and `choices` are checked by the config like every other section's keys."""

    key: str
    default: Any
    help: str
    citation: str = ""
    kind: type | tuple[type, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False
    choices: tuple[str, ...] = ()
    # A distance the user types in km ("spike_min_km = 1"): the rules read it once converted,
    # as whole metres under this name ("spike_min_m"), and compare metres with metres.
    in_metres: str = ""

    @property
    def name(self) -> str:
        """The attribute name (the same as the TOML key), as a dataclass field has one."""
        return self.key

    @property
    def metadata(self) -> dict[str, Any]:
        """The same description `config.setting` gives a dataclass field, so one validation and
        one documentation path serve every section."""
        kind = self.kind or (
            NUMBER
            if isinstance(self.default, int | float) and not isinstance(self.default, bool)
            else type(self.default)
        )
        return {
            "help": self.help,
            "citation": self.citation,
            "kind": kind,
            "key": None,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "positive": self.positive,
            "choices": self.choices,
            "convert": None,
            "expected": None,
            "documented": self.default,
        }


# The section's own keys, which no single rule owns.
SECTION_KEYS = (
    RuleSetting(
        "lookback_days",
        3,
        "An athlete's first check records alerts about days more than this many "
        "days before it as known history, not emailed.",
        kind=int,
        minimum=0,
    ),
)

# owner (a rule's name) -> (its order in the table, its keys)
_DECLARED: dict[str, tuple[float, tuple[RuleSetting, ...]]] = {}


def declare(owner: str, order: float, settings: tuple[RuleSetting, ...]) -> None:
    """Register a rule's keys; a key another rule (or the section) declared is refused."""
    if owner in _DECLARED:
        raise ValueError(f"the settings of rule {owner!r} are declared already")
    taken = {s.key: o for o, (_, keys) in _DECLARED.items() for s in keys}
    taken |= {s.key: "the [rules] section" for s in SECTION_KEYS}
    names = [s.key for s in settings]
    for key in names:
        if key in taken:
            raise ValueError(f"rule {owner!r} declares setting {key!r}, which {taken[key]} has")
        if names.count(key) > 1:
            raise ValueError(f"rule {owner!r} declares setting {key!r} twice")
    _DECLARED[owner] = (order, tuple(settings))


def undeclare(owner: str) -> None:
    _DECLARED.pop(owner, None)


def declared() -> list[RuleSetting]:
    """Every `[rules]` key: the rules' in their order (a rule's priority), then the section's."""
    if not _DECLARED:
        raise RuntimeError(
            "no rule has declared its settings yet: import loadwatch.rules (which registers "
            "the built-in rules) before reading or parsing [rules] settings"
        )
    ordered = sorted(_DECLARED.values(), key=lambda item: item[0])
    return [s for _, keys in ordered for s in keys] + list(SECTION_KEYS)


class RuleSettings(Mapping[str, Any]):
    """The `[rules]` values, read as attributes (`settings.spike_pct`) or by key: immutable,
    every declared key present (its default unless given), an undeclared key refused as a
    dataclass refuses an unknown field.

    Settings made before a rule registered read that rule's keys as their defaults."""

    __slots__ = ("_values", "_metres")
    _values: dict[str, Any]
    _metres: dict[str, int]  # the km keys as whole metres, by their `in_metres` names

    def __init__(self, **values: Any) -> None:
        known = {s.key: s for s in declared()}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise TypeError(f"RuleSettings got unknown setting(s) {', '.join(unknown)}")
        given = {k: values.get(k, s.default) for k, s in known.items()}
        object.__setattr__(self, "_values", given)
        object.__setattr__(
            self,
            "_metres",
            {s.in_metres: to_metres(given[k], "km") for k, s in known.items() if s.in_metres},
        )

    @staticmethod
    def declared() -> list[RuleSetting]:
        """The keys, as the config reads a settings class's fields."""
        return declared()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probing for hooks
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no rule declares the setting {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if key in values:
            return values[key]
        converted = object.__getattribute__(self, "_metres")
        if key in converted:
            return converted[key]
        for s in declared():  # declared after these settings were made
            if s.key == key:
                return s.default
            if s.in_metres == key:
                return to_metres(s.default, "km")
        raise KeyError(key)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RuleSettings are immutable; make new ones with replace()")

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleSettings):
            return NotImplemented
        return self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items())))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"RuleSettings({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (dict(self._values),))

    def replace(self, **changes: Any) -> RuleSettings:
        return RuleSettings(**(self._values | changes))


def _rebuild(values: dict[str, Any]) -> RuleSettings:
    return RuleSettings(**values)
