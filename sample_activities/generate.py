"""Write the demo runner's 10-week block as FIT files (needs the `test` extra: fit-tool).

    python sample_activities/generate.py

The block is a realistic build for a runner in Europe/Berlin: four runs a week, a recovery week,
one clearly too-long run (24 km when the longest of the previous 30 days was 15 km), a jump in
weekly distance in the last week, a trail run, a late-evening run that belongs to its local day,
and a bike ride and a walk that carry no running load. The output is committed, so `make demo`
needs no fit-tool; run this again only to change the block.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from loadwatch.synth import SyntheticRun, write_run  # noqa: E402

TZ = ZoneInfo("Europe/Berlin")
FIRST_MONDAY = date(2026, 8, 31)
OUT = Path(__file__).resolve().parent / "demo-runner"

# km on Tuesday, Thursday, Saturday, Sunday (the long run) of each week
WEEKS = [
    (6, 8, 6, 12),
    (6, 8, 7, 13),
    (7, 8, 7, 14),
    (6, 7, 6, 10),  # recovery week
    (7, 9, 7, 14),
    (7, 9, 8, 14),
    (8, 10, 8, 15),
    (8, 10, 9, 24),  # the too-long run: +60% over the longest run of the previous 30 days
    (6, 8, 6, 12),
    (10, 12, 10, 16),  # +50% week over week
]
WEEKDAYS = (1, 3, 5, 6)
EXTRAS = [
    # (week, weekday, local time, km, sport, sub_sport, pace s/km)
    (2, 2, time(18, 0), 32.0, "cycling", "generic", 120.0),
    (5, 0, time(12, 30), 5.0, "walking", "generic", 700.0),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.fit"):
        old.unlink()
    seed = 0
    for w, kms in enumerate(WEEKS):
        for weekday, km in zip(WEEKDAYS, kms, strict=True):
            day = FIRST_MONDAY + timedelta(weeks=w, days=weekday)
            local = time(6, 30)
            sub = "generic"
            if (w, weekday) == (6, 5):
                sub = "trail"
            if (w, weekday) == (3, 3):
                local = time(23, 30)  # late run: still Thursday where the runner lives
            _write(day, local, km, "running", sub, 330.0 - 3 * w, seed)
            seed += 1
    for w, weekday, local, km, sport, sub, pace in EXTRAS:
        _write(FIRST_MONDAY + timedelta(weeks=w, days=weekday), local, km, sport, sub, pace, seed)
        seed += 1
    print(f"wrote {seed} files to {OUT}")


def _write(day: date, local: time, km: float, sport: str, sub: str, pace: float, seed: int) -> None:
    start = datetime.combine(day, local, TZ)
    offset = int(start.utcoffset().total_seconds())
    run = SyntheticRun(
        start_utc=start,
        distance_m=km * 1000.0,
        pace_s_per_km=pace,
        sport=sport,
        sub_sport=sub,
        hr_mean=150.0 if km >= 14 else 142.0,
        utc_offset_s=offset,
        seed=seed,
        record_interval_s=5,
    )
    name = f"{start.strftime('%Y-%m-%d-%H%M')}-{sport}.fit"
    write_run(run, OUT / name)


if __name__ == "__main__":
    main()
