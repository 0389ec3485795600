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
        (("4", "--date", "0226-11-02"), "0226-11-02 is before 1980-01-01: is the year right?"),
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


# -- the pain level in `headroom --json` (issue 17, part 3; the numbers it bends: test_pain_rule)
AS_OF = "2026-11-08"


def _pain(cli: Cli, *args: str) -> dict:
    return cli.json("headroom", "--athlete", "ana", "--as-of", AS_OF, *args)["pain"]


def _report(cli: Cli, score: int, day: str, when: str = "morning") -> None:
    cli("pain", str(score), "-a", "ana", "--date", day, "--when", when, "--where", "left knee")


def test_without_a_report_the_level_is_none_and_green_leaves_the_numbers(ana: Cli) -> None:
    from .conftest import SAMPLES

    ana("import", str(SAMPLES / "demo-runner"))
    before = ana.json("headroom", "--athlete", "ana", "--as-of", AS_OF)
    assert before["pain"] == {
        "level": "none", "score": None, "day": None, "when": None, "where": None, "why": None
    }  # fmt: skip
    assert before["lines"][0] == {
        "facts": "pain: no report in the last days",
        "guidance": "pain unknown (loadwatch pain SCORE says how it feels today)",
    }
    _report(ana, 2, "2026-11-08")
    after = ana.json("headroom", "--athlete", "ana", "--as-of", AS_OF)
    assert after["pain"]["level"] == "green"
    # Green: the run and week numbers are the same as without a report.
    for part in ("run", "week", "drop"):
        assert after[part] == before[part], part
    assert after["lines"][1:] == before["lines"][1:]
    text = " ".join(ana("headroom", "--athlete", "ana", "--as-of", AS_OF).stdout.split())
    assert "left knee 2/10 this morning (green) -> the usual headroom below" in text


@pytest.mark.parametrize(
    "score,level", [(0, "green"), (2, "green"), (3, "amber"), (5, "amber"), (6, "red"), (10, "red")]
)
def test_a_scores_level_by_the_default_thresholds(ana: Cli, score: int, level: str) -> None:
    _report(ana, score, "2026-11-06")
    pain = _pain(ana)
    assert (pain["level"], pain["score"], pain["day"], pain["when"], pain["where"]) == (
        level, score, "2026-11-06", "morning", "left knee"
    )  # fmt: skip


def test_a_report_is_valid_seven_days_then_pain_is_unknown(ana: Cli) -> None:
    _report(ana, 4, "2026-11-02")  # 2 Nov to 8 Nov: the seventh day
    assert _pain(ana)["level"] == "amber"
    assert ana.json("headroom", "-a", "ana", "--as-of", "2026-11-09")["pain"]["level"] == "none"
    assert ana.json("headroom", "-a", "ana", "--as-of", "2026-11-01")["pain"]["level"] == "none"


def test_a_morning_two_points_up_is_red_the_24_hour_response(ana: Cli) -> None:
    _report(ana, 1, "2026-11-06")
    _report(ana, 2, "2026-11-07", "after")  # not a morning: not compared
    _report(ana, 3, "2026-11-08")  # amber by its score, but 2 above the previous morning's 1
    pain = _pain(ana)
    assert (pain["level"], pain["why"], pain["score"]) == ("red", "24h", 3)


def test_after_a_run_a_higher_score_is_its_score_only(ana: Cli) -> None:
    _report(ana, 1, "2026-11-07")
    _report(ana, 3, "2026-11-08", "after")
    assert (_pain(ana)["level"], _pain(ana)["why"]) == ("amber", "score")


def test_back_to_green_takes_two_green_days(ana: Cli) -> None:
    _report(ana, 6, "2026-11-05")
    _report(ana, 2, "2026-11-06")
    _report(ana, 1, "2026-11-06", "after")  # the same day: still one green day
    assert ana.json("headroom", "-a", "ana", "--as-of", "2026-11-06")["pain"] == {
        "level": "amber", "score": 1, "day": "2026-11-06", "when": "after", "where": "left knee",
        "why": "holding",
    }  # fmt: skip
    _report(ana, 0, "2026-11-08")
    assert (_pain(ana)["level"], _pain(ana)["score"]) == ("green", 0)


def test_the_thresholds_are_settings(ana: Cli, tmp_path) -> None:
    config = tmp_path / "loadwatch.toml"
    config.write_text("[pain]\ngreen_max = 3\nred_min = 8\nvalid_days = 3\n")
    _report(ana, 3, "2026-11-07")
    assert _pain(ana)["level"] == "amber"
    with_config = ana.json("--config", str(config), "headroom", "-a", "ana", "--as-of", AS_OF)
    assert with_config["pain"]["level"] == "green"
    _report(ana, 7, "2026-11-08", "after")
    assert _pain(ana)["level"] == "red"
    assert (
        ana.json("--config", str(config), "headroom", "-a", "ana", "--as-of", AS_OF)["pain"][
            "level"
        ]
        == "amber"
    )
    config.write_text("[pain]\ngreen_max = 5\nred_min = 5\n")
    bad = ana("--config", str(config), "headroom", "-a", "ana", code=2)
    assert "pain.red_min" in bad.stderr and "above pain.green_max (5)" in bad.stderr
