"""Weekly effort (issue 17, part 2): the sum of each week's session RPE x moving minutes (Foster
2001) and its week-over-week change in `report` (text, JSON, --csv, HTML) and the coach digest,
on both backends. Hand-computed weeks; a week without ratings says so instead of 0; no alert."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from .conftest import ENV, Cli
from .smtp_server import PASSWORD

# (day, km, moving minutes, RPE or None). Weeks from Monday:
#   26 Oct: 4 x 45 + 6 x 30          = 180 + 180       = 360 AU, every run rated
#   2 Nov:  5 x 50 + 7 x 40 + 3 x 60 = 250 + 280 + 180 = 710 AU, every run rated: +97.2%
#   9 Nov:  5 x 45 and one run unrated                  = 225 AU (1 of 2 rated): no change given
#   16 Nov: two runs, neither rated                     = no effort, not 0
RUNS = [
    ("2026-10-27", 8, 45, 4),
    ("2026-10-29", 8, 30, 6),
    ("2026-11-03", 8, 50, 5),
    ("2026-11-05", 8, 40, 7),
    ("2026-11-07", 10, 60, 3),
    ("2026-11-10", 8, 45, 5),
    ("2026-11-12", 8, 45, None),
    ("2026-11-17", 8, 45, None),
    ("2026-11-19", 8, 45, None),
]


def _add(cli: Cli, athlete: str, runs) -> None:
    for day, km, minutes, rpe in runs:
        rated = ["--rpe", str(rpe)] if rpe is not None else []
        cli("activities", "add", "-a", athlete, "--date", day, "--km", str(km),
            "--minutes", str(minutes), *rated)  # fmt: skip


@pytest.fixture
def ana(cli: Cli) -> Cli:
    cli("athletes", "add", "ana", "--tz", "UTC")
    _add(cli, "ana", RUNS)
    return cli


def test_weekly_effort_in_json_and_csv(ana: Cli) -> None:
    weeks = ana.json("report", "--as-of", "2026-11-19")["weeks"]
    got = {
        w["week_start"]: (w["effort_au"], w["effort_change_pct"], w["rated_runs"], w["runs"])
        for w in weeks
    }
    assert got == {
        "2026-10-26": (360.0, None, 2, 2),  # the first week: nothing before it
        "2026-11-02": (710.0, pytest.approx((710 - 360) / 360 * 100, abs=0.05), 3, 3),
        "2026-11-09": (225.0, None, 1, 2),
        "2026-11-16": (None, None, 0, 2),
    }
    rows = list(csv.DictReader(io.StringIO(ana("report", "--as-of", "2026-11-19", "--csv").stdout)))
    assert [(r["effort_au"], r["rated_runs"], r["runs"]) for r in rows] == [
        ("360.0", "2", "2"),
        ("710.0", "3", "3"),
        ("225.0", "1", "2"),
        ("", "0", "2"),
    ]


def test_weekly_effort_in_the_text_and_html_report(ana: Cli, tmp_path: Path) -> None:
    text = ana("report", "--as-of", "2026-11-19").stdout
    lines = {line[:10]: line for line in text.splitlines() if line[:4] == "2026"}
    assert lines["2026-10-26"].endswith("   360 AU  (from the first run)")
    assert lines["2026-11-02"].endswith("   710 AU (+97%)")
    assert lines["2026-11-09"].endswith("   225 AU (1 of 2 runs rated)")
    assert lines["2026-11-16"].endswith("   no RPE (2 runs)  (so far)")
    flat = " ".join(text.split())
    assert "avoid sudden increases in mileage or intensity" in flat
    assert "Run Clever trial (Ramskov et al. 2018) found no clear difference" in flat
    assert "confidence intervals spanning 0" in flat and "never alerted on" in flat
    page = tmp_path / "r.html"
    ana("report", "--as-of", "2026-11-19", "--html", str(page))
    html = page.read_text()
    assert "<th>effort (sRPE)</th>" in html
    assert "<td>710 AU (+97%)</td>" in html and "<td>no RPE (2 runs)</td>" in html


def test_the_digest_shows_effort_of_the_same_7_days(
    db_url: str, smtp, tmp_path: Path, monkeypatch
) -> None:
    from .test_check import ConfiguredCli, _wait_for

    config = tmp_path / "lw.toml"
    config.write_text(
        smtp.config()
        + '\n[[athletes]]\nname = "ana"\nemail = "ana@example.com"\ntz = "UTC"\n'
        + '\n[[athletes]]\nname = "ben"\nemail = "ben@example.com"\ntz = "UTC"\n'
        + '\n[[athletes]]\nname = "cy"\nemail = "cy@example.com"\ntz = "UTC"\n'
        + '\n[[coaches]]\nname = "Carla"\nemail = "carla@example.com"\n'
        + 'athletes = ["ana", "ben", "cy"]\ndigest = "daily"\n'
    )
    monkeypatch.setenv(ENV, PASSWORD)
    cli = ConfiguredCli(db_url, config)
    _add(cli, "ana", RUNS[:5])
    _add(cli, "ben", [("2026-11-03", 8, 45, None), ("2026-11-05", 8, 45, None)])
    cli("check", "--as-of", "2026-11-07")
    assert _wait_for(lambda: any(m["To"] == "carla@example.com" for m in smtp.messages))
    time.sleep(0.2)
    digest = next(m for m in smtp.messages if m["To"] == "carla@example.com")
    flat = " ".join(digest.get_body(("plain",)).get_content().split())
    # 1-7 Nov: 250 + 280 + 180 = 710 AU; 25-31 Oct: 360 AU; +97%.
    assert "effort: 710 AU, the 7 before 360 AU (+97%)" in flat
    assert "effort: no RPE (2 runs)" in flat  # ben rated nothing: not 0
    assert "effort: no runs in 14 days" in flat  # cy has not run
    assert "never alerted on" in flat
    page = digest.get_body(("html",)).get_content()
    assert ">effort 7 d</th>" in page and "data-label='effort 7 d'" in page
