"""The server's background refresh (web/warm.py), on both backends, under a real uvicorn server:
states made stale by another process's write, or by a midnight in an athlete's zone, are made
current again with no page asked for; a page asked for while a refresh is due waits for that pass
instead of recomputing beside it; a --read-only server keeps them in its cache, writing nothing;
the worker's thread ends with the server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from loadwatch import snapshot
from loadwatch.app import App
from loadwatch.store import open_reader, open_store
from loadwatch.web import create_app
from loadwatch.web.serving import Serving
from loadwatch.web.warm import WarmSettings

from .test_snapshot import fresh
from .test_web_shared import Page, club  # noqa: F401  (the fixture)
from .test_web_shared import fresh as fresh_page

ROOT = Path(__file__).resolve().parent.parent
QUICK = WarmSettings(poll_s=0.05, quiet_s=0.2, most_s=5.0, batch=1)


def warm_page(db_url: str, app: App, clock, warm: WarmSettings = QUICK) -> Page:
    page = Page(db_url, app, clock)
    writer = page.serving.writer_app
    page.serving = Serving(app.settings, writer, lambda: open_reader(db_url), 2, clock, warm)
    page.asgi = create_app(page.serving, csrf="the same token on every server")
    return page


def stale_ids(db_url: str, app: App) -> set[int]:
    """The athletes whose stored state is not current now, read from the snapshots table by a
    connection of the test's own."""
    store = open_store(db_url)
    try:
        fp = snapshot.fingerprint(app.settings)
        stored = store.snapshots.all(payloads=False)
        now = app.clock()
        return {
            a.id
            for a in store.athletes.all()
            if not snapshot.is_current(stored.get(a.id), snapshot.today_of(a, now), fp)
        }
    finally:
        store.close()


def until_current(db_url: str, app: App, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while stale_ids(db_url, app):
        assert time.monotonic() < deadline, f"still stale: {stale_ids(db_url, app)}"
        time.sleep(0.05)


def tamper_elsewhere(db_url: str, sql: str, args: tuple) -> None:
    """A write by another process (a person with a shell), not through loadwatch's code."""
    code = f"from tests.test_snapshot import _tamper; _tamper({db_url!r}, {sql!r}, {args!r})"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)


def idle(serving: Serving, timeout_s: float = 60.0) -> None:
    """Until the worker has nothing due: its last pass began from the data as it is now."""
    deadline = time.monotonic() + timeout_s
    while serving.warmer.due(serving.versions.now(), serving.clock()):
        assert time.monotonic() < deadline, "the worker never settled"
        time.sleep(0.05)


def no_worker_left() -> bool:
    return not any(t.name == "loadwatch-warm" for t in threading.enumerate())


def test_a_write_by_another_process_is_recomputed_with_no_page_asked(club, db_url) -> None:  # noqa: F811
    app, clock, ana, _ben, second = club
    with warm_page(db_url, app, clock).running() as page:
        until_current(db_url, app)
        before = app.store.snapshots.all()[ana.id].payload
        computed = page.serving.warmer.computed
        tamper_elsewhere(
            db_url, "UPDATE activities SET excluded = ? WHERE athlete_id = ?", (True, ana.id)
        )
        deadline = time.monotonic() + 60
        while app.store.snapshots.all()[ana.id].payload == before:
            assert time.monotonic() < deadline, "ana's state was never stored again"
            time.sleep(0.05)
        until_current(db_url, app)
        assert page.serving.pages.made == 0  # no page was asked for
        assert page.serving.warmer.computed == computed + 1  # ana's, by the worker
        states = snapshot.current_states(app.store, app.settings, app.athletes(), clock())
        assert states.computed == 0
        for a in app.athletes():
            assert states.by_id[a.id] == fresh(app, a.id), a.name
        assert page.body("/") == fresh_page(db_url, app, clock, "/")
    assert no_worker_left()


def test_a_midnight_in_an_athletes_zone_refreshes_their_state(club, db_url) -> None:  # noqa: F811
    app, clock, ana, _ben, second = club
    berlin = ZoneInfo("Europe/Berlin")
    clock.now = datetime(2026, 11, 9, 23, 58, tzinfo=berlin).astimezone(UTC)
    with warm_page(db_url, app, clock).running() as page:
        until_current(db_url, app)  # the pass at start: each state for the clock's day
        idle(page.serving)
        passes = page.serving.warmer.started
        clock.now += timedelta(minutes=1)  # 23:59: nothing turns
        time.sleep(0.5)
        assert page.serving.warmer.started == passes and not stale_ids(db_url, app)
        clock.now += timedelta(minutes=2)  # 00:01 in Berlin, still the 9th in Denver
        until_current(db_url, app)
        stored = app.store.snapshots.all(payloads=False)
        assert stored[ana.id].day == datetime(2026, 11, 10).date()
        assert page.serving.pages.made == 0
    assert no_worker_left()


def test_a_page_asked_for_while_a_refresh_is_due_waits_for_it(club, db_url) -> None:  # noqa: F811
    app, clock, ana, _ben, second = club
    slow = WarmSettings(poll_s=0.05, quiet_s=3600.0, most_s=3600.0, batch=1)  # only when asked
    with warm_page(db_url, app, clock, slow).running() as page:
        until_current(db_url, app)
        computed = page.serving.warmer.computed
        tamper_elsewhere(
            db_url, "UPDATE activities SET excluded = ? WHERE athlete_id = ?", (True, ana.id)
        )
        time.sleep(0.3)
        assert stale_ids(db_url, app) == {ana.id}  # the quiet wait holds the worker back
        body = page.body("/")
        # The page's pass was the worker's: it recomputed ana's state, the page computed none.
        assert page.serving.warmer.computed == computed + 1
        assert not stale_ids(db_url, app)
        assert body == fresh_page(db_url, app, clock, "/")
    assert no_worker_left()


def test_a_read_only_server_keeps_its_states_in_its_cache(club, db_url) -> None:  # noqa: F811
    app, clock, ana, _ben, second = club
    tamper_elsewhere(
        db_url, "UPDATE activities SET excluded = ? WHERE athlete_id = ?", (True, ana.id)
    )
    serving = Serving(app.settings, None, lambda: open_reader(db_url), 2, clock, QUICK)
    page = Page(db_url, app, clock)
    page.serving.close()
    page.serving, page.asgi = serving, create_app(serving)
    with page.running():
        deadline = time.monotonic() + 60
        while ana.id not in serving.cache:
            assert time.monotonic() < deadline, "the read-only server never computed ana's state"
            time.sleep(0.05)
        assert serving.cache[ana.id][1] == fresh(app, ana.id)
        assert stale_ids(db_url, app) == {ana.id}  # nothing written
        passes = serving.warmer.started
        page.body("/")
        assert serving.pages.made == 1
        assert serving.warmer.computed == 1  # the page read the cache
        assert serving.warmer.started >= passes
    assert no_worker_left()
