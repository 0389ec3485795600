"""Bad input gets a one-line reason with its path, the batch goes on, and nothing half-written stays."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from loadwatch.errors import UnreadableFile
from loadwatch.importers import read_file
from loadwatch.store import open_store

from .conftest import CORPUS

SMALL_RUN = CORPUS / "fit/garmin-fenix-5-run.fit"
GPX_RUN = CORPUS / "gpx/togeojson-run.gpx"
TCX_RUN = CORPUS / "tcx/tcxparser-test.tcx"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<gpx version="1.1" creator="x"><trk><name>&lol9;</name><trkseg>
<trkpt lat="1" lon="1"><time>2024-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>
"""


def _reason(path: Path) -> str:
    with pytest.raises(UnreadableFile) as err:
        read_file(path)
    assert err.value.path == str(path)
    assert err.value.reason and "\n" not in err.value.reason
    return err.value.reason


@pytest.mark.parametrize("source", [SMALL_RUN, CORPUS / "fit/togeojson-run.fit", GPX_RUN, TCX_RUN])
@pytest.mark.parametrize("tenth", range(1, 10))
def test_truncated_files_fail_cleanly(tmp_path: Path, source: Path, tenth: int) -> None:
    data = source.read_bytes()
    cut = tmp_path / source.name
    cut.write_bytes(data[: len(data) * tenth // 10])
    _reason(cut)


@pytest.mark.parametrize("offset_fraction", [0.3, 0.5, 0.9])
def test_flipped_byte_in_fit_is_caught_by_crc(tmp_path: Path, offset_fraction: float) -> None:
    data = bytearray(SMALL_RUN.read_bytes())
    i = int(len(data) * offset_fraction)
    data[i] ^= 0xFF
    bad = tmp_path / "flipped.fit"
    bad.write_bytes(bytes(data))
    assert "FIT" in _reason(bad)


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.fit"
    empty.write_bytes(b"")
    assert _reason(empty) == "empty file"


def test_fit_name_with_gpx_inside_is_read_as_gpx(tmp_path: Path) -> None:
    misnamed = tmp_path / "run.fit"
    misnamed.write_bytes(GPX_RUN.read_bytes())
    (act,) = read_file(misnamed)
    assert act.source_format == "gpx"


def test_gpx_that_is_html(tmp_path: Path) -> None:
    page = tmp_path / "run.gpx"
    page.write_text("<!DOCTYPE html><html><body>Session expired</body></html>")
    assert "HTML" in _reason(page)


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.gpx"
    bomb.write_bytes(BILLION_LAUGHS)
    assert "entity" in _reason(bomb).lower()


def test_zero_byte_gz(tmp_path: Path) -> None:
    gz = tmp_path / "run.fit.gz"
    gz.write_bytes(b"")
    assert _reason(gz) == "empty .gz file"


def test_corrupt_and_truncated_gz(tmp_path: Path) -> None:
    data = gzip.compress(SMALL_RUN.read_bytes())
    truncated = tmp_path / "cut.fit.gz"
    truncated.write_bytes(data[: len(data) // 2])
    assert "gzip" in _reason(truncated)
    garbage = tmp_path / "garbage.fit.gz"
    garbage.write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    assert "gzip" in _reason(garbage)


def test_gzipped_files_of_each_kind_import(tmp_path: Path) -> None:
    for source in (SMALL_RUN, GPX_RUN, TCX_RUN):
        gz = tmp_path / (source.name + ".gz")
        gz.write_bytes(gzip.compress(source.read_bytes()))
        (plain,) = read_file(source)
        (unzipped,) = read_file(gz)
        assert unzipped.distance_m == plain.distance_m
        assert unzipped.start_utc == plain.start_utc


def test_random_bytes_are_not_an_activity(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tcx"
    junk.write_bytes(os.urandom(2048).replace(b"<", b"x"))
    assert "not a TCX file" in _reason(junk)


def test_unreadable_paths(tmp_path: Path) -> None:
    dangling = tmp_path / "gone.fit"
    dangling.symlink_to(tmp_path / "nowhere.fit")
    assert "cannot read" in _reason(dangling)


def test_batch_goes_on_and_leaves_no_half_rows(ana, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.fit").write_bytes(SMALL_RUN.read_bytes())
    (inbox / "truncated.fit").write_bytes(
        CORPUS.joinpath("fit/togeojson-run.fit").read_bytes()[:9000]
    )
    (inbox / "page.gpx").write_text("<html><body>404</body></html>")
    (inbox / "bomb.gpx").write_bytes(BILLION_LAUGHS)
    (inbox / "empty.tcx").write_bytes(b"")
    (inbox / "empty.fit.gz").write_bytes(b"")
    (inbox / "settings.fit").write_bytes(CORPUS.joinpath("other/Settings.fit").read_bytes())
    (inbox / "multisport.fit").write_bytes(
        CORPUS.joinpath("fit/activity-large-fenxi2-multisport.fit").read_bytes()
    )
    result = ana("import", str(inbox), "--athlete", "ana", "--json", code=3)
    import json

    summary = json.loads(result.stdout)
    assert summary["imported"] == 2 and summary["skipped"] == 1 and summary["duplicates"] == 0
    failed = {Path(f["path"]).name: f["reason"] for f in summary["failed"]}
    assert set(failed) == {"truncated.fit", "page.gpx", "bomb.gpx", "empty.tcx", "empty.fit.gz"}
    assert all(r and "\n" not in r for r in failed.values())
    assert "Traceback" not in result.output
    # One activity from good.fit and seven legs of the multisport file; none from the bad ones.
    stored = ana.json("activities", "--all")
    assert len(stored) == 8
    assert {Path(a["source_path"]).name for a in stored} == {"good.fit", "multisport.fit"}
    with open_store(ana.db) as store:
        files = store.files.known(store.athletes.named("ana").id)
    assert {Path(p).name: f.status for p, f in files.items()} == {
        "good.fit": "imported",
        "multisport.fit": "imported",
        "settings.fit": "skipped",
    }


def test_human_output_lists_each_failure_on_one_line(ana, tmp_path: Path) -> None:
    bad = tmp_path / "cut.fit"
    bad.write_bytes(SMALL_RUN.read_bytes()[:500])
    result = ana("import", str(bad), code=3)
    lines = result.stderr.strip().splitlines()
    assert lines == [f"failed: {bad}: " + lines[0].split(": ", 2)[2]]
    assert "truncated FIT file" in lines[0]
    assert "1 failed" in result.stdout


def test_folder_of_ten_thousand_unrelated_files(ana, tmp_path: Path) -> None:
    junk = tmp_path / "photos"
    junk.mkdir()
    for i in range(10_000):
        (junk / f"IMG_{i:05d}.jpg").write_bytes(b"\xff\xd8\xff")
    (junk / "run.fit").write_bytes(SMALL_RUN.read_bytes())
    summary = ana.json("import", str(junk))
    assert summary["imported"] == 1 and summary["ignored"] == 10_000 and summary["failed"] == []


def test_missing_path_is_a_failure_not_a_crash(ana, tmp_path: Path) -> None:
    summary = ana.json("import", str(tmp_path / "nope"), code=3)
    assert summary["failed"] == [
        {"path": str(tmp_path / "nope"), "reason": "no such file or directory"}
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_file_without_read_permission(tmp_path: Path) -> None:
    locked = tmp_path / "locked.fit"
    locked.write_bytes(SMALL_RUN.read_bytes())
    locked.chmod(0)
    assert "cannot read" in _reason(locked)
