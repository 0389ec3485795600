"""Data that can leave: CSV beside JSON, an athlete edited, renamed and removed, and an export
that an empty database reads back with the same runs and edits (issue 19, part 4)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

from .conftest import CORPUS, SAMPLES, Cli

GPX = CORPUS / "paired/activity-small-fenix2-run-s0.gpx"
FIT = CORPUS / "fit/activity-small-fenix2-run.fit"


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_gives_the_json_fields_row_for_row(ana: Cli) -> None:
    ana("import", str(SAMPLES / "demo-runner"))
    ana("check", "--as-of", "2026-11-10", code=None)  # some alerts in the ledger (no email set up)
    runs = ana.json("activities")
    rows = _csv(ana("activities", "--csv").stdout)
    assert [int(r["id"]) for r in rows] == [r["id"] for r in runs]
    assert [float(r["distance_m"]) for r in rows] == [r["distance_m"] for r in runs]
    weeks = ana.json("report", "--as-of", "2026-11-08")["weeks"]
    week_rows = _csv(ana("report", "--as-of", "2026-11-08", "--csv").stdout)
    assert [r["week_start"] for r in week_rows] == [w["week_start"] for w in weeks]
    assert [float(r["distance_km"]) for r in week_rows] == [w["distance_km"] for w in weeks]
    alerts = ana.json("alerts")
    alert_rows = _csv(ana("alerts", "--csv").stdout)
    assert alerts and [r["key"] for r in alert_rows] == [a["key"] for a in alerts]
    assert [json.loads(r["numbers"]) for r in alert_rows] == [a["numbers"] for a in alerts]
    both = ana("activities", "--csv", "--json", code=2)
    assert "choose one" in both.stderr


def test_a_spreadsheet_formula_in_a_name_stays_text(ana: Cli) -> None:
    ana("activities", "add", "--date", "2026-11-20", "--km", "8", "--minutes", "45",
        "--name", "=HYPERLINK(\"http://x\")")  # fmt: skip
    (row,) = _csv(ana("activities", "--csv").stdout)
    assert row["name"] == '\'=HYPERLINK("http://x")'


def test_athletes_edit_rename_remove(ana: Cli, tmp_path: Path) -> None:
    folder = SAMPLES / "demo-runner"
    ana("import", str(folder))
    files_before = sorted(p.name for p in folder.iterdir())
    out = ana("athletes", "edit", "ana", "--email", "ana@example.org", "--tz", "Europe/Paris")
    assert out.stdout == "athlete ana (Europe/Paris, ana@example.org)\n"
    bad = ana("athletes", "edit", "ana", "--email", "ana@example.org\nBcc: x@y.z", code=2)
    assert "control character" in bad.stderr
    assert (
        "not an email address" in ana("athletes", "edit", "ana", "--email", "nope", code=2).stderr
    )
    assert "unknown time zone" in ana("athletes", "edit", "ana", "--tz", "Mars/Base", code=2).stderr
    ana("athletes", "add", "ben", "--tz", "UTC")
    assert "exists already" in ana("athletes", "rename", "ana", "ben", code=1).stderr
    assert "control character" in ana("athletes", "rename", "ana", "a\x1bb", code=2).stderr
    runs = ana.json("activities", "--athlete", "ana")
    assert ana("athletes", "rename", "ana", "ana-m").stdout == "athlete ana is now ana-m\n"
    assert ana.json("activities", "--athlete", "ana-m") == runs
    asked = ana.runner.invoke(
        __import__("loadwatch.cli", fromlist=["main"]).main,
        ["--db", str(ana.db), "athletes", "remove", "ana-m"],
        input="n\n",
    )
    assert asked.exit_code == 1 and "nothing removed" in asked.stderr
    assert len(ana.json("activities", "--athlete", "ana-m")) == len(runs)
    out = ana("athletes", "remove", "ana-m", "--yes").stdout
    assert out.startswith(f"removed athlete ana-m: {len(runs)} activities")
    assert [a["name"] for a in ana.json("athletes", "list")] == ["ben"]
    assert sorted(p.name for p in folder.iterdir()) == files_before  # files on disk untouched


def _state(cli: Cli) -> list[tuple]:
    """Every stored run as a person sees it, ids and paths aside (they differ by database;
    which shoe is compared by each shoe's runs and kilometres, in `_shoes`)."""
    runs = cli.json("activities", "--all")
    starts = {r["id"]: r["start_utc"] for r in runs}
    return sorted(
        (
            r["start_utc"], r["sport"], r["distance_m"], r["moving_s"], r["avg_hr"], r["excluded"],
            r["exclude_reason"], r["rpe"], r["name"], r["look"], json.dumps(r["edit"]), r["race"],
            r["shoe_id"] is not None, starts.get(r["duplicate_of"]),
        )
        for r in runs
    )  # fmt: skip


def _shoes(cli: Cli) -> list[dict]:
    return [{k: v for k, v in s.items() if k != "id"} for s in cli.json("shoes", "list")]


def test_an_export_read_into_an_empty_database_gives_the_same_runs_and_edits(
    ana: Cli, tmp_path: Path, request
) -> None:
    from .conftest import new_pg_database
    from .exports import garmin_export, strava_export

    folder = tmp_path / "runs"
    shutil.copytree(SAMPLES / "demo-runner", folder)
    ana("import", str(folder), str(strava_export(tmp_path / "strava.zip")))
    ana("import", str(garmin_export(tmp_path / "garmin.zip")))
    ana("import", str(GPX), str(FIT))  # one outing twice: a copy kept as a duplicate
    ana("shoes", "add", "Pegasus", "--start-km", "120", "--default")
    ana("shoes", "add", "Old trail")
    ana("shoes", "retire", "Old trail")
    runs = ana.json("activities")
    first, second, third, fourth = (r["id"] for r in runs[-4:])
    ana("activities", "edit", str(first), "--sport", "cycling")
    ana("activities", "edit", str(second), "--distance-km", "9.5", "--shoe", "Pegasus")
    ana("activities", "exclude", str(third), "--reason", "GPS glitch")
    ana("activities", "delete", str(fourth))
    ana("activities", "edit", str(runs[-5]["id"]), "--race")  # a race mark travels too
    ana("activities", "add", "--date", "2026-11-20", "--km", "8", "--minutes", "45", "--rpe", "6",
        "--name", "treadmill")  # fmt: skip
    gone = sorted(folder.iterdir())[0]
    gone.unlink()  # moved away since: its run travels as a record
    before, shoes_before = _state(ana), _shoes(ana)
    alerts_before = ana.json("report")["weeks"]

    out = tmp_path / "ana.zip"
    said = ana("export", "--athlete", "ana", str(out))
    assert f"missing: {gone}: cannot read" in said.stderr
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("loadwatch-export.json"))
        names = zf.namelist()
        listed = _csv(zf.read("activities.csv").decode())
    assert manifest["missing"] == [{"path": str(gone), "why": manifest["missing"][0]["why"]}]
    assert {f["member"] for f in manifest["files"]} <= set(names)
    archives = sorted(n.split("-", 1)[1] for n in names if n.startswith("archives/"))
    assert archives == ["garmin.zip", "strava.zip"]
    assert len(manifest["files"]) == 42 - 1 + 2 + 2  # the folder less one, 2 exports, the pair
    assert len(listed) == len(ana.json("activities", "--all"))

    if str(ana.db).startswith("postgresql"):
        other = Cli(new_pg_database(request.getfixturevalue("pg_server")))
    else:
        other = Cli(tmp_path / "new.db")
    done = other("import", str(out))
    assert "restored from the export" in done.stderr and "not found" not in done.stderr
    assert [a["name"] for a in other.json("athletes", "list")] == ["ana"]
    assert other.json("athletes", "list")[0]["tz"] == "Europe/Berlin"
    assert _state(other) == before
    assert _shoes(other) == shoes_before
    assert other.json("report")["weeks"] == alerts_before


def _pain(cli: Cli) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "id"} for r in cli.json("pain", "--list")]


def test_the_pain_log_travels_in_the_export_and_comes_back_once(
    ana: Cli, tmp_path: Path, request
) -> None:
    """pain.csv beside activities.csv: read back on import of the zip, in order, as typed (a
    place a spreadsheet would take for a formula too), and not twice when read twice."""
    from .conftest import new_pg_database

    ana("import", str(FIT))
    ana("pain", "3", "--date", "2026-11-20", "--where", "left knee, front")
    twice = ["6", "--date", "2026-11-21", "--when", "after", "--where", "-knee-"]
    ana("pain", *twice, "--note", 'stairs "hurt"')
    ana("pain", *twice, "--note", 'stairs "hurt"')  # two equal reports stay two
    ana("pain", "0", "--date", "2026-11-23")
    before = _pain(ana)
    out = tmp_path / "ana.zip"
    ana("export", "--athlete", "ana", str(out))
    with zipfile.ZipFile(out) as zf:
        listed = _csv(zf.read("pain.csv").decode())
    assert [(r["day"], r["score"], r["when"]) for r in listed] == [
        (r["day"], str(r["score"]), r["when"]) for r in before
    ]
    assert listed[1]["where"] == "'-knee-"  # a spreadsheet shows it as text

    if str(ana.db).startswith("postgresql"):
        other = Cli(new_pg_database(request.getfixturevalue("pg_server")))
    else:
        other = Cli(tmp_path / "new.db")
    done = other("import", str(out))
    assert "4 pain reports" in done.stderr
    assert _pain(other) == before
    again = other("import", str(out))
    assert "0 pain reports" in again.stderr
    assert _pain(other) == before


def test_a_broken_row_of_pain_csv_is_named_and_the_rest_read(ana: Cli, tmp_path: Path) -> None:
    ana("import", str(FIT))
    ana("pain", "2", "--date", "2026-11-20")
    out = tmp_path / "ana.zip"
    ana("export", "--athlete", "ana", str(out))
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(edited, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "pain.csv":
                data += b"2026-11-21,11,morning,,\n2026-11-22,4,during,right hip,\n"
                data += b"2099-01-01,3,morning,,\n2026-11-23,3,morning,knee\x07,\n"
            dst.writestr(name, data)
    other = Cli(tmp_path / "new.db")
    done = other("import", str(edited))
    assert "pain.csv line 3: not a pain report" in done.stderr and "Traceback" not in done.stderr
    assert "pain.csv line 5: not a pain report (day YYYY-MM-DD, not in the future" in done.stderr
    assert "pain.csv line 6: the where 'knee\\x07' holds a control character" in done.stderr
    assert "2 pain reports" in done.stderr
    assert [(r["day"], r["score"]) for r in other.json("pain", "--list")] == [
        ("2026-11-22", 4),
        ("2026-11-20", 2),
    ]
