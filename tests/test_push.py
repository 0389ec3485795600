"""Push through Apprise against real local endpoints (tests/push_server.py answers as ntfy and a
JSON webhook do), beside a real SMTP server: each alert reaches each channel once, a channel
down keeps only itself pending, and a kill mid-send repeats at most that one delivery. Both
backends (the ledger records each channel's delivery)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadwatch.store import open_store

from .conftest import ENV, SAMPLES, Cli
from .push_server import PushServer
from .smtp_server import PASSWORD

SPIKE = "run_spike:1:2026-10-25T05:30Z"
TITLE = "ana: 24.0 km run, 60% over the 30-day longest (moderate spike)"


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)


@pytest.fixture
def push():
    server = PushServer().start()
    yield server
    server.stop()


def config(tmp_path: Path, smtp_text: str, athletes: dict[str, str], extra: str = "") -> Path:
    """`athletes`: name -> the TOML lines of their push channels."""
    inbox = tmp_path / "inbox"
    if not inbox.exists():
        shutil.copytree(SAMPLES / "demo-runner", inbox)
    text = smtp_text + '\n[web]\npublic_url = "https://coach.example.org"\n'
    for name, lines in athletes.items():
        text += (
            f'\n[[athletes]]\nname = "{name}"\nemail = "{name}@example.com"\n'
            f'tz = "Europe/Berlin"\ninbox = "{inbox}"\n{lines}\n'
        )
    cfg = tmp_path / "loadwatch.toml"
    cfg.write_text(text + extra)
    return cfg


class ConfiguredCli(Cli):
    def __init__(self, db: Path | str, cfg: Path):
        super().__init__(db)
        self.cfg = cfg

    def __call__(self, *args: str, code: int | None = 0):
        return super().__call__("--config", str(self.cfg), *args, code=code)


def deliveries(db: Path | str) -> dict[tuple[str, str], tuple[str, int]]:
    """(key, channel) -> (status, attempts) of every alert's channels."""
    with open_store(db) as store:
        keys = [e.alert.key for a in store.athletes.all() for e in store.ledger.entries(a.id)]
        return {(d.key, d.channel): (d.status, d.attempts) for d in store.ledger.deliveries(keys)}


def status(db: Path | str, key: str) -> tuple[str, int]:
    with open_store(db) as store:
        for a in store.athletes.all():
            for e in store.ledger.entries(a.id):
                if e.alert.key == key:
                    return e.status, e.attempts
    raise AssertionError(key)


def wait_for(predicate, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_an_alert_reaches_email_ntfy_and_a_webhook_once_each(
    db_url, smtp, push, tmp_path: Path
) -> None:
    lines = f'notify = ["{push.ntfy("ana-knee")}", "{push.json("hooks/ana")}"]'
    cli = ConfiguredCli(db_url, config(tmp_path, smtp.config(), {"ana": lines}))
    preview = cli("check", "--as-of", "2026-10-25", "--dry-run").stdout
    assert f"push {push.ntfy('ana-knee')}: {TITLE}" in preview
    assert push.pushes == [] and smtp.messages == []  # a dry run sends nothing
    assert cli("check", "--as-of", "2026-10-25").output == ""
    assert wait_for(lambda: len(smtp.messages) == 1)
    (ntfy,) = push.to("ana-knee")
    (hook,) = push.to("hooks/ana")
    assert ntfy.path == "/" and ntfy.body["title"] == TITLE  # ntfy's JSON publish, at its root
    assert hook.body["title"] == TITLE and hook.body["version"] == "1.0"
    what, today, link = ntfy.body["message"].split("\n")
    assert what == (
        "Your 24.0 km run on Sun 25 Oct 2026 was 60% longer than your longest run in the "
        "previous 30 days (15.0 km)."
    )
    assert today.startswith("Today: a run up to ") and "stays within +10%" in today
    # The spike names its run: the push links the run's own page (README, "A page for every run").
    (run,) = [a for a in cli.json("activities", "--athlete", "ana") if a["distance_m"] == 24000]
    assert link == f"https://coach.example.org/activities/{run['id']}"
    assert hook.body["message"] == ntfy.body["message"]
    assert status(cli.db, SPIKE) == ("sent", 1)
    channels = {c for k, c in deliveries(cli.db) if k == SPIKE}
    assert len(channels) == 3 and "email" in channels  # email and two push channels
    # Nothing is sent twice: not by a second check, not the next day.
    cli("check", "--as-of", "2026-10-25")
    cli("check", "--as-of", "2026-10-26")
    time.sleep(0.3)
    assert len(push.pushes) == 2 and len(smtp.messages) == 1


def test_a_push_endpoint_down_keeps_only_itself_pending_then_sends_once(
    db_url, smtp, tmp_path: Path
) -> None:
    push = PushServer()  # not started: nothing listens on its port yet
    lines = f'notify = ["{push.ntfy("ana-knee")}"]'
    cli = ConfiguredCli(db_url, config(tmp_path, smtp.config(), {"ana": lines}))
    down = cli("check", "--as-of", "2026-10-25", code=75)
    assert down.stderr == (
        f"error: push {push.ntfy('ana-knee')} unavailable: A Connection error occurred sending "
        f"ntfy:http://127.0.0.1:{push.port} notification.; alerts stay pending for the next run\n"
    )
    assert wait_for(lambda: len(smtp.messages) == 1)  # the email went out all the same
    assert status(cli.db, SPIKE) == ("pending", 1)
    (pending,) = cli.json("alerts", "--athlete", "ana", "--status", "pending")
    assert "unavailable" in pending["last_error"]
    push.start()
    try:
        cli("check", "--as-of", "2026-10-26")
        assert [p.body["title"] for p in push.to("ana-knee")] == [TITLE]
        assert status(cli.db, SPIKE) == ("sent", 2)
        cli("check", "--as-of", "2026-10-26")
        time.sleep(0.3)
        assert len(push.pushes) == 1 and len(smtp.messages) == 1  # the email not again
    finally:
        push.stop()


def test_alerts_json_and_csv_show_each_channels_delivery_state(
    db_url, smtp, tmp_path: Path
) -> None:
    """The email delivered while the push endpoint is down: `alerts --json` says so per channel
    (delivered, when; failed, with the error), a channel added since is pending (not tried
    yet), and once the endpoint is back every channel is delivered. --csv carries the same."""
    import csv
    import io
    import json
    from datetime import datetime

    push = PushServer()  # not started
    down_url = push.ntfy("ana-knee")
    cfg = config(tmp_path, smtp.config(), {"ana": f'notify = ["{down_url}"]'})
    cli = ConfiguredCli(db_url, cfg)
    cli("check", "--as-of", "2026-10-25", code=75)
    assert wait_for(lambda: len(smtp.messages) == 1)

    def spike() -> dict:
        (doc,) = [a for a in cli.json("alerts", "--athlete", "ana") if a["key"] == SPIKE]
        return doc

    email, ntfy = spike()["channels"]
    assert (email["channel"], email["label"], email["state"]) == ("email", "email", "delivered")
    assert datetime.fromisoformat(email["delivered_utc"]) and email["last_error"] is None
    assert email["message_id"] == str(smtp.messages[0]["Message-ID"])
    assert ntfy["label"] == f"push {down_url}" and ntfy["channel"].startswith("push:")
    assert (ntfy["state"], ntfy["attempts"], ntfy["delivered_utc"]) == ("failed", 1, None)
    assert "unavailable: A Connection error occurred" in ntfy["last_error"]
    # A webhook added to the config since: pending there, not tried yet.
    cfg.write_text(cfg.read_text().replace(f'"{down_url}"]', f'"{down_url}", "{push.json("h")}"]'))
    states = [(c["label"], c["state"], c["attempts"]) for c in spike()["channels"]]
    assert states == [
        ("email", "delivered", 1),
        (f"push {down_url}", "failed", 1),
        (f"push {push.json('h')}", "pending", 0),
    ]
    (row,) = [r for r in csv.DictReader(io.StringIO(cli("alerts", "--csv").stdout))
              if r["key"] == SPIKE]  # fmt: skip
    assert json.loads(row["channels"]) == spike()["channels"]
    # The web's alerts page shows what the ledger recorded for the pending alert.
    import urllib.request

    from .test_web import Server

    server = Server(str(cli.db), config=cfg)
    try:
        with urllib.request.urlopen(f"{server.base}/alerts") as r:
            page = r.read().decode()
    finally:
        server.stop()
    delivered = datetime.fromisoformat(email["delivered_utc"]).strftime("%Y-%m-%d %H:%M")
    assert f'<span class="channel">email: delivered {delivered} UTC</span>' in page
    assert (
        f'<span class="channel">{ntfy["channel"]}: failed (1 attempt; last: {ntfy["last_error"]})'
        in page
    )
    push.start()
    try:
        cli("check", "--as-of", "2026-10-25")
        channels = spike()["channels"]
        assert [c["state"] for c in channels] == ["delivered"] * 3
        assert [c["attempts"] for c in channels] == [1, 2, 1]
        assert spike()["status"] == "sent" and len(push.pushes) == 2
    finally:
        push.stop()


def test_channel_states_keep_a_removed_channel_and_give_history_none() -> None:
    from datetime import UTC, date, datetime

    from loadwatch.ledger import channel_states
    from loadwatch.model import Alert, Delivery, LedgerEntry

    alert = Alert(SPIKE, "ana", "run_spike", date(2026, 10, 25), "t", "x", "c")
    at = datetime(2026, 10, 25, 6, tzinfo=UTC)
    records = [
        Delivery(SPIKE, "email", "sent", 1, None, at, "<m@x>"),
        Delivery(SPIKE, "push:gone", "pending", 3, "unavailable: down"),
    ]
    configured = [("push:new", "push new"), ("email", "email")]
    pending = channel_states(LedgerEntry(alert, "pending", at), records, configured)
    assert [(c.channel, c.label, c.state, c.attempts) for c in pending] == [
        ("push:new", "push new", "pending", 0),  # configured first, in the config's order
        ("email", "email", "delivered", 1),
        ("push:gone", "push:gone", "failed", 3),  # out of the config: kept, named by its id
    ]
    assert pending[1].delivered_utc == at and pending[2].last_error == "unavailable: down"
    sent = channel_states(LedgerEntry(alert, "sent", at), records[:1], configured)
    assert [c.state for c in sent] == ["delivered"]  # a channel added after it went out: none
    assert channel_states(LedgerEntry(alert, "known", at), records, configured) == []


def test_ntfy_rate_limit_is_try_later_and_a_refusal_is_a_problem(
    db_url, smtp, push, tmp_path: Path
) -> None:
    lines = f'notify = ["{push.ntfy("ana-knee")}"]'
    cli = ConfiguredCli(db_url, config(tmp_path, smtp.config(), {"ana": lines}))
    push.failures = ["429"]
    limited = cli("check", "--as-of", "2026-10-25", code=75)
    assert "unavailable: Failed to send ntfy notification to topic 'ana-knee': limit reached: " in (
        limited.stderr
    )
    push.failures = ["400"]
    refused = cli("check", "--as-of", "2026-10-25", code=1)
    assert refused.stderr == (
        f"error: ana: push {push.ntfy('ana-knee')} refused the notice: Failed to send ntfy "
        "notification to topic 'ana-knee': invalid request, error=40001.\n"
    )
    assert status(cli.db, SPIKE) == ("pending", 2) and push.pushes == []
    cli("check", "--as-of", "2026-10-25")
    assert len(push.to("ana-knee")) == 1 and status(cli.db, SPIKE) == ("sent", 3)
    assert len(smtp.messages) == 1  # the email went out on the first check, once


def test_the_smtp_server_down_leaves_the_push_going_out(db_url, push, tmp_path: Path) -> None:
    from .smtp_server import SmtpServer, free_port

    server = SmtpServer(tmp_path)  # never started
    smtp_text = server.config().replace(f"port = {server.port}", f"port = {free_port()}")
    lines = f'notify = ["{push.ntfy("ana-knee")}"]'
    cli = ConfiguredCli(db_url, config(tmp_path, smtp_text, {"ana": lines}))
    down = cli("check", "--as-of", "2026-10-25", code=75)
    assert "SMTP server 127.0.0.1" in down.stderr and "alerts stay pending" in down.stderr
    assert [p.body["title"] for p in push.to("ana-knee")] == [TITLE]
    assert status(cli.db, SPIKE) == ("pending", 1)
    cli("check", "--as-of", "2026-10-25", code=75)  # still down: the push is not sent again
    assert len(push.pushes) == 1


def test_a_coach_digest_goes_to_their_push_channel_once(db_url, smtp, push, tmp_path: Path) -> None:
    coach = (
        '\n[[coaches]]\nname = "Carla"\nemail = "carla@example.com"\nathletes = ["ana"]\n'
        f'digest = "daily"\nnotify = ["{push.json("carla")}"]\n'
    )
    cli = ConfiguredCli(db_url, config(tmp_path, smtp.config(), {"ana": ""}, coach))
    cli("check", "--as-of", "2026-10-25")
    (digest,) = push.to("carla")
    assert digest.body["title"] == "loadwatch daily digest: 1 of 1 athletes need a look"
    assert digest.body["message"].split("\n") == [
        "ana: 24.0 km run, 60% over the 30-day longest (moderate spike)",
        "https://coach.example.org/",
    ]
    assert wait_for(lambda: len(smtp.messages) == 2)  # ana's alert and Carla's digest
    cli("check", "--as-of", "2026-10-25")
    time.sleep(0.3)
    assert len(push.pushes) == 1 and len(smtp.messages) == 2


def test_a_push_only_coach_gets_the_digest_once_and_again_after_the_endpoint_is_back(
    db_url, smtp, tmp_path: Path
) -> None:
    """A coach with no email address: the digest is a short push, delivered once through the
    per-channel ledger; while the endpoint is down it stays pending (exit 75) and goes out once
    when it is back. No email goes to anyone for the coach."""
    push = PushServer()  # not started: nothing listens on its port yet
    coach = (
        '\n[[coaches]]\nname = "Carla"\nathletes = ["ana"]\ndigest = "daily"\n'
        f'notify = ["{push.ntfy("carla-digest")}"]\n'
    )
    cli = ConfiguredCli(db_url, config(tmp_path, smtp.config(), {"ana": ""}, coach))
    assert "coaches: Carla (daily)" in cli("config", "check").stdout
    # A dry run shows the push-only coach's digest as the push would carry it; nothing is sent.
    dry = cli("check", "--as-of", "2026-10-25", "--dry-run").stdout.splitlines()
    at = dry.index("would send the digest digest:Carla:2026-10-25")
    assert dry[at + 1 : at + 4] == [
        f"push {push.ntfy('carla-digest')}: loadwatch daily digest: 1 of 1 athletes need a look",
        "ana: 24.0 km run, 60% over the 30-day longest (moderate spike)",
        "https://coach.example.org/",
    ]
    down = cli("check", "--as-of", "2026-10-25", code=75)
    assert f"error: push {push.ntfy('carla-digest')} unavailable: " in down.stderr
    assert wait_for(lambda: len(smtp.messages) == 1)  # ana's alert; the coach has no address
    with open_store(cli.db) as store:
        key = "digest:Carla:2026-10-25"
        (pending,) = store.ledger.deliveries([key])
        assert (pending.status, pending.attempts) == ("pending", 1)
        assert "unavailable" in (pending.last_error or "")
        assert store.ledger.digest_status(key) == "pending"
    push.start()
    try:
        assert (
            "digest sent: digest:Carla:2026-10-25"
            in cli("check", "--as-of", "2026-10-25", "--verbose").stdout
        )
        (digest,) = push.to("carla-digest")
        assert digest.body["title"] == "loadwatch daily digest: 1 of 1 athletes need a look"
        assert digest.body["message"].split("\n") == [
            "ana: 24.0 km run, 60% over the 30-day longest (moderate spike)",
            "https://coach.example.org/",
        ]
        cli("check", "--as-of", "2026-10-25")  # sent: never again, not to the push
        time.sleep(0.3)
        assert len(push.to("carla-digest")) == 1
        assert [str(m["To"]) for m in smtp.messages] == ["ana@example.com"]
        with open_store(cli.db) as store:
            (sent,) = store.ledger.deliveries([key])
            assert (sent.status, sent.attempts) == ("sent", 2)
            assert store.ledger.digest_status(key) == "sent"
    finally:
        push.stop()


def test_an_athlete_without_address_or_push_reaches_a_push_only_coach(
    db_url, smtp, push, tmp_path: Path
) -> None:
    """As an athlete without an address is mailed through their coaches, one with neither an
    address nor a push of their own reaches their push-only coach's channel (no cc_alerts
    needed), once; nothing is mailed."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "demo-runner", inbox)
    cfg = tmp_path / "loadwatch.toml"
    cfg.write_text(
        smtp.config()
        + f'\n[[athletes]]\nname = "ana"\ntz = "Europe/Berlin"\ninbox = "{inbox}"\n'
        + '\n[[coaches]]\nname = "Carla"\nathletes = ["ana"]\ndigest = "none"\n'
        + f'cc_alerts = false\nnotify = ["{push.ntfy("carla")}"]\n'
    )
    cli = ConfiguredCli(db_url, cfg)
    cli("check", "--as-of", "2026-10-25")
    cli("check", "--as-of", "2026-10-25")
    assert [p.body["title"] for p in push.to("carla")] == [TITLE]
    assert status(cli.db, SPIKE) == ("sent", 1)
    time.sleep(0.3)
    assert smtp.messages == []


def test_a_coach_with_neither_email_nor_push_is_a_config_error(sqlite_cli, tmp_path: Path) -> None:
    cfg = tmp_path / "loadwatch.toml"
    cfg.write_text(
        '[[athletes]]\nname = "ana"\n'
        '[[coaches]]\nname = "Carla"\nathletes = ["ana"]\nnotify = []\n'
        '[[coaches]]\nname = "Dora"\nathletes = ["ana"]\nnotify_env = ["DORA_PUSH_URL"]\n'
    )
    result = sqlite_cli("--config", str(cfg), "config", "check", code=2)
    assert result.stderr.splitlines() == [
        f"error: config: 2 problems in {cfg}:",
        "error: config: coaches[0].email: missing: a coach needs an email address, or a push "
        "channel in notify or notify_env, for their digest",
        "error: config: coaches[1].notify_env[0]: environment variable DORA_PUSH_URL is not set",
    ]
    assert "Traceback" not in result.output


def test_config_check_names_a_bad_url_a_secret_in_the_file_and_an_unset_variable(
    cli, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("ANA_PUSH_URL", raising=False)
    monkeypatch.setenv("BEN_PUSH_URL", "tgram://nonsense")
    cfg = tmp_path / "loadwatch.toml"
    cfg.write_text(
        '[smtp]\nhost = "localhost"\nsecurity = "none"\n'
        '[[athletes]]\nname = "ana"\nnotify = ["ntfys://ntfy.sh/ana-knee", "tgram://bad"]\n'
        'notify_env = ["ANA_PUSH_URL"]\n'
        '[[athletes]]\nname = "ben"\nnotify_env = ["BEN_PUSH_URL"]\n'
        '[[coaches]]\nname = "Carla"\nemail = "carla@example.com"\nathletes = ["ana"]\n'
        'notify = ["tgram://123456789:abcdefg_hijklmnop/12345"]\n'
    )
    result = cli("--config", str(cfg), "config", "check", code=2)
    assert result.stderr.splitlines() == [
        f"error: config: 4 problems in {cfg}:",
        "error: config: athletes[0].notify[1]: Apprise cannot use this URL: Unparseable "
        "Telegram URL tgram://...",
        "error: config: athletes[0].notify_env[0]: environment variable ANA_PUSH_URL is not set",
        "error: config: athletes[1].notify_env[0]: Apprise cannot use this URL: Unparseable "
        "Telegram URL tgram://...",
        "error: config: coaches[0].notify[0]: tgram://1...p/12345/ holds a token or password: "
        "put the URL in an environment variable and name it in notify_env",
    ]
    assert "nonsense" not in result.output  # what an environment variable holds is not said
    cfg.write_text(
        '[[athletes]]\nname = "ana"\nnotify = ["ntfys://ntfy.sh/ana-knee"]\n'
        'notify_env = ["ANA_PUSH_URL"]\n'
    )
    monkeypatch.setenv("ANA_PUSH_URL", "tgram://123456789:abcdefg_hijklmnop/12345")
    ok = cli("--config", str(cfg), "config", "check")
    assert "push: 2 Apprise URLs, each checked" in ok.stdout


def test_config_check_says_every_bad_push_item_not_the_first_only(
    sqlite_cli, tmp_path: Path, monkeypatch
) -> None:
    """Items that are no URL (or no variable name) are each said at their index, and the good
    URLs beside them are still asked of Apprise; one line each, in one run."""
    monkeypatch.delenv("ANA_PUSH_URL", raising=False)
    cfg = tmp_path / "loadwatch.toml"
    cfg.write_text(
        '[[athletes]]\nname = "ana"\n'
        'notify = ["ntfy.sh/ana", "ntfys://ntfy.sh/ana-knee", 7, "bogus://x", "yy://"]\n'
        'notify_env = ["ANA_PUSH_URL", "ana-push"]\n'
        '[[coaches]]\nname = "Carla"\nathletes = ["ana"]\nnotify = ["carla", "tgram://bad"]\n'
    )
    result = sqlite_cli("--config", str(cfg), "config", "check", code=2)
    assert result.stderr.splitlines() == [
        f"error: config: 8 problems in {cfg}:",
        'error: config: athletes[0].notify[0]: expected an Apprise URL like "ntfys://ntfy.sh/'
        "ana-knee\", not 'ntfy.sh/ana'",
        'error: config: athletes[0].notify[2]: expected an Apprise URL like "ntfys://ntfy.sh/'
        'ana-knee", not 7',
        "error: config: athletes[0].notify_env[1]: expected the name of an environment variable "
        "like \"ANA_PUSH_URL\", not 'ana-push'",
        'error: config: coaches[0].notify[0]: expected an Apprise URL like "ntfys://ntfy.sh/'
        "ana-knee\", not 'carla'",
        "error: config: athletes[0].notify[3]: Apprise cannot use this URL: Unparseable URL "
        "bogus://...",
        "error: config: athletes[0].notify[4]: Apprise cannot use this URL: Unparseable URL "
        "yy://...",  # as Apprise masked it (it read "yy://......")
        "error: config: athletes[0].notify_env[0]: environment variable ANA_PUSH_URL is not set",
        "error: config: coaches[0].notify[1]: Apprise cannot use this URL: Unparseable "
        "Telegram URL tgram://...",
    ]
    # Any other command refuses the file on the lines of the file itself (Apprise is not asked).
    refused = sqlite_cli("--config", str(cfg), "athletes", "list", code=2)
    assert "4 problems in" in refused.stderr and "notify_env[1]" in refused.stderr
    assert "Traceback" not in refused.output


def test_sigkill_mid_push_repeats_at_most_that_delivery(db_url, smtp, tmp_path: Path) -> None:
    """kill -9 of a check after the push service took a notice but before the check heard
    "200": that one push goes out once more on the next check; the email sent before it and
    every other athlete's email and push go out once each."""
    push = PushServer()
    push.failures = ["hang"]  # the first push: taken, never answered
    push.start()
    try:
        people = {n: f'notify = ["{push.ntfy(n + "-knee")}"]' for n in ("ana", "ben", "cid")}
        cfg = config(tmp_path, smtp.config(), people)
        cmd = [sys.executable, "-m", "loadwatch", "--db", str(db_url), "--config", str(cfg)]
        cmd += ["check", "--as-of", "2026-10-25"]
        env = {**os.environ, ENV: PASSWORD}
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        if not push.hung.wait(120):
            proc.kill()
            raise AssertionError(f"the check pushed nothing: {proc.communicate()[1]}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        (first,) = push.pushes
        again = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
        assert again.returncode == 0, again.stderr
        quiet = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
        assert quiet.returncode == 0, quiet.stderr
    finally:
        push.stop()
    topics = sorted(p.topic for p in push.pushes)
    killed = first.topic
    assert topics == sorted([killed, "ana-knee", "ben-knee", "cid-knee"])  # once more: that one
    assert wait_for(lambda: len(smtp.messages) == 3)
    time.sleep(0.3)
    assert sorted(str(m["To"]) for m in smtp.messages) == [
        "ana@example.com",
        "ben@example.com",
        "cid@example.com",
    ]
    # Every channel of every alert is settled; nothing is pending.
    channels = deliveries(db_url)
    assert {s for s, _ in channels.values()} == {"sent"} and len(channels) == 6
    assert channels[(SPIKE, "email")] == ("sent", 1)


def test_exit_75_only_when_nothing_but_a_temporary_failure_is_left(
    db_url, smtp, push, tmp_path: Path
) -> None:
    """One channel refuses (400) while another is down: exit 1, a person must look; both lines
    are said. The down one alone later: 75."""
    nobody = PushServer()  # never started
    lines = f'notify = ["{push.ntfy("ana-knee")}", "{nobody.json("hooks/ana")}"]'
    cli = ConfiguredCli(db_url, config(tmp_path, smtp.config(), {"ana": lines}))
    push.failures = ["400"]
    both = cli("check", "--as-of", "2026-10-25", code=1)
    said = both.stderr.splitlines()
    assert said[0].startswith(f"error: ana: push {push.ntfy('ana-knee')} refused the notice: ")
    assert said[1].startswith(f"error: push {nobody.json('hooks/ana')} unavailable: ")
    assert said[1].endswith("; alerts stay pending for the next run") and len(said) == 2
    cli("check", "--as-of", "2026-10-25", code=75)  # the refusal is over: only the down one left
    assert len(push.to("ana-knee")) == 1 and status(cli.db, SPIKE) == ("pending", 2)
