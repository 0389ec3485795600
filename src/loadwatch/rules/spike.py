"""Single-run spike: a run more than 10% longer than the longest run of the previous 30 days.

Frandsen et al. 2025 (BJSM 59(17):1203-1210; 5,205 adult runners, 588,071 sessions): compared with
runs no more than 10% longer, >10-30% had an adjusted hazard rate ratio for self-reported overuse
injury of 1.64, >30-100% 1.52, >100% 2.28: not monotonic, and the emails say so. Only with 30 days of history: before that a "spike" is missing data.
Each run is its own alert (two spikes on one day are two things), keyed by the run's start.
Runs shorter than `spike_min_km` never count (a 20 m GPS blip after a break is no long run).
During a return plan after a break (rules/comeback.py) the plan speaks instead: its runs are no
spike alerts. A race the runner marked is no reference for later runs (load/spikes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..model import Alert, Numbers
from ..rulesettings import RuleSetting
from ..units import distance
from . import CLINICIAN, POPULATION, Rule, exact_pct, nice_day, register

CITATION = "Frandsen JSB et al. How much running is too much? BJSM 2025;59(17):1203-1210"
BAND_WORDS = {
    "small": "more than 10% to 30%",
    "moderate": "more than 30% to 100%",
    "large": "more than 100%",
}
RANK = {"none": 0, "small": 1, "moderate": 2, "large": 3}
SETTINGS = (
    RuleSetting(
        "spike_pct",
        10,
        "Alert on a run more than this % longer than the longest run of the previous 30 days.",
        "Frandsen et al. 2025, BJSM 59(17):1203-1210",
        minimum=0,
    ),
    RuleSetting(
        "spike_min_band",
        "small",
        'Smallest spike band that alerts: "small", "moderate" or "large".',
        "Frandsen et al. 2025",
        choices=("small", "moderate", "large"),
    ),
    RuleSetting(
        "spike_min_km",
        1,
        "Runs shorter than this never count as a spike (a 20 m GPS blip is no long run).",
        "loadwatch's choice",
        minimum=0,
        in_metres="spike_min_m",
    ),
)


@dataclass(frozen=True)
class SpikeNumbers(Numbers):
    KM = {"distance_m": ("distance_km", 3), "longest_prior_30d_m": ("longest_prior_30d_km", 3)}

    distance_m: float
    longest_prior_30d_m: float
    spike_pct: float
    band: str  # "small", "moderate" or "large"
    hazard_ratio: float
    start_utc: str | None = None  # the run's start, "2026-10-25T05:30Z" (rows since 2026-11)
    window: str = "runs started in the 30 calendar days before this run"


def evaluate(analysis, settings, since: date | None = None) -> list[Alert]:
    import numpy as np  # the engine where a rule evaluates, not where it declares
    import pandas as pd

    from ..load import HAZARD_CI, HAZARD_RATIO
    from ..load.comeback import in_plans
    from .comeback import return_params

    bands = ", ".join(f"{HAZARD_RATIO[b]} for {BAND_WORDS[b]}" for b in BAND_WORDS)

    runs = analysis.distance.runs
    if runs.empty:
        return []
    # The whole-frame test on the columns as arrays, then only the runs that can be alerts read
    # one by one (filtering the frame, twice, cost more than the test: 4 ms an athlete).
    with np.errstate(invalid="ignore"):
        d_all = np.rint(runs["distance_m"].to_numpy(dtype=float))
        ref_all = np.rint(runs["longest_prior_30d_m"].to_numpy(dtype=float))
        band_of = runs["spike_band"].to_numpy()
        can = (
            runs["full_30d_history"].to_numpy(dtype=bool)
            & pd.notna(band_of)
            & (d_all >= settings.spike_min_m)
            & (100 * d_all > (100.0 + settings.spike_pct) * ref_all)
        )
    days = runs["day"].to_numpy()
    if since is not None:
        can &= days >= pd.Timestamp(since).to_datetime64()  # each run is its own alert
    at = np.flatnonzero(can)
    if not len(at):
        return []
    # A run inside a return plan is the plan's to judge (rules/comeback.py).
    plans = analysis.distance.return_plans(return_params(settings))
    if plans:
        at = at[~in_plans(plans, days[at])]
    name, u = analysis.athlete.name, analysis.athlete.units  # the words in their unit
    out = []
    min_rank = RANK[settings.spike_min_band]
    threshold = 100.0 + settings.spike_pct
    min_m = settings.spike_min_m
    starts = runs["start_utc"]
    columns = zip(
        at.tolist(),
        runs["distance_m"].to_numpy()[at].tolist(),
        runs["longest_prior_30d_m"].to_numpy()[at].tolist(),
        band_of[at].tolist(),
        runs["spike_pct"].to_numpy()[at].tolist(),
        strict=True,
    )
    for i, distance_m, longest_m, spike_band, spike_pct in columns:
        if spike_band is None or RANK.get(spike_band, 0) < min_rank:
            continue
        d_m, ref_m = round(distance_m), round(longest_m)
        if d_m < min_m or not 100 * d_m > threshold * ref_m:  # whole metres, as the bands are
            continue
        day = pd.Timestamp(days[i]).date()
        start = pd.Timestamp(starts.iloc[i]).tz_convert("UTC").strftime("%Y-%m-%dT%H:%MZ")
        hr = HAZARD_RATIO[spike_band]
        lo, hi = HAZARD_CI[spike_band]
        pct = exact_pct(spike_pct, (settings.spike_pct, 30.0, 100.0))
        text = (
            f"Your {distance(distance_m, u)} run on {nice_day(day)} was {pct} longer than "
            f"your longest run in the previous 30 days ({distance(longest_m, u)}). "
            f"In a study of 5,205 adult runners, single runs {BAND_WORDS[spike_band]} longer than "
            f"the recent longest were associated with a higher rate of self-reported overuse "
            f"injury (hazard rate ratio {hr}, 95% CI {lo:.2f}-{hi:.2f}, against runs no more than "
            f"10% longer). The bands were not monotonic ({bands}): a bigger jump was not "
            f"always a higher rate. "
            f"{POPULATION} {CLINICIAN}"
        )
        out.append(
            Alert(
                key=f"run_spike:{analysis.athlete.id}:{start}",
                athlete=name,
                rule="run_spike",
                day=day,
                title=f"{distance(distance_m, u)} run, {pct} over the 30-day longest "
                f"({spike_band} spike)",
                text=text,
                citation=CITATION,
                numbers=SpikeNumbers(
                    distance_m=distance_m,
                    longest_prior_30d_m=longest_m,
                    spike_pct=round(float(spike_pct), 4),
                    band=spike_band,
                    hazard_ratio=hr,
                    start_utc=start,
                ),
                # Until 2026-11 a spike was keyed by its day.
                aliases=(f"run_spike:{analysis.athlete.id}:{day.isoformat()}",),
            )
        )
    return out


RULE = register(
    Rule(
        "run_spike",
        CITATION,
        evaluate,
        SpikeNumbers,
        priority=0,  # the best-supported warning leads
        flag="spike",
        chart="run_spikes",
        settings=SETTINGS,
    )
)
