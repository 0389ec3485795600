"""`loadwatch pull` from intervals.icu, against a local server that follows the published API
(tests/icu_server.py): each run stored once however often it is pulled, the same run from a
watch folder kept once, and every failure one warning line that loses nothing."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from loadwatch.synth import SyntheticRun, write_run

from .conftest import Cli
from .icu_server import KEY, IcuServer

TODAY = date.today()


def _fit(tmp_path: Path, day: date, km: float, seed: int) -> Path:
    start = datetime.combine(day, datetime.min.time()).replace(hour=7)
    from zoneinfo import ZoneInfo

    aware = start.replace(tzinfo=ZoneInfo("Europe/Berlin"))
    return write_run(
        SyntheticRun(
            aware, km * 1000, utc_offset_s=int(aware.utcoffset().total_seconds()), seed=seed,
            record_interval_s=30,
        ),
        tmp_path / f"{day}-{seed}.fit",
    )  # fmt: skip


@pytest.fixture
def icu(tmp_path: Path):
    """Four runs on the account: three from a watch (files), one that came from Strava."""
    server = IcuServer().start()
    for i, days_ago in enumerate((6, 4, 2)):
        day = TODAY - timedelta(days=days_ago)
        fit = _fit(tmp_path, day, 8.0 + i, i)
        server.add(
            f"i{1000 + i}",
            datetime.combine(day, datetime.min.time()).replace(hour=7),
            1,
            fit.read_bytes(),
        )
    strava_day = datetime.combine(TODAY - timedelta(days=1), datetime.min.time()).replace(hour=18)
    server.add(
        "i2000", strava_day, 1, None, distance=5012.0, moving_time=1680, elapsed_time=1702,
        average_heartrate=151.0, max_heartrate=172, total_elevation_gain=31.0,
    )  # fmt: skip
    yield server
    server.stop()


def _config(tmp_path: Path, icu: IcuServer, extra: str = "") -> str:
    cfg = tmp_path / "lw.toml"
    cfg.write_text(
        f"""
[[athletes]]
name = "ana"
tz = "Europe/Berlin"
{extra}
[[athletes.sources]]
type = "intervals.icu"
athlete_id = "{icu.athlete_id}"
api_key_env = "LW_TEST_ICU_KEY"
base_url = "{icu.url}"
"""
    )
    return str(cfg)


@pytest.fixture(autouse=True)
def key(monkeypatch) -> None:
    monkeypatch.setenv("LW_TEST_ICU_KEY", KEY)


def test_pulling_twice_stores_each_run_once_and_a_run_without_a_file_as_its_summary(
    db_url: str, tmp_path: Path, icu: IcuServer
) -> None:
    cli = Cli(db_url)
    cfg = _config(tmp_path, icu)
    first = json.loads(cli("--config", cfg, "pull", "--json").stdout)["sources"]
    assert [(s["source"], s["imported"], s["activities"], s["problem"]) for s in first] == [
        ("intervals.icu:i123456", 4, 4, None)
    ]
    assert first[0]["notes"][0]["path"] == "intervals.icu/i123456/i2000"
    runs = cli.json("activities", "--athlete", "ana")
    assert len(runs) == 4
    strava = next(r for r in runs if r["distance_source"] == "summary")
    assert strava["distance_m"] == pytest.approx(5012.0) and strava["sport"] == "running"
    assert sum(r["distance_source"] == "session" for r in runs) == 3
    # Again: nothing new is fetched or stored; the listing starts at the cursor's day.
    before = len(icu.requests)
    again = cli("--config", cfg, "pull")
    assert again.stdout == (
        "intervals.icu:i123456 of ana: 0 imported (0 activities), 0 duplicates, 1 unchanged, "
        "0 skipped, 0 failed\n"
    )
    assert all("/file" not in r for r in icu.requests[before:])
    assert f"oldest={TODAY - timedelta(days=1)}" in icu.requests[-1]
    assert len(cli.json("activities", "--athlete", "ana", "--all")) == 4


def test_a_run_already_imported_from_the_watch_is_not_stored_twice(
    sqlite_cli: Cli, tmp_path: Path, icu: IcuServer
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watch_copy = next(p for p in tmp_path.glob("*.fit"))
    shutil.copy(watch_copy, inbox)
    cfg = _config(tmp_path, icu, f'inbox = "{inbox}"')
    sqlite_cli("--config", cfg, "import", str(inbox), "--athlete", "ana")
    out = json.loads(sqlite_cli("--config", cfg, "pull", "--json").stdout)["sources"][0]
    assert (out["imported"], out["duplicates"]) == (3, 1)
    assert len(sqlite_cli.json("activities", "--athlete", "ana", "--all")) == 4


FAILURES = {
    "401": "the service refused the API key (HTTP 401)",
    "429": "rate limited (HTTP 429); it asks to wait 42 s: the next pull goes on from here",
    "503": "the service failed (HTTP 503); the next pull tries again",
    "truncated": "truncated answer",
    "malformed": "malformed answer (not JSON",
    "closed": "cannot reach",
}


@pytest.mark.parametrize("where", ["activities", "i1001/file"])
@pytest.mark.parametrize("kind", list(FAILURES))
def test_every_failure_is_one_line_keeps_what_came_before_and_the_next_pull_finishes(
    sqlite_cli: Cli, tmp_path: Path, icu: IcuServer, kind: str, where: str
) -> None:
    cfg = _config(tmp_path, icu)
    icu.fail(where, kind)
    bad_file = where.endswith("/file") and kind == "malformed"
    r = sqlite_cli("--config", cfg, "pull", code=3 if bad_file else 1)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, lines
    if bad_file:  # an answer that is no activity file fails that file, like a broken file
        assert lines[0] == (
            "failed: intervals.icu/i123456/i1001: an HTML page, not an activity file "
            "(a failed download?)"
        )
    else:
        assert lines[0].startswith("warning: intervals.icu i123456: "), lines
        assert FAILURES[kind] in lines[0]
    kept = sqlite_cli.json("activities", "--athlete", "ana")
    # Failing at the listing stores nothing; at the second file, the first run is kept (and a
    # file that failed does not stop the others).
    assert len(kept) == (0 if where == "activities" else 3 if bad_file else 1)
    r = sqlite_cli("--config", cfg, "pull")
    assert r.stderr == ""
    assert len(sqlite_cli.json("activities", "--athlete", "ana", "--all")) == 4


def test_check_pulls_first_and_a_failing_account_is_a_warning_while_the_check_goes_on(
    sqlite_cli: Cli, tmp_path: Path, icu: IcuServer
) -> None:
    cfg = _config(tmp_path, icu)
    icu.fail("i1002/file", "503")
    r = sqlite_cli("--config", cfg, "check", "--dry-run")
    assert r.stderr == (
        "warning: intervals.icu i123456: the service failed (HTTP 503); the next pull tries again\n"
    )
    assert len(sqlite_cli.json("activities", "--athlete", "ana")) == 2
    sqlite_cli("--config", cfg, "check", "--dry-run")
    assert len(sqlite_cli.json("activities", "--athlete", "ana")) == 4


def test_a_missing_key_variable_is_said_by_pull_and_config_check(
    sqlite_cli: Cli, tmp_path: Path, icu: IcuServer
) -> None:
    cfg = _config(tmp_path, icu)
    os.environ.pop("LW_TEST_ICU_KEY")
    r = sqlite_cli("--config", cfg, "pull", code=1)
    assert r.stderr == (
        "warning: intervals.icu i123456: environment variable LW_TEST_ICU_KEY is not set\n"
    )
    r = sqlite_cli("--config", cfg, "config", "check", code=None)
    assert (
        "athletes[0].sources[0].api_key_env: environment variable LW_TEST_ICU_KEY is not set"
        in r.output
    )
