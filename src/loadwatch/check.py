"""One check: for each athlete, inbox -> import -> analyse -> rules -> ledger -> email; then the
coach digests. The cron one-shot, the scheduler's jobs and `check --worker` all run these same
functions, one athlete (or one coach) at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from . import ledger, rules
from .analysis import Analysis, analyse, analyse_many
from .config import CoachConfig, Settings
from .errors import LoadwatchError, SendFailed, SmtpRefusesUs, SmtpUnavailable
from .ingest import import_paths
from .load import LoadParams
from .load.pain import PainHistory, PainThresholds
from .model import Alert, Athlete, ImportSummary, LedgerEntry, SourceOutcome
from .notify.email import compose_alerts, compose_digest
from .notify.smtp import Sender, outbox_name, write_outbox
from .store import Store
from .units import Units
from .units import parse as parse_units
from .views import DigestRow, digest_row, headroom_for, rank


@dataclass
class AthleteOutcome:
    athlete: str
    as_of: date
    imported: ImportSummary | None = None
    new_alerts: int = 0
    known_alerts: int = 0
    sent_alerts: int = 0
    message_id: str | None = None
    outbox_file: Path | None = None
    problem: str | None = None
    preview: str | None = None  # a dry run's email as plain text
    would_send: int = 0  # a dry run's count of what a check would send now
    # A dry run's alerts that a check would record as pending: its digest shows them open, as
    # the check's digest shows what the check recorded.
    unrecorded: list[Alert] = field(default_factory=list)


@dataclass
class CheckResult:
    athletes: list[AthleteOutcome] = field(default_factory=list)
    digests_sent: list[str] = field(default_factory=list)
    temporary_failure: str | None = None  # SMTP unavailable: alerts pending, exit 75
    problems: list[str] = field(default_factory=list)
    pulled: list[SourceOutcome] = field(default_factory=list)  # the accounts, before the check


@dataclass(frozen=True)
class CheckOptions:
    as_of: date | None = None
    dry_run: bool = False
    outbox: Path | None = None
    import_inboxes: bool = True
    # Told what the check is doing (a terminal's progress line); None: nothing is said.
    progress: Callable[[str], None] | None = None


def _say(options: CheckOptions, text: str) -> None:
    if options.progress is not None:
        options.progress(text)


def _day(athlete: Athlete, now: datetime, options: CheckOptions) -> date:
    """The day a check describes for an athlete: today where they live, unless --as-of."""
    return options.as_of or now.astimezone(ZoneInfo(athlete.tz)).date()


def pain_thresholds(settings: Settings) -> PainThresholds:
    """The `[pain]` settings as the engine reads them."""
    p = settings.pain
    return PainThresholds(p.green_max, p.red_min, p.response_points, p.valid_days)


def analyse_all(
    store: Store, athletes: list[Athlete], now: datetime, options: CheckOptions, settings: Settings
) -> dict[int, Analysis]:
    """Every athlete's analysis in one vectorised pass over one query (see analyse_many), with
    everyone's pain reports read in one more."""
    days = {a.id: _day(a, now, options) for a in athletes}
    shoes = {a.id: store.shoes.all(a.id) for a in athletes}
    t = pain_thresholds(settings)
    reports = store.pain.all_for([a.id for a in athletes])
    pain = {i: PainHistory(r, t) for i, r in reports.items()}
    return analyse_many(athletes, store.activities.counted_all(), shoes, days, pain)


def read_analysis(
    store: Store,
    athlete: Athlete,
    as_of: date,
    settings: Settings,
    params: LoadParams = LoadParams(),
) -> Analysis:
    """The store's activities, shoes and pain reports of one athlete through the engine."""
    pain = PainHistory(store.pain.all(athlete.id), pain_thresholds(settings))
    return analyse(
        athlete,
        store.activities.frame(athlete.id),
        store.shoes.all(athlete.id),
        as_of,
        params,
        pain,
    )


def import_inbox(
    store: Store, settings: Settings, athlete: Athlete, settled_s: float = 0.0
) -> ImportSummary | None:
    """New files from the athlete's inbox folders; a broken file is reported once, not daily,
    and a folder that does not exist on every check (it once imported nothing, silently).
    `settled_s`: files younger than that are left for later (see ingest.import_paths)."""
    config = next((a for a in settings.athletes if a.name == athlete.name), None)
    if config is None or not config.inbox:
        return None
    summary = import_paths(
        store,
        athlete,
        [p for p in config.inbox if p.is_dir()],
        workers=settings.imports.workers,
        archive_limits=settings.imports.archive_limits,
        retry_failed=False,
        settled_s=settled_s,
    )
    summary.missing_inboxes = [str(p) for p in config.inbox if not p.is_dir()]
    return summary


def missing_inbox_warning(athlete: str, folder: str, config: Path | None) -> str:
    """One line for an inbox folder that is not there, saying where relative paths start."""
    line = f"warning: inbox of {athlete}: no folder {folder}"
    if config is None:
        return line
    return f"{line} (relative inbox paths start at the config file's folder, {config.parent})"


class Mailer:
    """One SMTP session per check, opened only when there is something to send."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sender: Sender | None = None

    def send(self, msg) -> dict[str, str]:
        if self.sender is None:
            self.sender = Sender(self.settings.smtp).__enter__()
        try:
            return self.sender.send(msg)
        except SmtpUnavailable:
            self.close()  # the session is gone; a later send starts a new one
            raise

    def close(self) -> None:
        if self.sender is not None:
            self.sender.__exit__(None, None, None)
            self.sender = None


def _recipients(athlete: Athlete, settings: Settings) -> tuple[list[str], list[str]]:
    """To the athlete, Cc the coaches who asked for copies; an athlete without an address is
    mailed through their coaches."""
    coaches = [c for c in settings.coaches if athlete.name in c.athletes]
    if athlete.email:
        return [athlete.email], [c.email for c in coaches if c.cc_alerts]
    emails = [c.email for c in coaches]
    return emails[:1], emails[1:]


def check_athlete(
    store: Store,
    settings: Settings,
    athlete: Athlete,
    now: datetime,
    options: CheckOptions,
    mailer: Mailer,
    result: CheckResult,
    analysis: Analysis | None = None,
    imported: ImportSummary | None = None,
) -> Analysis:
    """One athlete's check; records its outcome in `result` and returns its analysis.

    With `analysis` (from the one pass over every athlete, after their inboxes were imported,
    `imported` saying what came in) the athlete is not imported nor analysed again."""
    day = _day(athlete, now, options)
    if analysis is None:
        imported = import_inbox(store, settings, athlete) if options.import_inboxes else None
        analysis = read_analysis(store, athlete, day, settings)
    outcome = AthleteOutcome(athlete.name, day, imported)
    result.athletes.append(outcome)
    # After the first check, alerts about days before the athlete's alert start can only be
    # history: they are not worded again every morning. The first check (no start yet) words
    # them all, so the ledger knows the past.
    found = rules.evaluate(analysis, settings.rules, store.athletes.alerts_since(athlete.id))
    if options.dry_run:
        limit = ledger.cutoff(store, athlete.id, day, settings.rules.lookback_days)
        # What the check would send: what is pending, and what it would record as pending.
        new = [x for x in ledger.unseen(store, found) if ledger.is_news(x, limit)]
        outcome.new_alerts, outcome.unrecorded = len(new), new
        to_send = ledger.pending(store, athlete.id) + new
        outcome.would_send = len(to_send)
    else:
        recorded = ledger.record(store, athlete.id, found, day, settings.rules.lookback_days)
        outcome.new_alerts, outcome.known_alerts = recorded.new_pending, recorded.new_known
        to_send = ledger.pending(store, athlete.id)
    if not to_send or result.temporary_failure:
        return analysis
    # The subject names the first: the best-supported warning leads, reminders come last.
    to_send.sort(key=lambda x: (rules.priority(x.rule), x.day))
    to, cc = _recipients(athlete, settings)
    if not to:
        outcome.problem = (
            f"athlete {athlete.name} has no email address and no coach: "
            f"add one with 'loadwatch athletes add {athlete.name} --update --email ...'"
        )
        result.problems.append(outcome.problem)
        return analysis
    from .render import charts  # matplotlib only when there is a chart to draw

    d = analysis.distance
    shown = latest_per_episode(to_send)
    chart = charts.alert_chart(
        rules.chart_of(shown[0].rule), d.days, d.weeks, d.runs, analysis.shoes,
        unit=athlete.units,
    )  # fmt: skip
    guidance = headroom_for(analysis, settings.rules)
    msg = compose_alerts(
        athlete.name,
        to,
        cc,
        settings.smtp.sender,
        shown,
        day,
        chart,
        now,
        keys=[x.key for x in to_send],
        guidance=guidance,
        units=athlete.units,
    )
    outcome.message_id = msg["Message-ID"]
    if options.dry_run:
        if options.outbox:
            name = outbox_name(athlete.name, day.isoformat(), shown[0].rule)
            outcome.outbox_file = write_outbox(msg, options.outbox, name)
        body = msg.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        outcome.preview = f"To: {msg['To']}\nSubject: {msg['Subject']}\n\n{text}"
        return analysis
    keys = [x.key for x in to_send]
    try:
        refused = mailer.send(msg)
    except SmtpUnavailable as e:
        store.ledger.mark_failed(keys, str(e))
        result.temporary_failure = str(e)
        return analysis
    except SmtpRefusesUs as e:
        store.ledger.mark_failed(keys, str(e))
        raise  # nothing can be sent to anyone: one clear error
    except SendFailed as e:
        # This athlete's message was refused; the others' still go out.
        store.ledger.mark_failed(keys, str(e))
        outcome.problem = f"{athlete.name}: {e}"
        result.problems.append(outcome.problem)
        return analysis
    note = None
    if refused:
        # The others got it: sent, never again to them; the refused address is said, once.
        note = "not delivered to " + ", ".join(f"{a} ({why})" for a, why in refused.items())
        outcome.problem = f"{athlete.name}: {note}"
        result.problems.append(outcome.problem)
    store.ledger.mark_sent(keys, msg["Message-ID"], note)
    outcome.sent_alerts = len(keys)
    return analysis


def latest_per_episode(alerts: list[Alert]) -> list[Alert]:
    """One line per episode: when an episode started and got worse before this email went out,
    the email shows where it stands now (every key is still settled by the send)."""
    latest: dict[tuple[str, str], Alert] = {}
    for a in alerts:
        group = (a.rule, a.numbers.episode() or a.key)
        if group not in latest or a.day >= latest[group].day:
            latest[group] = a
    return [a for a in alerts if latest[(a.rule, a.numbers.episode() or a.key)] is a]


def digest_key(coach: CoachConfig, day: date, weekday: str) -> str | None:
    """The digest due on `day`, or None (a weekly digest on another weekday)."""
    if coach.digest == "none":
        return None
    if coach.digest == "daily":
        return f"digest:{coach.name}:{day.isoformat()}"
    if day.strftime("%a").lower() == weekday:
        return f"digest:{coach.name}:{rules.iso_week(day)}"
    return None


def send_digest(
    store: Store,
    settings: Settings,
    coach: CoachConfig,
    now: datetime,
    options: CheckOptions,
    mailer: Mailer,
    result: CheckResult,
    analyses: dict[str, Analysis] | None = None,
) -> None:
    """One coach's digest, once per period; `analyses` reuses what a check already computed."""
    day = options.as_of or now.astimezone(ZoneInfo(coach.tz)).date()
    key = digest_key(coach, day, settings.schedule.digest_weekday)
    if key is None or not coach.athletes:
        return
    if options.dry_run:
        if ledger.digest_sent(store, key):
            return
    elif not ledger.digest_due(store, key, coach.name):
        return
    period_days = 1 if coach.digest == "daily" else 7
    known = {a.name: a for a in store.athletes.all()}
    athletes = [known[name] for name in coach.athletes if name in known]

    def analysis_of(athlete: Athlete) -> Analysis:
        analysis = (analyses or {}).get(athlete.name)
        if analysis is None:
            athlete_day = options.as_of or now.astimezone(ZoneInfo(athlete.tz)).date()
            analysis = read_analysis(store, athlete, athlete_day, settings)
        return analysis

    unrecorded = {
        o.athlete: [LedgerEntry(a, "pending", now) for a in o.unrecorded] for o in result.athletes
    }
    since = now - timedelta(days=period_days)
    coach_units = parse_units(coach.units) if coach.units else None
    rows = digest_rows(store, settings, athletes, analysis_of, since, unrecorded, coach_units)
    chart = None
    if rows:
        from .render import charts

        chart = charts.athletes_overview(rows)
    msg = compose_digest(
        coach.name, coach.email, settings.smtp.sender, coach.digest, rows, chart, key, now
    )
    if options.dry_run:
        if options.outbox:
            write_outbox(msg, options.outbox, outbox_name(coach.name, day.isoformat(), "digest"))
        return
    try:
        mailer.send(msg)
    except SmtpUnavailable as e:
        store.ledger.digest_finished(key, None, str(e))
        result.temporary_failure = str(e)
        return
    except SendFailed as e:
        store.ledger.digest_finished(key, None, str(e))
        result.problems.append(f"digest for {coach.name}: {e}")
        return
    store.ledger.digest_finished(key, msg["Message-ID"], None)
    result.digests_sent.append(key)


def digest_rows(
    store: Store,
    settings: Settings,
    athletes: list[Athlete],
    analysis_of: Callable[[Athlete], Analysis],
    open_since: datetime,
    unrecorded: dict[str, list[LedgerEntry]] | None = None,
    units: Units | None = None,
) -> list[DigestRow]:
    """The digest's rows, ranked: one builder for the coach's email and the team page, with the
    settings' thresholds (the email's rows once took the defaults). Alerts pending (of any age) or
    sent since `open_since` are open, and so are the `unrecorded` ones a dry run or the team page
    adds (athlete name -> entries): what a check would record now. `units`: the reader's (a
    coach's `units`), else each athlete's own."""
    rows = []
    for athlete in athletes:
        open_alerts = ledger.open_entries(store, athlete.id, open_since)
        open_alerts += (unrecorded or {}).get(athlete.name, [])
        rows.append(digest_row(analysis_of(athlete), open_alerts, settings.rules, units))
    return rank(rows)


def run_check(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    athlete: Athlete | None = None,
    options: CheckOptions = CheckOptions(),
    with_digests: bool = True,
    worker: bool = False,
) -> CheckResult:
    """Every athlete (or one), then the digests. A plain check holds the store's check lock (a
    second one steps aside); workers share the athletes through the store's claims."""
    result = CheckResult()
    athletes = [athlete] if athlete else store.athletes.all()
    by_id = {a.id: a for a in athletes}
    analyses: dict[str, Analysis] = {}
    mailer = Mailer(settings)
    with ExitStack() as stack:
        stack.callback(mailer.close)
        if not worker:
            stack.enter_context(store.lock("check"))
        if worker or athlete is not None:
            # A worker claims one athlete at a time (imported, checked and mailed under its
            # claim), and one athlete is one: each the old way.
            digests = worker and with_digests and athlete is None and bool(settings.coaches)
            while True:
                for athlete_id in store.claim_athletes(list(by_id), now):
                    a = by_id[athlete_id]
                    _say(options, f"checking {a.name}")
                    with _on_its_own(a.name, result):
                        analyses[a.name] = check_athlete(
                            store, settings, a, now, options, mailer, result
                        )
                # A digest must see every athlete checked: wait for those other workers are on
                # (a digest sent meanwhile showed them as of yesterday); any a dead worker let
                # go are checked here.
                if not digests or not store.wait_for_claims(list(by_id), now):
                    break
        else:
            # The whole club under the check lock: every inbox first, then one vectorised pass
            # over everyone's runs, then each athlete's rules, ledger and email.
            imported = {}
            n = len(athletes)
            for i, a in enumerate(athletes, 1):
                if options.import_inboxes:
                    _say(options, f"importing {a.name}'s inbox ({i}/{n})")
                imported[a.id] = (
                    import_inbox(store, settings, a) if options.import_inboxes else None
                )
            _say(options, f"analysing {n} athlete{'s' if n != 1 else ''}")
            passed = analyse_all(store, athletes, now, options, settings)
            order = {a.id: i for i, a in enumerate(athletes, 1)}
            for athlete_id in store.claim_athletes(list(by_id), now):
                a = by_id[athlete_id]
                _say(options, f"checking {a.name} ({order[a.id]}/{n})")
                with _on_its_own(a.name, result):
                    analyses[a.name] = check_athlete(
                        store, settings, a, now, options, mailer, result, passed[a.id],
                        imported[a.id],
                    )  # fmt: skip
        if with_digests and athlete is None and not result.temporary_failure:
            for coach in settings.coaches:
                with (
                    _digest_claim(store, coach.name, worker) as mine,
                    _on_its_own(f"digest for {coach.name}", result),
                ):
                    if mine:
                        _say(options, f"{coach.name}'s digest")
                        send_digest(store, settings, coach, now, options, mailer, result, analyses)
                if result.temporary_failure:
                    break
    return result


@contextmanager
def _on_its_own(who: str, result: CheckResult) -> Iterator[None]:
    """One athlete's (or digest's) unexpected failure is reported and the others go on: a name
    that broke an email header once stopped every alert of the club, every morning. loadwatch's
    own errors concern the whole check (the config, the SMTP server refusing loadwatch itself)
    and still end it."""
    try:
        yield
    except LoadwatchError:
        raise
    except Exception as e:
        result.problems.append(f"{who}: unexpected {type(e).__name__}: {e}")


@contextmanager
def _digest_claim(store: Store, coach: str, worker: bool) -> Iterator[bool]:
    """Workers send each coach's digest once: the first to take the coach's lock does."""
    if not worker:
        yield True
        return
    from .errors import LockBusy

    try:
        with store.lock(f"digest:{coach}"):
            yield True
    except LockBusy:
        yield False
