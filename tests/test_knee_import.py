"""Per-run signals at import, part two (issue 18): GPX and TCX step rate, heart-rate drift, time in
heart-rate zones derived from the stored histogram, the backfill, and the fields on every surface.

Expected values are worked out here from the files themselves (read with the standard library's
XML parser, not loadwatch's readers) or by hand on small files written for the test."""

from __future__ import annotations

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from loadwatch.importers import read_file
from loadwatch.importers.drift import hr_drift_pct
from loadwatch.importers.fit import read_fit
from loadwatch.importers.gpx import read_gpx
from loadwatch.importers.tcx import read_tcx
from loadwatch.load.trimp import banister_trimp
from loadwatch.load.zones import decode, trimp, zone_seconds
from loadwatch.model import encode_histogram
from loadwatch.render.tables import ACTIVITY_FIELDS
from loadwatch.store import open_store

from .conftest import CORPUS, Cli


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _points(path: Path, names: tuple[str, ...]) -> list[tuple[float, float]]:
    """(epoch, first cadence-like value) of each point that has both, in document order."""
    out = []
    for el in ET.parse(path).iter():
        if _local(el.tag) not in ("trkpt", "Trackpoint"):
            continue
        when = next((c.text for c in el if _local(c.tag) in ("time", "Time")), None)
        cad = next((c.text for c in el.iter() if _local(c.tag) in names and c.text), None)
        if when and cad is not None:
            out.append(
                (datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp(), float(cad))
            )
    return out


def _time_weighted_steps(points: list[tuple[float, float]]) -> float:
    """Twice the time-weighted mean of the non-zero readings, each held until the next point (at
    most 10 s): the definition README gives for a track's step rate."""
    num = den = 0.0
    for (t0, c0), (t1, _) in zip(points, points[1:], strict=False):
        if c0 > 0 and 0 < t1 - t0 <= 10:
            num += c0 * (t1 - t0)
            den += t1 - t0
    return 2 * num / den


# -- step rate from GPX and TCX -------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_gpx_garmin_cad_is_one_foot_doubled(stream: bool) -> None:
    # A Garmin Connect GPX of a run: ns3:cad in TrackPointExtension v1, 75-78 strides a minute.
    path = CORPUS / "gpx" / "workoutizer-garmin_example.gpx"
    (act,) = read_gpx(path.read_bytes(), str(path), stream=stream)
    expected = _time_weighted_steps(_points(path, ("cad",)))
    assert 140 < expected < 160
    assert act.step_rate_spm == pytest.approx(expected)


def test_tcx_point_cadence_of_a_run() -> None:
    # A Polar M400 run: the trackpoints' own <Cadence>, one foot.
    path = CORPUS / "tcx" / "sweatpy-3173437224.tcx"
    (act,) = read_tcx(path.read_bytes(), str(path))
    assert act.is_run
    assert act.step_rate_spm == pytest.approx(_time_weighted_steps(_points(path, ("Cadence",))))


def _tcx(points: str, sport: str = "Running") -> bytes:
    return (
        '<?xml version="1.0"?><TrainingCenterDatabase '
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Activities>'
        f'<Activity Sport="{sport}"><Id>2024-05-01T07:00:00Z</Id>'
        '<Lap StartTime="2024-05-01T07:00:00Z"><TotalTimeSeconds>60</TotalTimeSeconds>'
        f"<DistanceMeters>200</DistanceMeters><Track>{points}</Track></Lap>"
        "</Activity></Activities></TrainingCenterDatabase>"
    ).encode()


def _run_cadence_points(values: list[int]) -> str:
    return "".join(
        f"<Trackpoint><Time>2024-05-01T07:00:{i:02d}Z</Time><Extensions><ns3:TPX>"
        f"<ns3:RunCadence>{v}</ns3:RunCadence></ns3:TPX></Extensions></Trackpoint>"
        for i, v in enumerate(values)
    )


def test_tcx_run_cadence_by_hand() -> None:
    # 84 strides a minute for 2 s, 0 (standing) for 2 s, 88 for 2 s: (84*2 + 88*2) / 4 s, doubled.
    (act,) = read_tcx(_tcx(_run_cadence_points([84, 84, 0, 0, 88, 88, 88])), "hand.tcx")
    assert act.step_rate_spm == pytest.approx(2 * (84 * 2 + 88 * 2) / 4)
    # The same cadence on a ride is pedal rate: no step rate.
    (ride,) = read_tcx(_tcx(_run_cadence_points([84, 84, 88]), "Biking"), "ride.tcx")
    assert ride.step_rate_spm is None
    # No cadence at all: null, not zero.
    (bare,) = read_tcx(_tcx(_run_cadence_points([])), "bare.tcx")
    assert bare.step_rate_spm is None
    (zeros,) = read_tcx(_tcx(_run_cadence_points([0, 0, 0])), "zeros.tcx")
    assert zeros.step_rate_spm is None


def _gpx(cadences: list[int], prefix: str = "gpxtpx") -> bytes:
    pts = "".join(
        f'<trkpt lat="46.0" lon="{14.0 + i * 0.00003:.5f}"><time>2024-05-01T07:00:{i:02d}Z</time>'
        f"<extensions><{prefix}:TrackPointExtension><{prefix}:cad>{c}</{prefix}:cad>"
        f"</{prefix}:TrackPointExtension></extensions></trkpt>"
        for i, c in enumerate(cadences)
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        f'xmlns:{prefix}="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><type>running</type><trkseg>{pts}</trkseg></trk></gpx>"
    ).encode()


@pytest.mark.parametrize("stream", [False, True])
def test_gpx_cadence_already_in_steps_is_not_doubled(stream: bool) -> None:
    (strides,) = read_gpx(_gpx([85, 85, 86, 86, 86]), "strides.gpx", stream=stream)
    assert strides.step_rate_spm == pytest.approx(2 * (85 * 2 + 86 * 2) / 4)
    # An app that writes steps: a median no runner's strides reach.
    (steps,) = read_gpx(_gpx([170, 172, 172, 172, 172], "ns3"), "steps.gpx", stream=stream)
    assert steps.step_rate_spm == pytest.approx((170 + 172 * 3) / 4)


def test_a_ride_or_a_track_without_cadence_has_no_step_rate() -> None:
    ride = CORPUS / "gpx" / "sweatpy-activity_5039744860.gpx"  # cycling, with ns3:cad
    (act,) = read_gpx(ride.read_bytes(), str(ride))
    assert not act.is_run and act.step_rate_spm is None
    for name in ("paired/2013-02-06-12-11-14-s0.gpx", "gpx/togeojson-run.gpx"):
        (run,) = read_gpx((CORPUS / name).read_bytes(), name)
        assert run.step_rate_spm is None, name


# -- heart-rate drift ----------------------------------------------------------------------------


def test_drift_by_hand() -> None:
    # 40 minutes at 3 m/s, 140 bpm in the first half and 154 in the second: EF falls by
    # 1 - 140/154 = 9.09%.
    dt = np.ones(2400)
    dd = np.full(2400, 3.0)
    hr = np.r_[np.full(1200, 140.0), np.full(1200, 154.0)]
    assert hr_drift_pct(dt, dd, hr) == pytest.approx((1 - 140 / 154) * 100)
    # Slower in the second half at the same heart rate: positive too (pace fell).
    dd2 = np.r_[np.full(1200, 3.0), np.full(1200, 2.7)]
    assert hr_drift_pct(dt, dd2, np.full(2400, 150.0)) == pytest.approx(10.0)
    # Standing still does not count: a 10-minute stop in the middle changes nothing.
    stop = 600
    assert hr_drift_pct(
        np.r_[dt[:1200], np.ones(stop), dt[1200:]],
        np.r_[dd[:1200], np.zeros(stop), dd[1200:]],
        np.r_[hr[:1200], np.full(stop, 100.0), hr[1200:]],
    ) == pytest.approx((1 - 140 / 154) * 100)
    # Under 20 moving minutes, or a strap that dropped out for half the second half: no figure.
    assert hr_drift_pct(dt[:1100], dd[:1100], hr[:1100]) is None
    patchy = hr.copy()
    patchy[1800:] = 0
    assert hr_drift_pct(dt, dd, patchy) is None


PAIRED = [
    ("2013-02-06-12-11-14-s0.gpx", "2013-02-06-12-11-14.fit", 0),
    ("activity-large-fenxi2-multisport-s0.gpx", "activity-large-fenxi2-multisport.fit", 2),
    ("activity-large-fenxi2-multisport-s1.gpx", "activity-large-fenxi2-multisport.fit", 4),
    ("activity-small-fenix2-run-s0.gpx", "activity-small-fenix2-run.fit", 0),
    ("developer-types-sample-s0.gpx", "developer-types-sample.fit", 0),
    ("sample_mulitple_header-s0.gpx", "sample_mulitple_header.fit", 4),
]


@pytest.mark.parametrize("decoder", ["native", "fitdecode"])
@pytest.mark.parametrize(("gpx", "fit", "session"), PAIRED)
def test_gpx_drift_agrees_with_the_same_outings_fit(
    gpx: str, fit: str, session: int, decoder: str
) -> None:
    """The paired GPX tracks carry the FIT records' heart rate and positions; their distance is
    the GPS path's, not the watch's, so the figures differ a little: within 1.5 points."""
    (track,) = read_gpx((CORPUS / "paired" / gpx).read_bytes(), gpx)
    device = read_fit((CORPUS / "fit" / fit).read_bytes(), fit, decoder=decoder)[session]
    assert device.is_run
    assert track.hr_drift_pct is not None and device.hr_drift_pct is not None
    assert track.hr_drift_pct == pytest.approx(device.hr_drift_pct, abs=1.5)


def test_a_run_without_heart_rate_has_no_drift() -> None:
    path = CORPUS / "tcx" / "tcxparser-no_hr.tcx"
    (act,) = read_tcx(path.read_bytes(), str(path))
    assert not act.hr_histogram_s and act.hr_drift_pct is None


# -- heart-rate zones and TRIMP from the stored histograms ---------------------------------------


def _zones_by_hand(hist: dict[int, float], rest: float, peak: float, edges) -> list[float]:
    out = [0.0] * 5
    for bpm, s in hist.items():
        reserve = (bpm - rest) / (peak - rest)
        out[sum(reserve >= e for e in edges)] += s
    return out


HISTOGRAM_RUNS = ["togeojson-run.fit", "mornindew-broken.fit", "sample_mulitple_header.fit"]


def test_zones_and_trimp_vectorised_equal_the_formulas_run_by_run() -> None:
    hists = [
        a.hr_histogram_s
        for name in HISTOGRAM_RUNS
        for a in read_file(CORPUS / "fit" / name)
        if a.hr_histogram_s
    ]
    texts = [encode_histogram(h) for h in hists] + [None, float("nan")]  # two runs without
    h = decode(texts)
    zones = zone_seconds(h, 50, 190, (0.6, 0.7, 0.8, 0.9))
    loads = trimp(h, 50, 190, "female")
    for i, hist in enumerate(hists):
        assert zones[i] == pytest.approx(_zones_by_hand(hist, 50, 190, (0.6, 0.7, 0.8, 0.9)))
        assert zones[i].sum() == pytest.approx(sum(hist.values()))
        assert loads[i] == pytest.approx(banister_trimp(hist, 50, 190, "female"))
    assert np.isnan(zones[-2:]).all() and np.isnan(loads[-2:]).all()
    # Runs of which none has a histogram (a strapless week): unknown, not an error.
    none = decode([None, None])
    assert (
        np.isnan(zone_seconds(none, 50, 190)).all() and np.isnan(trimp(none, 50, 190, None)).all()
    )


def test_zones_follow_the_athletes_heart_rates_without_a_new_import(cli: Cli, tmp_path) -> None:
    src = CORPUS / "fit" / "togeojson-run.fit"
    (act,) = read_file(src)
    cli("athletes", "add", "ana", "--tz", "Europe/Berlin")
    cli("import", str(src), "--athlete", "ana")
    (row,) = cli.json("activities", "--athlete", "ana")
    assert [row[f"hr_zone{i}_s"] for i in range(1, 6)] == [None] * 5  # heart rates unknown
    cli("athletes", "edit", "ana", "--resting-hr", "50", "--max-hr", "200")
    (row,) = cli.json("activities", "--athlete", "ana")
    first = [row[f"hr_zone{i}_s"] for i in range(1, 6)]
    assert first == pytest.approx(_zones_by_hand(act.hr_histogram_s, 50, 200, (0.6, 0.7, 0.8, 0.9)))
    assert sum(first) == pytest.approx(sum(act.hr_histogram_s.values()), abs=0.5)
    cli("athletes", "edit", "ana", "--max-hr", "215")
    (row,) = cli.json("activities", "--athlete", "ana")
    again = [row[f"hr_zone{i}_s"] for i in range(1, 6)]
    assert again == pytest.approx(_zones_by_hand(act.hr_histogram_s, 50, 215, (0.6, 0.7, 0.8, 0.9)))
    assert again != first
    # The zones' edges are a setting.
    config = tmp_path / "lw.toml"
    config.write_text("[zones]\nhrr_edges_pct = [50, 65, 75, 85]\n")
    (row,) = cli.json("--config", str(config), "activities", "--athlete", "ana")
    edges = (0.5, 0.65, 0.75, 0.85)
    assert [row[f"hr_zone{i}_s"] for i in range(1, 6)] == pytest.approx(
        _zones_by_hand(act.hr_histogram_s, 50, 215, edges)
    )


def test_zone_edges_that_do_not_rise_are_refused(cli: Cli, tmp_path) -> None:
    config = tmp_path / "lw.toml"
    config.write_text("[zones]\nhrr_edges_pct = [60, 50, 80, 90]\n")
    said = cli("--config", str(config), "activities", code=None)
    assert said.exit_code != 0
    assert "zones.hrr_edges_pct: expected 4 rising percentages" in said.stderr
    assert "Traceback" not in said.stderr


# -- on every surface -----------------------------------------------------------------------------


def test_signals_in_json_csv_columns_and_export(cli: Cli, tmp_path: Path) -> None:
    cli("athletes", "add", "ana", "--tz", "UTC", "--resting-hr", "50", "--max-hr", "195")
    folder = tmp_path / "runs"
    folder.mkdir()
    for name in ("gpx/workoutizer-garmin_example.gpx", "tcx/sweatpy-3173437224.tcx"):
        shutil.copy(CORPUS / name, folder)
    cli("import", str(folder), "--athlete", "ana")
    rows = cli.json("activities", "--athlete", "ana")
    assert all(tuple(r) == ACTIVITY_FIELDS for r in rows)
    by_source = {r["source"]: r for r in rows}
    for r in rows:
        (act,) = read_file(folder / Path(r["source_path"]).name)
        assert r["step_rate_spm"] == pytest.approx(act.step_rate_spm)
        assert r["hr_drift_pct"] == pytest.approx(act.hr_drift_pct)
        assert r["hr_zone1_s"] is not None
    assert by_source["gpx"]["step_rate_spm"] is not None
    listed = list(
        csv.DictReader(io.StringIO(cli("activities", "--athlete", "ana", "--csv").stdout))
    )
    assert [float(r["hr_drift_pct"]) for r in listed] == pytest.approx(
        [r["hr_drift_pct"] for r in rows]
    )
    table = cli("activities", "--athlete", "ana", "--columns", "id,step_rate_spm,hr_drift_pct")
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["id", "step_rate_spm", "hr_drift_pct"]
    assert [ln.split() for ln in lines[1:3]] == [
        [str(r["id"]), f"{r['step_rate_spm']:.1f}", f"{r['hr_drift_pct']:.1f}"] for r in rows
    ]
    wrong = cli("activities", "--columns", "id,step_rate", code=2)
    assert "no field 'step_rate' (did you mean step_rate_spm?)" in wrong.stderr
    # The export's activities.csv has them, and its records bring them back without the files.
    out = tmp_path / "ana.zip"
    cli("export", "--athlete", "ana", str(out))
    with zipfile.ZipFile(out) as zf:
        exported = list(csv.DictReader(io.StringIO(zf.read("activities.csv").decode())))
        edits = json.loads(zf.read("edits.json"))
    assert [float(r["step_rate_spm"]) for r in exported] == pytest.approx(
        [r["step_rate_spm"] for r in rows]
    )
    # The files gone: the runs come back from the records, with their signals.
    shutil.rmtree(folder)
    stripped = tmp_path / "records-only.zip"
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(stripped, "w") as zout:
        for item in zin.namelist():
            if not item.startswith("files/"):
                zout.writestr(item, zin.read(item))
    assert len(edits["runs"]) == 2
    other = Cli(tmp_path / "other.db")
    other("import", str(stripped), "--athlete", "ana")
    back = other.json("activities", "--athlete", "ana")
    for key in ("step_rate_spm", "ascent_m", "descent_m", "hr_drift_pct", "hr_zone2_s"):
        assert [r[key] for r in back] == pytest.approx([r[key] for r in rows]), key


# -- the backfill ---------------------------------------------------------------------------------

SIGNALS = ("step_rate_spm", "ascent_m", "descent_m", "avg_pace_s_per_km", "hr_drift_pct")


def _as_if_stored_before(db: str | Path) -> None:
    """Rows as an older loadwatch stored them: none of the signals (migrations 0012/0014 add
    the columns NULL)."""
    with open_store(db) as store, store.transaction():
        store.db.execute(f"UPDATE activities SET {', '.join(f'{c} = NULL' for c in SIGNALS)}")


def test_backfill_fills_old_rows_from_their_files_and_says_what_it_could_not(
    cli: Cli, tmp_path: Path
) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    names = ["togeojson-run.fit", "mornindew-broken.fit", "garmin-fenix-5-run.fit"]
    for name in names:
        shutil.copy(CORPUS / "fit" / name, folder)
    shutil.copy(CORPUS / "gpx" / "workoutizer-garmin_example.gpx", folder)
    cli("athletes", "add", "ana", "--tz", "UTC")
    cli("import", str(folder), "--athlete", "ana")
    cli("activities", "add", "--date", "2024-05-01", "--km", "5", "--minutes", "30")
    fresh = {r["id"]: r for r in cli.json("activities", "--athlete", "ana")}
    _as_if_stored_before(cli.db)
    assert all(r["step_rate_spm"] is None for r in cli.json("activities", "--athlete", "ana"))
    (folder / "garmin-fenix-5-run.fit").unlink()  # moved away since
    changed = folder / "mornindew-broken.fit"
    changed.write_bytes(changed.read_bytes() + b"\0")  # another recording under the same name

    said = cli("activities", "backfill", "--athlete", "ana")
    assert said.stdout == (
        "ana: 2 of 5 runs with a signal unknown filled from their files; 1 without a file "
        "(typed in or from an account); could not read 2: 1 file changed since it was imported, "
        "1 file gone\n"
    )
    now = {r["id"]: r for r in cli.json("activities", "--athlete", "ana")}
    for i, r in now.items():
        name = Path(r["source_path"]).name
        for key in SIGNALS:
            if name in ("togeojson-run.fit", "workoutizer-garmin_example.gpx"):
                assert r[key] == pytest.approx(fresh[i][key]), (name, key)
            else:
                assert r[key] is None, (name, key)
    # Again: nothing changes, and what is known stays.
    said = cli("activities", "backfill")
    assert said.stdout.startswith("ana: 0 of 3 runs with a signal unknown filled")
    again = {r["id"]: r for r in cli.json("activities", "--athlete", "ana")}
    assert again == now
