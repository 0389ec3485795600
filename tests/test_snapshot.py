"""The stored athlete state (snapshot.py) against a fresh analysis, after every kind of change, on
both backends: what the team page, the alerts page and the digest read is what analysing the
athlete now gives, and a state that a change, a new day or new settings made stale is never read
as current.

The fresh side is the old route: one athlete through `analysis.analyse` and its own daily frame;
the stored side went through the one-pass `analyse_many` and the wide daily pass.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from loadwatch import snapshot
from loadwatch.app import App
from loadwatch.config import Settings
from loadwatch.store import open_store

from .conftest import SAMPLES

DEMO = SAMPLES / "demo-runner"
# Mornings after the demo runner's last runs: in Berlin and in Denver.
NOW = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _settings() -> Settings:
    from loadwatch import rules  # noqa: F401  (the rules declare [rules])

    return Settings()


def fresh(app: App, athlete_id: int):
    """The athlete's state as a fresh analysis gives it (the old, athlete-by-athlete route)."""
    a = app.store.athletes.get(athlete_id)
    analysis = app.analysis(a, app.today(a))
    return snapshot.state_of(analysis, app.settings, app.store.athletes.alerts_since(a.id))


def assert_matches(app: App, stored: bool) -> None:
    """Every athlete's state equals a fresh analysis; `stored`: read as stored, none computed."""
    athletes = app.store.athletes.all()
    got = snapshot.current_states(app.store, app.settings, athletes, app.clock(), write=False)
    for a in athletes:
        assert got.by_id[a.id] == fresh(app, a.id), a.name
    if stored:
        assert (got.read, got.computed) == (len(athletes), 0)
    else:
        assert got.computed > 0  # stale: recomputed, not shown as current


@pytest.fixture
def club(db_url: str, tmp_path: Path):
    clock = Clock(NOW)
    app = App(open_store(db_url), _settings(), clock)
    ana = app.add_athlete("ana", "ana@example.com", "Europe/Berlin")
    ben = app.add_athlete("ben", None, "America/Denver")
    runs = sorted(DEMO.glob("*.fit"))
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for p in runs[:-6]:
        shutil.copy(p, first / p.name)
    for p in runs[-6:]:
        shutil.copy(p, second / p.name)
    app.import_paths(ana, [first], workers=1)
    app.import_paths(ben, [first], workers=1)
    yield app, clock, ana, ben, second
    app.close()


def test_the_stored_state_equals_a_fresh_analysis_after_every_change(club) -> None:
    app, clock, ana, ben, second = club
    assert_matches(app, stored=True)  # the imports stored their states

    app.import_paths(ana, [second], workers=1)
    assert_matches(app, stored=True)

    run_id = app.add_activity(ana, date(2026, 11, 8), 12_500, 70)
    assert_matches(app, stored=True)
    app.edit_activity(run_id, distance_m=30_000)  # a spike: the state's alerts change too
    assert_matches(app, stored=True)
    assert any(x.rule == "run_spike" for x in fresh(app, ana.id).found), fresh(app, ana.id)
    app.exclude_activity(run_id, True, "treadmill miscalibrated")
    assert_matches(app, stored=True)
    app.exclude_activity(run_id, False)
    assert_matches(app, stored=True)
    app.delete_activity(run_id)
    assert_matches(app, stored=True)

    app.add_shoe(ben, "pegasus", 100_000, 150_000, 200_000, default_for="running")
    app.assign_shoe_range(ben, "pegasus", date(2026, 9, 1), date(2026, 11, 8))
    assert_matches(app, stored=True)
    assert fresh(app, ben.id).worn_shoe
    app.retire_shoe(ben, "pegasus")
    assert_matches(app, stored=True)

    app.log_pain(ana, 4, date(2026, 11, 8), "after", "knee")
    assert_matches(app, stored=True)
    report = app.pain_reports(ana)[0]
    app.delete_pain(report.id)
    assert_matches(app, stored=True)

    app.edit_athlete(ben, tz="Asia/Tokyo")  # another day there: other windows
    assert_matches(app, stored=True)

    # A check fixes each athlete's alert start and records the ledger: it stores the states.
    app.check(import_inboxes=False)
    assert_matches(app, stored=True)

    # A change made around the app (another process, an old loadwatch's import): the store's
    # triggers make the state stale in the same transaction; it is never read as current.
    app.store.activities.set_excluded(ana.id, app.activities(ana)[-1].id, True)
    assert_matches(app, stored=False)
    app.team()  # a page with a writer stores it again
    assert_matches(app, stored=True)

    # A day boundary in the athlete's zone.
    clock.now += timedelta(days=1)
    assert_matches(app, stored=False)
    app.team()
    assert_matches(app, stored=True)

    # Other settings.
    rules = app.settings.rules.replace(spike_pct=20.0)
    app.settings = replace(app.settings, rules=rules)
    assert_matches(app, stored=False)
    app.team()
    assert_matches(app, stored=True)


def test_the_team_page_and_alerts_read_the_stored_states(club) -> None:
    """The team rows and what a check would send come from the stored states and equal what the
    athlete-by-athlete route gave."""
    app, clock, ana, ben, second = club
    app.import_paths(ana, [second], workers=1)
    app.add_activity(ana, date(2026, 11, 8), 30_000, 170)
    rows = {r.athlete: r for r in app.team()}
    from loadwatch.views import state_row

    for a in (ana, ben):
        new = [
            x
            for x in app.would_send(app.store.athletes.get(a.id))
            if x.key not in {e.alert.key for e in app.ledger(a) if e.status == "pending"}
        ]
        assert [x.key for x in new] == [x.key for x in fresh(app, a.id).found]
    want = state_row(fresh(app, ana.id), [])
    assert rows["ana"].last7_m == want.last7_m and rows["ana"].acwr == want.acwr
    assert rows["ana"].headroom == want.headroom and "spike" in rows["ana"].flags
    sent = {(a.name, x.key) for a, x in app.alerts_to_send()}
    assert sent == {("ana", x.key) for x in fresh(app, ana.id).found} | {
        ("ben", x.key) for x in fresh(app, ben.id).found
    }


def test_a_read_only_store_recomputes_and_never_writes(club, db_url: str) -> None:
    app, clock, ana, ben, second = club
    clock.now += timedelta(days=1)  # every state is stale now
    with App.open(db=db_url, read_only=True, settings=app.settings, clock=clock) as ro:
        assert not ro.writes_states
        first = ro.team()
        again = ro.team()
    assert first == again
    got = snapshot.current_states(app.store, app.settings, app.store.athletes.all(), clock())
    assert got.read == 0 and got.written == 2  # nothing was stored by the read-only app


def _tamper(db_url: str, sql: str, args: tuple = ()) -> None:
    """A write from outside loadwatch's own code (another process, a person with a shell)."""
    if db_url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(sql.replace("?", "%s"), args)
    else:
        import sqlite3

        with sqlite3.connect(db_url) as conn:
            conn.execute(sql, args)


@contextmanager
def _serve(asgi):
    """The app under a real uvicorn server in a thread; yields a GET that returns the page."""
    import threading
    import time
    import urllib.request

    import uvicorn

    from .smtp_server import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    def get(path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
            return r.read().decode()

    try:
        yield get
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_the_web_serves_stored_states_and_never_a_stale_one(club, db_url: str) -> None:
    """The team page reads the stored state (a marked payload shows), and once the athlete's data
    changes (a write the triggers see, from outside loadwatch) it shows a fresh analysis."""
    from loadwatch.store import open_reader
    from loadwatch.web import create_app
    from loadwatch.web.serving import Serving

    app, clock, ana, ben, second = club
    app.team()  # every state stored
    stored = app.store.snapshots.all()[ana.id]
    # A run cap no analysis of this club gives: the page shows it only if it reads the payload.
    marked = replace(snapshot.decode(stored.payload or ""), run_max_m=987_654, run_reason=None)
    _tamper(
        db_url,
        "UPDATE snapshots SET payload = ? WHERE athlete_id = ?",
        (snapshot.encode(marked), ana.id),
    )
    writer = App(open_store(db_url), app.settings, clock)
    serving = Serving(app.settings, writer, lambda: open_reader(db_url), 2, clock)
    try:
        with _serve(create_app(serving)) as get:
            assert "run up to 987.6 km" in get("/")  # read, not recomputed
            _tamper(
                db_url, "UPDATE activities SET excluded = ? WHERE athlete_id = ?", (True, ana.id)
            )
            assert "987.6 km" not in get("/")
            ids = {a.id for a in app.athletes()}
            assert snapshot.current_states(
                app.store, app.settings, app.athletes(), clock()
            ).read == len(ids)
    finally:
        serving.close()


def test_a_new_runners_first_week_is_counted_on_the_team_page() -> None:
    """The 7-day total metric is undefined in a runner's first 6 days; the state's last 7 days
    are the runs of those days as the headroom counts them (a new runner once read 0 km)."""
    import pandas as pd

    from loadwatch.analysis import analyse
    from loadwatch.model import Athlete
    from loadwatch.rules import RuleSettings
    from loadwatch.views import athlete_state

    metres = [5_000.0, 6_500.0, 4_200.0]
    acts = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "sport": "running",
            "start_utc": pd.to_datetime(
                ["2026-11-20T06:00Z", "2026-11-21T06:00Z", "2026-11-23T06:00Z"]
            ),
            "distance_m": metres,
            "moving_s": 1800.0,
            "shoe_id": None,
        }
    )
    ana = Athlete(1, "ana", None, "UTC")
    state = athlete_state(analyse(ana, acts, [], date(2026, 11, 23)), RuleSettings())
    assert (state.last7_m, state.prev7_m) == (sum(metres), 0.0)
    assert state.weeks_m[-1] == sum(metres)
    # A week on, the first runs are the 7 before.
    later = athlete_state(analyse(ana, acts, [], date(2026, 11, 28)), RuleSettings())
    assert (later.last7_m, later.prev7_m) == (4_200.0, 11_500.0)
