"""Real files get wrong what their makers got wrong; each defect here is built faithfully (fit-tool
writes the FIT files, GPX and TCX are text) and the stored sport, distance, times and HR checked."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loadwatch.errors import UnreadableFile
from loadwatch.importers import read_file
from loadwatch.synth import SyntheticRun, write_run

START = datetime(2026, 10, 4, 7, 0, tzinfo=UTC)
RUN = SyntheticRun(START, 10_000.0, pace_s_per_km=330.0, record_interval_s=5)


def fit(tmp_path: Path, **defects) -> Path:
    return write_run(replace(RUN, **defects), tmp_path / "run.fit")


def test_the_device_total_is_used_and_named(tmp_path: Path) -> None:
    (act,) = read_file(fit(tmp_path))
    assert (act.distance_m, act.distance_source) == (pytest.approx(10_000.0), "session")


def test_no_session_distance_falls_back_to_the_laps(tmp_path: Path) -> None:
    (act,) = read_file(fit(tmp_path, session_distance=False))
    assert act.distance_source == "laps" and act.distance_m == pytest.approx(10_000.0)


def test_distance_only_in_the_records(tmp_path: Path) -> None:
    (act,) = read_file(fit(tmp_path, session_distance=False, lap_distance=False))
    assert act.distance_source == "records" and act.distance_m == pytest.approx(10_000.0)


def test_distance_only_as_a_gps_track(tmp_path: Path) -> None:
    (act,) = read_file(
        fit(tmp_path, session_distance=False, lap_distance=False, record_distance=False)
    )
    # The loop's chord path, sampled every 5 s, reads a little short of the true 10 km.
    assert act.distance_source == "gps" and act.distance_m == pytest.approx(10_000.0, rel=0.01)


def test_a_lost_final_lap_takes_the_records_totals(tmp_path: Path) -> None:
    """Like the Suunto file whose session stops at 10 km while its records run to 15.2 km."""
    run = replace(RUN, distance_m=15_200.0)
    path = write_run(replace(run, missing_final_s=1650), tmp_path / "suunto.fit")
    (act,) = read_file(path)
    assert act.distance_source == "records" and act.distance_m == pytest.approx(15_200.0)
    assert act.elapsed_s == pytest.approx(15_200 * 0.330, abs=6)  # the whole recording


def test_no_session_start_time_takes_the_first_timer_start(tmp_path: Path) -> None:
    (act,) = read_file(fit(tmp_path, session_start=False))
    assert act.start_utc == START


def test_heart_rate_zero_is_no_heart_rate(tmp_path: Path) -> None:
    (act,) = read_file(fit(tmp_path, heart_rate=False))
    assert act.avg_hr is None and act.max_hr is None and act.hr_histogram_s == {}


def test_a_missing_session_average_comes_from_the_records(tmp_path: Path) -> None:
    (act,) = read_file(fit(tmp_path, session_hr=False))
    (full,) = read_file(fit(tmp_path / "b"))
    assert act.avg_hr is not None and act.avg_hr == pytest.approx(full.avg_hr, abs=1.0)
    weighted = sum(h * s for h, s in act.hr_histogram_s.items()) / sum(act.hr_histogram_s.values())
    assert act.avg_hr == pytest.approx(weighted)
    assert act.max_hr == max(act.hr_histogram_s)


# -- GPX --------------------------------------------------------------------------------------
def gpx_text(
    speed_ms: float = 3.0,
    minutes: int = 30,
    type_: str | None = None,
    name: str | None = None,
    creator: str = "test",
    hr: bool = False,
    version_1_0_with_1_1_ns: bool = False,
    missing_position_at: int | None = None,
) -> str:
    step_s = 10
    points = []
    for i in range(minutes * 60 // step_s + 1):
        t = (START + timedelta(seconds=i * step_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lat = 52.5 + i * speed_ms * step_s / 111_320
        ext = (
            "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>"
            f"{140 + i % 7}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>"
            if hr
            else ""
        )
        if i == missing_position_at:
            points.append(f"<trkpt><time>{t}</time>{ext}</trkpt>")
        else:
            points.append(f'<trkpt lat="{lat:.7f}" lon="13.4"><time>{t}</time>{ext}</trkpt>')
    version = "1.0" if version_1_0_with_1_1_ns else "1.1"
    meta = f"<name>{name}</name>" if name else ""
    kind = f"<type>{type_}</type>" if type_ else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><gpx version="{version}" creator="{creator}" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk>{meta}{kind}<trkseg>{''.join(points)}</trkseg></trk></gpx>"
    )


def read_gpx(tmp_path: Path, text: str, name: str = "t.gpx"):
    path = tmp_path / name
    path.write_text(text)
    (act,) = read_file(path)
    return act


@pytest.mark.parametrize(
    "speed_kmh,sport",
    [(10.8, "running"), (21.0, "unknown"), (3.4, "unknown"), (30.0, "unknown")],
)
def test_untyped_gpx_is_a_run_only_at_running_speed(tmp_path: Path, speed_kmh, sport) -> None:
    assert read_gpx(tmp_path, gpx_text(speed_ms=speed_kmh / 3.6)).sport == sport


@pytest.mark.parametrize(
    "hint,sport",
    [
        ({"type_": "Running"}, "running"),
        ({"type_": "RUN"}, "running"),
        ({"type_": "Laufen"}, "running"),
        ({"type_": "course à pied"}, "running"),
        ({"type_": "Radfahrt"}, "cycling"),
        ({"type_": "biking"}, "cycling"),
        ({"type_": "9"}, "running"),  # Strava's numeric activity type for a run
        ({"type_": "1"}, "cycling"),
        ({"name": "Evening Ride"}, "cycling"),
        ({"name": "Morning Run"}, "running"),
        ({"name": "Pool swim"}, "swimming"),
        ({"creator": "Zwift"}, "cycling"),
    ],
)
def test_untyped_gpx_sport_from_every_hint(tmp_path: Path, hint: dict, sport: str) -> None:
    # 12 km/h fits running, so only the hint can make it something else.
    assert read_gpx(tmp_path, gpx_text(speed_ms=12 / 3.6, **hint)).sport == sport


def test_a_point_without_a_position_is_dropped_not_the_file(tmp_path: Path) -> None:
    act = read_gpx(tmp_path, gpx_text(missing_position_at=40))
    assert act.sport == "running" and act.distance_m == pytest.approx(5_400, rel=0.01)
    assert act.notes == ("1 point without a position dropped",)


def test_heart_rate_from_a_gpx_1_0_file_in_the_1_1_namespace(tmp_path: Path) -> None:
    for flag in (False, True):
        act = read_gpx(tmp_path, gpx_text(hr=True, version_1_0_with_1_1_ns=flag), f"{flag}.gpx")
        assert act.avg_hr == pytest.approx(143, abs=0.5), flag
        assert sum(act.hr_histogram_s.values()) == pytest.approx(1800)


# -- TCX --------------------------------------------------------------------------------------
TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
<Activities><Activity Sport="Running"><Id>2026-10-04T07:00:00Z</Id>
<Lap StartTime="2026-10-04T07:00:00Z"><TotalTimeSeconds>1800</TotalTimeSeconds>
<DistanceMeters>5400</DistanceMeters><Track>
<Trackpoint><Time>2026-10-04T07:00:00Z</Time><DistanceMeters>0</DistanceMeters></Trackpoint>
<Trackpoint><Time>2026-10-04T07:30:00Z</Time><DistanceMeters>5400</DistanceMeters></Trackpoint>
</Track></Lap></Activity></Activities></TrainingCenterDatabase>
"""


@pytest.mark.parametrize("prefix", [b"\n\n  ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n "])
def test_tcx_with_whitespace_or_a_bom_before_the_declaration(tmp_path: Path, prefix) -> None:
    path = tmp_path / "polar.tcx"
    path.write_bytes(prefix + TCX.encode())
    (act,) = read_file(path)
    assert (act.sport, act.distance_m) == ("running", 5400.0)
    gz = tmp_path / "polar.tcx.gz"
    gz.write_bytes(gzip.compress(prefix + TCX.encode()))
    assert read_file(gz)[0].distance_m == 5400.0


# -- what a user sees ---------------------------------------------------------------------------
def test_an_untyped_ride_is_unknown_not_counted_and_listed(ana, tmp_path: Path) -> None:
    (tmp_path / "ride.gpx").write_text(gpx_text(speed_ms=21 / 3.6))
    result = ana("import", str(tmp_path / "ride.gpx"))
    (act,) = ana.json("activities")
    assert act["sport"] == "unknown"
    assert (
        f"needs a sport: {tmp_path / 'ride.gpx'}: loadwatch activities edit {act['id']} --sport running"
        in result.stderr
    )
    assert ana.json("report", "--as-of", "2026-10-04")["days"] == []  # not running load
    ana("activities", "edit", str(act["id"]), "--sport", "cycling")
    assert "needs a sport" not in ana("import", str(tmp_path)).stderr


def test_import_sport_sets_the_sport_of_untyped_files(ana, tmp_path: Path) -> None:
    (tmp_path / "a.gpx").write_text(gpx_text(speed_ms=21 / 3.6))  # fast: unknown by itself
    (tmp_path / "b.gpx").write_text(
        gpx_text(speed_ms=12 / 3.6, type_="Radfahrt").replace("07:", "09:")
    )
    summary = ana.json("import", str(tmp_path), "--sport", "running")
    assert summary["needs_sport"] == []
    sports = sorted(a["sport"] for a in ana.json("activities"))
    assert sports == ["cycling", "running"]  # the declared ride keeps its type


def test_verbose_import_says_what_was_mended(ana, tmp_path: Path) -> None:
    (tmp_path / "etrex.gpx").write_text(gpx_text(missing_position_at=5))
    out = ana("import", str(tmp_path / "etrex.gpx"), "-v")
    assert f"note: {tmp_path / 'etrex.gpx'}: 1 point without a position dropped" in out.stderr
    assert ana.json("activities")[0]["distance_source"] == "gps"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Oct 7, 2020, 2:43:11 PM", datetime(2020, 10, 7, 14, 43, 11, tzinfo=UTC)),
        ("09.12.2022, 15:24:49", datetime(2022, 12, 9, 15, 24, 49, tzinfo=UTC)),
        ("7 oct. 2020, 14:43:11", datetime(2020, 10, 7, 14, 43, 11, tzinfo=UTC)),
        ("26 févr. 2022, 07:43:50", datetime(2022, 2, 26, 7, 43, 50, tzinfo=UTC)),
        ("7 de out. de 2020, 14:43:11", datetime(2020, 10, 7, 14, 43, 11, tzinfo=UTC)),
        ("7 ott 2020, 14:43:11", datetime(2020, 10, 7, 14, 43, 11, tzinfo=UTC)),
        ("7 okt 2020 14:43:11", datetime(2020, 10, 7, 14, 43, 11, tzinfo=UTC)),
        ("2018-09-12 15:02:23", datetime(2018, 9, 12, 15, 2, 23, tzinfo=UTC)),
        ("Jan 1, 2021, 12:05:00 AM", datetime(2021, 1, 1, 0, 5, tzinfo=UTC)),
    ],
)
def test_strava_dates_in_every_language(text: str, expected: datetime) -> None:
    from loadwatch.importers.strava_csv import parse_date

    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text,value", [("9440.5", 9440.5), ("9,44", 9.44), ("1,234.5", 1234.5), ("1.234,5", 1234.5)]
)
def test_strava_numbers_with_either_decimal_mark(text: str, value: float) -> None:
    from loadwatch.importers.strava_csv import parse_number

    assert parse_number(text) == value


# -- issue 22: real files from other projects ---------------------------------------------------
FIDELITY = Path(__file__).parent / "data" / "fidelity"


@pytest.mark.parametrize(
    "number,sport,sub_sport",
    [
        ("17", "cycling", "virtual_activity"),  # VirtualRide: was stored as a sport called "17"
        ("16", "swimming", None),  # Swim: was "16"
        ("2", "alpine_skiing", None),  # AlpineSki: was read as swimming
        ("9", "running", None),
        ("57", "unknown", "strava_type_57"),  # a number Strava may add: unknown, number kept
    ],
)
def test_strava_numeric_gpx_types(tmp_path: Path, number: str, sport: str, sub_sport) -> None:
    """A Strava GPX export (togeojson's sample) with its numeric <type>."""
    text = (FIDELITY / "strava-type-17.gpx").read_text()
    path = tmp_path / f"strava-{number}.gpx"
    path.write_text(text.replace("<type>17</type>", f"<type>{number}</type>"))
    (act,) = read_file(path)
    assert (act.sport, act.sub_sport) == (sport, sub_sport)


def test_an_unknown_strava_number_needs_a_sport_and_keeps_its_number(ana, tmp_path: Path) -> None:
    text = (FIDELITY / "strava-type-17.gpx").read_text()
    (tmp_path / "s.gpx").write_text(text.replace("<type>17</type>", "<type>57</type>"))
    result = ana("import", str(tmp_path / "s.gpx"))
    (act,) = ana.json("activities")
    assert (act["sport"], act["sub_sport"]) == ("unknown", "strava_type_57")
    assert f"needs a sport: {tmp_path / 's.gpx'}: loadwatch activities edit" in result.stderr


HR_FORMS = {
    "Garmin TrackPointExtension v1": (
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"',
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr>"
        "</gpxtpx:TrackPointExtension></extensions>",
    ),
    "Garmin TrackPointExtension v2 as ns3": (
        'xmlns:ns3="http://www.garmin.com/xmlschemas/TrackPointExtension/v2"',
        "<extensions><ns3:TrackPointExtension><ns3:hr>{hr}</ns3:hr>"
        "</ns3:TrackPointExtension></extensions>",
    ),
    "plain hr": ("", "<extensions><hr>{hr}</hr></extensions>"),
    "plain heartrate": ("", "<extensions><heartrate>{hr}</heartrate></extensions>"),
    "ClueTrust gpxdata:hr": (
        'xmlns:gpxdata="http://www.cluetrust.com/XML/GPXDATA/1/0"',
        "<extensions><gpxdata:hr>{hr}</gpxdata:hr></extensions>",
    ),
    "an attribute of the extension": (
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"',
        '<extensions><gpxtpx:TrackPointExtension gpxtpx:hr="{hr}"/></extensions>',
    ),
    "an attribute of the point": ("", ""),
    "TCX-style HeartRateBpm": (
        "",
        "<extensions><HeartRateBpm><Value>{hr}</Value></HeartRateBpm></extensions>",
    ),
    "heart_rate with a unit": ("", "<extensions><heart_rate>{hr} bpm</heart_rate></extensions>"),
}


@pytest.mark.parametrize("stream", [False, True], ids=["tree", "streamed"])
@pytest.mark.parametrize("form", HR_FORMS)
def test_gpx_heart_rate_in_every_extension_form(form: str, stream: bool) -> None:
    """The same 10 minutes, heart rate 130-138 (average 134 by hand), in each way exporters write it."""
    from loadwatch.importers.gpx import read_gpx as read_gpx_bytes

    ns, ext = HR_FORMS[form]
    cycle = [130, 132, 134, 136, 138]
    points = []
    for i in range(121):
        hr = cycle[i % 5]
        t = (START + timedelta(seconds=5 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        attr = f' hr="{hr}"' if form == "an attribute of the point" else ""
        points.append(
            f'<trkpt lat="{52.5 + i * 15 / 111_320:.7f}" lon="13.4"{attr}><time>{t}</time>'
            f"{ext.format(hr=hr)}</trkpt>"
        )
    data = (
        f'<?xml version="1.0"?><gpx version="1.1" creator="t" '
        f'xmlns="http://www.topografix.com/GPX/1/1" {ns}><trk><trkseg>{"".join(points)}'
        "</trkseg></trk></gpx>"
    ).encode()
    (act,) = read_gpx_bytes(data, "x.gpx", stream=stream)
    assert (act.avg_hr, act.max_hr) == (134.0, 138.0)
    assert sum(act.hr_histogram_s.values()) == 600.0
    assert act.notes == ()


@pytest.mark.parametrize("stream", [False, True], ids=["tree", "streamed"])
@pytest.mark.parametrize(
    "name,avg,note",
    [
        ("hr-attribute.gpx", 112.0, None),
        (
            "hr-heartratebpm.gpx",
            106.0,
            "point data loadwatch could not read: pulse_quality (121 points)",
        ),
    ],
)
def test_a_desktop_programs_gpx_heart_rate(name: str, avg: float, note, stream: bool) -> None:
    """Two files as a sports-watch desktop program writes them; the averages read by hand from
    the points (each reading holds until the next: the mean of the first 120)."""
    from loadwatch.importers.gpx import read_gpx as read_gpx_bytes

    (act,) = read_gpx_bytes((FIDELITY / name).read_bytes(), name, stream=stream)
    assert act.avg_hr == avg and sum(act.hr_histogram_s.values()) == 600.0
    assert act.notes == ((note,) if note else ())


def test_verbose_import_names_a_channel_it_could_not_read(ana, tmp_path: Path) -> None:
    path = tmp_path / "desktop.gpx"
    path.write_bytes((FIDELITY / "hr-heartratebpm.gpx").read_bytes())
    quiet = ana("import", str(path))
    assert "could not read" not in quiet.stderr
    path.write_bytes(path.read_bytes().replace(b"good", b"fine"))  # new bytes: read again
    out = ana("import", str(path), "-v")
    want = f"note: {path}: point data loadwatch could not read: pulse_quality (121 points)"
    assert want in out.stderr
    (act,) = ana.json("activities")
    assert act["avg_hr"] == 106.0


def test_laps_that_stop_long_before_the_records_give_way_to_the_records() -> None:
    """No session distance; the laps stop at 12.7 km, the records run on for 15 minutes to
    15.2 km, and the session's timer (5,472 s) covers them: the records' distance counts."""
    (act,) = read_file(FIDELITY / "lost-final-lap-no-session-distance.fit")
    assert (act.distance_m, act.distance_source) == (15_200.0, "records")
    assert (act.moving_s, act.elapsed_s) == (5_472.0, 5_472.0)  # the session's own times


def test_laps_and_session_both_short_of_the_records_take_the_records_time(tmp_path: Path) -> None:
    run = replace(RUN, distance_m=15_200.0, session_distance=False, missing_final_s=900)
    (act,) = read_file(write_run(run, tmp_path / "short.fit"))
    assert (act.distance_m, act.distance_source) == (pytest.approx(15_200.0), "records")
    assert act.elapsed_s == act.moving_s == pytest.approx(15_200 * 0.330, abs=5)


def test_laps_a_few_seconds_short_of_the_records_still_count(tmp_path: Path) -> None:
    (act,) = read_file(fit(tmp_path, session_distance=False, lost_laps_s=30))
    assert act.distance_source == "laps"


def test_each_leg_of_a_chained_file_keeps_its_own_laps() -> None:
    """A pool swim and a run chained into one file, both stamped with the same start: by time
    each leg took both legs' laps (4,057 m on each); by message order each keeps its own."""
    swim, run = read_file(FIDELITY / "chained-swim-and-run.fit")
    assert (swim.sport, swim.sub_sport, swim.distance_m) == ("swimming", "lap_swimming", 457.0)
    assert (run.sport, run.distance_m) == ("running", 3_600.0)
    assert swim.distance_source == run.distance_source == "laps"
    # Each leg's heart rate from its own records: the swim's 594 s, the run's 1,188 s.
    assert sum(swim.hr_histogram_s.values()) == 590.0
    assert sum(run.hr_histogram_s.values()) == 1_185.0


def test_a_watch_left_recording_for_a_month_is_kept_counted_and_flagged() -> None:
    """Paused at the end of a 10 km run and saved 31 days later: refused before as an
    impossible elapsed time; the timer (3,300 s) and distance are a run's."""
    (act,) = read_file(FIDELITY / "left-recording-31-days.fit")
    assert (act.distance_m, act.moving_s, act.elapsed_s) == (10_000.0, 3_300.0, 2_681_700.0)
    assert act.start_utc == datetime(2022, 1, 8, 9, 0, tzinfo=UTC)
    assert act.look == (
        "elapsed 31 days 0 h for 55 min of timer time: a watch left recording? "
        "Counted on its start day with its timer time and distance"
    )


def test_a_month_long_gpx_is_still_refused(tmp_path: Path) -> None:
    """GPX has no device timer: its moving time comes from the points that span the month."""
    text = gpx_text(minutes=10).replace(
        "</trkseg>",
        '<trkpt lat="52.6" lon="13.4"><time>2026-11-20T07:00:00Z</time></trkpt></trkseg>',
    )
    (tmp_path / "month.gpx").write_text(text)
    with pytest.raises(UnreadableFile, match="impossible elapsed time"):
        read_file(tmp_path / "month.gpx")


def test_a_month_long_recording_is_listed_until_seen(ana, tmp_path: Path) -> None:
    path = tmp_path / "left.fit"
    path.write_bytes((FIDELITY / "left-recording-31-days.fit").read_bytes())
    result = ana("import", str(path))
    (act,) = ana.json("activities")
    assert act["look"].startswith("elapsed 31 days 0 h for 55 min of timer time")
    assert f"needs a look: {path}: activity {act['id']}: elapsed 31 days" in result.stderr
    report = ana.json("report", "--as-of", "2022-01-09")
    (day,) = [d for d in report["days"] if d["date"] == "2022-01-08"]  # its start day, counted
    assert day["distance_km"] == 10.0
    summary = ana.json("import", str(tmp_path))
    assert summary["needs_look"] == [{"id": act["id"], "path": str(path), "reason": act["look"]}]
    ana("activities", "seen", str(act["id"]))
    assert "needs a look" not in ana("import", str(tmp_path)).stderr
    assert ana.json("activities")[0]["look"] is None


def _copy(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        (tmp_path / name).write_bytes((FIDELITY / name).read_bytes())
        out.append(tmp_path / name)
    return out


def test_a_file_resaved_with_its_clock_shifted_is_counted_once(ana, tmp_path: Path) -> None:
    """The same 8 km FIT re-saved by a desktop program with its clock 2 h on: same distance,
    same duration to the second. Kept once; the other copy listed to look at, and undoable."""
    _copy(tmp_path, "resaved-original.fit", "resaved-clock-plus-2h.fit")
    result = ana("import", str(tmp_path))
    assert ana.json("report", "--as-of", "2025-04-12")["days"][-1]["distance_km"] == 8.0
    both = ana.json("activities", "--all")
    (kept,) = [a for a in both if a["duplicate_of"] is None]
    (copy,) = [a for a in both if a["duplicate_of"] is not None]
    assert copy["duplicate_of"] == kept["id"] and kept["look"] is None
    assert copy["look"] == (
        f"likely the same run as activity {kept['id']} re-saved with its clock 2 h off (same "
        f"distance, same duration to the second): counted once; if it is a run of its own: "
        f"loadwatch activities separate {copy['id']}"
    )
    assert f"needs a look: {copy['source_path']}: activity {copy['id']}:" in result.stderr
    ana("activities", "separate", str(copy["id"]))  # the undo
    assert ana.json("report", "--as-of", "2025-04-12")["days"][-1]["distance_km"] == 16.0
    assert "needs a look" not in ana("import", str(tmp_path)).stderr


def test_the_resaved_copy_is_found_in_either_order(ana, tmp_path: Path) -> None:
    first, second = _copy(tmp_path, "resaved-clock-plus-2h.fit", "resaved-original.fit")
    ana("import", str(first))
    ana("import", str(second))
    both = ana.json("activities", "--all")
    assert len(both) == 2 and sum(a["duplicate_of"] is None for a in both) == 1
    assert [a["look"] is not None for a in both if a["duplicate_of"] is not None] == [True]


def test_two_real_runs_of_one_length_on_one_day_both_count(ana, tmp_path: Path) -> None:
    """8 km in 44:00 twice, 2 h apart (a treadmill program), at another heart rate: two runs."""
    _copy(tmp_path, "resaved-original.fit", "same-day-second-run.fit")
    result = ana("import", str(tmp_path))
    assert [a["duplicate_of"] for a in ana.json("activities", "--all")] == [None, None]
    assert "needs a look" not in result.stderr
    assert ana.json("report", "--as-of", "2025-04-12")["days"][-1]["distance_km"] == 16.0
