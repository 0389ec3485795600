"""The headroom and the rules' signal quality, on hand-built histories with hand-computed answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from loadwatch.analysis import analyse
from loadwatch.config import RuleSettings
from loadwatch.load import compute_daily
from loadwatch.load.headroom import headroom, within
from loadwatch.model import Athlete
from loadwatch.rules import evaluate
from loadwatch.rules.episodes import mentions
from loadwatch.views import headroom_for, headroom_lines, headroom_text

BERLIN = "Europe/Berlin"
ANA = Athlete(1, "ana", "ana@example.com", BERLIN)


def activities(runs: list[tuple[str, float]], tz: str = BERLIN) -> pd.DataFrame:
    """(local 'YYYY-MM-DD HH:MM', km) -> the frame the store gives the engine."""
    zone = ZoneInfo(tz)
    starts = [datetime.fromisoformat(t).replace(tzinfo=zone) for t, _ in runs]
    return pd.DataFrame(
        {
            "id": range(1, len(runs) + 1),
            "sport": "running",
            "start_utc": pd.to_datetime([s.isoformat() for s in starts], utc=True),
            "distance_m": [km * 1000 for _, km in runs],
            "moving_s": [km * 330 for _, km in runs],
            "elapsed_s": [km * 340 for _, km in runs],
            "avg_hr": None,
            "hr_histogram": None,
            "shoe_id": None,
        }
    )


def every(first: date, days: int, km: float, step: int = 1, hour: str = "07:00"):
    return [
        ((first + timedelta(days=i)).isoformat() + " " + hour, km) for i in range(0, days, step)
    ]


def alerts(runs, as_of: date, **rules):
    settings = RuleSettings(**rules)
    analysis = analyse(ANA, activities(runs), [], as_of)
    return [a for a in evaluate(analysis, settings)], analysis, settings


# -- headroom ---------------------------------------------------------------------------------
def test_run_headroom_is_the_longest_of_30_days_plus_10_percent_in_whole_metres() -> None:
    runs = every(date(2026, 9, 1), 60, 8.0, step=2) + [("2026-10-18 07:00", 15.0)]
    h = headroom(compute_daily(activities(runs), date(2026, 11, 2), BERLIN).runs, date(2026, 11, 2))
    assert h.run.longest_m == 15_000 and h.run.longest_day == date(2026, 10, 18)
    assert h.run.max_run_m == 16_500  # 100 * 16_500 <= 110 * 15_000, and 16_501 is not
    assert within(15_000, 10) == 16_500 and within(10_001, 10) == 11_001
    # The 15 km run leaves the window 30 days after it: from Tue 17 Nov the longest is 8 km.
    assert h.drop is not None and h.drop.day == date(2026, 11, 17)
    assert (h.drop.longest_m, h.drop.max_run_m) == (8_000, 8_800)


def test_the_headroom_run_is_no_spike_and_one_metre_more_is() -> None:
    base = every(date(2026, 9, 1), 40, 10.0, step=3)
    for km, spike in ((11.0, False), (11.001, True)):
        found, *_ = alerts([*base, ("2026-10-12 07:00", km)], date(2026, 10, 12))
        assert any(a.rule == "run_spike" for a in found) is spike, km


def test_headroom_after_a_break_and_without_history() -> None:
    runs = every(date(2026, 6, 1), 40, 10.0, step=2)  # ends 9 Jul; nothing since
    h = headroom(compute_daily(activities(runs), date(2026, 9, 1), BERLIN).runs, date(2026, 9, 1))
    # 54 days without a run: return mode, from the 4 weeks before the break (14 x 10 km = 35
    # km a week, longest 10 km): the first week at most half of both.
    assert (h.run.reason, h.run.max_run_m) == ("return", 5_000)
    assert (h.week.reason, h.week.more_m) == ("return", 17_500)
    assert "no limit" not in headroom_text(h) and "nothing to compare" not in headroom_text(h)
    # Without return mode, the old words: nothing to compare with.
    h = headroom(
        compute_daily(activities(runs), date(2026, 9, 1), BERLIN).runs,
        date(2026, 9, 1),
        back=None,
    )
    assert (h.run.reason, h.run.max_run_m) == ("break", None)
    assert "no run in the last 30 days" in headroom_text(h)
    fresh = headroom(compute_daily(activities([]), date(2026, 9, 1), BERLIN).runs, date(2026, 9, 1))
    assert fresh.run.reason == "history" and fresh.week.reason == "history"
    assert headroom_lines(fresh)[0].facts == "0 days of history"


def test_week_headroom_is_bounded_by_both_baselines() -> None:
    # Three weeks of 5 x 8 km (40 km), then this week 2 x 8 km so far.
    runs = [r for w in range(3) for r in every(date(2026, 10, 5) + timedelta(weeks=w), 5, 8.0)]
    runs += every(date(2026, 10, 26), 2, 8.0)
    analysis = analyse(ANA, activities(runs), [], date(2026, 10, 27))
    h = headroom_for(analysis, RuleSettings())
    # last 7 days: 16 km (Tue 27 back to Wed 21: 2 runs this week) ... computed from the days:
    assert h.week.last7_m + h.week.more_m == max(
        within(h.week.prev7_m, 30), within(h.week.prev14_m, 30) // 2
    )
    found, *_ = alerts([*runs, ("2026-10-27 18:00", h.week.more_m / 1000)], date(2026, 10, 27))
    assert not [a for a in found if a.rule == "weekly_jump"]
    found, *_ = alerts(
        [*runs, ("2026-10-27 18:00", (h.week.more_m + 1) / 1000)], date(2026, 10, 27)
    )
    assert [a for a in found if a.rule == "weekly_jump"]


# -- the weekly jump ---------------------------------------------------------------------------
def test_a_constant_every_other_day_runner_is_never_alerted() -> None:
    runs = every(date(2026, 1, 1), 7 * 37, 10.0, step=2)
    found, analysis, _ = alerts(runs, date(2026, 9, 16))
    assert [a for a in found if a.rule == "weekly_jump"] == []
    # ...although the literal rolling rule would have said "+33%" again and again:
    days = analysis.distance.days
    assert (days["week_over_week_pct"].round(1) == 33.3).sum() > 30


def test_a_jump_is_one_episode_across_a_monday_and_a_second_episode_is_mailed() -> None:
    runs = [r for w in range(4) for r in every(date(2026, 9, 7) + timedelta(weeks=w), 5, 6.0)]
    # A jump from Thu 8 Oct over the weekend into Tue 13 Oct: one episode.
    runs += every(date(2026, 10, 5), 3, 6.0) + every(date(2026, 10, 8), 6, 12.0)
    runs += every(date(2026, 10, 14), 7, 1.0)  # an easy week, the episode ends
    runs += every(date(2026, 10, 21), 7, 6.0)  # back to normal
    runs += every(date(2026, 10, 28), 2, 6.0) + every(date(2026, 10, 30), 2, 16.0)  # second jump
    found, *_ = alerts(runs, date(2026, 11, 1))
    jumps = [a for a in found if a.rule == "weekly_jump"]
    starts = sorted({a.numbers.episode_started for a in jumps})
    assert starts[0] == "2026-10-09" and len(starts) == 2
    first_episode = [a for a in jumps if a.numbers.episode_started == starts[0]]
    assert all(a.day <= date(2026, 10, 13) for a in first_episode)  # crossed Mon 12 Oct: no repeat
    assert [a.numbers.band for a in first_episode] == sorted(a.numbers.band for a in first_episode)


def test_episodes_start_escalate_and_end() -> None:
    d = date(2026, 1, 1)
    hits = [(d, 1, "a"), (d + timedelta(1), 1, "b"), (d + timedelta(2), 2, "c"),
            (d + timedelta(3), 1, "d"), (d + timedelta(12), 1, "e")]  # fmt: skip
    got = [(m.started, m.day, m.band) for m in mentions(hits, quiet_days=7)]
    assert got == [(d, d, 1), (d, d + timedelta(2), 2), (d + timedelta(12), d + timedelta(12), 1)]


# -- spikes ------------------------------------------------------------------------------------
def test_two_spikes_in_one_day_are_two_alerts_with_exact_percentages() -> None:
    base = every(date(2026, 9, 1), 40, 16.0, step=4)
    runs = [*base, ("2026-10-11 07:00", 18.05), ("2026-10-11 17:00", 32.02)]
    found, *_ = alerts(runs, date(2026, 10, 11))
    spikes = sorted((a for a in found if a.rule == "run_spike"), key=lambda a: a.key)
    assert len(spikes) == 2 and spikes[0].key != spikes[1].key
    assert "12.81%" not in spikes[0].title and "13%" in spikes[0].title
    assert spikes[1].numbers.band == "moderate"  # 32.02 km after 18.05 km that morning
    just, *_ = alerts([*base, ("2026-10-11 07:00", 17.606)], date(2026, 10, 11))
    (a,) = [x for x in just if x.rule == "run_spike"]
    assert "10.04%" in a.title  # not "10%": that would be no spike at all


def test_a_run_under_the_floor_is_no_spike() -> None:
    runs = [("2026-08-01 07:00", 0.3), ("2026-09-05 07:00", 0.02), ("2026-09-06 07:00", 0.9)]
    found, *_ = alerts(runs, date(2026, 9, 6))
    assert [a for a in found if a.rule == "run_spike"] == []


def test_thirty_days_are_calendar_days_across_the_autumn_clock_change() -> None:
    # 20 km on Thu 1 Oct at 07:00 CEST; on Sat 31 Oct at 07:00 CET (clocks went back on 25 Oct)
    # 30 calendar days have passed but 721 hours: the 20 km run is still in the window.
    runs = every(date(2026, 9, 1), 30, 5.0, step=3) + [("2026-10-01 07:00", 20.0)]
    runs += [("2026-10-31 07:00", 20.5)]
    found, analysis, _ = alerts(runs, date(2026, 10, 31))
    last = analysis.distance.runs.iloc[-1]
    assert last["longest_prior_30d_m"] == 20_000
    assert [a.day for a in found if a.rule == "run_spike"] == [date(2026, 10, 1)]  # not the 31st


# -- the ratio rule ----------------------------------------------------------------------------
def test_ratio_alerts_are_off_by_default_and_never_under_the_floor_or_at_the_cap() -> None:
    runs = every(date(2026, 6, 1), 40, 0.5, step=2)  # a 20 m .. 500 m jog habit: trivial volume
    runs += every(date(2026, 8, 20), 7, 3.0)
    found, *_ = alerts(runs, date(2026, 8, 26), acwr_enabled=True)
    assert [a for a in found if a.rule == "acwr"] == []  # chronic under 10 km a week
    comeback = every(date(2026, 6, 1), 28, 8.0) + every(date(2026, 8, 20), 7, 8.0)
    found, analysis, _ = alerts(comeback, date(2026, 8, 26), acwr_enabled=True)
    assert analysis.distance.days["acwr_rolling_coupled"].iloc[-1] == pytest.approx(4.0)
    assert [a for a in found if a.rule == "acwr"] == []  # at the cap after a break
    steady = every(date(2026, 6, 1), 60, 4.0) + every(date(2026, 7, 31), 7, 12.0)
    on, *_ = alerts(steady, date(2026, 8, 6), acwr_enabled=True)
    off, *_ = alerts(steady, date(2026, 8, 6))
    assert [a for a in on if a.rule == "acwr"] and not [a for a in off if a.rule == "acwr"]


# -- float dust --------------------------------------------------------------------------------
def test_empty_windows_give_no_ratio_and_no_monotony() -> None:
    runs = every(date(2026, 1, 1), 40, 7.3, step=2) + every(date(2026, 3, 20), 3, 5.1)
    days = compute_daily(activities(runs), date(2026, 3, 22), BERLIN).days
    after_break = days.loc["2026-03-20":]
    assert after_break["acwr_rolling_uncoupled"].isna().all()  # 21 days before: exactly empty
    assert (days["chronic_sum"] == 0).any() and days["acute_sum"].min() == 0
    empty_weeks = days[days["acute_sum"] == 0]
    assert len(empty_weeks) and empty_weeks["monotony"].isna().all()
    # Near-empty: one 100 m jog after the break gives finite ratios at the coupled cap, no dust.
    blip = compute_daily(activities([*runs, ("2026-05-01 07:00", 0.1)]), date(2026, 5, 1), BERLIN)
    last = blip.days.iloc[-1]
    assert last["acute_sum"] == 0.1 and last["chronic_sum"] == 0.1
    assert last["acwr_rolling_coupled"] == 4.0 and pd.isna(last["acwr_rolling_uncoupled"])
    assert last["monotony"] == pytest.approx((0.1 / 7) / (0.1 * (6**0.5) / 7))  # mean / pop SD
    constant = compute_daily(
        activities(every(date(2026, 1, 1), 14, 6.0)), date(2026, 1, 14), BERLIN
    )
    assert constant.days["monotony"].iloc[-1] == float("inf") or pd.isna(
        constant.days["monotony"].iloc[-1]
    )


def test_weekly_jump_boundary_in_whole_metres() -> None:
    """Weeks of 40, 50 and 30 km, then 40 km and a 12 km Saturday: 52 km is +73% on the week
    before but exactly +30% on the fortnight's weekly average (40 km): no jump; a metre more is."""
    weeks = every(date(2026, 10, 5), 5, 8.0) + every(date(2026, 10, 12), 5, 10.0)
    weeks += every(date(2026, 10, 19), 5, 6.0) + every(date(2026, 10, 26), 5, 8.0)
    for km, jump in ((12.0, False), (12.001, True)):
        found, *_ = alerts([*weeks, ("2026-10-31 09:00", km)], date(2026, 10, 31))
        assert any(a.rule == "weekly_jump" for a in found) is jump, km
