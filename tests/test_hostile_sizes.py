"""Hostile numbers and sizes cost their file, one line with its path, before they cost memory or
minutes: a heart rate of `inf`, a gzip that inflates a thousandfold, an archive member larger than
its format may be, a GPX or TCX with one attribute or text of megabytes. The rest of the folder is
imported; nothing of the refused file is stored."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from loadwatch.synth import dense_fit

from .conftest import CORPUS

GOOD_FIT = CORPUS / "fit/garmin-fenix-5-run.fit"


def _import(cli, *paths: Path) -> dict:
    result = cli("import", *map(str, paths), "--json", code=None)
    assert result.exit_code in (0, 3), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    return json.loads(result.stdout)


def _failed(summary: dict) -> dict[str, str]:
    return {f["path"].rsplit("/", 1)[-1]: f["reason"] for f in summary["failed"]}


def _tcx(hr: str) -> str:
    points = "".join(
        f"<Trackpoint><Time>2026-10-04T07:{m:02d}:00Z</Time><HeartRateBpm><Value>{v}</Value>"
        f"</HeartRateBpm></Trackpoint>"
        for m, v in ((0, "140"), (1, hr), (2, "150"), (3, "150"))
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
<Activities><Activity Sport="Running"><Id>2026-10-04T07:00:00Z</Id>
<Lap StartTime="2026-10-04T07:00:00Z"><TotalTimeSeconds>180</TotalTimeSeconds>
<DistanceMeters>600</DistanceMeters><AverageHeartRateBpm><Value>{hr}</Value></AverageHeartRateBpm>
<MaximumHeartRateBpm><Value>{hr}</Value></MaximumHeartRateBpm><Track>{points}</Track></Lap>
</Activity></Activities></TrainingCenterDatabase>
"""


def _gpx(hr: str, pad: str = "") -> str:
    points = "".join(
        f'<trkpt lat="{52.5 + m * 0.002:.3f}" lon="13.4"><time>2026-10-05T07:{m:02d}:00Z</time>'
        f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{v}</gpxtpx:hr>"
        f"</gpxtpx:TrackPointExtension></extensions></trkpt>"
        for m, v in ((0, "140"), (1, hr), (2, "150"), (3, "150"))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>run{pad}</name><type>running</type><trkseg>{points}</trkseg></trk></gpx>"
    )


@pytest.mark.parametrize("hr", ["inf", "-inf", "nan", "1e300", "99999999999999999999"])
def test_an_impossible_heart_rate_is_unknown_not_a_failure(ana, tmp_path: Path, hr: str) -> None:
    """A TCX heart rate of `inf` failed the file as "internal error while reading:
    OverflowError" (the GPX path too); the README says an implausible one becomes unknown."""
    (tmp_path / "run.tcx").write_text(_tcx(hr))
    (tmp_path / "run.gpx").write_text(_gpx(hr))
    summary = _import(ana, tmp_path)
    assert summary["failed"] == [] and summary["imported"] == 2
    for run in ana.json("activities"):
        # The sample is no reading; the others count (140 bpm for the first minute only).
        assert run["max_hr"] in (None, 150), run
        assert run["avg_hr"] is None or 140 <= run["avg_hr"] <= 150, run


def test_a_gzip_bomb_is_refused_before_it_is_decoded(ana, tmp_path: Path) -> None:
    """A 2.8 KB .fit.gz inflating to a valid 2.8 MB FIT of 1.4 million records took 20 s and
    425 MiB in one process (its batch more): what a gzip may inflate to is bounded first."""
    bomb = gzip.compress(dense_fit(1_400_000), 9)
    assert len(bomb) < 3000
    (tmp_path / "bomb.fit.gz").write_bytes(bomb)
    (tmp_path / "good.fit").write_bytes(GOOD_FIT.read_bytes())
    summary = _import(ana, tmp_path)
    assert summary["imported"] == 1 and summary["activities"] == 1
    assert _failed(summary) == {
        "bomb.fit.gz": "gzip inflates more than 100 times (a gzip bomb?); refused"
    }


def test_a_fit_too_dense_to_be_a_run_is_refused(sqlite_cli, tmp_path: Path) -> None:
    """The same records, not compressed: under the FIT size cap, yet more records than a real
    file of that size holds (1.4 million took 425 MiB and 20 s)."""
    sqlite_cli("athletes", "add", "ana")
    (tmp_path / "dense.fit").write_bytes(dense_fit(1_400_000))
    (tmp_path / "good.fit").write_bytes(GOOD_FIT.read_bytes())
    summary = _import(sqlite_cli, tmp_path)
    assert summary["imported"] == 1
    reason = _failed(summary)["dense.fit"]
    assert reason == "more than 1,000,000 records (eleven days at one a second); refused"


def test_an_archive_member_over_its_format_cap_is_refused_by_its_declared_size(
    ana, tmp_path: Path
) -> None:
    """Four stored 250 MiB members named .fit were each read whole (1.3 GB) before being found
    "not a FIT file": a member is held to its format's cap as a file is, before it is read."""
    archive = tmp_path / "watch.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("big.fit", b"\0" * (13 * 2**20))
        zf.writestr("big.gpx", b" " * (49 * 2**20))
        zf.write(GOOD_FIT, "run.fit")
    (tmp_path / "more.tcx").write_text(_tcx("150"))
    summary = _import(ana, tmp_path)
    assert summary["activities"] == 2
    assert _failed(summary) == {
        "watch.zip!big.fit": "FIT file of 13 MiB; refused (more than 12 MiB is no single activity)",
        "watch.zip!big.gpx": "GPX file of 49 MiB; refused (more than 48 MiB is no single activity)",
    }
    assert sorted(a["source_path"].rsplit("/", 1)[-1] for a in ana.json("activities")) == [
        "more.tcx",
        "watch.zip!run.fit",
    ]


@pytest.mark.parametrize(
    "name,text",
    [
        ("attribute.gpx", _gpx("150").replace('creator="t"', f'creator="{"x" * 20_000_000}"')),
        ("text.gpx", _gpx("150", pad="y" * 20_000_000)),
        ("small.gpx", _gpx("150", pad="y" * 1_500_000)),  # under 2 MiB: read as a whole tree
        ("notes.tcx", _tcx("150").replace("<Track>", f"<Notes>{'z' * 20_000_000}</Notes><Track>")),
    ],
    ids=["gpx-attribute", "gpx-text", "gpx-tree", "tcx-text"],
)
def test_an_absurd_xml_attribute_or_text_is_refused_early(
    sqlite_cli, tmp_path: Path, name: str, text: str
) -> None:
    """A GPX with one 20 MB attribute took 30 s to import."""
    sqlite_cli("athletes", "add", "ana")
    (tmp_path / name).write_text(text)
    (tmp_path / "good.fit").write_bytes(GOOD_FIT.read_bytes())
    summary = _import(sqlite_cli, tmp_path)
    assert summary["imported"] == 1
    assert _failed(summary) == {name: "an XML attribute or text of 1 MiB or more; refused"}
