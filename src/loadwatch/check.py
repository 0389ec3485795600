"""One check: for each athlete, inbox -> import -> analyse -> rules -> ledger -> email; then the
coach digests. The cron one-shot, the scheduler's jobs and `check --worker` all run these same
functions, one athlete (or one coach) at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from . import ledger, rules, snapshot
from .analysis import Analysis, analyse
from .config import AthleteConfig, CoachConfig, Settings, notify_urls
from .errors import ChannelUnavailable, LoadwatchError, SendFailed, SmtpRefusesUs
from .ingest import import_paths
from .load import LoadParams
from .load.pain import PainHistory
from .model import Alert, Athlete, ImportSummary, LedgerEntry, SourceOutcome
from .notify.channel import AlertNotice, Channel, Delivered, DigestNotice, Preview
from .notify.mail import EMAIL, EmailChannel, Mailer
from .store import Store
from .store.base import SnapshotRepo
from .units import Units
from .units import parse as parse_units
from .views import DigestRow, alert_links, headroom_for


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
    # A dry run's digests, as each of the coach's channels would deliver them: (key, previews).
    digest_previews: list[tuple[str, list[Preview]]] = field(default_factory=list)
    # Channels skipped for the rest of the check (id -> why): down, or refusing loadwatch.
    down: dict[str, str] = field(default_factory=dict)
    # What was only temporarily unavailable (an SMTP server, a push service): pending, exit 75.
    unavailable: list[str] = field(default_factory=list)
    fatal: SendFailed | None = None  # the SMTP server refuses loadwatch itself: raised at the end
    problems: list[str] = field(default_factory=list)
    pulled: list[SourceOutcome] = field(default_factory=list)  # the accounts, before the check

    @property
    def temporary_failure(self) -> str | None:
        return "; ".join(self.unavailable) or None


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


def analyse_all(
    store: Store, athletes: list[Athlete], now: datetime, options: CheckOptions, settings: Settings
) -> dict[int, Analysis]:
    """Every athlete's analysis in one vectorised pass (see snapshot.analyse_stored)."""
    return snapshot.analyse_stored(
        store, settings, athletes, {a.id: _day(a, now, options) for a in athletes}
    )


def read_analysis(
    store: Store,
    athlete: Athlete,
    as_of: date,
    settings: Settings,
    params: LoadParams = LoadParams(),
) -> Analysis:
    """The store's activities, shoes and pain reports of one athlete through the engine."""
    pain = PainHistory(store.pain.all(athlete.id), snapshot.pain_thresholds(settings))
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


def _recipients(athlete: Athlete, settings: Settings) -> tuple[list[str], list[str]]:
    """To the athlete, Cc the coaches who asked for copies; an athlete without an address is
    mailed through their coaches (those with one: a push-only coach gets pushes)."""
    coaches = [c for c in settings.coaches if athlete.name in c.athletes]
    if athlete.email:
        return [athlete.email], [c.email for c in coaches if c.cc_alerts and c.email]
    emails = [c.email for c in coaches if c.email]
    return emails[:1], emails[1:]


def _unique(channels: list[Channel]) -> list[Channel]:
    """One channel per id: a URL an athlete and their coach share carries a notice once."""
    seen: dict[str, Channel] = {}
    for c in channels:
        seen.setdefault(c.id, c)
    return list(seen.values())


def alert_channels(athlete: Athlete, settings: Settings, mailer: Mailer) -> list[Channel]:
    """Where an athlete's alerts go: email as before, their push URLs, and the push URLs of the
    coaches copied on their alerts (of all their coaches when the athlete has neither an
    address nor a push URL of their own, as their email goes to their coaches then)."""
    from .notify.push import PushChannel

    out: list[Channel] = []
    to, cc = _recipients(athlete, settings)
    if to:
        out.append(EmailChannel(mailer, to, cc))
    config = next((a for a in settings.athletes if a.name == athlete.name), None)
    people: list[AthleteConfig | CoachConfig] = [config] if config else []
    own = athlete.email or (config is not None and (config.notify or config.notify_env))
    people += [
        c for c in settings.coaches if athlete.name in c.athletes and (c.cc_alerts or not own)
    ]
    for person in people:
        for n in notify_urls(person.notify, person.notify_env, "", os.environ):
            out.append(PushChannel(n))
    return _unique(out)


def digest_channels(coach: CoachConfig, mailer: Mailer) -> list[Channel]:
    """A coach's email, if they gave one, and their push URLs (a push-only coach has only
    these; the config refuses a coach with neither)."""
    from .notify.push import PushChannel

    pushes = notify_urls(coach.notify, coach.notify_env, "", os.environ)
    mail: list[Channel] = [EmailChannel(mailer, [coach.email])] if coach.email else []
    return _unique([*mail, *(PushChannel(n) for n in pushes)])


def _page(settings: Settings, path: str) -> str | None:
    base = settings.web.public_url
    return f"{base.rstrip('/')}{path}" if base else None


@dataclass
class Attempts:
    """What one delivery round did with some keys: each channel's error or receipt (a channel
    skipped, down or already done, has neither)."""

    errors: dict[str, str] = field(default_factory=dict)
    receipts: dict[str, Delivered] = field(default_factory=dict)


def deliver(
    store: Store,
    channels: list[Channel],
    keys: list[str],
    notice_for: Callable[[set[str]], AlertNotice | DigestNotice],
    athlete_id: int | None,
    result: CheckResult,
    who: str,
) -> Attempts:
    """Each channel gets what it has not had yet; each answer is written down at once, so a kill
    repeats at most the one delivery under way. A channel down is skipped for the rest of the
    check (its notices stay pending on it); the others go on."""
    done = Attempts()
    for channel in channels:
        if channel.id in result.down:
            continue
        todo = set(keys) - store.ledger.delivered(keys, channel.id)
        if not todo:
            continue
        notice = notice_for(todo)
        try:
            receipt = (
                channel.alerts(notice)
                if isinstance(notice, AlertNotice)
                else channel.digest(notice)
            )
        except SendFailed as e:
            store.ledger.delivery_finished(sorted(todo), channel.id, athlete_id, None, str(e))
            done.errors[channel.id] = str(e)
            if isinstance(e, ChannelUnavailable):
                result.down[channel.id] = str(e)
                result.unavailable.append(str(e))
            elif isinstance(e, SmtpRefusesUs):
                result.down[channel.id] = str(e)
                result.fatal = result.fatal or e  # nothing can be mailed to anyone
            else:
                result.problems.append(f"{who}: {e}")
            continue
        store.ledger.delivery_finished(
            sorted(todo), channel.id, athlete_id, receipt.message_id, None
        )
        done.receipts[channel.id] = receipt
    return done


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
    if not to_send:
        return analysis
    # The subject names the first: the best-supported warning leads, reminders come last.
    to_send.sort(key=lambda x: (rules.priority(x.rule), x.day))
    channels = alert_channels(athlete, settings, mailer)
    if not channels:
        outcome.problem = (
            f"athlete {athlete.name} has no email address, no push URL and no coach: "
            f"add one with 'loadwatch athletes add {athlete.name} --update --email ...' "
            "or notify = [...] in the config"
        )
        result.problems.append(outcome.problem)
        return analysis
    guidance = headroom_for(analysis, settings.rules)
    link = _page(settings, f"/athletes/{athlete.id}")

    def notice_for(keys: set[str]) -> AlertNotice:
        alerts = [x for x in to_send if x.key in keys]
        shown = latest_per_episode(alerts)

        def chart() -> tuple[bytes, str] | None:
            from .render import charts  # matplotlib only when there is a chart to draw

            d = analysis.distance
            return charts.alert_chart(
                rules.chart_of(shown[0].rule), d.days, d.weeks, d.runs, analysis.shoes,
                unit=athlete.units,
            )  # fmt: skip

        return AlertNotice(
            athlete.name, athlete.id, shown, [x.key for x in alerts], day, now, guidance,
            chart, link,
            links=alert_links(settings.web.public_url, shown, analysis.distance.runs),
            units=athlete.units,
        )  # fmt: skip

    keys = [x.key for x in to_send]
    if options.dry_run:
        previews = [c.preview(notice_for(set(keys)), options.outbox) for c in channels]
        outcome.outbox_file = next((p.file for p in previews if p.file), None)
        outcome.preview = "\n\n".join(p.text for p in previews)
        return analysis
    tried = deliver(store, channels, keys, notice_for, athlete.id, result, athlete.name)
    mail = tried.receipts.get(EMAIL)
    outcome.message_id = mail.message_id if mail else None
    if mail and mail.note:
        outcome.problem = f"{athlete.name}: {mail.note}"
        result.problems.append(outcome.problem)
    settled = ledger.settle(store, keys, [c.id for c in channels])
    # Each alert keeps the id of the email that carried it, in this check or an earlier one.
    emails = {d.key: d.message_id for d in store.ledger.deliveries(settled) if d.channel == EMAIL}
    by_email: dict[str | None, list[str]] = {}
    for k in settled:
        by_email.setdefault(emails.get(k), []).append(k)
    for message_id, sent in by_email.items():
        store.ledger.mark_sent(sent, message_id, mail.note if mail else None)
    if tried.errors:
        unsettled = [k for k in keys if k not in set(settled)]
        store.ledger.mark_failed(unsettled, "; ".join(tried.errors.values()))
    outcome.sent_alerts = len(settled)
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
    unrecorded = {
        o.athlete: [LedgerEntry(a, "pending", now) for a in o.unrecorded] for o in result.athletes
    }
    given = {a.id: (analyses or {})[a.name] for a in athletes if a.name in (analyses or {})}
    rows = digest_rows(
        store,
        settings,
        athletes,
        now,
        now - timedelta(days=period_days),
        unrecorded,
        as_of=options.as_of,
        analyses=given,
        write=not options.dry_run,
        units=parse_units(coach.units) if coach.units else None,
    )

    def chart() -> bytes | None:
        if not rows:
            return None
        from .render import charts

        return charts.athletes_overview(rows)

    notice = DigestNotice(
        coach.name, coach.digest, rows, key, day, now, chart, _page(settings, "/")
    )
    channels = digest_channels(coach, mailer)
    if options.dry_run:
        # Every channel's, a push-only coach's too (the email one is also written to the outbox).
        result.digest_previews.append((key, [c.preview(notice, options.outbox) for c in channels]))
        return
    tried = deliver(
        store, channels, [key], lambda _: notice, None, result, f"digest for {coach.name}"
    )
    if ledger.settle(store, [key], [c.id for c in channels]):
        mail = tried.receipts.get(EMAIL)
        store.ledger.digest_finished(key, mail.message_id if mail else None, None)
        result.digests_sent.append(key)
    elif tried.errors:
        store.ledger.digest_finished(key, None, "; ".join(tried.errors.values()))


def digest_rows(
    store: Store,
    settings: Settings,
    athletes: list[Athlete],
    now: datetime,
    open_since: datetime,
    unrecorded: dict[str, list[LedgerEntry]] | None = None,
    *,
    as_of: date | None = None,
    analyses: dict[int, Analysis] | None = None,
    write: bool = True,
    with_new: bool = False,
    writer: SnapshotRepo | None = None,
    cache: snapshot.Cache | None = None,
    units: Units | None = None,
) -> list[DigestRow]:
    """The digest's rows, ranked: one builder for the coach's email and the team page, from each
    athlete's stored state (computed where stale, or taken from the check's own `analyses`; see
    snapshot.py), with the settings' thresholds. Alerts pending (of any age) or sent since
    `open_since` are open, and so are the `unrecorded` ones a dry run adds (athlete name ->
    entries) and, `with_new`, those a check would record now (the team page). `units`: the
    reader's (a coach's `units`), else each athlete's own."""
    days = {a.id: as_of for a in athletes} if as_of else None
    states = snapshot.current_states(
        store, settings, athletes, now, days, write, analyses, writer=writer, cache=cache
    )
    return snapshot.rows(
        store, athletes, states.by_id, open_since, now, unrecorded, with_new, units
    )


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
            before = store.snapshots.all(payloads=False)  # the revisions the pass reads
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
            if not options.dry_run:
                # Each athlete's state as this pass computed it, for the pages and digests.
                with _on_its_own("stored states", result):
                    snapshot.store_states(store, settings, passed, before, now)
        if with_digests and athlete is None:
            for coach in settings.coaches:
                with (
                    _digest_claim(store, coach.name, worker) as mine,
                    _on_its_own(f"digest for {coach.name}", result),
                ):
                    if mine:
                        _say(options, f"{coach.name}'s digest")
                        send_digest(store, settings, coach, now, options, mailer, result, analyses)
    if result.fatal is not None:
        raise result.fatal
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
