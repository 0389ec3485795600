"""A new rule is its own module and a test: this one registers a small example rule through the
public API (`rules.register`) and shows it evaluated, configured under [rules], prioritised in
the email's subject, carrying the chart it names, flagged in the coach's digest and read back
from the ledger as its typed numbers, with no other module naming it. Also: stored alerts of
any age read back as their rule's numbers."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import pytest

from loadwatch import config, rules
from loadwatch.errors import ConfigError
from loadwatch.model import Alert, Numbers, StoredNumbers, numbers_from
from loadwatch.rules import Rule
from loadwatch.rules.acwr import AcwrNumbers
from loadwatch.rules.spike import SpikeNumbers
from loadwatch.rules.weekly_jump import WeeklyJumpNumbers
from loadwatch.rulesettings import RuleSetting
from loadwatch.store import open_store

from .test_check import ConfiguredCli, _wait_for, password, write_config  # noqa: F401

CITATION = "An example for the tests, not a study"


@dataclass(frozen=True)
class LongRunNumbers(Numbers):
    distance_km: float
    limit_km: float


def long_runs(analysis, settings, since: date | None = None) -> list[Alert]:
    """Every run of at least `long_run_km`, one alert each."""
    runs = analysis.distance.runs
    if since is not None and len(runs):
        runs = runs[runs["day"] >= pd.Timestamp(since)]
    out = []
    for r in runs.itertuples():
        km = r.distance_m / 1000
        if km < settings.long_run_km:
            continue
        start = pd.Timestamp(r.start_utc).tz_convert("UTC").strftime("%Y-%m-%dT%H:%MZ")
        out.append(
            Alert(
                key=f"long_run:{analysis.athlete.id}:{start}",
                athlete=analysis.athlete.name,
                rule="long_run",
                day=pd.Timestamp(r.day).date(),
                title=f"a long run of {km:.1f} km",
                text=f"You ran {km:.1f} km, at least {settings.long_run_km:g} km.",
                citation=CITATION,
                numbers=LongRunNumbers(round(km, 3), settings.long_run_km),
            )
        )
    return out


LONG_RUN = Rule(
    "long_run",
    CITATION,
    long_runs,
    LongRunNumbers,
    priority=-1,  # ahead of the spike
    flag="long",
    chart="weekly_distance",
    settings=(
        RuleSetting(
            "long_run_km", 21.1, "Alert on every run at least this long.", CITATION, minimum=1
        ),
    ),
)


@pytest.fixture
def long_run_rule():
    rules.register(LONG_RUN)
    yield LONG_RUN
    rules.unregister(LONG_RUN.name)


def test_the_example_rule_is_configurable_under_rules(long_run_rule) -> None:
    assert config.parse("").rules.long_run_km == 21.1
    assert config.parse("[rules]\nlong_run_km = 30\n").rules.long_run_km == 30
    with pytest.raises(ConfigError) as e:
        config.parse('[rules]\nlong_run_km = "far"\nlong_run_kms = 2\n')
    assert e.value.problems == (
        ("rules.long_run_kms", "unknown key; did you mean 'long_run_km'?"),
        ("rules.long_run_km", "expected int or float, got 'far'"),
    )
    row = config.SETTING_KEYS["rules.long_run_km"]
    assert (row.default, row.help, row.citation) == (
        21.1,
        "Alert on every run at least this long.",
        CITATION,
    )
    assert f"# {CITATION}\nlong_run_km = 21.1\n" in config.example_section("rules")


def test_an_unregistered_rule_leaves_nothing_behind(long_run_rule) -> None:
    rules.unregister("long_run")
    with pytest.raises(ConfigError) as e:
        config.parse("[rules]\nlong_run_km = 30\n")
    assert e.value.problems == (("rules.long_run_km", "unknown key"),)
    assert "rules.long_run_km" not in config.SETTING_KEYS
    assert rules.rule_of("long_run") is None and rules.flag_of("long_run") == ""
    rules.register(LONG_RUN)  # the fixture removes it again


def test_the_example_rule_is_evaluated_prioritised_charted_flagged_and_stored(
    long_run_rule, smtp, tmp_path: Path
) -> None:
    db = tmp_path / "lw.db"
    cli = ConfiguredCli(db, write_config(tmp_path, smtp.config(), coach=True))
    cli("check", "--as-of", "2026-10-25")
    assert _wait_for(lambda: len(smtp.messages) == 2)
    alert_mail: EmailMessage = next(m for m in smtp.messages if m["To"] == "ana@example.com")
    digest: EmailMessage = next(m for m in smtp.messages if m["To"] == "carla@example.com")
    # Its priority puts it ahead of the spike of the same run; its chart is the one it names.
    assert alert_mail["Subject"] == "loadwatch: a long run of 24.0 km (+1 more)"
    keys = sorted(k.strip() for k in alert_mail["X-Loadwatch-Alerts"].split(","))
    assert keys == ["long_run:1:2026-10-25T05:30Z", "run_spike:1:2026-10-25T05:30Z"]
    html = alert_mail.get_body(("html",)).get_content()
    assert "alt='Weekly distance, Monday to Sunday'" in html
    plain = " ".join(alert_mail.get_body(("plain",)).get_content().split())
    assert "You ran 24.0 km, at least 21.1 km." in plain
    # The coach's digest flags it by its word, beside the spike's.
    digest_text = digest.get_body(("plain",)).get_content()
    assert "* ana [long, spike]" in digest_text
    # The ledger gives its numbers back as its type.
    with open_store(db) as store:
        entries = {e.alert.key: e.alert for e in store.ledger.entries(1)}
    stored = entries["long_run:1:2026-10-25T05:30Z"]
    assert stored.numbers == LongRunNumbers(24.0, 21.1)
    assert isinstance(entries["run_spike:1:2026-10-25T05:30Z"].numbers, SpikeNumbers)


def test_the_example_rules_setting_changes_what_it_finds(
    long_run_rule, smtp, tmp_path: Path
) -> None:
    extra = "\n[rules]\nlong_run_km = 30\n"
    cli = ConfiguredCli(tmp_path / "lw.db", write_config(tmp_path, smtp.config() + extra))
    cli("check", "--as-of", "2026-10-25")
    assert _wait_for(lambda: len(smtp.messages) == 1)
    time.sleep(0.3)
    (msg,) = smtp.messages
    assert msg["Subject"] == "loadwatch: 24.0 km run, 60% over the 30-day longest (moderate spike)"
    assert "alt='Your recent runs against the longest run" in msg.get_body(("html",)).get_content()


# Numbers as loadwatch wrote them before they were typed (dicts; older rows lack later fields).
OLD_ROWS = [
    (
        "run_spike",
        {
            "distance_km": 24.0,
            "longest_prior_30d_km": 15.0,
            "spike_pct": 60.0,
            "band": "moderate",
            "hazard_ratio": 1.52,
            "window": "runs started in the 30 calendar days before this run",
        },
        SpikeNumbers(24000, 15000, 60.0, "moderate", 1.52, None),  # metres once read
    ),
    (
        "weekly_jump",
        {"last7_km": 72.0, "previous7_km": 32.0, "change_pct": 125.0, "window": "w"},
        WeeklyJumpNumbers(72000, 32000, 125.0, window="w"),
    ),
    (
        "acwr",
        {
            "acwr_rolling_coupled": 1.7,
            "acute7_km": 40.0,
            "chronic28_weekly_km": 23.5,
            "variant": "7:28 rolling, coupled",
            "threshold": 1.5,
            "episode_started": "2026-10-01",
            "band": 1,
        },
        AcwrNumbers(1.7, 40000, 23500, "7:28 rolling, coupled", 1.5, "2026-10-01", 1),
    ),
    ("retired_rule", {"x": 1.5, "episode_started": "2026-10-02"}, None),
]


@pytest.mark.parametrize("kind,stored,typed", OLD_ROWS, ids=[r[0] for r in OLD_ROWS])
def test_stored_dict_numbers_read_back_as_their_rules_type(
    db_url, kind: str, stored: dict, typed: Numbers | None
) -> None:
    """A row written by the old code (its payload's numbers a plain JSON object, which is what
    StoredNumbers writes) reads back as the rule's numbers; a rule no longer registered keeps
    its numbers as stored, episode and all; and what is written reads back the same."""
    with open_store(db_url) as store:
        a = store.athletes.add("ana")
        old = Alert(
            f"{kind}:k", "ana", kind, date(2026, 10, 5), "t", "x", "c", StoredNumbers(stored)
        )
        store.ledger.insert(a.id, [(old, "sent")])
        (entry,) = store.ledger.entries(a.id)
    numbers = entry.alert.numbers
    if typed is None:
        assert numbers == StoredNumbers(stored) and numbers.episode() == "2026-10-02"
    else:
        assert numbers == typed and type(numbers) is type(typed)
        assert {k: v for k, v in numbers.as_dict().items() if v is not None} == stored


def test_numbers_hold_metres_and_store_km_under_their_old_names() -> None:
    """An alert's numbers count metres; the ledger row and `alerts --json` keep the km keys, in
    the field order and to the decimals they always had, and read back equal to what was found."""
    found = SpikeNumbers(24_381, 15_123, 61.2, "moderate", 1.52, "2026-10-25T05:30Z")
    stored = found.as_dict()
    assert list(stored)[:2] == ["distance_km", "longest_prior_30d_km"]
    assert (stored["distance_km"], stored["longest_prior_30d_km"]) == (24.381, 15.123)
    assert numbers_from("run_spike", stored) == found
    # Held as stored: 58,626.5 m is 58.627 km in the ledger, as it always was, so 58,627 m.
    jump = WeeklyJumpNumbers(72_000, 32_000, 125.0, 58_626.5, "2026-10-01", 2, 10)
    assert jump.previous14_weekly_m == 58_627
    assert jump.as_dict()["floor_km"] == 10 and jump.as_dict()["previous14_weekly_km"] == 58.627
    assert numbers_from("weekly_jump", jump.as_dict()) == jump


def test_the_km_floors_users_type_are_read_as_whole_metres() -> None:
    """`spike_min_km` and `weekly_jump_min_km` stay the km the user types (the config, the
    README, the fingerprint); the rules and the headroom read them once converted."""
    typed = config.parse("[rules]\nspike_min_km = 1.5\nweekly_jump_min_km = 7.25\n").rules
    assert (typed.spike_min_km, typed.spike_min_m) == (1.5, 1500)
    assert (typed.weekly_jump_min_km, typed.weekly_jump_min_m) == (7.25, 7250)
    assert "spike_min_m" not in list(typed) and "spike_min_m=" not in repr(typed)
    assert config.parse("").rules.weekly_jump_min_m == 10_000  # the default, 10 km


@pytest.mark.parametrize("command", [["athletes", "list"], ["config", "check"]])
def test_a_fresh_program_knows_the_rules_settings(tmp_path: Path, command: list[str]) -> None:
    """The rules declare the [rules] keys; a command that reads the config before anything else
    imported the rules must still know them (a fresh interpreter, as cron runs it)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[rules]\nspike_pct = 12\nacwr_enabled = true\n")
    args = [sys.executable, "-m", "loadwatch", "--db", str(tmp_path / "lw.db"), "--config"]
    done = subprocess.run([*args, str(cfg), *command], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr
