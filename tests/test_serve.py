"""`loadwatch serve` as a real process on a real APScheduler, against a real SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from loadwatch.synth import SyntheticRun, write_run

from .smtp_server import PASSWORD, SmtpServer

TZ = ZoneInfo("Europe/Berlin")


def _run(folder: Path, day: date, km: float, seed: int) -> None:
    start = datetime.combine(day, dtime(10, 0), TZ)
    write_run(
        SyntheticRun(
            start,
            km * 1000,
            utc_offset_s=int(start.utcoffset().total_seconds()),
            seed=seed,
            record_interval_s=30,
        ),
        folder / f"{day}.fit",
    )


@pytest.fixture
def smtp(tmp_path: Path):
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


def test_restart_after_a_three_day_gap_sends_one_catch_up_and_stops_on_sigterm(
    db_url, smtp, tmp_path: Path
) -> None:
    today = datetime.now(TZ).date()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(40, 3, -2):  # every other day, 8 km, ending four days ago
        _run(inbox, today - timedelta(days=i), 8.0, i)
    cfg = tmp_path / "lw.toml"
    cfg.write_text(
        smtp.config()
        + f"""
[schedule]
check_interval_s = 1
[[athletes]]
name = "ana"
email = "ana@example.com"
tz = "Europe/Berlin"
inbox = "{inbox}"
"""
    )
    env = dict(os.environ, LW_TEST_SMTP_PASSWORD=PASSWORD)
    base = [
        sys.executable,
        "-m",
        "loadwatch",
        "--db",
        db_url,
        "--config",
        str(cfg),
    ]
    # The last check before the gap: nothing to say.
    subprocess.run(
        [*base, "check", "--as-of", str(today - timedelta(days=4))],
        env=env,
        check=True,
        timeout=120,
    )
    assert smtp.messages == []
    # During the three days the daemon was down: a spike two days ago, a long run yesterday.
    _run(inbox, today - timedelta(days=2), 14.0, 100)
    _run(inbox, today - timedelta(days=1), 13.0, 101)
    daemon = subprocess.Popen(
        [*base, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not smtp.messages and time.monotonic() < deadline and daemon.poll() is None:
            time.sleep(0.2)
        time.sleep(3.5)  # three more one-second checks: none may send again
        messages = smtp.messages
        assert len(messages) == 1, [m["Subject"] for m in messages]
        keys = messages[0]["X-Loadwatch-Alerts"]
        assert f"run_spike:1:{today - timedelta(days=2)}T" in keys
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, err
    assert "received SIGTERM" in err and err.rstrip().endswith("stopped")
    assert "Traceback" not in err


def test_jobs_are_scheduled_in_each_athletes_time_zone(db_url, tmp_path: Path) -> None:
    from loadwatch.config import parse
    from loadwatch.scheduler import build

    settings = parse("""
[schedule]
check_time = "06:30"
[[athletes]]
name = "ana"
tz = "Europe/Berlin"
inbox = "/nonexistent"
[[athletes]]
name = "kai"
tz = "America/Los_Angeles"
[[coaches]]
name = "Carla"
email = "c@example.com"
athletes = ["ana", "kai"]
digest = "weekly"
""")
    scheduler = build(db_url, settings)
    scheduler.start(paused=True)
    try:
        jobs = {j.id: j for j in scheduler.get_jobs()}
        assert set(jobs) == {"catch-up", "inbox-sync", "check:1", "check:2", "digest:Carla"}
        for athlete_id, zone in ((1, "Europe/Berlin"), (2, "America/Los_Angeles")):
            nxt = jobs[f"check:{athlete_id}"].trigger.get_next_fire_time(None, datetime.now(UTC))
            assert str(nxt.tzinfo) == zone and (nxt.hour, nxt.minute) == (6, 30)
        digest = jobs["digest:Carla"].trigger.get_next_fire_time(None, datetime.now(UTC))
        assert digest.strftime("%a %H:%M") == "Mon 06:40"
        assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())
    finally:
        scheduler.shutdown(wait=False)
