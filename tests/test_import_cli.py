"""Importing through the real `loadwatch` command into a real SQLite file."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from loadwatch.cli import main
from loadwatch.errors import StoreError
from loadwatch.store import open_store

from .conftest import CORPUS, SAMPLES


def test_athletes_add_and_list(cli) -> None:
    out = cli("athletes", "add", "ana", "--email", "ana@example.com", "--tz", "Europe/Berlin")
    assert out.stdout == "athlete ana (Europe/Berlin, ana@example.com)\n"
    cli("athletes", "add", "ben", "--tz", "America/New_York")
    listed = cli.json("athletes", "list")
    assert [(a["name"], a["tz"]) for a in listed] == [
        ("ana", "Europe/Berlin"),
        ("ben", "America/New_York"),
    ]
    again = cli("athletes", "add", "ana", code=1)
    assert again.stderr == "error: athlete 'ana' exists already\n"


def test_bad_time_zone_is_a_usage_error(cli) -> None:
    result = cli("athletes", "add", "ana", "--tz", "Mars/Olympus", code=2)
    assert "unknown time zone 'Mars/Olympus'" in result.stderr


def test_import_needs_a_known_athlete(cli, tmp_path: Path) -> None:
    result = cli("import", str(CORPUS / "fit/Activity.fit"), code=2)
    assert result.stderr.startswith("error: no athletes yet")
    cli("athletes", "add", "ana")
    cli("athletes", "add", "ben")
    result = cli("import", str(CORPUS / "fit/Activity.fit"), "--athlete", "zoe", code=2)
    assert result.stderr == "error: no athlete named 'zoe' (known: ana, ben)\n"
    result = cli("import", str(CORPUS / "fit/Activity.fit"), code=2)
    assert "several athletes" in result.stderr


def test_import_then_unchanged_then_touched(ana, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "demo-runner", inbox)
    first = ana.json("import", str(inbox), "--athlete", "ana")
    n = len(list(inbox.glob("*.fit")))
    assert first == {
        "imported": n,
        "duplicates": 0,
        "unchanged": 0,
        "skipped": 0,
        "ignored": 0,
        "activities": n,
        "replaced": 0,
        "failed": [],
        "skipped_files": [],
        "notes": [],
        "needs_sport": [],
        "needs_look": [],
    }
    second = ana.json("import", str(inbox), "--athlete", "ana")
    assert second["unchanged"] == n and second["imported"] == 0
    # A copy of a known file under another name: same bytes, recorded as a duplicate.
    some = sorted(inbox.glob("*.fit"))[0]
    shutil.copy(some, tmp_path / "copy.fit")
    third = ana.json("import", str(tmp_path / "copy.fit"))
    assert third["duplicates"] == 1 and third["imported"] == 0
    # Touching a file makes it worth a look, but its bytes are its own: unchanged. (It was
    # counted a duplicate of itself, and so left out of `export`, its runs with it.)
    os.utime(some, ns=(some.stat().st_atime_ns, some.stat().st_mtime_ns + 10**9))
    fourth = ana.json("import", str(inbox))
    assert fourth["unchanged"] == n and fourth["duplicates"] == 0 and fourth["imported"] == 0
    assert len(ana.json("activities", "--athlete", "ana")) == n
    ana("export", "--athlete", "ana", str(tmp_path / "ana.zip"))
    with zipfile.ZipFile(tmp_path / "ana.zip") as zf:
        manifest = json.loads(zf.read("loadwatch-export.json"))
    assert sorted(f["path"] for f in manifest["files"]) == sorted(
        str(p.resolve()) for p in inbox.glob("*.fit")
    )


def test_same_run_from_watch_and_gpx_is_kept_once_preferring_the_fit(ana, tmp_path: Path) -> None:
    gpx = CORPUS / "paired/activity-small-fenix2-run-s0.gpx"
    fit = CORPUS / "fit/activity-small-fenix2-run.fit"
    # GPX first: it is stored, then demoted when the watch's own file arrives.
    assert ana.json("import", str(gpx))["imported"] == 1
    summary = ana.json("import", str(fit))
    assert summary["imported"] == 1 and summary["activities"] == 1
    rows = ana.json("activities")
    assert len(rows) == 1
    assert rows[0]["source"] == "fit" and rows[0]["distance_m"] == 9008.22
    everything = ana.json("activities", "--all")
    assert len(everything) == 2
    gpx_row = next(r for r in everything if r["source"] == "gpx")
    assert gpx_row["duplicate_of"] == rows[0]["id"]
    # And the other way round: a TCX after the FIT stays a duplicate.
    tcx_dir = tmp_path / "t"
    tcx_dir.mkdir()
    summary = ana.json(
        "import",
        str(CORPUS / "tcx/sweatpy-activity_4801048867.tcx"),
        str(CORPUS / "fit/sweatpy-4801048867.fit"),
    )
    assert summary["imported"] + summary["duplicates"] == 2
    bike = [r for r in ana.json("activities") if r["start_utc"].startswith("2020-04-18")]
    assert [r["source"] for r in bike] == ["fit"]


def test_multisport_legs_are_not_duplicates_of_each_other(ana) -> None:
    summary = ana.json("import", str(CORPUS / "fit/sample_mulitple_header.fit"))
    assert summary["activities"] == 5
    sports = [r["sport"] for r in ana.json("activities")]
    assert sports == ["swimming", "transition", "cycling", "transition", "running"]


def test_activities_json_fields(ana) -> None:
    ana("import", str(CORPUS / "fit/togeojson-run.fit"))
    (row,) = ana.json("activities", "--athlete", "ana")
    assert row["start_utc"] == "2022-02-26T07:43:50Z"
    assert row["sport"] == "running" and row["source"] == "fit"
    assert row["distance_m"] == 8605.3
    assert row["moving_s"] == pytest.approx(2418.851)
    assert row["elapsed_s"] == pytest.approx(3258.424)
    assert row["avg_hr"] == 191.0
    assert isinstance(row["id"], int)


def test_activities_table_shows_local_time(ana) -> None:
    ana("import", str(CORPUS / "fit/togeojson-run.fit"))
    out = ana("activities").stdout.splitlines()
    # 07:43 UTC is 08:43 in Berlin in February.
    assert "2022-02-26 08:43" in out[1] and "8.61" in out[1]
    assert out[-1] == "1 activity"


def test_gz_files_in_a_folder(ana, tmp_path: Path) -> None:
    inbox = tmp_path / "gz"
    inbox.mkdir()
    (inbox / "a.fit.gz").write_bytes(gzip.compress((CORPUS / "fit/togeojson-run.fit").read_bytes()))
    (inbox / "b.tcx.gz").write_bytes(
        gzip.compress((CORPUS / "tcx/togeojson-sample.tcx").read_bytes())
    )
    summary = ana.json("import", str(inbox))
    assert summary["imported"] == 2


def test_paths_command(sqlite_cli, tmp_path: Path, monkeypatch) -> None:
    cli = sqlite_cli
    out = cli("paths").stdout
    assert f"database: {cli.db}  (--db)" in out
    monkeypatch.setenv("LOADWATCH_CONFIG", str(tmp_path / "c.toml"))
    out = cli.runner.invoke(main, ["paths"]).stdout
    assert f"config:   {tmp_path / 'c.toml'}  (LOADWATCH_CONFIG, not present)" in out


def test_store_uses_wal_and_records_migrations(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    open_store(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations")]
        assert names == [
            "0001_initial",
            "0002_digests",
            "0003_failed_files",
            "0004_alerts_since",
            "0005_alert_keys_by_id",
            "0006_activity_edits",
            "0007_alerts_by_athlete",
            "0008_needs_a_look",
            "0009_devices_and_sources",
            "0010_calendar_keys",
            "0011_pain_reports",
            "0012_knee_signals",
            "0013_races",
            "0014_hr_drift",
            "0015_deliveries",
            "0016_snapshots",
            "0017_athlete_units",
            "0018_check_claims",
        ]
        conn.execute("INSERT INTO schema_migrations VALUES ('9999_from_the_future', 'x')")
    with pytest.raises(StoreError, match="newer loadwatch"):
        open_store(f"sqlite:///{db}")


def test_not_a_database_is_a_clear_error(sqlite_cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    cli.db.write_text("this is not sqlite")
    result = cli("athletes", "list", code=1)
    assert result.stderr.startswith(f"error: cannot open database {cli.db}")


def test_debug_shows_the_traceback(sqlite_cli) -> None:
    cli = sqlite_cli
    cli.db.write_text("this is not sqlite")
    result = cli.runner.invoke(main, ["--db", str(cli.db), "--debug", "athletes", "list"])
    assert result.exit_code == 1 and "Traceback" in result.stderr


def test_database_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    db = tmp_path / "env.db"
    monkeypatch.setenv("LOADWATCH_DB", str(db))
    runner = CliRunner()
    assert runner.invoke(main, ["athletes", "add", "ana"]).exit_code == 0
    out = runner.invoke(main, ["paths"]).stdout
    assert f"database: {db}  (LOADWATCH_DB)" in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM athletes").fetchall() == [("ana",)]
    # the flag wins over the environment
    other = tmp_path / "flag.db"
    assert runner.invoke(main, ["--db", str(other), "athletes", "list"]).exit_code == 0
    assert other.exists()


def _gpx(times: list[str]) -> str:
    points = "".join(
        f'<trkpt lat="{52.5 + i * 0.0001:.5f}" lon="13.4"><time>{t}</time></trkpt>'
        for i, t in enumerate(times)
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><type>running</type>'
        f"<trkseg>{points}</trkseg></trk></gpx>"
    )


def test_a_failure_message_shows_numbers_plainly(ana, tmp_path: Path) -> None:
    """A GPX lasting 111 days failed as "impossible elapsed time np.float64(9612991.0)": the
    number a reader computed with numpy reached the message as its repr."""
    (tmp_path / "long.gpx").write_text(
        _gpx(["2026-06-01T07:00:00Z", "2026-06-01T07:00:10Z", "2026-09-20T13:16:31Z"])
    )
    summary = ana.json("import", str(tmp_path / "long.gpx"), code=3)
    (failure,) = summary["failed"]
    assert failure["reason"] == "impossible elapsed time 9612991 s (more than 7 days)"


PIPED_COMMANDS = [
    ("headroom", "--as-of", "2026-10-25"),
    ("report", "--as-of", "2026-10-25"),
    ("activities",),
    ("athletes", "list"),
    ("alerts",),
    ("paths",),
    ("--help",),
]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    db = tmp_path_factory.mktemp("piped") / "lw.db"
    runner = CliRunner()
    for args in (
        ["athletes", "add", "ana", "--tz", "Europe/Berlin"],
        ["import", str(SAMPLES / "demo-runner")],
    ):
        assert runner.invoke(main, ["--db", str(db), *args]).exit_code == 0
    return db


@pytest.mark.parametrize("args", PIPED_COMMANDS, ids=" ".join)
def test_a_reader_that_left_ends_the_command_quietly(demo_db: Path, args) -> None:
    """`loadwatch headroom | head -1` exited 1 with "unexpected BrokenPipeError": a closed
    stdout is the reader's choice, not an error. The pipe's reading end is closed before the
    command starts, so every write meets it."""
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "loadwatch", "--db", str(demo_db), *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)
    assert proc.stderr == "" and proc.returncode == 141, (proc.returncode, proc.stderr)


TWINS = ["2013-02-06-12-11-14", "activity-small-fenix2-run", "developer-types-sample"]


def test_the_import_summary_is_the_same_whatever_order_files_arrive_in(cli, tmp_path: Path) -> None:
    """The same folder into fresh athletes said 82/83/84 files and 17/16/15 duplicates for the
    same end state: a file whose run a better copy (the watch's FIT against its GPX) took over
    later in the same import was counted as imported. The summary now counts what the import
    left in the store, and its activities are what `activities` lists."""
    folder = tmp_path / "folder"
    folder.mkdir()
    for stem in [*TWINS, "sample_mulitple_header", "garmin-fenix-5-run", "Activity"]:
        shutil.copy(CORPUS / "fit" / f"{stem}.fit", folder)
    for gpx in (CORPUS / "paired").glob("*.gpx"):
        if not gpx.name.startswith("activity-large"):
            shutil.copy(gpx, folder)
    shutil.copy(CORPUS / "fit" / "Activity.fit", folder / "Activity-copy.fit")  # same bytes
    summaries = []
    for i in range(5):
        cli("athletes", "add", f"a{i}")
        summary = cli.json("import", str(folder), "--athlete", f"a{i}", "--workers", "2")
        listed = cli.json("activities", "--athlete", f"a{i}")
        assert summary["activities"] == len(listed)
        summary["needs_sport"] = [n["path"] for n in summary["needs_sport"]]
        summaries.append(summary)
    assert all(s == summaries[0] for s in summaries), summaries
    # Each twin is one run kept once, from the FIT: its GPX is a duplicate, as is the copy.
    assert summaries[0]["duplicates"] == len(TWINS) + 2 and summaries[0]["imported"] == 6


def test_a_file_named_directly_that_is_no_activity_says_so(ana, tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# my runs\n")
    (failure,) = ana.json("import", str(tmp_path / "notes.md"), code=3)["failed"]
    assert failure["reason"] == "not an activity file (FIT, GPX or TCX): unrecognised content"
