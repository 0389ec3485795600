"""Every real file in the shared corpus imports with the device's own totals or gets a reason."""

from __future__ import annotations

from datetime import datetime

import pytest

from loadwatch.errors import NotAnActivity, UnreadableFile
from loadwatch.importers import read_file

from .conftest import CORPUS, expected_rows

ROWS = expected_rows()
BY_FILE: dict[str, list[dict]] = {}
for _row in ROWS:
    BY_FILE.setdefault(_row["file"], []).append(_row)

DEVICE_FILES = sorted(f for f, rows in BY_FILE.items() if not f.startswith(("gpx/", "paired/")))
# Sessions without a total distance, and where their distance comes from instead.
FALLBACK = {"fit/fitparserjs-test2.fit": (10715.0, "laps")}
# Files whose start time is device-relative (the watch's clock was never set).
NO_CLOCK = {"fit/antfs-dump.63.fit", "fit/compressed-speed-distance.fit"}


@pytest.mark.parametrize("rel", DEVICE_FILES)
def test_device_files_match_expected_totals(rel: str) -> None:
    rows = BY_FILE[rel]
    status = rows[0]["status"]
    path = CORPUS / rel
    if status.startswith("error"):
        with pytest.raises(UnreadableFile) as err:
            read_file(path)
        assert err.value.path == str(path) and "\n" not in err.value.reason
        return
    if status == "no activity session":
        with pytest.raises(NotAnActivity, match="not an activity"):
            read_file(path)
        return
    if rel in NO_CLOCK:
        with pytest.raises(UnreadableFile, match="no clock time"):
            read_file(path)
        return
    acts = read_file(path)
    assert len(acts) == len(rows)
    for act, row in zip(acts, rows, strict=True):
        assert act.start_utc == datetime.fromisoformat(row["start_utc"])
        device = float(row["device_distance_m"] or 0.0)
        if rel in FALLBACK:
            # The session has no total: the fallback (laps, records, GPS path) says where from.
            assert (round(act.distance_m, 2), act.distance_source) == FALLBACK[rel]
        else:
            assert round(act.distance_m, 2) == device  # the device's session distance, exactly
            want = {"fit": "session", "tcx": "laps"}[rel.rsplit(".", 1)[-1].lower()]
            assert act.distance_source == want or device == 0
        assert act.moving_s == pytest.approx(float(row["moving_s"]), abs=1e-3)
        if row["elapsed_s"]:
            assert act.elapsed_s == pytest.approx(float(row["elapsed_s"]), abs=1e-3)
        if rel.endswith(".fit"):
            assert act.sport == row["sport"]
            assert act.sub_sport == (row["sub_sport"] or None)
            if row["avg_hr"] == "0":
                assert act.avg_hr is None  # a strap that sent zeros: no heart rate, not 0 bpm
            elif row["avg_hr"]:
                assert act.avg_hr == float(row["avg_hr"])
        assert act.source_format == rel.rsplit(".", 1)[-1].lower()
        assert len(act.content_hash) == 64


def test_multisport_file_gives_each_leg() -> None:
    acts = read_file(CORPUS / "fit/activity-large-fenxi2-multisport.fit")
    assert [a.sport for a in acts] == [
        "generic",
        "transition",
        "running",
        "transition",
        "running",
        "transition",
        "cycling",
    ]
    assert [a.session_index for a in acts] == list(range(7))
    assert sum(a.is_run for a in acts) == 2


def test_fit_keeps_device_offset_and_hr_histogram() -> None:
    (act,) = read_file(CORPUS / "fit/togeojson-run.fit")
    assert act.utc_offset_s == 3600
    assert act.device == "garmin/instinct_esports"
    # Seconds at each heart rate add up to roughly the moving time, pauses excluded.
    total = sum(act.hr_histogram_s.values())
    assert 0.8 * act.moving_s <= total <= act.elapsed_s
    assert all(30 <= hr <= 240 for hr in act.hr_histogram_s)


@pytest.mark.parametrize("rel", sorted(f for f in BY_FILE if f.startswith("paired/")))
def test_gpx_distance_within_two_percent_of_the_watch(rel: str) -> None:
    (row,) = BY_FILE[rel]
    (act,) = read_file(CORPUS / rel)
    device = float(row["device_distance_m"])
    assert abs(act.distance_m - device) / device < 0.02
    assert act.start_utc == datetime.fromisoformat(row["start_utc"])
    assert act.elapsed_s == pytest.approx(float(row["elapsed_s"]), abs=1.0)
    assert act.moving_s <= act.elapsed_s
    assert act.sport == "running" and act.source_format == "gpx"


@pytest.mark.parametrize("rel", sorted(f for f in BY_FILE if f.startswith("gpx/")))
def test_every_gpx_imports_or_says_why(rel: str) -> None:
    try:
        acts = read_file(CORPUS / rel)
    except UnreadableFile as e:  # includes NotAnActivity
        assert e.reason and "\n" not in e.reason
        return
    (act,) = acts
    (row,) = BY_FILE[rel]
    assert act.start_utc == datetime.fromisoformat(row["start_utc"])
    assert act.distance_m >= 0 and act.moving_s <= act.elapsed_s + 1e-9


def test_gpx_without_timestamps_is_rejected_with_that_reason() -> None:
    with pytest.raises(UnreadableFile, match="no timestamps"):
        read_file(CORPUS / "gpx/track-with-extremes.gpx")


def test_gpx_route_is_not_an_activity() -> None:
    with pytest.raises(NotAnActivity, match="route"):
        read_file(CORPUS / "gpx/route.gpx")


def test_same_run_with_and_without_heart_rate_in_tcx() -> None:
    (with_hr,) = read_file(CORPUS / "tcx/tcxparser-test.tcx")
    (no_hr,) = read_file(CORPUS / "tcx/tcxparser-no_hr.tcx")
    assert with_hr.distance_m == no_hr.distance_m
    assert round(with_hr.distance_m, 2) == 4689.24
    assert with_hr.avg_hr == pytest.approx(160.2, abs=0.1) and no_hr.avg_hr is None
    assert no_hr.hr_histogram_s == {} and sum(with_hr.hr_histogram_s.values()) > 1500


def test_gpx_is_parsed_without_lxml() -> None:
    import gpxpy.parser

    # defusedxml vets every file first; gpxpy itself must use the standard library's parser.
    assert "lxml" not in gpxpy.parser.mod_etree.__name__
