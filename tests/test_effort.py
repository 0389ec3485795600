"""Effort on every run (issue 17, part 2): a session RPE typed with `activities edit`, read from a
FIT session's `workout_rpe` and from Strava's "Perceived Exertion" column, shown with its
session-RPE load (Foster 2001: RPE x minutes) by `activities --json`, on both backends."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from loadwatch.importers.fit import read_fit
from loadwatch.load.effort import NO_RUNS, Effort, session_effort, weekly_effort
from loadwatch.synth import SyntheticRun, write_run

from .conftest import CORPUS, Cli
from .exports import STRAVA_HEADER, strava_row

FIT = CORPUS / "fit/activity-small-fenix2-run.fit"
GPX = CORPUS / "paired/activity-small-fenix2-run-s0.gpx"


def test_an_rpe_edit_shows_with_its_load_and_moves_with_the_outing(ana: Cli) -> None:
    ana("import", str(GPX))
    (gpx,) = ana.json("activities")
    assert (gpx["rpe"], gpx["srpe_load"]) == (None, None)
    out = ana("activities", "edit", str(gpx["id"]), "--rpe", "7").stdout
    assert out == f"activity {gpx['id']}: RPE 7\n"
    (edited,) = ana.json("activities")
    assert edited["rpe"] == 7
    assert edited["srpe_load"] == pytest.approx(round(7 * edited["moving_s"] / 60, 1))
    ana("import", str(FIT))  # the watch's FIT of the same outing takes over: the rating goes too
    (fit,) = ana.json("activities")
    assert fit["source"] == "fit" and fit["rpe"] == 7
    assert fit["srpe_load"] == pytest.approx(round(7 * fit["moving_s"] / 60, 1))
    ana("activities", "edit", str(fit["id"]), "--rpe", "0")  # CR-10 0: rest
    assert ana.json("activities")[0]["rpe"] == 0


@pytest.mark.parametrize("bad", ["11", "-1", "x"])
def test_an_rpe_outside_0_10_is_refused_and_nothing_changes(ana: Cli, bad: str) -> None:
    ana("import", str(FIT))
    (run,) = ana.json("activities")
    result = ana("activities", "edit", str(run["id"]), "--rpe", bad, code=2)
    assert "--rpe" in result.stderr
    assert ana.json("activities")[0]["rpe"] is None


def _fit_with_rpe(tmp_path: Path, raw: int | None) -> Path:
    start = datetime(2026, 11, 8, 6, 30, tzinfo=UTC)
    return write_run(
        SyntheticRun(start, 6000.0, record_interval_s=10, workout_rpe=raw), tmp_path / "rpe.fit"
    )


@pytest.mark.parametrize("raw,rpe", [(70, 7), (0, 0), (100, 10), (65, 6), (None, None)])
def test_both_fit_decoders_read_workout_rpe_as_cr10(tmp_path: Path, raw, rpe) -> None:
    """The FIT profile stores workout_rpe "multiplied 10x" (Borg CR-10); both decoders agree."""
    path = _fit_with_rpe(tmp_path, raw)
    data = path.read_bytes()
    (fast,) = read_fit(data, str(path), decoder="native")
    (slow,) = read_fit(data, str(path), decoder="fitdecode")
    assert fast == slow
    assert fast.rpe == rpe


def test_a_fit_sessions_rpe_reaches_the_list_and_an_edit_overrides_it(
    ana: Cli, tmp_path: Path
) -> None:
    ana("import", str(_fit_with_rpe(tmp_path, 80)))
    (run,) = ana.json("activities")
    assert run["rpe"] == 8 and run["srpe_load"] == pytest.approx(round(8 * run["moving_s"] / 60, 1))
    ana("activities", "edit", str(run["id"]), "--rpe", "6")
    assert ana.json("activities")[0]["rpe"] == 6


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def test_strava_perceived_exertion_reaches_the_file_run_and_the_manual_one(
    ana: Cli, tmp_path: Path
) -> None:
    # Strava's layout since 2019 puts "Perceived Exertion" at column 43 (0-based).
    header = STRAVA_HEADER + [f"Column {i}" for i in range(len(STRAVA_HEADER), 43)]
    header.append("Perceived Exertion")

    def row(values: list[str], rating: str) -> list[str]:
        return values + [""] * (43 - len(values)) + [rating]

    fit_start = datetime(2015, 8, 15, 14, 45, tzinfo=UTC)
    rows = [
        header,
        row(strava_row(1, fit_start, "Run", 9010.0, 3000.0, filename="activities/1.fit"), "6.0"),
        row(strava_row(2, datetime(2015, 8, 17, 7, tzinfo=UTC), "Run", 5000.0, 1600.0), "4"),
        row(strava_row(3, datetime(2015, 8, 18, 7, tzinfo=UTC), "Run", 6000.0, 1900.0), ""),
        row(strava_row(4, datetime(2015, 8, 19, 7, tzinfo=UTC), "Run", 7000.0, 2200.0), "12"),
    ]
    export = tmp_path / "export_1.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("activities/1.fit", FIT.read_bytes())
        zf.writestr("activities.csv", _csv(rows))
        zf.writestr("profile.csv", "Athlete ID,Email Address\n1,ana@example.com\n")
    ana("import", str(export))
    runs = ana.json("activities")
    assert [(r["source"], r["rpe"]) for r in runs] == [
        ("fit", 6),
        ("manual", 4),
        ("manual", None),  # empty: no rating
        ("manual", None),  # 12 is not on Strava's 1-10 scale: not a rating
    ]
    assert runs[1]["srpe_load"] == pytest.approx(round(4 * 1600.0 / 60, 1))


def test_a_files_own_rating_is_kept_when_it_takes_over_a_copy_without_one(
    ana: Cli, tmp_path: Path
) -> None:
    # The same outing typed by hand first (07:30 in Berlin is 06:30 UTC), with no rating.
    ana("activities", "add", "--date", "2026-11-08", "--time", "07:30", "--km", "6",
        "--minutes", "30")  # fmt: skip
    ana("import", str(_fit_with_rpe(tmp_path, 50)))
    (run,) = ana.json("activities")
    assert run["source"] == "fit" and run["rpe"] == 5
    assert len(ana.json("activities", "--all")) == 2


def effort_as_before(loads: pd.Series) -> Effort:
    """A stretch's effort as load/effort.py summed it on a Series before it worked on arrays:
    the reference the sameness tests (here, test_headroom_sameness, test_rules_sameness) hold
    the array code to."""
    rated = int(loads.notna().sum())
    if not len(loads):
        return NO_RUNS
    return Effort(float(loads.sum()) if rated else None, rated, len(loads))


def _weekly_effort_as_before(runs: pd.DataFrame) -> dict[pd.Timestamp, Effort]:
    """weekly_effort as it was (a pandas group per week), kept as the reference."""
    if runs.empty:
        return {}
    day = pd.to_datetime(runs["day"])
    week = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).to_numpy()
    loads = session_effort(runs)
    return {pd.Timestamp(w): effort_as_before(g) for w, g in loads.groupby(week)}


@given(
    st.lists(
        st.tuples(
            st.integers(0, 120),  # the day, in a 17-week stretch
            st.one_of(st.none(), st.integers(0, 10)),  # the rating, or none
            st.one_of(st.none(), st.floats(60, 20_000, allow_nan=False)),  # the moving time
        ),
        max_size=60,
    )
)
@example([(d % 3, 7 if d % 4 else None, 1000.0 + d * 77.7) for d in range(12)])
@settings(max_examples=200, deadline=None)
def test_weekly_effort_on_arrays_is_the_pandas_groups_to_the_last_bit(runs) -> None:
    """Many runs in a week (more than 8: numpy sums them in another order past 8) and runs out
    of day order: each week's effort, rated and unrated counts equal the earlier code's."""
    frame = pd.DataFrame(
        {
            "day": [pd.Timestamp("2026-01-05") + pd.Timedelta(days=d) for d, _, _ in runs],
            "rpe": pd.Series([r for _, r, _ in runs], dtype=object),
            "moving_s": [m for _, _, m in runs],
        }
    )
    assert weekly_effort(frame) == _weekly_effort_as_before(frame)
