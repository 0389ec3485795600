"""The rules against an independent implementation of the README's rule table.

40 random athletes in four time zones (one crossing a clock change), 4 months each, checked on
every day of the last 4 weeks: the days the spike and weekly-jump conditions hold, written here in
plain Python from the README's words (calendar days in the athlete's zone, whole metres, run days,
floors and history gates), must be exactly the days the engine's rules name. The histories hold
breaks of 5 to 35 days: after 14 days without a run the return plan (README, "Back after a
break") holds the spike and jump alerts, and names the first run beyond it, once per plan.
With pain reports (issue 17): the level of every day, the red episodes the pain rule mails and
today's headroom under pain, read from the README's words, must be the engine's.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from loadwatch.analysis import analyse
from loadwatch.config import RuleSettings
from loadwatch.load.pain import PainHistory, PainThresholds
from loadwatch.model import Athlete, PainReport
from loadwatch.rules import evaluate
from loadwatch.rules.episodes import mentions
from loadwatch.views import headroom_for

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]
AS_OF = date(2026, 11, 6)  # the European clock change on 25 Oct is inside the window
FIRST = AS_OF - timedelta(days=120)


def random_runs(rng: random.Random, habitual: bool) -> list[tuple[datetime, int]]:
    """(local wall time, metres): habits of 2-6 runs a week, long runs, breaks and blips.

    A habitual runner runs at 07:00 and in round distances, so that window edges (a run exactly
    30 calendar days before, across the clock change) and equal weeks happen often."""
    base = rng.choice([4_000, 7_000, 10_000, 14_000])
    p_run = rng.uniform(0.25, 0.8)
    rounds = [5_000, 8_000, 10_000, 11_000, 13_000, 16_000]
    out = []
    day = FIRST
    while day <= AS_OF:
        if rng.random() < 0.03:
            day += timedelta(days=rng.randint(5, 35))  # a break
            continue
        if rng.random() < p_run:
            m = rng.choice(rounds) if habitual else int(base * rng.uniform(0.5, 1.6))
            if rng.random() < 0.08:
                m = int(m * rng.choice([1.1, 1.5, 2.0]) if habitual else m * rng.uniform(1.5, 2.5))
            if rng.random() < 0.03:
                m = rng.randint(5, 900)  # a GPS blip
            hour, minute = (
                (7, 0) if habitual else (rng.choice([6, 7, 12, 18, 23]), rng.randrange(60))
            )
            when = datetime.combine(day, time(hour, minute))
            out.append((when, m))
            if rng.random() < 0.05:
                out.append((when + timedelta(hours=rng.randint(1, 5)), int(base * 0.8)))
        day += timedelta(days=1)
    return [r for r in out if r[0].date() <= AS_OF]


def frame(runs: list[tuple[datetime, int]], tz: str) -> pd.DataFrame:
    zone = ZoneInfo(tz)
    starts = [t.replace(tzinfo=zone, fold=0) for t, _ in runs]
    return pd.DataFrame(
        {
            "id": range(1, len(runs) + 1),
            "sport": "running",
            "start_utc": pd.to_datetime([s.isoformat() for s in starts], utc=True),
            "distance_m": [float(m) for _, m in runs],
            "moving_s": [m / 3.0 for _, m in runs],
            "elapsed_s": [m / 3.0 for _, m in runs],
            "avg_hr": None,
            "hr_histogram": None,
            "shoe_id": None,
        }
    )


def expected_plans(runs, s: RuleSettings, as_of: date) -> list[dict]:
    """After `return_break_days` days without a run, from the first run back (or from `as_of`,
    before one): weeks of `return_first_week_pct` % of the 4-week average week and of the 30-day
    longest before the break, `return_step_pct` % more each week, while under 100%; a later
    break ends a plan."""
    days = sorted({t.date() for t, _ in runs})
    starts = [
        (d, before)
        for before, d in zip(days, [*days[1:], as_of], strict=True)
        if (d - before).days - 1 >= s.return_break_days
    ]
    plans = []
    for first, before in starts:
        week = sum(m for t, m in runs if before - timedelta(days=27) <= t.date() <= before) // 4
        longest = max(m for t, m in runs if before - timedelta(days=29) <= t.date() <= before)
        weeks = []
        k = 0
        while (f := s.return_first_week_pct / 100 * (1 + s.return_step_pct / 100) ** k) < 1:
            w = math.floor(week * f + 1e-9)
            weeks.append((first + timedelta(days=7 * k), w, min(math.floor(longest * f + 1e-9), w)))
            k += 1
        plans.append({"first": first, "last": first + timedelta(days=7 * k - 1), "weeks": weeks})
    for plan, later in zip(plans, plans[1:], strict=False):
        plan["last"] = min(plan["last"], later["first"] - timedelta(days=1))
    return plans


def in_a_plan(d: date, plans: list[dict]) -> bool:
    return any(p["first"] <= d <= p["last"] for p in plans)


def expected_returns(runs, plans: list[dict], s: RuleSettings) -> set[tuple[str, datetime]]:
    """(plan's first day, run) of the first run of at least 1 km in each plan longer than its
    week's single-run cap, or taking the plan week past its distance."""
    out = set()
    for p in plans:
        totals: dict[date, int] = {}
        for t, m in sorted(r for r in runs if p["first"] <= r[0].date() <= p["last"]):
            start, week_m, run_m = next(w for w in reversed(p["weeks"]) if w[0] <= t.date())
            totals[start] = totals.get(start, 0) + m
            if m >= s.spike_min_km * 1000 and (m > run_m or totals[start] > week_m):
                out.add((p["first"].isoformat(), t))
                break
    return out


def expected_spikes(runs, s: RuleSettings) -> set[datetime]:
    """A run of at least 1 km more than 10% longer (whole metres) than the longest run started
    in the previous 30 calendar days, with 30 days of history, in the small band or above."""
    first = min(t for t, _ in runs)
    out = set()
    for t, m in runs:
        window = [m2 for t2, m2 in runs if t - timedelta(days=30) <= t2 < t]
        if not window or t - first < timedelta(days=30) or m < s.spike_min_km * 1000:
            continue
        if 100 * m > (100 + s.spike_pct) * max(window):
            out.add(t)
    return out


def expected_jump_days(runs, s: RuleSettings) -> set[date]:
    """On a run day with 21 days of history: the last 7 days more than 30% above the 7 before and
    above the weekly average of the 14 before, the 7 before at least 10 km."""
    per_day: dict[date, int] = {}
    for t, m in runs:
        per_day[t.date()] = per_day.get(t.date(), 0) + m
    first = min(per_day)

    def total(lo: date, hi: date) -> int:
        return sum(v for d, v in per_day.items() if lo <= d <= hi)

    out = set()
    for d in per_day:
        if (d - first).days + 1 < 21:
            continue
        last7 = total(d - timedelta(days=6), d)
        prev7 = total(d - timedelta(days=13), d - timedelta(days=7))
        prev14 = total(d - timedelta(days=20), d - timedelta(days=7))
        f = 100 + s.weekly_jump_pct
        if (
            prev7 >= s.weekly_jump_min_km * 1000
            and 100 * last7 > f * prev7
            and 200 * last7 > f * prev14
        ):
            out.add(d)
    return out


def test_rules_match_an_independent_reading_of_the_rule_table() -> None:
    s = RuleSettings()
    rng = random.Random(20261125)
    checked = spikes_seen = jumps_seen = red_episodes = returns_seen = held = 0
    levels_seen: set[str] = set()
    for i in range(40):
        tz = ZONES[i % len(ZONES)]
        runs = random_runs(rng, habitual=i % 2 == 0)
        athlete = Athlete(i + 1, f"a{i}", None, tz)
        reports = random_reports(rng, i + 1)
        analysis = analyse(
            athlete, frame(runs, tz), [], AS_OF, pain=PainHistory(reports, PainThresholds())
        )
        found = evaluate(analysis, s)
        zone = ZoneInfo(tz)
        got_spikes = {
            datetime.fromisoformat(a.numbers.start_utc.replace("Z", "+00:00"))
            .astimezone(zone)
            .replace(tzinfo=None)
            for a in found
            if a.rule == "run_spike"
        }
        plans = expected_plans(runs, s, AS_OF)
        all_spikes = {t.replace(second=0) for t in expected_spikes(runs, s)}
        want_spikes = {t for t in all_spikes if not in_a_plan(t.date(), plans)}
        assert got_spikes == want_spikes, (i, tz)
        got_returns = {
            (
                a.numbers.plan_started,
                datetime.fromisoformat(a.numbers.start_utc.replace("Z", "+00:00"))
                .astimezone(zone)
                .replace(tzinfo=None),
            )
            for a in found
            if a.rule == "return_plan"
        }
        want_returns = {(f, t.replace(second=0)) for f, t in expected_returns(runs, plans, s)}
        assert got_returns == want_returns, (i, tz)
        all_jumps = expected_jump_days(runs, s)
        want_jumps = {d for d in all_jumps if not in_a_plan(d, plans)}
        got_mentions = {
            (a.numbers.episode_started, a.day) for a in found if a.rule == "weekly_jump"
        }
        want_mentions = {
            (m.started.isoformat(), m.day)
            for m in mentions([(d, _band(runs, d, s), None) for d in sorted(want_jumps)])
        }
        assert got_mentions == want_mentions, (i, tz)
        # The pain level of every day, the red episodes and today's headroom under pain.
        history = analysis.pain_history
        assert history is not None
        for back in range(60):
            d = AS_OF - timedelta(days=back)
            assert history.status(d).level == expected_level(reports, d), (i, d)
        got_pain = {(a.day, a.ongoing) for a in found if a.rule == "pain"}
        assert got_pain == expected_episodes(reports), i
        level = expected_level(reports, AS_OF)
        h = headroom_for(analysis, s)
        if level in ("amber", "red"):
            last7 = [m for t, m in runs if (AS_OF - t.date()).days < 7]
            cap = 0 if level == "red" else max(last7, default=0)
            assert (h.run.max_run_m, h.run.reason, h.week.more_m, h.week.reason) == (
                cap, "pain", 0, "pain"
            ), i  # fmt: skip
        else:
            assert h.run.reason != "pain" and h.week.reason != "pain", i
        levels_seen.add(level)
        red_episodes += len(got_pain)
        # The daily check asks only for alerts from the athlete's alert start: the same
        # alerts, the earlier ones left out, episodes still keyed by their first day (a pain
        # episode still going on is a state that holds today: kept whenever it began).
        since = AS_OF - timedelta(days=10 + 7 * (i % 5))
        assert evaluate(analysis, s, since) == [a for a in found if a.day >= since or a.ongoing], i
        checked += 28
        spikes_seen += len(want_spikes)
        jumps_seen += len(want_jumps)
        returns_seen += len(want_returns)
        held += len(all_spikes - want_spikes) + len(all_jumps - want_jumps)
    # The random histories exercised every rule and the plan's hold, not just their silence.
    assert checked == 1120 and spikes_seen > 10 and jumps_seen > 10, (spikes_seen, jumps_seen)
    assert returns_seen > 5 and held > 5, (returns_seen, held)
    assert red_episodes > 20 and levels_seen == {"none", "green", "amber", "red"}, levels_seen


def random_reports(rng: random.Random, athlete_id: int) -> list[PainReport]:
    """Pain reports over the last 60 days: some athletes never report, some now and then, in
    spells of a few days (mornings mostly, several on a day at times), written in any order."""
    if rng.random() < 0.15:
        return []
    out = []
    day = AS_OF - timedelta(days=60)
    p = rng.uniform(0.2, 0.9)
    while day <= AS_OF:
        if rng.random() < 0.08:
            day += timedelta(days=rng.randint(3, 12))  # a gap: the level lapses to none
            continue
        for _ in range(rng.choice([0, 1, 1, 1, 2]) if rng.random() < p else 0):
            score = rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 7, 9])
            when = rng.choice(["morning", "morning", "morning", "during", "after"])
            out.append((day, score, when))
        day += timedelta(days=1)
    ids = list(range(1, len(out) + 1))
    reports = [
        PainReport(n, athlete_id, d, score, when)
        for n, (d, score, when) in zip(ids, out, strict=True)
    ]
    rng.shuffle(reports)
    return reports


def expected_level(reports: list[PainReport], d: date) -> str:
    """The README: the latest report of the last 7 days sets the level (none without one):
    green at 0-2, amber at 3-5, red at 6 or more, or a morning 2 or more points above the
    previous morning's; after amber or red, green needs two reports of 0-2 on different days."""
    known = sorted((r for r in reports if r.day <= d), key=lambda r: (r.day, r.id))
    if not known or (d - known[-1].day).days >= 7:
        return "none"

    def own(r: PainReport) -> str:
        if r.when == "morning":
            earlier = [p for p in known if p.when == "morning" and p.day < r.day]
            if earlier and r.score - max(earlier, key=lambda p: (p.day, p.id)).score >= 2:
                return "red"
        return "red" if r.score >= 6 else "amber" if r.score >= 3 else "green"

    if own(known[-1]) != "green":
        return own(known[-1])
    worse = [r for r in known if (d - r.day).days < 7 and own(r) != "green"]
    if worse:
        last_bad = max(worse, key=lambda r: (r.day, r.id))
        good_days = {r.day for r in known if (r.day, r.id) > (last_bad.day, last_bad.id)}
        if len(good_days) < 2:
            return "amber"
    return "green"


def expected_episodes(reports: list[PainReport]) -> set[tuple[date, bool]]:
    """A red spell from its first red day until a green or unknown day: (first day, still on)."""
    out = set()
    started = None
    d = AS_OF - timedelta(days=70)
    while d <= AS_OF:
        level = expected_level(reports, d)
        if started is None and level == "red":
            started = d
        elif started is not None and level in ("green", "none"):
            out.add((started, False))
            started = None
        d += timedelta(days=1)
    if started is not None:
        out.add((started, True))
    return out


def _band(runs, d: date, s: RuleSettings) -> int:
    per_day: dict[date, int] = {}
    for t, m in runs:
        per_day[t.date()] = per_day.get(t.date(), 0) + m

    def total(lo: date, hi: date) -> int:
        return sum(v for k, v in per_day.items() if lo <= k <= hi)

    last7 = total(d - timedelta(days=6), d)
    baseline = max(
        total(d - timedelta(days=13), d - timedelta(days=7)),
        total(d - timedelta(days=20), d - timedelta(days=7)) / 2,
    )
    pct = (last7 / baseline - 1) * 100
    t = s.weekly_jump_pct
    return 3 if pct > 4 * t else 2 if pct > 2 * t else 1
