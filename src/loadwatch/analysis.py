"""One athlete's state on one day: their activities and shoes run through the engine. Pure.

The shared step of `report`, `check`, the coach digest and the web page; the app reads the
activities and shoes from the store and hands them in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from .load import AthleteLoad, HeartRateProfile, LoadParams, compute_daily
from .load.grid import local_days
from .model import Athlete, Shoe
from .shoes import ShoeStatus, shoe_status


@dataclass(frozen=True)
class Analysis:
    athlete: Athlete
    load: AthleteLoad  # on the chosen load basis
    distance: AthleteLoad  # always on distance (km figures, spikes)
    shoes: list[ShoeStatus]
    shoe_runs: pd.DataFrame  # primary activities up to as_of with `shoe_id` and local `day`


def analyse(
    athlete: Athlete,
    activities: pd.DataFrame,
    shoes: list[Shoe],
    as_of: date,
    params: LoadParams = LoadParams(),
) -> Analysis:
    """`activities`: the athlete's primary copies as the store gives them."""
    hr = HeartRateProfile(athlete.resting_hr, athlete.max_hr, athlete.sex)
    distance_params = replace(params, load_basis="distance")
    distance = compute_daily(activities, as_of, athlete.tz, distance_params, hr)
    load = (
        distance
        if params.load_basis == "distance"
        else compute_daily(activities, as_of, athlete.tz, params, hr)
    )
    # Shoe mileage counts what happened up to the day described, like everything else here.
    activities = activities.assign(day=local_days(activities["start_utc"], athlete.tz))
    upto = activities[activities["day"] <= pd.Timestamp(as_of)]
    statuses = shoe_status(shoes, upto)
    return Analysis(
        athlete, load, distance, statuses, upto[["id", "start_utc", "day", "distance_m", "shoe_id"]]
    )
