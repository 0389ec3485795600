"""Alert rules: one per module, each a registered unit like the engine's metrics.

A rule's module declares everything about it and registers it (`register(Rule(...))` at its end,
as GoldenCheetah's metric files call `addMetric`): its name and study, a pure `evaluate`, the
typed numbers of its alerts, their priority in an email's subject, the digest's flag word, the
chart its email carries (by name, see `render.charts.ALERT_CHARTS`) and its `[rules]` settings
with defaults, help and study. Nothing else names a rule: the check orders by `priority`, the
digest flags by `flag_of`, the email's chart comes from `chart_of`, and the config, the README
table and the example config read the settings it declared (see `rulesettings`). Adding a rule
is its own module (imported at the end of this package) and a test.

A rule looks at one athlete's analysed history (runs, days, shoes) and returns every alert that
history contains, old and new alike; the ledger decides what is new. Rules never send anything.
With `since`, a rule still reads the whole history (an episode may have begun before) but writes
only the alerts about days from then on: the daily check asks only for what the ledger could still
send, and no longer words every alert of a runner's past each morning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..model import NUMBER_TYPES, Alert, Numbers
from ..rulesettings import RuleSetting, RuleSettings, declare, undeclare

if TYPE_CHECKING:  # every command reads a config, and the rules declare [rules]: no pandas here
    from ..analysis import Analysis

CLINICIAN = (
    "If your knee or anything else hurts, reduce your running and consider seeing a clinician."
)
POPULATION = "This is a population association, not a prediction for you."


@dataclass(frozen=True)
class Rule:
    """A rule as it declares itself.

    `priority`: lower leads an email's subject (the best-supported warning first, reminders
    last); unique. `kinds`: the `Alert.rule` names it writes, most urgent first (the shoe rule
    writes "shoe_retire" and "shoe_warn"); by default its own name. `flag`: the word a coach's
    digest shows for its open alerts. `chart`: which alert chart its email carries."""

    name: str
    citation: str
    evaluate: Callable[[Analysis, RuleSettings, date | None], list[Alert]]
    numbers: type[Numbers]
    priority: float
    flag: str
    chart: str
    settings: tuple[RuleSetting, ...] = ()
    kinds: tuple[str, ...] = ()

    @property
    def alert_kinds(self) -> tuple[str, ...]:
        return self.kinds or (self.name,)


_RULES: dict[str, Rule] = {}
_KINDS: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule: its settings join `[rules]`, its numbers type reads its stored alerts back.
    A name, kind, priority or setting another rule has is refused."""
    if rule.name in _RULES:
        raise ValueError(f"a rule named {rule.name!r} is registered already")
    for kind in rule.alert_kinds:
        if kind in _KINDS:
            raise ValueError(
                f"rule {rule.name!r}: alerts of kind {kind!r} are {_KINDS[kind].name!r}'s"
            )
    for other in _RULES.values():
        if other.priority == rule.priority:
            raise ValueError(
                f"rule {rule.name!r} has priority {rule.priority:g}, as {other.name!r} has"
            )
    declare(rule.name, rule.priority, rule.settings)
    _RULES[rule.name] = rule
    for kind in rule.alert_kinds:
        _KINDS[kind] = rule
        NUMBER_TYPES[kind] = rule.numbers
    return rule


def unregister(name: str) -> None:
    """Remove a rule (a test's example rule, once the test is done)."""
    rule = _RULES.pop(name, None)
    if rule is None:
        return
    undeclare(name)
    for kind in rule.alert_kinds:
        _KINDS.pop(kind, None)
        NUMBER_TYPES.pop(kind, None)


def registry() -> list[Rule]:
    """Every rule, in priority order: best-supported first."""
    return sorted(_RULES.values(), key=lambda r: r.priority)


def rule_of(kind: str) -> Rule | None:
    """The rule that writes alerts of this kind (`Alert.rule`), if it is registered."""
    return _KINDS.get(kind)


def priority(kind: str) -> tuple[float, int]:
    """Where an alert of this kind goes in an email: by its rule's priority, then by its kind's
    place in the rule's kinds; a kind no rule registers (an old row) goes last."""
    rule = _KINDS.get(kind)
    if rule is None:
        return (float("inf"), 0)
    return (rule.priority, rule.alert_kinds.index(kind))


def flag_of(kind: str) -> str:
    """The digest's word for an open alert of this kind ("" for none)."""
    rule = _KINDS.get(kind)
    return rule.flag if rule else ""


def chart_of(kind: str) -> str:
    """The name of the chart an email led by an alert of this kind carries."""
    rule = _KINDS.get(kind)
    return rule.chart if rule else "run_spikes"


def evaluate(analysis: Analysis, settings: RuleSettings, since: date | None = None) -> list[Alert]:
    """Every alert of every rule (about days from `since` on), one per key (the earliest day
    wins), oldest first."""
    seen: dict[str, Alert] = {}
    for rule in registry():
        for alert in rule.evaluate(analysis, settings, since):
            if alert.key not in seen or alert.day < seen[alert.key].day:
                seen[alert.key] = alert
    return sorted(seen.values(), key=lambda a: (a.day, a.key))


def iso_week(day: date) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


def nice_day(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def exact_pct(pct: float, edges: tuple[float, ...] = ()) -> str:
    """An increase as the rule judged it: 10.04% is not "10%" (that would be no spike at all).

    Whole percent, or two decimals where whole percent would land on one of the rule's band
    `edges` and so hide which side of it the run or week was."""
    text = f"{pct:.0f}"
    if float(text) in edges:
        text = f"{pct:.2f}"
    return f"{text}%"


# The built-in rules register themselves on import (they import this package's names above).
from . import acwr, comeback, pain, shoe, spike, weekly_jump  # noqa: E402, F401
