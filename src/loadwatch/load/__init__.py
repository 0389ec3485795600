"""The load engine: pure, vectorised functions from runs to daily, weekly and per-run numbers."""

from .engine import (
    AthleteLoad,
    HeartRateProfile,
    compute_daily,
    compute_daily_and_distance,
    compute_many,
    compute_runs_many,
    run_loads,
)
from .metrics import REGISTRY, Metric, compute_metrics
from .params import LOAD_BASES, LoadParams
from .spikes import BANDS, HAZARD_CI, HAZARD_RATIO, run_spikes, spike_band

__all__ = [
    "BANDS",
    "HAZARD_CI",
    "HAZARD_RATIO",
    "LOAD_BASES",
    "REGISTRY",
    "AthleteLoad",
    "HeartRateProfile",
    "LoadParams",
    "Metric",
    "compute_daily",
    "compute_daily_and_distance",
    "compute_many",
    "compute_runs_many",
    "compute_metrics",
    "run_loads",
    "run_spikes",
    "spike_band",
]
