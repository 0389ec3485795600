"""One athlete's state on one day: their activities and shoes run through the engine. Pure.

The shared step of `report`, `check`, the coach digest and the web page; the app reads the
activities, shoes and pain reports from the store and hands them in. What the runner feels is part
of the history the headroom and the rules read, like what the watch recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from .load import (
    AthleteLoad,
    HeartRateProfile,
    LoadParams,
    compute_daily,
    compute_daily_and_distance,
    compute_runs_many,
)
from .load.grid import local_days
from .load.pain import PainHistory, PainStatus
from .model import Athlete, Shoe
from .shoes import ShoeStatus, shoe_status


@dataclass(frozen=True)
class Analysis:
    athlete: Athlete
    load: AthleteLoad  # on the chosen load basis
    distance: AthleteLoad  # always on distance (km figures, spikes)
    shoes: list[ShoeStatus]
    shoe_runs: pd.DataFrame  # primary activities up to as_of with `shoe_id` and local `day`
    # The runner's pain reports (load/pain.py) and their level on the day; None where no one
    # read them (an analysis built without a store): then nothing is said about pain.
    pain_history: PainHistory | None = None
    pain: PainStatus | None = None


def analyse(
    athlete: Athlete,
    activities: pd.DataFrame,
    shoes: list[Shoe],
    as_of: date,
    params: LoadParams = LoadParams(),
    pain: PainHistory | None = None,
) -> Analysis:
    """`activities`: the athlete's primary copies as the store gives them; `pain`: their pain
    reports with the thresholds that read them."""
    hr = HeartRateProfile(athlete.resting_hr, athlete.max_hr, athlete.sex)
    if params.load_basis == "distance":
        load = distance = compute_daily(activities, as_of, athlete.tz, params, hr)
    else:
        load, distance = compute_daily_and_distance(activities, as_of, athlete.tz, params, hr)
    # Shoe mileage counts what happened up to the day described, like everything else here.
    days = local_days(activities["start_utc"], athlete.tz, activities.get("utc_offset_s"))
    activities = activities.assign(day=days)
    upto = activities[activities["day"] <= pd.Timestamp(as_of)]
    statuses = shoe_status(shoes, upto)
    return Analysis(
        athlete,
        load,
        distance,
        statuses,
        upto[["id", "start_utc", "day", "distance_m", "shoe_id"]],
        pain,
        pain.status(as_of) if pain is not None else None,
    )


def analyse_many(
    athletes: list[Athlete],
    activities: pd.DataFrame,
    shoes: Mapping[int, list[Shoe]],
    as_of: Mapping[int, date],
    pain: Mapping[int, PainHistory] | None = None,
) -> dict[int, Analysis]:
    """Every athlete at once, on distance: the daily check's one vectorised pass.

    `activities`: the store's `counted_all()` frame. Runs, spikes and shoe mileage of all
    athletes are computed together; each athlete's days and weeks only if something asks (an
    email's chart, a digest). Each Analysis equals `analyse` of that athlete on the columns the
    check reads (a test holds that)."""
    tz = {a.id: a.tz for a in athletes}
    activities = activities[activities["athlete_id"].isin(tz)]
    loads = compute_runs_many(activities, as_of, tz)
    ids = activities["athlete_id"]
    days = local_days(activities["start_utc"], ids.map(tz), activities.get("utc_offset_s"))
    upto = activities.assign(day=days)[
        days.to_numpy() <= ids.map({a: pd.Timestamp(d) for a, d in as_of.items()}).to_numpy()
    ]
    rows = upto.groupby("athlete_id").indices if len(upto) else {}
    # The columns an Analysis keeps, before splitting by athlete: each athlete's slice of the
    # whole frame cost more than their runs and spikes.
    upto = upto[["id", "start_utc", "day", "distance_m", "shoe_id"]]
    out = {}
    for a in athletes:
        mine = upto.iloc[rows[a.id]].reset_index(drop=True) if a.id in rows else upto.iloc[:0]
        statuses = shoe_status(shoes.get(a.id, []), mine)
        load = loads[a.id]
        history = pain.get(a.id) if pain is not None else None
        out[a.id] = Analysis(
            a,
            load,
            load,
            statuses,
            mine,
            history,
            history.status(as_of[a.id]) if history is not None else None,
        )
    return out
