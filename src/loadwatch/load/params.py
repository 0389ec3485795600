"""Parameters of the load engine, with the defaults the literature uses (see science.md)."""

from __future__ import annotations

from dataclasses import dataclass

LOAD_BASES = ("distance", "moving_time", "trimp")
LOAD_UNITS = {"distance": "km", "moving_time": "min", "trimp": "AU"}


@dataclass(frozen=True)
class LoadParams:
    acute_days: int = 7
    chronic_days: int = 28
    ewma_acute_n: int = 7  # Williams 2017: λ = 2/(N+1)
    ewma_chronic_n: int = 28
    ctl_tau_days: float = 42.0  # TrainingPeaks/Coggan PMC
    atl_tau_days: float = 7.0
    spike_window_days: int = 30  # Frandsen 2025: longest run of the previous 30 days
    load_basis: str = "distance"

    def __post_init__(self) -> None:
        if self.load_basis not in LOAD_BASES:
            raise ValueError(f"load_basis must be one of {', '.join(LOAD_BASES)}")
        if not 1 <= self.acute_days < self.chronic_days:
            raise ValueError("acute_days must be at least 1 and shorter than chronic_days")

    @property
    def unit(self) -> str:
        return LOAD_UNITS[self.load_basis]
