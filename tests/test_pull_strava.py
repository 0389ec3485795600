"""`loadwatch pull` from Strava and `loadwatch strava connect`, against a local HTTPS server that
follows Strava's published API v3 (tests/strava_server.py): each activity stored once however
often it is pulled, from its streams where it has them, the same run from a watch folder kept
once, the rate limits stopping the pull without losing anything, and every failure one warning
line."""

from __future__ import annotations

import json
import os
import re
import ssl
import stat
import subprocess
import sys
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from loadwatch.synth import SyntheticRun, write_run

from .conftest import Cli
from .strava_server import ATHLETE_ID, CLIENT_ID, CLIENT_SECRET, StravaServer

TODAY = date.today()
SECRET_ENV = "LW_TEST_STRAVA_SECRET"


def _streams(km: float, minutes: int, hr: int = 150) -> dict[str, list]:
    n = minutes * 12 + 1  # a sample every 5 s
    return {
        "time": [i * 5 for i in range(n)],
        "distance": [round(km * 1000 * i / (n - 1), 1) for i in range(n)],
        "heartrate": [hr + (i % 7) for i in range(n)],
        "altitude": [100.0 + (i % 40) * 0.5 for i in range(n)],
        "cadence": [86 + (i % 3) for i in range(n)],
    }


@pytest.fixture
def strava(tmp_path: Path, monkeypatch):
    """Four activities on the account: three recorded (with streams), one entered by hand."""
    server = StravaServer(tmp_path).start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    for i, days_ago in enumerate((6, 4, 2)):
        start = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time())
        km = 8.0 + i
        server.add(
            101 + i, start.replace(hour=7), 1, distance=km * 1000 - 40, moving_time=2880 + 300 * i,
            streams=_streams(km, 48 + 5 * i), average_heartrate=153.0, max_heartrate=156,
        )  # fmt: skip
    manual = datetime.combine(TODAY - timedelta(days=1), datetime.min.time()).replace(hour=18)
    server.add(200, manual, 1, distance=5012.0, moving_time=1680, elapsed_time=1702)
    yield server
    server.stop()


def _config(tmp_path: Path, server: StravaServer, extra: str = "", connected: bool = True) -> str:
    token = tmp_path / "secrets" / "ana-strava.json"
    if connected:
        token.parent.mkdir(exist_ok=True)
        token.write_text(json.dumps({"refresh_token": server.grant()}))
        token.chmod(0o600)
    cfg = tmp_path / "lw.toml"
    cfg.write_text(
        f"""
[[athletes]]
name = "ana"
tz = "Europe/Berlin"
{extra}
[[athletes.sources]]
type = "strava"
client_id = {CLIENT_ID}
client_secret_env = "{SECRET_ENV}"
token_file = "secrets/ana-strava.json"
base_url = "{server.url}"
"""
    )
    return str(cfg)


def _token(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "secrets" / "ana-strava.json").read_text())


def test_pulling_twice_stores_each_activity_once_from_its_streams_or_its_summary(
    db_url: str, tmp_path: Path, strava: StravaServer
) -> None:
    cli = Cli(db_url)
    cfg = _config(tmp_path, strava)
    first = json.loads(cli("--config", cfg, "pull", "--json").stdout)["sources"]
    assert [(s["source"], s["imported"], s["activities"], s["problem"]) for s in first] == [
        ("strava", 4, 4, None)
    ]
    assert first[0]["notes"][0]["path"] == "strava/200"
    runs = {r["source_path"]: r for r in cli.json("activities", "--athlete", "ana")}
    assert sorted(runs) == ["strava/101", "strava/102", "strava/103", "strava/200"]
    manual = runs["strava/200"]
    assert (manual["distance_source"], manual["distance_m"], manual["sport"]) == (
        "summary", 5012.0, "running",
    )  # fmt: skip
    recorded = runs["strava/103"]
    # From the streams, not the summary's rounding: the last distance sample, and the heart
    # rate of every 5 s sample (150..156 in turn: 153 on average), which the summary lacks.
    assert recorded["distance_source"] == "streams"
    assert recorded["distance_m"] == pytest.approx(10000.0)
    assert recorded["avg_hr"] == pytest.approx(153.0, abs=0.1) and recorded["max_hr"] == 156
    assert recorded["moving_s"] == 2880 + 600
    # Again: the listing starts at the last one stored; nothing is fetched or stored twice.
    before = len(strava.requests)
    again = cli("--config", cfg, "pull")
    assert again.stdout == (
        "strava of ana: 0 imported (0 activities), 0 duplicates, 1 unchanged, 0 skipped, 0 failed\n"
    )
    asked = strava.requests[before:]
    assert not any("/streams" in r for r in asked)
    last = datetime.fromisoformat(strava.activities[-1]["start_date"].replace("Z", "+00:00"))
    assert f"after={int(last.timestamp()) - 1}" in next(r for r in asked if "activities" in r)
    assert len(cli.json("activities", "--athlete", "ana", "--all")) == 4


def test_the_refresh_token_is_kept_in_its_file_only_and_replaced_when_strava_rotates_it(
    sqlite_cli: Cli, tmp_path: Path, strava: StravaServer
) -> None:
    cfg = _config(tmp_path, strava)
    old = _token(tmp_path)["refresh_token"]
    sqlite_cli("--config", cfg, "pull")
    new = _token(tmp_path)
    assert new["refresh_token"] != old and new["refresh_token"] in strava.refresh_tokens
    assert old not in strava.refresh_tokens  # the service retired it: the file had to change
    assert stat.S_IMODE((tmp_path / "secrets" / "ana-strava.json").stat().st_mode) == 0o600
    db = (tmp_path / "lw.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("lw.db-*")
    )
    assert new["refresh_token"].encode() not in db and new["access_token"].encode() not in db
    assert CLIENT_SECRET not in Path(cfg).read_text()


def test_a_run_already_imported_from_the_watch_is_not_stored_twice(
    sqlite_cli: Cli, tmp_path: Path, strava: StravaServer
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    day = TODAY - timedelta(days=3)
    start = datetime.combine(day, datetime.min.time()).replace(
        hour=6, tzinfo=ZoneInfo("Europe/Berlin")
    )
    offset = int(start.utcoffset().total_seconds())
    write_run(SyntheticRun(start, 7000, utc_offset_s=offset, seed=5), inbox / "watch.fit")
    cfg = _config(tmp_path, strava, f'inbox = "{inbox}"')
    sqlite_cli("--config", cfg, "import", str(inbox), "--athlete", "ana")
    fit = sqlite_cli.json("activities", "--athlete", "ana")[0]
    # The same outing uploaded to Strava by the watch's app: same start, its own distance.
    local = datetime.fromisoformat(fit["start_utc"]).astimezone(UTC).replace(tzinfo=None)
    strava.add(300, local + timedelta(seconds=offset), offset // 3600,
               distance=fit["distance_m"] - 15, moving_time=int(fit["moving_s"]),
               streams=_streams(fit["distance_m"] / 1000 - 0.01, 40))  # fmt: skip
    out = json.loads(sqlite_cli("--config", cfg, "pull", "--json").stdout)["sources"][0]
    assert (out["imported"], out["duplicates"], out["problem"]) == (4, 1, None)
    primary = sqlite_cli.json("activities", "--athlete", "ana")
    assert (
        len(primary) == 5 and len(sqlite_cli.json("activities", "--athlete", "ana", "--all")) == 6
    )
    assert fit["id"] in [r["id"] for r in primary]  # the watch's own file stays the one counted


def test_the_rate_limit_stops_the_pull_keeps_what_came_and_the_next_pull_goes_on(
    db_url: str, tmp_path: Path, strava: StravaServer
) -> None:
    sqlite_cli = Cli(db_url)
    strava.read_limit = (3, 1000)  # the listing and two streams, then the 15 minutes are spent
    cfg = _config(tmp_path, strava)
    r = sqlite_cli("--config", cfg, "pull", code=1)
    assert r.stderr == (
        "warning: strava: rate limit reached (3 of 3 requests in 15 minutes): the next pull "
        "goes on from here\n"
    )
    kept = sorted(a["source_path"] for a in sqlite_cli.json("activities", "--athlete", "ana"))
    assert kept == ["strava/101", "strava/102"]
    assert strava.usage[0] == 3  # stopped before asking: no 429 was provoked
    strava.usage = [0, 3]  # a new quarter of an hour
    r = sqlite_cli("--config", cfg, "pull")
    assert r.stderr == "" and "2 imported (2 activities)" in r.stdout
    assert len(sqlite_cli.json("activities", "--athlete", "ana", "--all")) == 4


def test_an_expired_access_token_is_refreshed_once_and_the_pull_goes_on(
    sqlite_cli: Cli, tmp_path: Path, strava: StravaServer
) -> None:
    cfg = _config(tmp_path, strava)
    strava.fail("/streams", "401")  # the token was revoked mid-pull: refreshed, asked again
    r = sqlite_cli("--config", cfg, "pull")
    assert r.stderr == "" and "4 imported" in r.stdout
    refreshes = [q for q in strava.requests if q == "POST /oauth/token"]
    assert len(refreshes) == 2
    strava.fail("activities?", "401")
    strava.fail("activities?", "401")
    r = sqlite_cli("--config", cfg, "pull", code=1)
    assert r.stderr == (
        "warning: strava: Strava refused the access token (HTTP 401): run `loadwatch strava "
        "connect --athlete ana` again\n"
    )


FAILURES = {
    "429": "warning: strava: rate limited (HTTP 429); it asks to wait 42 s: the next pull goes on from here",
    "503": "warning: strava: the service failed (HTTP 503); the next pull tries again",
    "truncated": "warning: strava: truncated answer (the connection closed before its end)",
    "malformed": "warning: strava: malformed answer (",
    "closed": "warning: strava: cannot reach 127.0.0.1:",
}


@pytest.mark.parametrize("where", ["athlete/activities", "activities/102/streams"])
@pytest.mark.parametrize("kind", list(FAILURES))
def test_every_failure_is_one_line_keeps_what_came_before_and_the_next_pull_finishes(
    sqlite_cli: Cli, tmp_path: Path, strava: StravaServer, kind: str, where: str
) -> None:
    cfg = _config(tmp_path, strava)
    strava.fail(where, kind)
    r = sqlite_cli("--config", cfg, "pull", code=1)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(FAILURES[kind]), lines
    kept = sqlite_cli.json("activities", "--athlete", "ana")
    # Failing at the listing stores nothing; at the second activity's streams, the first is kept.
    assert [a["source_path"] for a in kept] == ([] if "athlete" in where else ["strava/101"])
    r = sqlite_cli("--config", cfg, "pull")
    assert r.stderr == ""
    assert len(sqlite_cli.json("activities", "--athlete", "ana", "--all")) == 4


def test_check_pulls_first_and_a_failing_account_is_a_warning_while_the_check_goes_on(
    sqlite_cli: Cli, tmp_path: Path, strava: StravaServer
) -> None:
    cfg = _config(tmp_path, strava)
    strava.fail("activities/103/streams", "503")
    r = sqlite_cli("--config", cfg, "check", "--dry-run")
    assert r.stderr == "warning: strava: the service failed (HTTP 503); the next pull tries again\n"
    assert len(sqlite_cli.json("activities", "--athlete", "ana")) == 2
    sqlite_cli("--config", cfg, "check", "--dry-run")
    assert len(sqlite_cli.json("activities", "--athlete", "ana")) == 4


def test_connect_runs_the_authorisation_on_127_0_0_1_and_keeps_the_refresh_token(
    tmp_path: Path, strava: StravaServer
) -> None:
    """The test is the browser: it opens the printed address (the service answers with a
    redirect, as after "Authorize") and follows it to loadwatch's listener."""
    cfg = _config(tmp_path, strava, connected=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadwatch", "--db", str(tmp_path / "lw.db"), "--config", cfg,
         "strava", "connect", "--athlete", "ana", "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith("Open this address in a browser")
        url = proc.stderr.readline().strip()
        assert url.startswith(f"{strava.url}/oauth/authorize?")
        assert "scope=read%2Cactivity%3Aread_all" in url and f"client_id={CLIENT_ID}" in url
        assert re.search(r"redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fauthorized", url)
        context = ssl.create_default_context(cafile=str(strava.ca_file))
        with urllib.request.urlopen(url, context=context, timeout=30) as page:
            assert b"connected to Strava" in page.read()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    path = tmp_path / "secrets" / "ana-strava.json"
    assert out == f"connected Strava athlete {ATHLETE_ID} for ana; refresh token kept in {path}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _token(tmp_path)["refresh_token"] in strava.refresh_tokens
    # And the pull works with it.
    r = Cli(tmp_path / "lw.db")("--config", cfg, "pull")
    assert "4 imported" in r.stdout


def test_a_strava_source_names_what_it_lacks(sqlite_cli: Cli, tmp_path: Path) -> None:
    cfg = tmp_path / "lw.toml"
    cfg.write_text(
        '[[athletes]]\nname = "ana"\n[[athletes.sources]]\ntype = "strava"\n'
        'client_id = 4242\napi_key_env = "X"\nbase_url = "http://127.0.0.1:9"\n'
    )
    r = sqlite_cli("--config", str(cfg), "config", "check", code=None)
    for line in (
        "athletes[0].sources[0].client_secret_env: missing (required for type = 'strava')",
        "athletes[0].sources[0].token_file: missing (required for type = 'strava')",
        "athletes[0].sources[0].api_key_env: only for type = 'intervals.icu', not 'strava'",
        "athletes[0].sources[0].base_url: Strava is spoken to over https only",
    ):
        assert line in r.output, r.output
    os.environ.pop(SECRET_ENV, None)
    cfg.write_text(
        '[[athletes]]\nname = "ana"\n[[athletes.sources]]\ntype = "strava"\n'
        f'client_id = 4242\nclient_secret_env = "{SECRET_ENV}"\ntoken_file = "t.json"\n'
    )
    r = sqlite_cli("--config", str(cfg), "config", "check", code=None)
    assert f"environment variable {SECRET_ENV} is not set" in r.output
    assert "run `loadwatch strava connect --athlete ana` once" in r.output


def test_a_check_without_a_strava_source_does_not_load_stravalib(tmp_path: Path) -> None:
    """stravalib brings pydantic, pint and arrow: most of a second at every check start."""
    cfg = tmp_path / "lw.toml"
    cfg.write_text('[[athletes]]\nname = "ana"\ntz = "Europe/Berlin"\n')
    code = (
        "import sys\n"
        "from loadwatch.cli import main\n"
        "try:\n"
        f"    main(['--db', {str(tmp_path / 'lw.db')!r}, '--config', {str(cfg)!r}, 'check',"
        " '--dry-run'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "print('pull' in sys.modules['loadwatch'].__dict__, 'stravalib' in sys.modules,"
        " file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.split()[-2:] == ["True", "False"]


def test_connect_on_a_port_in_use_is_one_line(
    sqlite_cli: Cli, tmp_path: Path, strava: StravaServer
) -> None:
    import socket

    cfg = _config(tmp_path, strava, connected=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = sqlite_cli("--config", cfg, "strava", "connect", "--port", str(port), code=1)
    assert r.stderr == f"error: strava: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert not (tmp_path / "secrets" / "ana-strava.json").exists()
