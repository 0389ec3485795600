"""Alert rules: one per module, each with a name, its study and a pure `evaluate`.

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

from ..analysis import Analysis
from ..config import RuleSettings
from ..model import Alert

CLINICIAN = (
    "If your knee or anything else hurts, reduce your running and consider seeing a clinician."
)
POPULATION = "This is a population association, not a prediction for you."


@dataclass(frozen=True)
class Rule:
    name: str
    citation: str
    evaluate: Callable[[Analysis, RuleSettings, date | None], list[Alert]]


def registry() -> list[Rule]:
    """Every rule, best-supported first (the rule modules import this package, hence the late import)."""
    from . import acwr, shoe, spike, weekly_jump

    return [spike.RULE, weekly_jump.RULE, acwr.RULE, shoe.RULE]


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
