"""The daily check's one pass over every athlete gives each the analysis `analyse` gives alone.

A club in a real SQLite file (random runs in four zones across a clock change, walks and rides,
shoes, an excluded and an edited run); `analyse_many` over everyone must equal `analyse` of each
athlete on what the check reads: runs with their spikes, days, weeks, shoe mileage, the pain
level (everyone's reports read in one query) and the alerts the rules find.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from loadwatch.analysis import analyse, analyse_many
from loadwatch.config import RuleSettings
from loadwatch.load.pain import PainHistory, PainThresholds
from loadwatch.model import Activity, FileRecord
from loadwatch.rules import evaluate
from loadwatch.store import open_store

from .test_rules_differential import AS_OF, ZONES, random_reports, random_runs

RUN_COLUMNS = [
    "id", "sport", "start_utc", "distance_m", "load", "start_local", "day",
    "longest_prior_30d_m", "spike_pct", "spike_band", "full_30d_history",
]  # fmt: skip


# Auckland in summer, Honolulu, Kathmandu, Chatham Islands, Baker Island.
TRIP_OFFSETS = [13 * 3600, -10 * 3600, 20_700, 45_900, -12 * 3600]


def _club(path: Path, n: int = 16):
    rng = random.Random(42)
    store = open_store(path)
    for i in range(n):
        tz = ZONES[i % len(ZONES)]
        a = store.athletes.add(f"a{i}", None, tz)
        shoe = store.shoes.add(
            a.id, "Road", start_m=rng.choice([0, 300_000, 700_000]), default_for="running"
        )
        acts = []
        trips = random.Random(i)  # its own stream: the club's runs stay what they were
        for k, (local, metres) in enumerate(random_runs(rng, habitual=i % 3 == 0)):
            start = local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
            sport = "walking" if rng.random() < 0.05 else "running"
            # Some runs abroad, with the file's own offset (across the date line too).
            offset = trips.choice(TRIP_OFFSETS) if i % 2 and trips.random() < 0.3 else None
            acts.append(
                Activity(sport=sport, sub_sport=None, start_utc=start, distance_m=float(metres),
                         moving_s=metres * 0.33, elapsed_s=metres * 0.35, source_format="fit",
                         source_path=f"a{i}/{k}.fit", content_hash=f"{i}-{k}",
                         utc_offset_s=offset)
            )  # fmt: skip
        store.files.save(a.id, FileRecord(f"club://{i}", 1, 1, f"club-{i}", "imported", acts))
        for r in random_reports(random.Random(1000 + i), a.id):  # its own stream too
            store.pain.add(a.id, r.day, r.score, r.when)
        frame = store.activities.frame(a.id)
        if len(frame) > 3:
            store.activities.set_excluded(a.id, int(frame["id"].iloc[1]), True, "GPS glitch")
            store.activities.edit(a.id, int(frame["id"].iloc[2]), distance_m=21_097.0)
        assert shoe is not None
    return store


def test_one_pass_over_the_club_equals_each_athlete_alone(tmp_path: Path) -> None:
    store = _club(tmp_path / "club.db")
    athletes = store.athletes.all()
    # Each athlete's own day (a zone ahead may already be on the next one).
    days = {a.id: AS_OF + timedelta(days=a.id % 2) for a in athletes}
    shoes = {a.id: store.shoes.all(a.id) for a in athletes}
    t = PainThresholds()
    pain = {i: PainHistory(r, t) for i, r in store.pain.all_for([a.id for a in athletes]).items()}
    many = analyse_many(athletes, store.activities.counted_all(), shoes, days, pain)
    settings = RuleSettings()
    alerts = 0
    levels = set()
    for a in athletes:
        alone = analyse(
            a,
            store.activities.frame(a.id),
            shoes[a.id],
            days[a.id],
            pain=PainHistory(store.pain.all(a.id), t),
        )
        one = many[a.id]
        assert one.pain == alone.pain and one.pain is not None, a.name
        levels.add(one.pain.level)
        pd.testing.assert_frame_equal(
            one.distance.runs[RUN_COLUMNS], alone.distance.runs[RUN_COLUMNS], check_dtype=False
        )
        pd.testing.assert_frame_equal(one.distance.days, alone.distance.days)
        pd.testing.assert_frame_equal(one.distance.weeks, alone.distance.weeks)
        assert one.shoes == alone.shoes
        pd.testing.assert_frame_equal(
            one.shoe_runs.reset_index(drop=True),
            alone.shoe_runs.reset_index(drop=True),
            check_dtype=False,
        )
        found = evaluate(one, settings)
        assert found == evaluate(alone, settings), a.name
        alerts += len(found)
    assert alerts > 20  # the club exercised the rules, not just their silence
    assert len(levels) >= 3, levels
    store.close()


def test_a_run_abroad_is_on_its_own_day_in_the_pass_and_alone(tmp_path: Path) -> None:
    """A London runner's 07:00 in Auckland (18:00 the evening before in London) counts on the
    Auckland date in the check's one pass as in the report's analysis, shoe mileage included."""
    store = open_store(tmp_path / "trip.db")
    a = store.athletes.add("lea", None, "Europe/London")
    store.shoes.add(a.id, "Road", default_for="running")
    base = dict(sport="running", sub_sport=None, moving_s=1800.0, elapsed_s=1800.0,
                source_format="fit")  # fmt: skip
    home = Activity(start_utc=datetime(2026, 11, 7, 8, 0, tzinfo=UTC), distance_m=5000.0,
                    content_hash="home", **base)  # fmt: skip
    auckland = Activity(start_utc=datetime(2026, 11, 8, 18, 0, tzinfo=UTC), distance_m=6000.0,
                        content_hash="akl", utc_offset_s=13 * 3600, **base)  # fmt: skip
    store.files.save(a.id, FileRecord("trip://1", 1, 1, "trip", "imported", [home, auckland]))
    shoes = {a.id: store.shoes.all(a.id)}
    for as_of in (date(2026, 11, 8), date(2026, 11, 9)):
        many = analyse_many([a], store.activities.counted_all(), shoes, {a.id: as_of})[a.id]
        alone = analyse(a, store.activities.frame(a.id), shoes[a.id], as_of)
        for one in (many, alone):
            days = one.distance.days["load"]
            assert days.index[-1] == pd.Timestamp(as_of)
            assert days.get(pd.Timestamp("2026-11-08"), 0.0) == 0.0  # not London's evening
            assert list(one.distance.runs["day"].dt.date.astype(str)) == (
                ["2026-11-07"] if as_of.day == 8 else ["2026-11-07", "2026-11-09"]
            )
            assert (one.shoes[0].distance_m, one.shoes[0].runs) == (
                (5_000, 1) if as_of.day == 8 else (11_000, 2)
            )
    store.close()


def test_an_athlete_without_runs_is_in_the_pass(tmp_path: Path) -> None:
    store = open_store(tmp_path / "empty.db")
    a = store.athletes.add("new", None, "Europe/Berlin")
    many = analyse_many([a], store.activities.counted_all(), {a.id: []}, {a.id: date(2026, 11, 6)})
    alone = analyse(a, store.activities.frame(a.id), [], date(2026, 11, 6))
    assert many[a.id].distance.runs.empty and alone.distance.runs.empty
    assert evaluate(many[a.id], RuleSettings()) == [] and many[a.id].shoes == alone.shoes
    store.close()


_ = datetime  # the club's runs are built from local wall times
