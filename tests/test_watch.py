"""`serve` reacts to the inboxes: a real `loadwatch serve` process, a real watchdog observer on a
real folder, the real APScheduler daemon, with the interval import set to an hour (so only the
watcher can be what imported a file)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from loadwatch.synth import SyntheticRun, write_run

from .conftest import Cli
from .smtp_server import PASSWORD

TZ = ZoneInfo("Europe/Berlin")


def _run(path: Path, day: date, km: float, seed: int) -> Path:
    start = datetime.combine(day, dtime(10, 0), TZ)
    return write_run(
        SyntheticRun(
            start,
            km * 1000,
            utc_offset_s=int(start.utcoffset().total_seconds()),
            seed=seed,
            record_interval_s=30,
        ),
        path,
    )


class Daemon:
    """`loadwatch serve` with its log read line by line as it comes."""

    def __init__(self, db: str, cfg: Path):
        env = dict(os.environ, LW_TEST_SMTP_PASSWORD=PASSWORD)
        cmd = [sys.executable, "-m", "loadwatch", "--db", db, "--config", str(cfg), "serve"]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float) -> float:
        """Seconds until a log line holds `text`."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if any(text in line for line in self.lines):
                return time.monotonic() - t0
            assert self.proc.poll() is None, "\n".join(self.lines)
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {timeout} s:\n" + "\n".join(self.lines))

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.reader.join(timeout=5)
        return "\n".join(self.lines)


def _config(tmp_path: Path, smtp, inbox: Path, watch: str = "events") -> Path:
    cfg = tmp_path / "lw.toml"
    cfg.write_text(
        smtp.config()
        + f"""
[schedule]
inbox_interval_minutes = 60
inbox_watch = "{watch}"
check_time = "{(datetime.now(TZ) + timedelta(hours=6)):%H:%M}"
[[athletes]]
name = "ana"
email = "ana@example.com"
tz = "Europe/Berlin"
inbox = "{inbox}"
"""
    )
    return cfg


def test_a_copied_file_is_imported_and_checked_within_seconds_and_never_read_half_copied(
    db_url, smtp, tmp_path: Path
) -> None:
    today = datetime.now(TZ).date()
    inbox = tmp_path / "inbox"
    (inbox / "watch").mkdir(parents=True)
    for i in range(40, 3, -2):  # every other day, 8 km, ending four days ago: nothing to say
        _run(inbox / f"{i}.fit", today - timedelta(days=i), 8.0, i)
    daemon = Daemon(db_url, _config(tmp_path, smtp, inbox))
    try:
        daemon.wait_for("watching 1 inbox folders (filesystem events)", 60)
        daemon.wait_for("executed successfully", 60)  # the start-up catch-up check
        assert smtp.messages == []
        # Yesterday's long run arrives in a subfolder, copied in two halves a second apart
        # (a slow USB copy): the first half alone is a broken FIT file.
        data = _run(tmp_path / "long.fit", today - timedelta(days=1), 14.0, 100).read_bytes()
        target = inbox / "watch" / "long.fit"
        with target.open("wb") as f:
            f.write(data[: len(data) // 2])
            f.flush()
            time.sleep(1.0)
            f.write(data[len(data) // 2 :])
        complete = time.monotonic()
        while not smtp.messages and time.monotonic() - complete < 10:
            time.sleep(0.05)
        elapsed = time.monotonic() - complete
        assert smtp.messages, "\n".join(daemon.lines)
        assert elapsed < 10
        print(f"mailed {elapsed:.1f} s after the copy ended")
        assert f"run_spike:1:{today - timedelta(days=1)}T" in smtp.messages[0]["X-Loadwatch-Alerts"]
        runs = Cli(db_url).json("activities", "--athlete", "ana")
        assert len(runs) == 20
    finally:
        log = daemon.stop()
    assert "inbox ana: 1 arrived: 1 imported, 0 failed" in log
    assert "failed:" not in log and "Traceback" not in log
    assert daemon.proc.returncode == 0


def test_300_files_copied_at_once_are_one_import_also_when_polling(tmp_path: Path, smtp) -> None:
    db = str(tmp_path / "lw.db")
    source = tmp_path / "sync"
    source.mkdir()
    first = datetime.now(TZ).date() - timedelta(days=400)
    for i in range(300):
        _run(source / f"run{i:03}.fit", first + timedelta(days=i), 5.0, i)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    daemon = Daemon(db, _config(tmp_path, smtp, inbox, watch="polling"))
    try:
        daemon.wait_for("watching 1 inbox folders (polling)", 60)
        daemon.wait_for("executed successfully", 60)
        for p in sorted(source.iterdir()):
            shutil.copy2(p, inbox / p.name)
        daemon.wait_for("ana: checked", 120)
        time.sleep(3)  # anything left over would be a second import by now
    finally:
        log = daemon.stop()
    imports = [line for line in log.splitlines() if "loadwatch.serve: inbox ana:" in line]
    assert len(imports) == 1, imports
    assert imports[0].endswith("inbox ana: 300 arrived: 300 imported, 0 failed")
    assert sum('Added job "_arrived"' in line for line in log.splitlines()) == 1
    assert len(Cli(db).json("activities", "--athlete", "ana")) == 300
    assert "Traceback" not in log


@pytest.mark.parametrize("polling", [False, True], ids=["events", "polling"])
def test_the_watcher_hands_over_a_file_only_once_it_stands_still(
    tmp_path: Path, polling: bool
) -> None:
    from loadwatch.watch import InboxWatcher

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ready = threading.Event()
    watcher = InboxWatcher(
        {"ana": [inbox]}, lambda name: ready.set(), polling=polling, settle_s=1.0, poll_s=0.2
    )
    assert watcher.start() == [inbox]
    try:
        (inbox / "notes.txt").write_text("not an activity")
        (inbox / ".partial.fit.x1Y2").write_bytes(b"rsync's temporary name")
        f = (inbox / "a.fit").open("wb")
        for _ in range(6):  # a file that grows for 1.5 s: not handed over while it grows
            f.write(b"\0" * 1000)
            f.flush()
            time.sleep(0.25)
            assert not ready.is_set()
        f.close()
        assert ready.wait(5)
        assert watcher.take("ana") == [inbox / "a.fit"]
        assert watcher.take("ana") == []  # each file once
    finally:
        watcher.stop()


def test_the_interval_import_leaves_a_file_still_being_written_for_later(tmp_path: Path) -> None:
    """The safety net's walk of the inboxes (every `inbox_interval_minutes`) must not read a
    file in the middle of a copy either: one modified in the last `inbox_settle_s` waits."""
    from loadwatch.app import App
    from loadwatch.config import parse

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = parse(f'[[athletes]]\nname = "ana"\ninbox = "{inbox}"\n')
    path = _run(inbox / "a.fit", date(2026, 3, 1), 5.0, 1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # half copied, just now
    with App.open(str(tmp_path / "lw.db"), settings=settings) as app:
        summary = app.sync_inboxes(settled_s=2.0)["ana"]
        assert (summary.imported, summary.failed) == (0, [])
        path.write_bytes(data)
        old = time.time() - 5
        os.utime(path, (old, old))  # the copy ended five seconds ago
        summary = app.sync_inboxes(settled_s=2.0)["ana"]
        assert (summary.imported, summary.failed) == (1, [])
