"""One athlete's state on one day, read from the store and run through the engine.

The shared step of `report`, `check` and the coach digest: store -> DataFrames -> engine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from .load import AthleteLoad, HeartRateProfile, LoadParams, compute_daily
from .load.grid import local_days
from .model import Athlete
from .shoes import ShoeStatus, shoe_status
from .store import SqliteStore


@dataclass(frozen=True)
class Analysis:
    athlete: Athlete
    load: AthleteLoad  # on the chosen load basis
    distance: AthleteLoad  # always on distance (km figures, spikes)
    shoes: list[ShoeStatus]
    shoe_runs: pd.DataFrame  # primary activities up to as_of with `shoe_id` and local `day`


def analyse(
    store: SqliteStore, athlete: Athlete, as_of: date, params: LoadParams = LoadParams()
) -> Analysis:
    activities = store.activities_frame(athlete.id)
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
    shoes = shoe_status(store.shoes_frame(athlete.id), upto)
    return Analysis(
        athlete, load, distance, shoes, upto[["id", "start_utc", "day", "distance_m", "shoe_id"]]
    )
