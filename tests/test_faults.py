"""Faults: one bad file, value or setting must never stop a batch, hang a process or poison the
load. Each case was seen breaking loadwatch and is reproduced here with a small file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from .conftest import CORPUS

GOOD_FIT = CORPUS / "fit/garmin-fenix-5-run.fit"


def tcx(start: str = "2026-10-04T07:00:00Z", distance: str = "5400") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
<Activities><Activity Sport="Running"><Id>{start}</Id>
<Lap StartTime="{start}"><TotalTimeSeconds>1800</TotalTimeSeconds>
<DistanceMeters>{distance}</DistanceMeters></Lap></Activity></Activities></TrainingCenterDatabase>
"""


def _import(ana, folder: Path) -> dict:
    result = ana("import", str(folder), "--json", code=None)
    assert result.exit_code in (0, 3), result.output
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "start,reason",
    [
        ("9999-12-31T23:00:00Z", "outside 1980"),
        ("1901-12-13T20:45:52Z", "outside 1980"),
        ("2126-01-01T00:00:00Z", "outside 1980"),
    ],
)
def test_an_out_of_range_date_fails_its_file_not_the_batch(ana, tmp_path, start, reason) -> None:
    (tmp_path / "bad.tcx").write_text(tcx(start=start))
    (tmp_path / "good.fit").write_bytes(GOOD_FIT.read_bytes())
    summary = _import(ana, tmp_path)
    assert summary["imported"] == 1 and len(summary["failed"]) == 1
    assert reason in summary["failed"][0]["reason"] and summary["failed"][0]["path"].endswith(
        "bad.tcx"
    )


@pytest.mark.parametrize("distance", ["NaN", "inf", "-inf", "-5", "1e12"])
def test_impossible_values_fail_their_file_and_never_reach_the_load(
    ana, tmp_path, distance
) -> None:
    (tmp_path / "bad.tcx").write_text(tcx(distance=distance))
    (tmp_path / "good.tcx").write_text(tcx(start="2026-10-05T07:00:00Z"))
    summary = _import(ana, tmp_path)
    assert summary["imported"] == 1 and "impossible distance" in summary["failed"][0]["reason"]
    doc = ana.json("report", "--as-of", "2026-10-05")
    assert all(math.isfinite(w["distance_km"]) for w in doc["weeks"])
    assert doc["weeks"][-1]["distance_km"] == 5.4
