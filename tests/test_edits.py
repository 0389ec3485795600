"""A user fixes what a file got wrong: edit, exclude, add and delete, through the real command.
An edit belongs to the outing, not to the bytes: it survives re-imports of the same file and of
the same run arriving from a better source."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import CORPUS, SAMPLES

GPX = CORPUS / "paired/activity-small-fenix2-run-s0.gpx"
FIT = CORPUS / "fit/activity-small-fenix2-run.fit"


def _week(doc: dict, start: str) -> float:
    return next(w["distance_km"] for w in doc["weeks"] if w["week_start"] == start)


def test_exclude_changes_the_weekly_total_and_include_restores_it(ana) -> None:
    ana("import", str(SAMPLES / "demo-runner"))
    before = _week(ana.json("report", "--as-of", "2026-11-08"), "2026-11-02")
    long_run = next(r for r in ana.json("activities") if r["start_utc"].startswith("2026-11-08"))
    out = ana("activities", "exclude", str(long_run["id"]), "--reason", "GPS glitch").stdout
    assert out == f"activity {long_run['id']} excluded (GPS glitch)\n"
    after = _week(ana.json("report", "--as-of", "2026-11-08"), "2026-11-02")
    assert after == pytest.approx(before - long_run["distance_m"] / 1000)
    listed = next(r for r in ana.json("activities") if r["id"] == long_run["id"])
    assert listed["excluded"] is True and listed["exclude_reason"] == "GPS glitch"
    assert "(excluded: GPS glitch)" in ana("activities").stdout  # kept and shown
    ana("activities", "include", str(long_run["id"]))
    assert _week(ana.json("report", "--as-of", "2026-11-08"), "2026-11-02") == before


def test_a_sport_edit_takes_a_ride_out_of_running_load(ana) -> None:
    ana("import", str(FIT))
    (run,) = ana.json("activities")
    day = run["start_utc"][:10]
    assert ana.json("report", "--as-of", day)["days"][-1]["distance_km"] == pytest.approx(9.00822)
    ana("activities", "edit", str(run["id"]), "--sport", "cycling")
    (edited,) = ana.json("activities")
    assert edited["sport"] == "cycling"
    assert edited["edit"] == {"recorded_sport": "running", "recorded_distance_m": None}
    assert ana.json("report", "--as-of", day)["days"] == []  # no running left
    bad = ana("activities", "edit", str(run["id"]), "--sport", "skating", code=2)
    assert "unknown sport 'skating'" in bad.stderr


def test_an_edit_survives_a_reimport_and_a_better_source(ana, tmp_path: Path) -> None:
    gpx = tmp_path / "run.gpx"
    shutil.copy(GPX, gpx)
    ana("import", str(gpx))
    (run,) = ana.json("activities")
    ana("activities", "edit", str(run["id"]), "--distance-km", "9.5")
    # The same file again, touched: re-read, recognised by its bytes, the edit stays.
    os.utime(gpx, (1_700_000_000, 1_700_000_000))
    ana("import", str(gpx))
    (again,) = ana.json("activities")
    assert again["distance_m"] == 9500.0
    # The watch's own FIT of the same outing takes over, and the edit moves with the outing.
    ana("import", str(FIT))
    (fit,) = ana.json("activities")
    assert fit["source"] == "fit" and fit["distance_m"] == 9500.0
    assert fit["edit"]["recorded_distance_m"] == pytest.approx(9008.22)


def test_a_manual_run_counts_and_a_file_of_it_takes_over(ana) -> None:
    out = ana("activities", "add", "--date", "2015-08-15", "--time", "16:45", "--km", "9",
              "--minutes", "50", "--rpe", "6", "--sport", "treadmill").stdout  # fmt: skip
    (manual,) = ana.json("activities")
    assert out == f"activity {manual['id']}: 9 km on 2015-08-15\n"
    assert (manual["source"], manual["sport"], manual["rpe"]) == ("manual", "treadmill_running", 6)
    assert manual["distance_source"] == "manual" and manual["start_utc"] == "2015-08-15T14:45:00Z"
    assert ana.json("report", "--as-of", "2015-08-15")["days"][-1]["distance_km"] == 9.0
    ana("import", str(FIT))  # the same outing (14:45 UTC, 9.01 km) from the watch
    (primary,) = ana.json("activities")
    assert primary["source"] == "fit" and primary["rpe"] == 6
    assert len(ana.json("activities", "--all")) == 2


def test_delete_a_manual_run_and_a_run_from_a_file_that_then_stays_deleted(ana, tmp_path) -> None:
    ana("activities", "add", "--date", "2026-11-20", "--km", "8", "--minutes", "45")
    (manual,) = ana.json("activities")
    ana("activities", "delete", str(manual["id"]))
    assert ana.json("activities", "--all") == []
    fit = tmp_path / "run.fit"
    shutil.copy(FIT, fit)
    ana("import", str(fit))
    (run,) = ana.json("activities")
    assert ana("activities", "delete", str(run["id"])).stdout == f"activity {run['id']} deleted\n"
    os.utime(fit, (1_700_000_000, 1_700_000_000))
    ana("import", str(fit))  # read again: the run does not come back
    ana("import", str(GPX))  # nor from another source
    assert ana.json("activities", "--all") == []
    missing = ana("activities", "delete", str(run["id"]), code=2)
    assert "no activity" in missing.stderr
