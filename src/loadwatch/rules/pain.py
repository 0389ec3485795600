"""Pain: the runner says it hurts (red), so the email says rest or cross-train, once per episode.

The level comes from the runner's own reports (load/pain.py): red at a score from `[pain]
red_min` (6), or a morning score `response_points` (2) above the previous morning's (the 24-hour
response). An episode runs from the first red day until the level is back to green (two green
days) or unknown (no report for `valid_days`); amber between red days belongs to it. One alert
per episode, keyed by its first day, so the ledger mails it once however many days it lasts, and
keeps it pending until it is sent (never lost, like every other alert). An episode still going on
is a state that holds today (`ongoing`): news on the first check even if it began earlier.

Amber (hold) does not mail: the headroom already holds the runner at their last 7 days, and a
daily "it still hurts a bit" email would teach them to ignore the red one. The digest names
amber and red athletes in words and puts red ones first.

Borrowed, not validated: the thresholds follow the pain-monitoring model for Achilles and
patellar tendinopathy (Silbernagel et al. 2007; Sprague et al. 2021) and Esculier et al. 2018's
symptom-guided load modification for patellofemoral pain (69 runners: education alone did as
well as adding exercises or gait retraining). No study tested these numbers for runner's knee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..model import Alert, Numbers
from ..rulesettings import RuleSetting
from . import Rule, nice_day, register

CITATION = (
    "Silbernagel KG et al. Am J Sports Med 2007 (pain monitoring, Achilles tendinopathy); "
    "Sprague AL et al. 2021 (pain-guided activity, patellar tendinopathy); Esculier JF et al. "
    "Br J Sports Med 2018 (symptom-guided load for patellofemoral pain, 69 runners); borrowed, "
    "not validated for runner's knee"
)
SETTINGS = (
    RuleSetting(
        "pain_alerts",
        True,
        "Mail the runner once per red pain episode (rest or cross-train, see a clinician if it "
        "persists); the levels are the [pain] settings.",
        "Silbernagel 2007; Sprague 2021; Esculier 2018 (borrowed, not validated for runner's knee)",
    ),
)


@dataclass(frozen=True)
class PainNumbers(Numbers):
    score: int  # 0-10, the report that made the episode red
    report_day: str  # ISO day of that report
    when: str  # morning, during or after
    where: str | None
    why: str  # "score" (at least red_min) or "24h" (a morning up on the morning before)
    red_min: int
    response_points: int
    episode_started: str  # ISO day the episode began
    level: str = "red"
    window: str = "the latest pain report of the last valid_days days ([pain])"

    def episode(self) -> str | None:
        return self.episode_started


def evaluate(analysis, settings, since: date | None = None) -> list[Alert]:
    from ..load.pain import pain_episodes

    history = analysis.pain_history
    if history is None or not settings.pain_alerts:
        return []
    as_of = analysis.distance.as_of
    aid, name = analysis.athlete.id, analysis.athlete.name
    out = []
    for e in pain_episodes(history, as_of):
        ongoing = e.ended is None
        if since is not None and e.started < since and not ongoing:
            continue
        s = e.status
        assert s.score is not None and s.day is not None and s.when is not None
        where = s.where or "pain"
        said = f"{where} {s.score}/10 ({s.when}, {nice_day(s.day)})"
        why = (
            f"a morning score {history.t.response_points} or more points above the morning "
            "before (the 24-hour response)"
            if s.why == "24h"
            else f"a score of {history.t.red_min} or more"
        )
        text = (
            f"You reported {said}: {why}. Rest or cross-train today (cycling, swimming: what "
            f"does not hurt), and see a clinician (a physiotherapist or doctor) if it persists. "
            f"loadwatch holds your headroom at no run while it is red, then at your last 7 days "
            f"until you report {history.t.green_max}/10 or less on two different days; tell it "
            f"how it feels with 'loadwatch pain'. These levels are borrowed from pain "
            f"monitoring in tendon problems (Silbernagel 2007, Sprague 2021) and from "
            f"symptom-guided load changes for runner's knee (Esculier 2018: in 69 runners, "
            f"education on them did as well as adding exercises or gait retraining); they are "
            f"not validated thresholds for runner's knee, and they are no diagnosis."
        )
        out.append(
            Alert(
                key=f"pain:{aid}:{e.started.isoformat()}",
                athlete=name,
                rule="pain",
                day=e.started,
                title=f"{where} {s.score}/10: rest or cross-train today",
                text=text,
                citation=CITATION,
                numbers=PainNumbers(
                    score=s.score,
                    report_day=s.day.isoformat(),
                    when=s.when,
                    where=s.where,
                    why=s.why or "score",
                    red_min=history.t.red_min,
                    response_points=history.t.response_points,
                    episode_started=e.started.isoformat(),
                ),
                ongoing=ongoing,
            )
        )
    return out


RULE = register(
    Rule(
        "pain",
        CITATION,
        evaluate,
        PainNumbers,
        # The runner's own pain leads the email: it asks them to stop, not to look twice.
        priority=-10,
        flag="pain",
        chart="weekly_distance",
        settings=SETTINGS,
    )
)
