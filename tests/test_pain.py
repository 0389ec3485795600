"""The pain log (issue 17, part 1): what the runner feels, typed in, kept, listed and deleted
through the CLI on both backends; bad input is one line, exit 2 and nothing stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import Cli


def _berlin_today() -> str:
    return datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()


def test_a_report_is_logged_listed_newest_first_and_deleted(ana: Cli) -> None:
    before = _berlin_today()
    out = ana("pain", "3", "--athlete", "ana", "--when", "after", "--where", "left knee, front")
    assert "3/10 after, left knee, front" in out.stdout
    ana("pain", "0", "-a", "ana", "--date", "2026-03-01", "--note", "felt fine on the stairs")
    ana("pain", "5", "-a", "ana", "--date", "2026-03-02", "--when", "during")
    reports = ana.json("pain", "--athlete", "ana", "--list")
    assert [(r["day"], r["score"], r["when"]) for r in reports][1:] == [
        ("2026-03-02", 5, "during"),
        ("2026-03-01", 0, "morning"),
    ]
    newest = reports[0]
    # No --date: today in the athlete's zone (Europe/Berlin), whichever side of midnight.
    assert newest["day"] in {before, _berlin_today()}
    assert (newest["score"], newest["where"], newest["note"]) == (3, "left knee, front", None)
    assert reports[2]["note"] == "felt fine on the stairs"
    text = ana("pain", "--athlete", "ana", "--list").stdout.splitlines()
    assert [line.split()[0] for line in text] == [str(r["id"]) for r in reports]
    deleted = ana("pain", "delete", str(reports[1]["id"]))
    assert "5/10 during" in deleted.stdout
    assert [r["id"] for r in ana.json("pain", "-a", "ana", "--list")] == [
        reports[0]["id"],
        reports[2]["id"],
    ]
    gone = ana("pain", "delete", str(reports[1]["id"]), code=2)
    assert gone.stderr.strip() == f"error: no pain report with id {reports[1]['id']}"


def _future() -> str:
    return (datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    "args,says",
    [
        (("11",), "pain score 11 is not 0-10"),
        (("-1",), "pain score -1 is not 0-10"),
        (("x",), "pain score 'x' is not a whole number 0-10"),
        (("2.5",), "pain score '2.5' is not a whole number 0-10"),
        (("4", "--date", "FUTURE"), "is in the future"),
        (("4", "--athlete", "bob"), "no athlete named 'bob'"),
        (("4", "--where", "left\nknee"), "the where 'left\\nknee' holds a control character"),
        (("4", "--note", "a\u202eb"), "the note 'a\\u202eb' holds a control character (U+202E)"),
        (("4", "--note", "x" * 501), "the note is 501 characters long (at most 500)"),
        (("4", "--wehre", "knee"), "no such option: --wehre"),
        ((), "give one score 0-10"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_stored(ana: Cli, args, says: str) -> None:
    args = tuple(_future() if a == "FUTURE" else a for a in args)
    if "--athlete" not in args:
        args = (*args, "--athlete", "ana")
    result = ana("pain", *args, code=2)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert result.stdout == ""
    assert ana.json("pain", "--athlete", "ana", "--list") == []


def test_a_bad_when_is_refused_by_its_choices(ana: Cli) -> None:
    result = ana("pain", "3", "-a", "ana", "--when", "evening", code=2)
    assert "'evening' is not one of 'morning', 'during', 'after'" in result.stderr
    assert ana.json("pain", "-a", "ana", "--list") == []


def test_removing_an_athlete_removes_their_pain_reports_only(ana: Cli) -> None:
    ana("athletes", "add", "ben", "--tz", "UTC")
    ana("pain", "6", "-a", "ana", "--date", "2026-03-01")
    ana("pain", "2", "-a", "ben", "--date", "2026-03-01")
    out = ana("athletes", "remove", "ana", "--yes").stdout
    assert "1 pain reports" in out
    assert [r["score"] for r in ana.json("pain", "-a", "ben", "--list")] == [2]
    ana("athletes", "add", "ana", "--tz", "Europe/Berlin")  # the name again: a new athlete
    assert ana.json("pain", "-a", "ana", "--list") == []
