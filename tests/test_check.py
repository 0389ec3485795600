"""Alerts end to end against a real SMTP server (aiosmtpd, STARTTLS + AUTH on 127.0.0.1)."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from loadwatch.store import open_store
from loadwatch.synth import SyntheticRun, write_run

from .conftest import ENV, SAMPLES, Cli
from .smtp_server import PASSWORD, SmtpServer, free_port


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)


def write_config(tmp_path: Path, smtp_text: str, extra: str = "", coach: bool = False) -> Path:
    inbox = tmp_path / "inbox"
    if not inbox.exists():
        shutil.copytree(SAMPLES / "demo-runner", inbox)
    text = (
        smtp_text
        + f"""
[[athletes]]
name = "ana"
email = "ana@example.com"
tz = "Europe/Berlin"
inbox = "{inbox}"
  [[athletes.shoes]]
  name = "Pegasus 40"
  start_km = 300
  default_for = "running"
"""
        + extra
    )
    if coach:
        text += '\n[[coaches]]\nname = "Carla"\nemail = "carla@example.com"\nathletes = ["ana"]\ndigest = "daily"\n'
    cfg = tmp_path / "loadwatch.toml"
    cfg.write_text(text)
    return cfg


class ConfiguredCli(Cli):
    def __init__(self, db: Path | str, config: Path):
        super().__init__(db)
        self.config = config

    def __call__(self, *args: str, code: int | None = 0):
        return super().__call__("--config", str(self.config), *args, code=code)


def _ledger(db: Path | str) -> dict[str, tuple[str, int]]:
    with open_store(db) as store:
        return {
            e.alert.key: (e.status, e.attempts)
            for a in store.athletes.all()
            for e in store.ledger.entries(a.id)
        }


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_spike_alert_arrives_once_with_numbers_and_chart(db_url, smtp, tmp_path: Path) -> None:
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config()))
    first = cli("check", "--as-of", "2026-10-25")
    assert first.output == ""  # cron mails output: silence when all is well
    assert _wait_for(lambda: len(smtp.messages) == 1)
    msg: EmailMessage = smtp.messages[0]
    assert msg["To"] == "ana@example.com" and msg["From"] == "loadwatch <alerts@loadwatch.test>"
    assert msg["Subject"] == "loadwatch: 24.0 km run, 60% over the 30-day longest (moderate spike)"
    plain = " ".join(msg.get_body(("plain",)).get_content().split())
    assert (
        "Your 24.0 km run on Sun 25 Oct 2026 was 60% longer than your longest run in the previous 30 days (15.0 km)"
        in plain
    )
    assert "hazard rate ratio 1.52, 95% CI 1.16-2.00" in plain
    assert "not a prediction for you" in plain and "clinician" in plain and "Frandsen" in plain
    html = msg.get_body(("html",))
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"cid:{image['Content-ID'].strip('<>')}" in html.get_content()
    assert (
        "alt='Your recent runs against the longest run of the previous 30 days'"
        in html.get_content()
    )
    ledger = _ledger(cli.db)
    assert ledger["run_spike:1:2026-10-25T05:30Z"] == ("sent", 1)
    assert not any(k.startswith("shoe") for k in ledger)  # 300 km + the runs: under 640 km
    assert not any(s == "pending" for s, _ in ledger.values())
    # A second check sends nothing, and so does a re-import of the same files.
    cli("check", "--as-of", "2026-10-25")
    cli("import", str(tmp_path / "inbox"), "--athlete", "ana")
    cli("check", "--as-of", "2026-10-26")
    time.sleep(0.5)
    assert len(smtp.messages) == 1


def test_message_id_is_deterministic_and_next_week_alerts_once(
    db_url, smtp, tmp_path: Path
) -> None:
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config()))
    # Two extra 12 km runs make the demo's last week a real jump: 72 km after 32 km, and after a
    # fortnight of 41.5 km a week (its 48 km alone only came back from a recovery week).
    for day in (6, 7):
        start = datetime(2026, 11, day, 17, 0, tzinfo=UTC)
        write_run(
            SyntheticRun(start, 12_000.0, seed=day, record_interval_s=10),
            tmp_path / "inbox" / f"extra-{day}.fit",
        )
    cli("check", "--as-of", "2026-11-08")
    assert _wait_for(lambda: len(smtp.messages) == 1)
    msg = smtp.messages[0]
    subject = "loadwatch: 72 km in 7 days, 125% more than the week before (+1 more)"
    assert msg["Subject"] == subject
    plain = " ".join(msg.get_body(("plain",)).get_content().split())
    assert "72.0 km, 125% more than the 7 days before (32.0 km)" in plain
    assert "the jump began on Sat 07 Nov 2026" in plain and "68 km in 7 days" not in plain
    from loadwatch.notify.email import message_id

    # One episode (it began on the 7th and got worse by a band on the 8th), keyed by the day it
    # started and its band, not by ISO week; the email shows where it stands and settles both.
    keys = [k.strip() for k in msg["X-Loadwatch-Alerts"].split(",")]
    assert sorted(keys) == [
        "shoe:1:1:warn",  # 300 km + the runs: past 640 km since October, a state sent once
        "weekly_jump:1:2026-11-07:1",
        "weekly_jump:1:2026-11-07:2",
    ]
    assert msg["Message-ID"] == message_id(keys, "loadwatch.test")
    # The chart fits the alert that leads the email: the weeks, not the single runs.
    assert "alt='Weekly distance, Monday to Sunday'" in msg.get_body(("html",)).get_content()
    # The episode goes on the next day without getting worse: nothing more is sent.
    cli("check", "--as-of", "2026-11-09")
    time.sleep(0.5)
    assert len(smtp.messages) == 1


def test_server_down_keeps_alerts_pending_until_the_next_run(db_url, tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet
    server = SmtpServer(tmp_path)
    config_text = server.config().replace(f"port = {server.port}", f"port = {port}")
    cli = ConfiguredCli(db_url, write_config(tmp_path, config_text))
    down = cli("check", "--as-of", "2026-10-25", code=75)
    assert "unavailable" in down.stderr and "alerts stay pending" in down.stderr
    assert "Traceback" not in down.output
    assert _ledger(cli.db)["run_spike:1:2026-10-25T05:30Z"] == ("pending", 1)
    (pending,) = cli.json("alerts", "--athlete", "ana", "--status", "pending")
    assert pending["key"] == "run_spike:1:2026-10-25T05:30Z" and pending["attempts"] == 1
    assert "unavailable" in pending["last_error"] and pending["numbers"]["spike_pct"] == 60.0
    # The numbers keep their km names and values in the JSON (the rule holds metres).
    assert (pending["numbers"]["distance_km"], pending["numbers"]["longest_prior_30d_km"]) == (
        24.0,
        15.0,
    )
    listed = cli("alerts", "--status", "pending").stdout
    assert "(1 attempt; last: SMTP server 127.0.0.1" in listed
    server.port = port
    server.controller.port = port
    server.start()
    try:
        cli("check", "--as-of", "2026-10-26")
        assert _wait_for(lambda: len(server.messages) == 1)
        assert "24.0 km run" in server.messages[0]["Subject"]
        assert _ledger(cli.db)["run_spike:1:2026-10-25T05:30Z"] == ("sent", 2)
    finally:
        server.stop()


def test_wrong_password_is_a_clear_error(db_url, smtp, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV, "wrong")
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config()))
    result = cli("check", "--as-of", "2026-10-25", code=1)
    assert result.stderr == (
        f"error: SMTP login as 'coach@example.com' at 127.0.0.1:{smtp.port} was refused (535): "
        f"check the password in ${ENV}\n"
    )
    assert _ledger(cli.db)["run_spike:1:2026-10-25T05:30Z"] == ("pending", 1)
    monkeypatch.delenv(ENV)
    result = cli("check", "--as-of", "2026-10-25", code=2)
    assert (
        result.stderr
        == f"error: config: smtp.password_env: environment variable {ENV} is not set\n"
    )


def test_implicit_tls(db_url, tmp_path: Path) -> None:
    server = SmtpServer(tmp_path, implicit_tls=True).start()
    try:
        cli = ConfiguredCli(db_url, write_config(tmp_path, server.config()))
        cli("check", "--as-of", "2026-10-25")
        assert _wait_for(lambda: len(server.messages) == 1)
    finally:
        server.stop()


def test_untrusted_certificate_is_refused(db_url, smtp, tmp_path: Path) -> None:
    text = smtp.config().replace(f'ca_file = "{smtp.ca_file}"\n', "")
    cli = ConfiguredCli(db_url, write_config(tmp_path, text))
    result = cli("check", "--as-of", "2026-10-25", code=1)
    assert "is not trusted" in result.stderr and "smtp.ca_file" in result.stderr
    assert smtp.messages == []


def test_dry_run_writes_eml_and_leaves_the_ledger_alone(db_url, smtp, tmp_path: Path) -> None:
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config()))
    out = cli("check", "--as-of", "2026-10-25", "--dry-run", "--outbox", str(tmp_path / "outbox"))
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    assert (
        "Subject: loadwatch: 24.0 km run, 60% over the 30-day longest (moderate spike)"
        in eml.read_text()
    )
    assert "would send 1" in out.stdout
    assert _ledger(cli.db) == {}
    assert smtp.messages == []


def test_two_checks_at_once_send_each_alert_once(db_url, smtp, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, smtp.config())
    cmd = [
        sys.executable,
        "-m",
        "loadwatch",
        "--db",
        db_url,
        "--config",
        str(cfg),
        "check",
        "--as-of",
        "2026-10-25",
    ]
    env = dict(os.environ, **{ENV: PASSWORD})
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    codes = [p.wait(timeout=120) for p in procs]
    assert set(codes) <= {0, 75} and 0 in codes
    for p, code in zip(procs, codes, strict=True):
        if code == 75:
            assert "another loadwatch check is running" in p.stderr.read()
    # A late straggler after the winner finished finds nothing new.
    subprocess.run(cmd, env=env, check=True, timeout=120)
    time.sleep(0.5)
    assert len(smtp.messages) == 1


def test_workers_share_the_athletes_and_send_each_alert_exactly_once(
    db_url, smtp, tmp_path: Path
) -> None:
    names = ["ana2", "ben", "cem", "dee", "eli"]
    extra = "".join(
        f'\n[[athletes]]\nname = "{n}"\nemail = "{n}@example.com"\ntz = "Europe/Berlin"\n'
        f'inbox = "{tmp_path / "inbox"}"\n'
        for n in names
    )
    everyone = ", ".join(f'"{n}"' for n in ["ana", *names])
    extra += (
        f'\n[[coaches]]\nname = "Carla"\nemail = "carla@example.com"\nathletes = [{everyone}]\n'
    )
    cfg = write_config(tmp_path, smtp.config(), extra)
    cmd = [
        *(sys.executable, "-m", "loadwatch", "--db", db_url, "--config", str(cfg)),
        *("check", "--worker", "--as-of", "2026-10-25"),
    ]
    env = dict(os.environ, **{ENV: PASSWORD})
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    codes = [p.wait(timeout=180) for p in procs]
    errors = [p.stderr.read() for p in procs]
    # PostgreSQL: the workers share the athletes. SQLite: one takes them all, the others step aside.
    assert set(codes) <= {0, 75} and 0 in codes, errors
    subprocess.run(cmd, env=env, check=True, timeout=120)  # a straggler finds nothing new
    time.sleep(0.5)
    recipients = sorted(r for _, rcpt in smtp.inbox.envelopes for r in rcpt)
    assert recipients == sorted(f"{n}@example.com" for n in ["ana", *names, "carla"])
    # One digest, built once every worker was done: it saw all six alerts (the first worker out
    # of athletes used to send it while the others were still importing theirs).
    (digest,) = [m for m in smtp.messages if m["To"] == "carla@example.com"]
    assert digest["Subject"] == "loadwatch daily digest: 6 of 6 athletes need a look"
    ledger = _ledger(db_url)
    sent = sorted(k.split(":")[1] for k, v in ledger.items() if v == ("sent", 1))
    assert len(sent) == 6 and len(set(sent)) == 6  # one spike alert per athlete, sent once
    assert "pending" not in {s for s, _ in ledger.values()}  # nothing left pending


def test_coach_digest_once_a_day(db_url, smtp, tmp_path: Path) -> None:
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config(), coach=True))
    cli("athletes", "add", "ben", "--tz", "Europe/Berlin", "--email", "ben@example.com")
    cfg = cli.config
    cfg.write_text(
        cfg.read_text().replace('athletes = ["ana"]', 'athletes = ["ana", "ben"]')
        + '\n[[athletes]]\nname = "ben"\nemail = "ben@example.com"\ntz = "Europe/Berlin"\n'
    )
    cli("check", "--as-of", "2026-10-25")
    assert _wait_for(lambda: len(smtp.messages) == 2)
    digest = next(m for m in smtp.messages if m["To"] == "carla@example.com")
    alert = next(m for m in smtp.messages if m["To"] == "ana@example.com")
    assert alert["Cc"] is None  # Carla gets a digest, so no copies unless she asks (cc_alerts)
    assert digest["Subject"] == "loadwatch daily digest: 1 of 2 athletes need a look"
    text = digest.get_body(("plain",)).get_content()
    assert text.index("* ana [spike]") < text.index("* ben")  # open alerts first
    flat = " ".join(text.split())
    assert "last 7 days 51.0 km, the 7 before 41.0 km; ratio 7:28 rolling coupled 1.22" in flat
    assert "latest spike +60% (moderate)" in flat and "headroom: run up to 26.4 km" in flat
    assert "ratio 7:28 rolling coupled no runs yet" in flat  # ben has no runs
    assert "your" not in flat and "their training load" in flat
    page = digest.get_body(("html",)).get_content()
    assert "<th" in page and ">athlete</th>" in page and ">headroom</th>" in page
    assert any(p.get_content_type() == "image/png" for p in digest.walk())
    cli("check", "--as-of", "2026-10-25")
    time.sleep(0.5)
    assert len(smtp.messages) == 2


def test_config_errors_name_their_key(cli, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        '[smtp]\nhots = "x"\nsecurity = "none"\nhost = "mail.example.com"\n'
        '[[athletes]]\nname = "ana"\ntz = "Mars/Base"\n'
    )
    result = cli("--config", str(cfg), "config", "check", code=2)
    assert result.stderr.startswith("error: config: 3 problems in")
    assert "smtp.hots: unknown key; did you mean 'host'?" in result.stderr
    assert (
        'smtp.security: "none" sends the password and mail in clear text: only for localhost'
        in result.stderr
    )
    assert "athletes[0].tz: unknown time zone 'Mars/Base'" in result.stderr
    result = cli("--config", str(tmp_path / "missing.toml"), "check", code=2)
    assert "no config file at" in result.stderr


def test_check_without_smtp_config_says_what_to_do(cli) -> None:
    cli("athletes", "add", "ana", "--tz", "Europe/Berlin", "--email", "ana@example.com")
    cli("import", str(SAMPLES / "demo-runner"))
    result = cli("check", "--as-of", "2026-10-25", code=2)
    assert result.stderr == (
        "error: config: smtp.host: no SMTP server configured "
        "(needed to send alerts; or use --dry-run)\n"
    )


def test_a_broken_inbox_file_is_reported_once_by_check_and_always_by_import(
    db_url, smtp, tmp_path: Path
) -> None:
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config()))
    broken = tmp_path / "inbox" / "broken.fit"
    broken.write_bytes((SAMPLES / "real" / "togeojson-run.fit").read_bytes()[:5000])
    first = cli("check", "--as-of", "2026-10-25")
    assert (
        first.stderr
        == f"failed: {broken}: truncated FIT file: 5000 bytes, the header announces 44829\n"
    )
    again = cli("check", "--as-of", "2026-10-25")
    assert again.output == ""
    direct = cli("import", str(tmp_path / "inbox"), "--athlete", "ana", code=3)
    assert "broken.fit" in direct.stderr
    broken.write_bytes((SAMPLES / "real" / "togeojson-run.fit").read_bytes())  # fixed by the user
    cli("check", "--as-of", "2026-10-25")
    assert any(a["source_path"] == str(broken) for a in cli.json("activities", "--athlete", "ana"))


def test_a_run_synced_late_is_still_news(db_url, smtp, tmp_path: Path) -> None:
    """After the first check every new alert is sent once, even about a day before the last check."""
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config()))
    late = next((tmp_path / "inbox").glob("2026-10-25-*"))
    held_back = tmp_path / late.name
    late.rename(held_back)
    cli("check", "--as-of", "2026-10-27")  # the first check: alerts start on 24 Oct
    statuses = {k: s for k, (s, _) in _ledger(cli.db).items()}
    assert all(s == "known" for s in statuses.values())  # all of it history
    time.sleep(0.5)
    assert smtp.messages == []
    held_back.rename(late)  # the long run of 25 Oct is synced a week late
    cli("check", "--as-of", "2026-11-01")
    assert _wait_for(lambda: len(smtp.messages) == 1)
    assert smtp.messages[0]["X-Loadwatch-Alerts"] == "run_spike:1:2026-10-25T05:30Z"
    assert _ledger(cli.db)["run_spike:1:2026-10-25T05:30Z"] == ("sent", 1)


def test_a_refused_cc_costs_only_that_address(db_url, smtp, tmp_path: Path) -> None:
    """A coach's address refused at RCPT (550, and 451) once made the athlete get the same alert
    on every run while the other athletes got nothing."""
    extra = (
        f'\n[[athletes]]\nname = "ben"\nemail = "ben@example.com"\ntz = "Europe/Berlin"\n'
        f'inbox = "{tmp_path / "inbox"}"\n'
        '\n[[coaches]]\nname = "Carla"\nemail = "refused-carla@example.com"\n'
        'athletes = ["ana", "ben"]\ndigest = "none"\n'
        '\n[[coaches]]\nname = "Dan"\nemail = "later-dan@example.com"\n'
        'athletes = ["ana"]\ndigest = "none"\n'
    )
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config(), extra))
    first = cli("check", "--as-of", "2026-10-25", code=1)
    assert "not delivered to refused-carla@example.com (550" in first.stderr
    assert "later-dan@example.com (451" in first.stderr and "Traceback" not in first.output
    assert _wait_for(lambda: len(smtp.messages) == 2)
    delivered = sorted(r for _, rcpt in smtp.inbox.envelopes for r in rcpt)
    assert delivered == ["ana@example.com", "ben@example.com"]  # both athletes, once each
    assert {s for s, _ in _ledger(db_url).values()} <= {"sent", "known"}
    cli("check", "--as-of", "2026-10-25")  # nothing pending: no second copy to anyone
    cli("check", "--as-of", "2026-10-26")
    time.sleep(0.5)
    assert len(smtp.messages) == 2
    (sent,) = [a for a in cli.json("alerts", "--athlete", "ana") if a["status"] == "sent"]
    assert "refused-carla@example.com" in sent["last_error"]


def test_sigkill_while_sending_sends_each_alert_at_most_once_more(tmp_path: Path) -> None:
    """kill -9 of a check after the server took a message but before the check heard "250":
    that message stays pending and goes out once more (same Message-ID, so a server or client
    that deduplicates drops it); nothing else is sent twice and nothing is lost."""
    import asyncio
    import os
    import signal
    import subprocess
    import sys
    import threading

    from .smtp_server import Inbox

    class SlowFirst(Inbox):
        def __init__(self) -> None:
            super().__init__()
            self.took_first = threading.Event()

        async def handle_DATA(self, server, session, envelope):
            reply = await super().handle_DATA(server, session, envelope)
            if not self.took_first.is_set():
                self.took_first.set()
                await asyncio.sleep(5)  # the check is killed while it waits for this "250"
            return reply

    server = SmtpServer(tmp_path)
    server.inbox = SlowFirst()
    server.controller.handler = server.inbox
    server.start()
    try:
        cfg = write_config(tmp_path, server.config())
        extra = "".join(
            f'\n[[athletes]]\nname = "{n}"\nemail = "{n}@example.com"\ntz = "Europe/Berlin"\n'
            f'inbox = "{tmp_path / "inbox"}"\n'
            for n in ("ben", "cid")
        )
        cfg.write_text(cfg.read_text() + extra)
        db = tmp_path / "lw.db"
        cmd = [sys.executable, "-m", "loadwatch", "--db", str(db), "--config", str(cfg)]
        cmd += ["check", "--as-of", "2026-10-25"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if not server.inbox.took_first.wait(120):
            proc.kill()
            raise AssertionError(f"the check sent nothing: {proc.communicate()[1]}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        first = server.messages
        assert len(first) == 1
        again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        quiet = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert quiet.returncode == 0, quiet.stderr
    finally:
        server.stop()
    msgs = server.messages
    by_to: dict[str, list[str]] = {}
    for m in msgs:
        by_to.setdefault(str(m["To"]), []).append(str(m["Message-ID"]))
    assert set(by_to) == {"ana@example.com", "ben@example.com", "cid@example.com"}
    killed = str(first[0]["To"])
    assert by_to[killed] == [str(first[0]["Message-ID"])] * 2  # once more, the same message
    assert all(len(ids) == 1 for to, ids in by_to.items() if to != killed)
    assert len(msgs) == 4  # and the third check sent nothing


def test_the_digest_and_the_team_page_use_the_configured_thresholds(
    db_url, smtp, tmp_path: Path
) -> None:
    """With `rules.spike_pct = 25`, `headroom` offered a run up to 30.0 km and the digest "up to
    26.4 km" (the 10% default): the digest's rows were built without the settings' rules."""
    from .test_web import Server

    cfg = write_config(tmp_path, smtp.config(), "\n[rules]\nspike_pct = 25\n", coach=True)
    cli = ConfiguredCli(db_url, cfg)
    cli("check", "--as-of", "2026-10-25")
    assert _wait_for(lambda: len(smtp.messages) == 2)
    offered = cli.json("headroom", "--athlete", "ana", "--as-of", "2026-10-25")["run"]
    assert offered["max_run_m"] == 30_000
    digest = next(m for m in smtp.messages if m["To"] == "carla@example.com")
    flat = " ".join(digest.get_body(("plain",)).get_content().split())
    assert "headroom: run up to 30.0 km" in flat and "26.4 km" not in flat
    server = Server(str(db_url), env={"LOADWATCH_CONFIG": str(cfg)})
    try:
        with urllib.request.urlopen(f"{server.base}/?as_of=2026-10-25") as page:
            team = page.read().decode()
    finally:
        server.stop()
    assert "run up to 30.0 km" in team and "26.4 km" not in team


def _club(tmp_path: Path, smtp: SmtpServer) -> Path:
    """Five athletes of one coach: four with the demo runner's spike, one without runs."""
    extra = "".join(
        f'\n[[athletes]]\nname = "{n}"\nemail = "{n}@example.com"\ntz = "Europe/Berlin"\n'
        + (f'inbox = "{tmp_path / "inbox"}"\n' if n != "eve" else "")
        for n in ("ben", "cem", "dee", "eve")
    )
    extra += (
        '\n[[coaches]]\nname = "Carla"\nemail = "carla@example.com"\n'
        'athletes = ["ana", "ben", "cem", "dee", "eve"]\ndigest = "daily"\n'
    )
    return write_config(tmp_path, smtp.config(), extra)


def test_a_dry_run_shows_the_digest_the_check_sends(db_url, smtp, tmp_path: Path) -> None:
    """The dry run's digest said "0 of 5 athletes need a look" with every flag "-" while the
    real check's said 4 of 5: the alerts a dry run leaves out of the ledger were left out of
    its digest too. Its outbox files were named by hash; now athlete, day and rule."""
    cli = ConfiguredCli(db_url, _club(tmp_path, smtp))
    outbox = tmp_path / "outbox"
    cli("check", "--as-of", "2026-10-25", "--dry-run", "--outbox", str(outbox))
    assert _ledger(cli.db) == {} and smtp.messages == []
    names = sorted(p.name for p in outbox.iterdir())
    assert names == [
        "Carla-2026-10-25-digest.eml",
        *(f"{n}-2026-10-25-run_spike.eml" for n in ("ana", "ben", "cem", "dee")),
    ]
    with open(outbox / "Carla-2026-10-25-digest.eml", "rb") as f:
        dry = email.message_from_binary_file(f, policy=email.policy.default)
    cli("check", "--as-of", "2026-10-25")
    assert _wait_for(lambda: len(smtp.messages) == 5)
    real = next(m for m in smtp.messages if m["To"] == "carla@example.com")
    assert real["Subject"] == "loadwatch daily digest: 4 of 5 athletes need a look"
    assert dry["Subject"] == real["Subject"]
    text = dry.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == real.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "* ana [spike]" in text


def test_outbox_names_are_readable_unique_and_safe(db_url, smtp, tmp_path: Path) -> None:
    extra = "".join(
        f'\n[[athletes]]\nname = "{n}"\nemail = "x{i}@example.com"\ntz = "Europe/Berlin"\n'
        f'inbox = "{tmp_path / "inbox"}"\n'
        for i, n in enumerate(["../ben", "ben?", "zoë"])
    )
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config(), extra))
    outbox = tmp_path / "outbox"
    cli("check", "--as-of", "2026-10-25", "--dry-run", "--outbox", str(outbox))
    names = sorted(p.name for p in outbox.iterdir())
    assert len(names) == 4 and "ana-2026-10-25-run_spike.eml" in names
    for name in set(names) - {"ana-2026-10-25-run_spike.eml"}:
        assert re.fullmatch(
            r"[A-Za-z0-9_][A-Za-z0-9._-]*-2026-10-25-run_spike-[0-9a-f]{8}\.eml", name
        )
    assert all(p.parent == outbox for p in outbox.iterdir())


def test_a_check_on_a_terminal_says_what_it_is_doing(tmp_path: Path, smtp) -> None:
    """`check --dry-run` was silent for 10-19 s: on a terminal, a progress line on stderr (and
    nothing on a pipe, so cron still mails nothing when all is well)."""
    import pty
    import select

    cfg = _club(tmp_path, smtp)
    db = tmp_path / "lw.db"
    cmd = [sys.executable, "-m", "loadwatch", "--db", str(db), "--config", str(cfg)]
    cmd += ["check", "--as-of", "2026-10-25", "--dry-run", "--outbox", str(tmp_path / "out")]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the last writer closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    shown = seen.decode()
    assert "importing ana's inbox (1/5)" in shown and "checking eve (5/5)" in shown
    assert "Carla's digest" in shown
    assert shown.endswith("\r\x1b[K")  # the line is cleared before the summary
    assert "checking" not in out.decode()


def test_alerts_without_an_athlete_lists_everyone_with_an_athlete_column(
    db_url, smtp, tmp_path: Path
) -> None:
    """`alerts` without --athlete failed with several athletes ("choose one"); it lists them
    all, each line naming its athlete. Counts are worded in the singular where they are one."""
    cli = ConfiguredCli(db_url, _club(tmp_path, smtp))
    cli("check", "--as-of", "2026-10-25")
    listed = cli("alerts", "--status", "sent").stdout.splitlines()
    assert [line.split()[0] for line in listed[:-1]] == ["ana", "ben", "cem", "dee"]
    assert "24.0 km run, 60% over the 30-day longest" in listed[0]
    assert listed[-1] == "4 alerts"
    rows = cli.json("alerts", "--status", "sent")
    assert [r["athlete"] for r in rows] == ["ana", "ben", "cem", "dee"]
    one = cli("alerts", "--athlete", "ana", "--status", "sent").stdout.splitlines()
    assert one[-1] == "1 alert" and not one[0].startswith("ana")
    dry = cli("check", "--as-of", "2026-10-26", "--dry-run", "--athlete", "ana")
    assert dry.stdout.startswith("ana (2026-10-26): 0 new alerts, would send 0")


def test_a_subject_that_needs_folding_starts_on_its_own_line(db_url, smtp, tmp_path: Path) -> None:
    """A Subject of 70 to 77 characters was folded as a bare "Subject:" and the whole text on
    the next line (Python's folding moves a value that fits one continuation line there)."""
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config()))
    start = datetime(2026, 11, 8, 16, 0, tzinfo=UTC)  # a large spike, and a weekly jump
    write_run(
        SyntheticRun(start, 50_000.0, seed=8, record_interval_s=10),
        tmp_path / "inbox" / "extra.fit",
    )
    outbox = tmp_path / "outbox"
    cli("check", "--as-of", "2026-11-08", "--dry-run", "--outbox", str(outbox))
    (eml,) = outbox.glob("*.eml")
    head = eml.read_bytes().split(b"\n\n")[0].decode()
    subject = "loadwatch: 50.0 km run, 108% over the 30-day longest (large spike) (+2 more)"
    assert 70 <= len(subject) <= 77
    assert f"\nSubject: {subject}\n" in "\n" + head, head
    assert not re.search(r"^[\w-]+:\n", head, re.M), head  # no header starts empty
    cli("check", "--as-of", "2026-11-08")
    assert _wait_for(lambda: len(smtp.messages) == 1)
    assert smtp.messages[0]["Subject"] == subject
