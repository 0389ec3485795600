"""Step rate, ascent, descent and pace per run (issue 18, "Per run, stored at import").

Expected values are the devices' own session totals, read here straight from each FIT file with
fitdecode (not through loadwatch), or counted by hand on a small track written for the test."""

from __future__ import annotations

from pathlib import Path

import fitdecode
import pytest

from loadwatch.importers.climb import climb_m
from loadwatch.importers.fit import read_fit
from loadwatch.importers.gpx import read_gpx
from loadwatch.importers.tcx import read_tcx
from loadwatch.model import is_running

from .conftest import CORPUS

FITS = sorted((CORPUS / "fit").glob("*.fit"))


def _device_sessions(path: Path) -> list[dict]:
    """Each session's sport, cadence and climb totals as the FIT SDK profile names them."""
    out = []
    with fitdecode.FitReader(path, error_handling=fitdecode.ErrorHandling.WARN) as fit:
        for frame in fit:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name == "session":
                out.append(
                    {
                        k: frame.get_value(k, fallback=None) if frame.has_field(k) else None
                        for k in (
                            "sport",
                            "avg_running_cadence",
                            "avg_fractional_cadence",
                            "total_ascent",
                            "total_descent",
                        )
                    }
                )
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("decoder", ["native", "fitdecode"])
def test_fit_runs_carry_the_devices_step_rate_and_climb(decoder: str) -> None:
    checked_cadence = checked_descent = 0
    for path in FITS:
        try:
            acts = read_fit(path.read_bytes(), str(path), decoder=decoder)
        except Exception:  # not an activity, or only the other decoder reads it
            continue
        sessions = _device_sessions(path)
        if len(sessions) != len(acts):
            continue  # a file whose sessions loadwatch splits otherwise is not a comparison
        for act, s in zip(acts, sessions, strict=True):
            if not is_running(str(s["sport"])):
                assert act.step_rate_spm is None, path.name  # pedal or stroke rate, not steps
                continue
            cadence = s["avg_running_cadence"]
            if cadence:
                steps = 2 * (cadence + (s["avg_fractional_cadence"] or 0))
                assert act.step_rate_spm == pytest.approx(steps, abs=1.0), path.name
                checked_cadence += 1
            if s["total_descent"] is not None:
                assert act.descent_m == pytest.approx(s["total_descent"], abs=1.0), path.name
                assert act.ascent_m == pytest.approx(s["total_ascent"], abs=1.0), path.name
                checked_descent += 1
    # The corpus has a dozen running sessions with cadence and with descent; all were compared.
    assert checked_cadence >= 10
    assert checked_descent >= 10


def test_step_rate_counts_both_feet() -> None:
    # garmin-fenix-5-run.fit: avg_running_cadence 83 + avg_fractional_cadence 0.671875 strides
    # a minute, so 169.34 steps a minute.
    (act,) = read_fit((CORPUS / "fit" / "garmin-fenix-5-run.fit").read_bytes())
    assert act.step_rate_spm == pytest.approx(2 * (83 + 0.671875))


def test_pace_is_moving_time_over_distance() -> None:
    (act,) = read_fit((CORPUS / "fit" / "garmin-fenix-5-run.fit").read_bytes())
    assert act.avg_pace_s_per_km == pytest.approx(act.moving_s / (act.distance_m / 1000))


# The paired GPX tracks, written from FIT records, against their sessions' own totals. The fenix 2
# run (activity-small-fenix2-run) is left out on purpose: its device total (64/61 m) is not the sum
# of its own altitude records (143/140 m at 2 m, 133/127 m at 5 m), which no threshold can follow.
PAIRED = [
    ("2013-02-06-12-11-14-s0.gpx", "2013-02-06-12-11-14.fit", 0),
    ("activity-large-fenxi2-multisport-s0.gpx", "activity-large-fenxi2-multisport.fit", 2),
    ("activity-large-fenxi2-multisport-s1.gpx", "activity-large-fenxi2-multisport.fit", 4),
]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(("gpx", "fit", "session"), PAIRED)
def test_gpx_climb_agrees_with_the_same_outings_fit(
    gpx: str, fit: str, session: int, stream: bool
) -> None:
    (track,) = read_gpx((CORPUS / "paired" / gpx).read_bytes(), gpx, stream=stream)
    device = read_fit((CORPUS / "fit" / fit).read_bytes(), fit)[session]
    assert device.ascent_m is not None and device.descent_m is not None
    assert track.ascent_m == pytest.approx(device.ascent_m, rel=0.05, abs=5.0)
    assert track.descent_m == pytest.approx(device.descent_m, rel=0.05, abs=5.0)


@pytest.mark.parametrize("decoder", ["native", "fitdecode"])
def test_fit_without_session_totals_counts_its_altitude_records_as_a_track(decoder: str) -> None:
    # developer-types-sample.fit's session has no total_ascent/total_descent; its paired GPX was
    # written from the same records, so the same counting must give the same climb (60.4/59.4 m).
    fit = CORPUS / "fit" / "developer-types-sample.fit"
    assert _device_sessions(fit)[0]["total_descent"] is None
    (act,) = read_fit(fit.read_bytes(), str(fit), decoder=decoder)
    gpx = CORPUS / "paired" / "developer-types-sample-s0.gpx"
    (track,) = read_gpx(gpx.read_bytes(), str(gpx))
    assert track.ascent_m is not None and track.descent_m is not None
    assert act.ascent_m == pytest.approx(track.ascent_m)
    assert act.descent_m == pytest.approx(track.descent_m)
    # A FIT run with neither totals nor altitude records: no climb, not a flat one.
    (bare,) = read_fit((CORPUS / "fit" / "workoutizer-with_nones.fit").read_bytes())
    assert bare.ascent_m is None and bare.descent_m is None


def test_a_track_without_altitude_has_no_climb_not_a_flat_one() -> None:
    path = CORPUS / "gpx" / "cerknicko-jezero-without-elevations.gpx"
    (act,) = read_gpx(path.read_bytes(), str(path))
    assert act.ascent_m is None and act.descent_m is None
    assert act.step_rate_spm is None


def _tcx(altitudes: list[float]) -> bytes:
    points = "".join(
        f"<Trackpoint><Time>2024-05-01T07:00:{i:02d}Z</Time>"
        f"<AltitudeMeters>{a}</AltitudeMeters></Trackpoint>"
        for i, a in enumerate(altitudes)
    )
    return (
        '<?xml version="1.0"?><TrainingCenterDatabase '
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>'
        '<Activity Sport="Running"><Id>2024-05-01T07:00:00Z</Id>'
        '<Lap StartTime="2024-05-01T07:00:00Z"><TotalTimeSeconds>60</TotalTimeSeconds>'
        f"<DistanceMeters>200</DistanceMeters><Track>{points}</Track></Lap>"
        "</Activity></Activities></TrainingCenterDatabase>"
    ).encode()


def test_tcx_climb_by_hand() -> None:
    # Up 10 m with 1 m of jitter on the way, down 12 m: the jitter is under the 2 m threshold.
    alts = [100, 101, 100, 103, 105, 110, 109, 110, 104, 98]
    (act,) = read_tcx(_tcx(alts), "hand.tcx")
    assert (act.ascent_m, act.descent_m) == (10.0, 12.0)
    (flat,) = read_tcx(_tcx([]), "flat.tcx")
    assert flat.ascent_m is None and flat.descent_m is None


def test_climb_counts_each_segment_alone() -> None:
    # The 50 m jump between two segments (a pause, a lift) is not climbed.
    assert climb_m([[10.0, 15.0], [65.0, 60.0]]) == (5.0, 5.0)
    assert climb_m([[float("nan"), 10.0]]) is None


def test_signals_stored_and_in_activities_json(ana, tmp_path: Path) -> None:
    src = CORPUS / "fit" / "garmin-fenix-5-run.fit"
    ana("import", str(src), "--athlete", "ana")
    (row,) = ana.json("activities", "--athlete", "ana")
    (act,) = read_fit(src.read_bytes())
    assert row["step_rate_spm"] == pytest.approx(act.step_rate_spm)
    assert row["ascent_m"] == act.ascent_m == 2.0
    assert row["descent_m"] == act.descent_m == 0.0
    assert row["avg_pace_s_per_km"] == pytest.approx(act.moving_s / (act.distance_m / 1000))
    gpx = CORPUS / "gpx" / "cerknicko-jezero-without-elevations.gpx"
    ana("import", str(gpx), "--athlete", "ana")
    rows = ana.json("activities", "--athlete", "ana")
    track = next(r for r in rows if r["source"] == "gpx")
    assert track["ascent_m"] is None and track["step_rate_spm"] is None


def test_athlete_page_shows_pace_step_rate_and_climb(cli, tmp_path: Path) -> None:
    import re

    from .test_web import Server, _request

    cli("athletes", "add", "ada", "--tz", "Europe/Berlin")
    src = CORPUS / "fit" / "togeojson-run.fit"
    cli("import", str(src), "--athlete", "ada")
    (row,) = cli.json("activities", "--athlete", "ada")
    (act,) = read_fit(src.read_bytes())
    server = Server(str(cli.db))
    try:
        status, body = _request(f"{server.base}/athletes/1")
    finally:
        server.stop()
    assert status == 200
    m = re.search(rf'id="activity-{row["id"]}".*?</tr>', body, re.S)
    assert m is not None
    cells = m.group(0)
    pace = act.avg_pace_s_per_km
    assert pace is not None and act.step_rate_spm is not None
    # The device's 82 + 0.21875 strides a minute, doubled; its 13 m up and 25 m down.
    assert f'<td class="steps">{round(2 * (82 + 0.21875))}</td>' in cells
    assert '<td class="climb">13 / 25</td>' in cells
    assert f'<td class="pace">{int(pace // 60)}:{int(pace % 60):02d}</td>' in cells


@pytest.mark.parametrize("decoder", ["native", "fitdecode"])
def test_fit_without_session_cadence_takes_its_records(decoder: str, tmp_path: Path) -> None:
    """A synthetic run (written by fit-tool, src/loadwatch/synth.py) has cadence in every record
    and none in its session, and total_ascent without total_descent."""
    from datetime import UTC, datetime

    from loadwatch.synth import SyntheticRun, write_run

    path = tmp_path / "run.fit"
    write_run(SyntheticRun(datetime(2024, 5, 1, 7, tzinfo=UTC), 3000.0, seed=3), path)
    cadences, altitudes = [], []
    with fitdecode.FitReader(path) as fit:
        for frame in fit:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name == "record":
                cadences.append(frame.get_value("cadence"))
                altitudes.append(frame.get_value("enhanced_altitude", fallback=None))
    assert _device_sessions(path)[0]["avg_running_cadence"] is None
    (act,) = read_fit(path.read_bytes(), str(path), decoder=decoder)
    moving = [c for c in cadences if c]
    assert act.step_rate_spm == pytest.approx(2 * sum(moving) / len(moving))
    assert act.ascent_m == _device_sessions(path)[0]["total_ascent"]
    assert act.descent_m == pytest.approx(climb_m([[a for a in altitudes if a is not None]])[1])


def test_a_fit_run_without_any_cadence_has_no_step_rate() -> None:
    # 2013-02-06-12-11-14.fit: a running session with neither session nor record cadence.
    path = CORPUS / "fit" / "2013-02-06-12-11-14.fit"
    assert _device_sessions(path)[0]["avg_running_cadence"] is None
    (act,) = read_fit(path.read_bytes(), str(path))
    assert act.is_run and act.step_rate_spm is None
    assert (act.ascent_m, act.descent_m) == (168.0, 160.0)  # the device's totals
