"""Data that can leave: CSV beside JSON, an athlete edited, renamed and removed, and an export
that an empty database reads back with the same runs and edits (issue 19, part 4)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .conftest import SAMPLES, Cli


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
