"""The team and alerts pages made once per version of the data and shared (web/shared.py), on both
backends: a page given again is the page a server that keeps nothing makes, after a change by
another process (an import by the CLI), another connection or the server's own writer, and after
a day boundary in an athlete's zone; identical requests at once make it once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from loadwatch import snapshot
from loadwatch.app import App
from loadwatch.store import open_reader, open_store
from loadwatch.web import create_app
from loadwatch.web.serving import Serving
from loadwatch.web.shared import Made, Pages, Versions

from .smtp_server import free_port
from .test_snapshot import NOW, Clock, _settings, _tamper, club  # noqa: F401  (the fixture)


class Page:
    """A real `loadwatch web` app under uvicorn in a thread, over its own writer and readers."""

    def __init__(self, db_url: str, app: App, clock: Clock):
        writer = App(open_store(db_url), app.settings, clock)
        self.serving = Serving(app.settings, writer, lambda: open_reader(db_url), 2, clock)
        self.asgi = create_app(self.serving, csrf="the same token on every server")

    def get(self, path: str, etag: str | None = None) -> tuple[int, str, str]:
        """The status, the body and the ETag of a GET (`etag`: sent as If-None-Match)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if etag:
            request.add_header("If-None-Match", etag)
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                return r.status, r.read().decode(), r.headers.get("etag", "")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers.get("etag", "")

    def body(self, path: str) -> str:
        status, text, _ = self.get(path)
        assert status == 200, text
        return text

    @contextmanager
    def running(self):
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(self.asgi, host="127.0.0.1", port=self.port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            self.serving.close()


def fresh(db_url: str, app: App, clock: Clock, path: str) -> str:
    """The page as a server that has kept nothing makes it now."""
    with Page(db_url, app, clock).running() as other:
        return other.body(path)


def settled(page: Page, path: str) -> str:
    """The page once the states its first making stored are read back (that storing is a
    change too): asked until it is given without being made again."""
    for _ in range(5):
        made = page.serving.pages.made
        text = page.body(path)
        if page.serving.pages.made == made:
            return text
    raise AssertionError("made again on every request")


def test_a_change_by_another_process_or_connection_shows_on_the_next_request(
    club,  # noqa: F811
    db_url: str,
) -> None:
    app, clock, ana, _ben, second = club
    with Page(db_url, app, clock).running() as page:
        for path in ("/", "/alerts"):
            before = settled(page, path)
            made = page.serving.pages.made
            assert page.body(path) == before and page.serving.pages.made == made  # kept
        status, text, etag = page.get("/")
        assert (status, page.get("/", etag)[0]) == (200, 304)  # the browser's copy is current

        base = [sys.executable, "-m", "loadwatch", "--db", db_url]
        cmd = [*base, "import", str(second), "--athlete", "ana", "--workers", "1"]
        subprocess.run(cmd, check=True, capture_output=True)
        after = page.body("/")
        assert after != before
        assert after == fresh(db_url, app, clock, "/")
        assert page.get("/", etag)[0] == 200  # an old copy is not current

        _tamper(db_url, "UPDATE activities SET excluded = ? WHERE athlete_id = ?", (True, ana.id))
        excluded = page.body("/")
        assert excluded != after
        assert excluded == fresh(db_url, app, clock, "/")
        assert page.body("/alerts") == fresh(db_url, app, clock, "/alerts")


def test_a_change_through_the_servers_writer_shows_on_the_next_request(club, db_url: str) -> None:  # noqa: F811
    app, clock, ana, _ben, second = club
    with Page(db_url, app, clock).running() as page:
        before = settled(page, "/")
        with page.serving.writer() as writer:
            writer.import_paths(writer.store.athletes.get(ana.id), [second], workers=1)
        after = page.body("/")
        assert after != before
        assert after == fresh(db_url, app, clock, "/")


def test_a_new_day_in_an_athletes_zone_makes_the_page_again(club, db_url: str) -> None:  # noqa: F811
    app, clock, ana, _ben, second = club
    berlin = ZoneInfo("Europe/Berlin")
    clock.now = datetime(2026, 11, 9, 22, 0, tzinfo=berlin).astimezone(UTC)
    with Page(db_url, app, clock).running() as page:
        settled(page, "/")
        made = page.serving.pages.made
        clock.now += timedelta(hours=1, minutes=59)  # 23:59 in Berlin: the same day everywhere
        page.body("/")
        assert page.serving.pages.made == made
        clock.now += timedelta(minutes=2)  # 00:01 in Berlin
        after = page.body("/")
        assert page.serving.pages.made == made + 1
        assert after == fresh(db_url, app, clock, "/")


def test_the_clock_changes_a_page_at_the_first_midnight_or_an_alert_leaving_the_window() -> None:
    now = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    zones = ["Europe/Berlin", "America/Denver", "Europe/Berlin"]
    midnight_berlin = datetime(2026, 11, 9, 23, 0, tzinfo=UTC)
    assert snapshot.clock_changes(zones, [], now, 7) == midnight_berlin
    sent = now - timedelta(days=7) + timedelta(hours=2)  # open for two more hours
    assert snapshot.clock_changes(zones, [sent], now, 7) == now + timedelta(hours=2)
    assert snapshot.clock_changes([], [], now, 7) > now
    # Santiago skips 00:00 on 2026-09-06 (the day begins at 01:00, 04:00 UTC): never late.
    now = datetime(2026, 9, 5, 12, 0, tzinfo=UTC)
    until = snapshot.clock_changes(["America/Santiago"], [], now, 7)
    assert now < until <= datetime(2026, 9, 6, 4, 0, tzinfo=UTC)


def test_the_app_says_until_when_its_pages_hold(club) -> None:  # noqa: F811
    app, clock, ana, _ben, second = club
    assert app.holds_until(clock()) == datetime(2026, 11, 9, 23, 0, tzinfo=UTC)


def test_the_data_version_moves_with_a_commit_by_another_connection(club, db_url: str) -> None:  # noqa: F811
    app, clock, ana, _ben, second = club
    reader = open_reader(db_url)
    versions = Versions(lambda: open_reader(db_url))
    try:
        assert reader.data_version() == reader.data_version()
        seen = versions.now()
        assert versions.now() == seen
        before = reader.data_version()
        _tamper(db_url, "UPDATE athletes SET max_hr = ? WHERE id = ?", (190, ana.id))
        assert reader.data_version() != before
        assert versions.now() == seen + 1  # once, however many ask after the change
        assert versions.now() == seen + 1
    finally:
        reader.close()
        versions.close()


def test_identical_requests_at_once_make_the_page_once() -> None:
    pages = Pages()
    now = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    made: list[int] = []

    def make() -> Made:
        made.append(1)
        time.sleep(0.2)
        return Made.of(b"the page", now + timedelta(hours=1))

    start = threading.Barrier(8)
    got: list[Made] = []

    def ask() -> None:
        start.wait()
        got.append(pages.get("team", now, make))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len(got) == 8 and all(g is got[0] for g in got)
    assert pages.get("team", now + timedelta(minutes=59), make) is got[0]
    assert pages.get("team", now + timedelta(hours=1), make) is not got[0]  # no longer holds
    assert len(made) == 2


def test_a_making_that_failed_is_not_shared() -> None:
    pages = Pages()
    now = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)

    def fail() -> Made:
        raise ValueError("no coach named 'x'")

    with pytest.raises(ValueError):
        pages.get("team", now, fail)
    page = pages.get("team", now, lambda: Made.of(b"ok", now + timedelta(hours=1)))
    assert page.body == b"ok" and not pages.making
