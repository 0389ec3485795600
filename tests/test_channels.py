"""One contract for every delivery channel (notify/channel.py), run over each implementation
against a real local server: email through aiosmtpd, Apprise to ntfy and to a JSON webhook
(tests/push_server.py). A channel delivers a notice once, says "try later" (ChannelUnavailable)
when its server is not there, and refuses (SendFailed, not "try later") what its server refuses.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import loadwatch.rules  # noqa: F401  (they declare the [rules] keys parsing reads)
from loadwatch.config import NotifyUrl, parse
from loadwatch.errors import ChannelUnavailable, SendFailed
from loadwatch.model import Alert
from loadwatch.notify.channel import AlertNotice, Channel
from loadwatch.notify.mail import EmailChannel, Mailer
from loadwatch.notify.push import PushChannel

from .conftest import ENV
from .push_server import PushServer
from .smtp_server import PASSWORD, SmtpServer, free_port

TITLE = "24.0 km run, 60% over the 30-day longest (moderate spike)"


def notice() -> AlertNotice:
    alert = Alert(
        key="run_spike:1:2026-10-25T05:30Z",
        athlete="ana",
        rule="run_spike",
        day=date(2026, 10, 25),
        title=TITLE,
        text="Your 24.0 km run was 60% longer than your 30-day longest. More words follow.",
        citation="Frandsen et al. 2025",
    )
    now = datetime(2026, 10, 25, 8, tzinfo=UTC)
    return AlertNotice(
        "ana", 1, [alert], [alert.key], alert.day, now, None, lambda: None, "https://x.test/a/1"
    )


class Email:
    def __init__(self, tmp_path: Path):
        self.server = SmtpServer(tmp_path).start()
        self.mailers: list[Mailer] = []

    def _mailer(self, port: int) -> Mailer:
        text = self.server.config().replace(f"port = {self.server.port}", f"port = {port}")
        mailer = Mailer(parse(text))
        self.mailers.append(mailer)
        return mailer

    def channel(self, refusing: bool = False) -> Channel:
        to = "refused-ana@example.com" if refusing else "ana@example.com"
        return EmailChannel(self._mailer(self.server.port), [to])

    def down(self) -> Channel:
        return EmailChannel(self._mailer(free_port()), ["ana@example.com"])

    def received(self) -> list[str]:
        time.sleep(0.2)  # aiosmtpd hands the message over after its "250"
        return [str(m["Subject"]) for m in self.server.messages]

    def stop(self) -> None:
        for m in self.mailers:
            m.close()
        self.server.stop()


class Push:
    def __init__(self, url_of):
        self.server = PushServer().start()
        self.url_of = url_of

    def channel(self, refusing: bool = False) -> Channel:
        if refusing:
            self.server.failures = ["400"]
        return PushChannel(NotifyUrl("notify[0]", None, self.url_of(self.server, "ana")))

    def down(self) -> Channel:
        nobody = PushServer()  # never started
        return PushChannel(NotifyUrl("notify[0]", None, self.url_of(nobody, "ana")))

    def received(self) -> list[str]:
        return [p.body["title"] for p in self.server.pushes]

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(params=["email", "ntfy", "json"])
def endpoint(request, tmp_path: Path, monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)
    if request.param == "email":
        made: Email | Push = Email(tmp_path)
    elif request.param == "ntfy":
        made = Push(lambda server, topic: server.ntfy(topic))
    else:
        made = Push(lambda server, path: server.json(f"hooks/{path}"))
    yield made
    made.stop()


def test_a_channel_delivers_a_notice_once(endpoint) -> None:
    channel = endpoint.channel()
    receipt = channel.alerts(notice())
    (got,) = endpoint.received()
    assert TITLE in got
    assert channel.id and channel.label and "://" not in channel.id  # never the URL itself
    assert receipt.note is None


def test_a_channel_whose_server_is_not_there_says_try_later(endpoint) -> None:
    with pytest.raises(ChannelUnavailable):
        endpoint.down().alerts(notice())
    assert endpoint.received() == []


def test_a_channel_whose_server_refuses_says_so_and_not_try_later(endpoint) -> None:
    with pytest.raises(SendFailed) as refused:
        endpoint.channel(refusing=True).alerts(notice())
    assert not isinstance(refused.value, ChannelUnavailable)
    assert endpoint.received() == []


def test_a_channels_preview_sends_nothing(endpoint, tmp_path: Path) -> None:
    shown = endpoint.channel().preview(notice(), None)
    assert TITLE in shown.text and shown.file is None
    assert endpoint.received() == []


def test_a_push_links_the_runs_page_when_the_check_knows_it() -> None:
    from dataclasses import replace

    server = PushServer().start()
    try:
        channel = PushChannel(NotifyUrl("notify[0]", None, server.ntfy("ana")))
        plain = notice()
        channel.alerts(plain)
        run_page = "https://x.test/activities/7"
        channel.alerts(replace(plain, links={plain.keys[0]: run_page}))
        athlete, run = (p.body["message"].splitlines()[-1] for p in server.pushes)
        assert (athlete, run) == ("https://x.test/a/1", run_page)
    finally:
        server.stop()
