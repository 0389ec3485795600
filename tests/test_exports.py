"""Strava and Garmin account exports, and hostile archives, through the real import."""

from __future__ import annotations

import io
import json
import os
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from loadwatch.errors import UnreadableFile
from loadwatch.importers.exports import read_export
from loadwatch.model import ArchiveLimits

from .conftest import CORPUS
from .exports import PEGASUS_KM, SPEEDGOAT_KM, garmin_export, strava_export


def test_strava_export_activities_shoes_and_mileage(ana, tmp_path: Path) -> None:
    export = strava_export(tmp_path / "export_1234.zip")
    summary = ana.json("import", str(export), "--athlete", "ana")
    assert summary["failed"] == [] and summary["imported"] == 1
    assert summary["activities"] == 11  # 5 single files + 5 triathlon legs + 1 manual run
    acts = ana.json("activities")
    manual = next(a for a in acts if a["source"] == "manual")
    assert (
        manual["distance_m"] == 5000.0 and manual["moving_s"] == 1650.0
    )  # the SI copies, not miles
    assert manual["start_utc"] == "2024-03-03T08:00:00Z" and manual["sport"] == "running"
    run = next(a for a in acts if a["start_utc"] == "2022-02-26T07:43:50Z")
    assert run["distance_m"] == 8605.3 and run["source"] == "fit"  # the device's totals
    shoes = {s["name"]: s for s in ana.json("shoes", "list")}
    assert set(shoes) == {"Nike Pegasus 40", "Hoka Speedgoat 5 Trail"}
    assert shoes["Nike Pegasus 40"]["km"] == pytest.approx(PEGASUS_KM, abs=1e-3)
    assert (
        shoes["Nike Pegasus 40"]["runs"] == 3
        and shoes["Nike Pegasus 40"]["default_for"] == "running"
    )
    assert shoes["Hoka Speedgoat 5 Trail"]["km"] == pytest.approx(SPEEDGOAT_KM, abs=1e-3)
    # The bike is no shoe; the rides carry none.
    rides = [a for a in ana.json("activities", "--all") if a["sport"] == "cycling"]
    assert rides and all(a["shoe_id"] is None for a in rides)


def test_strava_export_twice_changes_nothing(ana, tmp_path: Path) -> None:
    export = strava_export(tmp_path / "export.zip")
    ana("import", str(export))
    before = ana.json("activities", "--all")
    again = ana.json("import", str(export))
    assert again["unchanged"] == 1 and again["activities"] == 0
    copy = tmp_path / "copy" / "export.zip"
    copy.parent.mkdir()
    copy.write_bytes(export.read_bytes())
    moved = ana.json("import", str(copy))
    assert moved["duplicates"] == 1 and moved["activities"] == 0
    assert ana.json("activities", "--all") == before
    # Touched, the export is its own bytes again: unchanged, and still exported (it was counted a
    # duplicate of itself and left out of `loadwatch export`).
    os.utime(export, ns=(export.stat().st_atime_ns, export.stat().st_mtime_ns + 10**9))
    touched = ana.json("import", str(export))
    assert (touched["unchanged"], touched["duplicates"], touched["imported"]) == (1, 0, 0)
    ana("export", "--athlete", "ana", str(tmp_path / "ana.zip"))
    with zipfile.ZipFile(tmp_path / "ana.zip") as zf:
        manifest = json.loads(zf.read("loadwatch-export.json"))
    assert [f["path"] for f in manifest["files"]] == [str(export.resolve())]


@pytest.mark.parametrize("watch_first", [True, False])
def test_strava_export_and_watch_folder_keep_each_run_once(
    ana, tmp_path: Path, watch_first: bool
) -> None:
    watch = tmp_path / "watch"
    watch.mkdir()
    (watch / "run.fit").write_bytes((CORPUS / "fit/togeojson-run.fit").read_bytes())
    (watch / "trail.fit").write_bytes(
        (CORPUS / "fit/workoutizer-run_with_coordinates.fit").read_bytes()
    )
    (watch / "tri.fit").write_bytes(
        (CORPUS / "fit/fitparserjs-triathlon_summary_first.fit").read_bytes()
    )
    export = strava_export(tmp_path / "export.zip")
    order = [watch, export] if watch_first else [export, watch]
    for p in order:
        ana("import", str(p))
    acts = ana.json("activities")
    assert len(acts) == 11
    starts = [a["start_utc"] for a in acts]
    assert len(starts) == len(set(starts))
    shoes = {s["name"]: s for s in ana.json("shoes", "list")}
    assert shoes["Nike Pegasus 40"]["km"] == pytest.approx(PEGASUS_KM, abs=1e-3)
    assert shoes["Hoka Speedgoat 5 Trail"]["km"] == pytest.approx(SPEEDGOAT_KM, abs=1e-3)


def test_garmin_export(ana, tmp_path: Path) -> None:
    summary = ana.json("import", str(garmin_export(tmp_path / "garmin.zip")), "-v")
    assert summary["failed"] == []
    assert summary["skipped"] == 1 and "MonitoringFile" not in summary["skipped_files"][0]["path"]
    assert "123456790.fit" in summary["skipped_files"][0]["path"]
    acts = {a["start_utc"]: a for a in ana.json("activities")}
    assert (
        len(acts) == 4
    )  # two FIT runs, one summary-only trail run, one ride; no multisport parent
    fit_run = acts["2022-02-26T07:43:50Z"]
    assert fit_run["source"] == "fit" and fit_run["distance_m"] == 8605.3
    trail = acts["2024-05-01T06:00:00Z"]
    assert trail["source"] == "summary" and trail["distance_m"] == 10000.0
    assert (
        trail["moving_s"] == 3500.0 and trail["elapsed_s"] == 3700.0 and trail["sport"] == "running"
    )
    assert trail["elevation_gain_m"] == 250.0
    assert acts["2024-05-02T06:00:00Z"]["sport"] == "cycling"
    assert "2019-09-14T15:22:05Z" in acts


def test_garmin_export_uses_the_default_shoe(ana, tmp_path: Path) -> None:
    ana("shoes", "add", "Pegasus 40", "--default")
    ana("import", str(garmin_export(tmp_path / "garmin.zip")))
    (shoe,) = ana.json("shoes", "list")
    assert shoe["runs"] == 3 and shoe["km"] == pytest.approx(
        (8605.3 + 10000.0 + 5839.77) / 1000, abs=1e-3
    )


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


RUN = (CORPUS / "fit/garmin-fenix-5-run.fit").read_bytes()


@pytest.mark.parametrize(
    "name", ["/etc/evil.fit", "../evil.fit", "a/../../evil.fit", "C:\\evil.fit"]
)
def test_unsafe_member_names_refuse_the_archive(ana, tmp_path: Path, name: str) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(_zip({"ok.fit": RUN, name: RUN}))
    summary = ana.json("import", str(bad), code=3)
    (failure,) = summary["failed"]
    assert failure["path"] == str(bad) and "unsafe member name" in failure["reason"]
    assert ana.json("activities") == []


def test_caps_are_configurable_and_refuse_whole_archives() -> None:
    data = _zip({f"{i}.fit": RUN for i in range(11)})
    with pytest.raises(UnreadableFile, match="11 members, more than 10"):
        read_export(data, "x.zip", limits=ArchiveLimits(max_members=10))
    with pytest.raises(UnreadableFile, match="over the 0 MiB cap"):
        read_export(data, "x.zip", limits=ArchiveLimits(max_member_bytes=1000))
    with pytest.raises(UnreadableFile, match="inflates to"):
        read_export(data, "x.zip", limits=ArchiveLimits(max_total_bytes=5 * len(RUN)))
    assert len(read_export(data, "x.zip").activities) == 11


def _bomb(path: Path, size: int = 512 * 2**20) -> Path:
    zero = bytes(2**20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("bomb.fit", "w", force_zip64=True) as f:
            for _ in range(size // len(zero)):
                f.write(zero)
    return path


@pytest.mark.parametrize(
    "size,reason",
    [(512 * 2**20, "over the 256 MiB cap"), (64 * 2**20, "inflates 1\\d+x, beyond the 100x cap")],
)
def test_zip_bomb_is_refused_without_using_its_memory(
    tmp_path: Path, size: int, reason: str
) -> None:
    bomb = _bomb(tmp_path / "bomb.zip", size)
    assert bomb.stat().st_size < 1_000_000
    data = bomb.read_bytes()
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFile, match=reason):
            read_export(data, str(bomb))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20  # the directory was enough: nothing was inflated


def test_nesting_beyond_two_levels_is_refused(ana, tmp_path: Path) -> None:
    level3 = _zip({"deep.fit": RUN})
    level2 = _zip({"inner.zip": level3, "two.fit": (CORPUS / "fit/togeojson-run.fit").read_bytes()})
    outer = tmp_path / "outer.zip"
    outer.write_bytes(_zip({"level2.zip": level2, "one.fit": RUN}))
    summary = ana.json("import", str(outer), code=3)
    (failure,) = summary["failed"]
    assert "nested deeper than 2 levels" in failure["reason"]
    assert (
        summary["activities"] == 2
    )  # one.fit and two.fit; the member that nests too deep is skipped


def test_corrupt_zip_and_corrupt_members(ana, tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_zip({"a.fit": RUN})[:-30])
    summary = ana.json("import", str(broken), code=3)
    assert "corrupt zip archive" in summary["failed"][0]["reason"]
    # A member whose bytes were damaged: its CRC fails; the rest of the archive is imported.
    good = (CORPUS / "fit/togeojson-run.fit").read_bytes()
    raw = bytearray(_zip({"a.fit": RUN, "b.fit": good}))
    start = raw.find(b"b.fit") + 5 + 100
    raw[start] ^= 0xFF
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(raw))
    summary = ana.json("import", str(damaged), code=3)
    assert summary["activities"] == 1
    (failure,) = summary["failed"]
    assert failure["path"].endswith("damaged.zip!b.fit") and "corrupt" in failure["reason"]
    empty_gz = tmp_path / "gz.zip"
    empty_gz.write_bytes(_zip({"x.fit.gz": b"", "y.fit": good}))
    summary = ana.json("import", str(empty_gz), code=3)
    assert summary["failed"][0]["reason"] == "empty .gz file" and summary["activities"] == 1


def test_zip_without_activities_is_skipped(ana, tmp_path: Path) -> None:
    photos = tmp_path / "photos.zip"
    photos.write_bytes(_zip({"IMG_1.jpg": b"\xff\xd8\xff"}))
    summary = ana.json("import", str(photos))
    assert (
        summary["skipped"] == 1
        and summary["skipped_files"][0]["reason"] == "zip archive without activity files"
    )


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_a_strava_export_in_another_language_imports_like_the_english_one(
    ana, tmp_path: Path, lang: str
) -> None:
    english = read_export(strava_export(tmp_path / "en.zip").read_bytes(), "en.zip")
    summary = ana.json("import", str(strava_export(tmp_path / f"{lang}.zip", lang=lang)))
    assert summary["failed"] == [] and summary["activities"] == 11
    acts = ana.json("activities", "--all")
    totals = sorted((a["start_utc"], a["sport"], a["distance_m"]) for a in acts)
    expected = sorted(
        (a.start_utc.isoformat().replace("+00:00", "Z"), a.sport, a.distance_m)
        for a in english.activities
    )
    assert totals == expected  # same runs, same sports, same device totals
    manual = next(a for a in acts if a["source"] == "manual")
    assert manual["distance_m"] == 5000.0 and manual["start_utc"] == "2024-03-03T08:00:00Z"
    shoes = {s["name"]: s for s in ana.json("shoes", "list")}
    assert shoes["Nike Pegasus 40"]["km"] == pytest.approx(PEGASUS_KM, abs=1e-3)
    assert shoes["Nike Pegasus 40"]["default_for"] == "running"
    assert shoes["Hoka Speedgoat 5 Trail"]["km"] == pytest.approx(SPEEDGOAT_KM, abs=1e-3)


def test_a_strava_header_in_an_unknown_language_is_read_by_position(ana, tmp_path: Path) -> None:
    export = strava_export(tmp_path / "de.zip", lang="de")
    with zipfile.ZipFile(export) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    text = members["activities.csv"].decode()
    head, rest = text.split("\n", 1)
    members["activities.csv"] = (",".join(f"kolumn{i}" for i in range(23)) + "\n" + rest).encode()
    rewritten = tmp_path / "xx.zip"
    with zipfile.ZipFile(rewritten, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    result = ana("import", str(rewritten), "-v")
    assert "columns read by their position" in result.stderr
    assert len(ana.json("activities")) == 11  # all of them, as from the English header


def test_an_export_whose_rows_are_all_unreadable_is_not_recorded_as_imported(
    ana, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("activities.csv", "Aktivitäts-ID,Aktivitätsdatum,Aktivitätsart,Dateiname\n"
                    "1,gestern,Lauf,\n2,vorgestern,Lauf,\n")  # fmt: skip
    first = ana.json("import", str(broken), code=3)
    assert first["imported"] == 0
    assert "none of the 2 activities" in first["failed"][0]["reason"]
    again = ana.json("import", str(broken), code=3)  # not "unchanged": the failure is said again
    assert again["unchanged"] == 0 and again["failed"]


def _spoil(path: Path, member: str) -> None:
    """Flip a byte inside a stored member's data: reading it would fail its CRC."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    data = bytearray(path.read_bytes())
    header = info.header_offset
    name_len = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_len = int.from_bytes(data[header + 28 : header + 30], "little")
    data[header + 30 + name_len + extra_len + 10] ^= 0xFF
    path.write_bytes(bytes(data))


def test_an_export_is_read_member_by_member_and_its_media_never(ana, tmp_path: Path) -> None:
    """Photos and videos are not read at all: a broken one, a huge one, a hostile name cost
    nothing, and the caps count only what is read."""
    media = {
        "media/broken.jpg": bytes(range(256)) * 64,
        "media/../../escape.mp4": b"x" * 1000,  # never opened, so never a path
    }
    export = strava_export(tmp_path / "export.zip", extra_members=media)
    with zipfile.ZipFile(export, "a", zipfile.ZIP_STORED) as zf:
        zf.writestr("media/huge.mp4", bytes(3 * 2**20))  # over the member cap below
    _spoil(export, "media/broken.jpg")
    with zipfile.ZipFile(export) as zf, pytest.raises((zipfile.BadZipFile, zlib.error)):
        zf.read("media/broken.jpg")  # the spoiled member really is unreadable
    limits = ArchiveLimits(max_member_bytes=2 * 2**20)
    from_disk = read_export(export, str(export), limits=limits)
    assert from_disk.failed == [] and len(from_disk.activities) >= 5
    assert ana.json("import", str(export))["failed"] == []


def test_an_export_reports_its_members_as_progress(ana, tmp_path: Path) -> None:
    from loadwatch.app import App

    export = strava_export(tmp_path / "export.zip")
    with zipfile.ZipFile(export) as zf:
        files = [n for n in zf.namelist() if n.startswith("activities/")]
    totals: list[int] = []
    done: list[int] = []
    with App.open(str(ana.db)) as app:
        app.import_paths(app.athlete("ana"), [export], None, totals.append, done.append)
    assert totals == [1, len(files)]  # the archive, then its members once its list is read
    assert sum(done) == sum(totals)
