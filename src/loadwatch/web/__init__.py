"""`loadwatch web`: a local dashboard for coaches and runners, server-rendered, no JavaScript.

Three pages over the same app and views as the CLI: the team (every athlete, attention first),
an athlete (the report, the activities with their edits, import failures, the alert ledger) and
the alerts (the ledger across athletes, and what a check would send now). The database is opened
once at start; pages read through a pool of connections that cannot write, edits go through the
one writer, and the load is bounded (see serving.py). The team and alerts pages read each
athlete's stored state (snapshot.py) instead of analysing the club on every view, kept current
in the background (warm.py) so that a page rarely recomputes one. Edits are POSTs
with a CSRF token from this dashboard's own origin, refused with `--read-only`; requests for
another host name are refused (DNS rebinding); names are escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import hmac
import html
import re
import secrets
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import anyio
import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from ..errors import LoadwatchError, NotFound
from ..model import PAIN_WHEN, SPORTS
from ..names import MAX_TEXT
from ..render.report import CHARTS, PAGE_CSS, chart_names, chart_svg, report_body
from ..render.run import partial, signed
from ..render.runsvg import curve_svg, outline_svg
from ..render.spark import sparkline_svg
from ..render.tables import hms, lap
from ..units import amount, climb, climb_unit, distance, pace, to_metres
from .security import HostCheck, HostPolicy, TokenAuth
from .serving import Admission, Report, Serving
from .shared import FOREVER, Made

if TYPE_CHECKING:
    from ..app import App
    from ..model import Athlete

WEB_CSS = """
nav { display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 8px 0; border-bottom: 1px solid #e4e7eb; }
nav a { color: #2f6fba; text-decoration: none; font-weight: 600; }
a { color: #2f6fba; }
.flag { display: inline-block; font-size: 0.8rem; padding: 1px 6px; border-radius: 8px;
        background: #fdecea; color: #a61b1b; margin: 1px; }
.excluded td { color: #7b8794; text-decoration: line-through; }
.excluded td.keep { text-decoration: none; }
form.inline { display: inline-flex; gap: 4px; align-items: center; margin: 2px 0; }
input, select, button { font-size: 0.95rem; padding: 3px 6px; }
.readonly { background: #fff8e1; padding: 6px 10px; border-radius: 4px; }
/* The pain form: thumb-sized fields and score buttons that wrap on a phone; one tap on a score
   sends it all (day, when, where, note). */
form.pain fieldset { border: 0; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 6px; }
form.pain legend { font-weight: 600; padding: 0; margin-bottom: 4px; }
form.pain label { display: inline-flex; align-items: center; gap: 4px; min-height: 40px; }
form.pain input:is([name=day], [name=where], [name=note]) { min-height: 44px; box-sizing: border-box; }
form.pain input:is([name=where], [name=note]) { width: min(100%, 22em); }
form.pain button[name=score] { min-width: 44px; min-height: 44px; font-size: 1.1rem; }
ul.pain { padding-left: 1.1em; } ul.pain li { margin: 0.3em 0; }
body { max-width: 1400px; }
/* Text columns wrap, so the team table fits a 1400 px page and an alert is never cut. */
#team th { white-space: normal; vertical-align: bottom; }
#team td.wrap { white-space: normal; min-width: 7em; }
table.alerts th, table.alerts td { white-space: normal; text-align: left; vertical-align: top;
                                   overflow-wrap: anywhere; }
table.alerts td.day { white-space: nowrap; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
.facts dt { color: #52606d; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.runcharts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: 12px; }
.runcharts svg, .trackbox svg { max-width: 100%; height: auto; display: block; }
.trackbox { max-width: 420px; } .trackbox svg { max-height: 420px; }
#splits th, #splits td { padding: 4px 6px; }
.edits form { margin: 4px 0; }
@media (max-width: 760px) {
  /* The team table as one card per athlete: every number readable without scrolling. */
  table.cards thead { display: none; }
  table.cards tr { display: block; border-bottom: 1px solid #cbd2d9; padding: 6px 0; }
  table.cards td { display: flex; justify-content: space-between; gap: 12px; border: 0;
                   padding: 2px 0; white-space: normal; text-align: right; }
  table.cards td::before { content: attr(data-label); color: #52606d; text-align: left;
                           font-family: system-ui, sans-serif;
                           flex: none; }
}
"""

# The calendar feed: its own key in the URL stands in for the dashboard's token (see TokenAuth).
CALENDAR_PATH = "/athletes/{athlete_id:int}/calendar.ics"
CALENDAR_PATTERN = re.compile(r"/athletes/[0-9]+/calendar\.ics")

# Row ids are 64-bit in both stores; a larger number names nothing (and would overflow the driver).
MAX_ID = 2**63 - 1

# The athlete page shows the weeks a coach looks at; the rows of older ones are not made at all.
WEEKS_SHOWN = 12
# The totals page lists this many periods, newest first (ten years of weeks is 520 rows).
TOTALS_SHOWN = 104

# The recent pain reports listed under the form (`loadwatch pain --list` has them all).
PAIN_SHOWN = 10

# The alerts page shows the newest ledger rows of the club (all of them with ?all=1).
LEDGER_SHOWN = 300

SORTS = {
    "attention": None,  # the digest's ranking
    "athlete": lambda r: r.athlete.lower(),
    "last7": lambda r: -r.last7_m,
    "ratio": lambda r: -(r.acwr or 0.0),
    "spike": lambda r: -(r.latest_spike_pct or -1e9),
}


def _as_of(request: Request) -> date | None:
    text = request.query_params.get("as_of")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise HTTPException(400, f"as_of must be a date like 2026-11-24, not {text!r}") from e


def _id(request: Request, name: str) -> int:
    value = int(request.path_params[name])
    if not 0 < value <= MAX_ID:
        raise HTTPException(404, f"no {name.removesuffix('_id')} {value}")
    return value


def _whole(form: Any, name: str, what: str) -> int:
    """A 0-10 number from a form field, refused in words (the store is never reached)."""
    text = str(form.get(name, "")).strip()
    try:
        return int(text)
    except ValueError:
        raise HTTPException(400, f"{what} {text!r} is not a whole number 0-10") from None


def _day(form: Any) -> date | None:
    """The day of a pain report from its form; none given is today (App.log_pain's default).
    A day in the future is refused by App.log_pain, as on the command line."""
    text = str(form.get("day", "")).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"day {text!r} is not a date like 2026-11-24") from None


def _edit(app: App, activity_id: int, action: str, value: str):
    """One field of a run from its page's form (the same checks as `activities edit`)."""
    try:
        if action == "sport":
            return app.edit_activity(activity_id, sport=value)
        if action == "shoe":
            return app.edit_activity(activity_id, shoe=value)
        if action == "rpe":
            if not value.isdigit():
                raise ValueError("choose how hard it felt, 0-10 (CR-10)")
            return app.edit_activity(activity_id, rpe=int(value))
        # Typed in the runner's unit (the form says which), stored as whole metres.
        units = app.activity_athlete(activity_id).units
        typed = float(value)
        if not 0 < typed <= 1000:
            raise ValueError(f"distance {value} {units} is not between 0 and 1000")
        return app.edit_activity(activity_id, distance_m=to_metres(typed, units))
    except ValueError as e:
        raise HTTPException(400, f"{action}: {e}") from e


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("loadwatch.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    # Distances as the reader reads them (units.py), from the views' metres: `distance` with its
    # unit's name, `metres` as a bare number, `pace` for seconds per kilometre; each takes the
    # unit ("km" or "mi").
    env.filters["distance"] = lambda v, u="km": distance(v, u)
    env.filters["metres"] = lambda v, u="km", digits=2: (
        "-" if v is None else f"{amount(v, u):.{digits}f}"
    )
    env.filters["pace"] = lambda v, u="km": pace(v, u, suffix=False)
    # Climb in the distance's company: metres beside km, feet beside miles (a bare number; the
    # head names `climb_unit`).
    env.filters["climb"] = lambda v, u="km": climb(v, u, suffix=False)
    env.filters["climb_unit"] = climb_unit
    env.tests["partial"] = partial  # the last split, shorter than a whole km or mile
    env.filters["hms"] = hms
    env.filters["lap"] = lap
    env.filters["signed"] = signed
    env.filters["n0"] = lambda v: "-" if v is None else f"{v:.0f}"
    # Query strings built by urlencode, then HTML-escaped by autoescape: a coach named "Kim & Co"
    # stays one parameter. Empty values are left out.
    env.filters["query"] = lambda params: urlencode({k: v for k, v in params.items() if v})
    env.filters["spark"] = lambda values, label="": Markup(sparkline_svg(values, label=label))
    return Jinja2Templates(env=env)


def _answer(request: Request, made: Made, media_type: str = "text/html") -> Response:
    """A shared page (or chart), or 304 to a browser that holds these bytes already; browsers
    ask again every time (no-cache), so none shows a page older than the data."""
    headers = {"etag": made.etag, "cache-control": "no-cache"}
    held = request.headers.get("if-none-match", "")
    if held.strip() == "*" or made.etag in (t.strip().removeprefix("W/") for t in held.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(made.body, headers=headers, media_type=media_type)


def create_app(
    serving: Serving,
    *,
    token: str | None = None,
    csrf: str | None = None,
    host: str = "127.0.0.1",
    public_url: str | None = None,
    limit: int = 4,
    queue: int = 256,
    wait_s: float = 20.0,
) -> Starlette:
    """The web application over `serving`'s connections. `host` is the address it is bound to
    and `public_url` the address a proxy serves it under: requests for other host names are
    refused. At most `limit` requests are worked on at once and `queue` wait (see Admission)."""
    templates = _templates()
    read_only = serving.read_only
    open_app = serving.reader
    csrf_token = csrf or secrets.token_urlsafe(32)

    def page(request: Request, name: str, **context: Any) -> Response:
        context |= {
            "read_only": read_only,
            "csrf": csrf_token,
            "as_of": request.query_params.get("as_of", ""),
            "css": Markup(PAGE_CSS + WEB_CSS),
        }
        return templates.TemplateResponse(request, name, context)

    def team(request: Request) -> Response:
        coach = request.query_params.get("coach") or None
        sort = request.query_params.get("sort", "attention")
        if sort not in SORTS:
            raise HTTPException(400, f"sort by one of {', '.join(SORTS)}")
        as_of = _as_of(request)
        with open_app() as app:

            def make() -> Made:
                now = app.clock()
                rows = app.team(coach, as_of)
                key = SORTS[sort]
                if key is not None:
                    rows = sorted(rows, key=key)
                coaches = [c.name for c in app.settings.coaches]
                shown = page(
                    request, "team.html", rows=rows, coaches=coaches, coach=coach, sort=sort
                )
                return Made.of(bytes(shown.body), app.holds_until(now))

            asked = ("team", coach, sort, request.query_params.get("as_of", ""))
            made = serving.shared(asked, make)
        return _answer(request, made)

    def report_of(app: App, request: Request) -> tuple[Athlete, Report, Hashable]:
        """The athlete's report for the day asked, made once per revision of their data, day
        and unit, shared by the page and its charts (which a browser asks for together)."""
        a = app.store.athletes.get(_id(request, "athlete_id"))
        day = app.day(a, _as_of(request))
        stored = app.store.snapshots.get(a.id)
        key = (a.id, stored.revision if stored else None, day, a.units)

        def make() -> Report:
            view = app.report(a, day, weeks=WEEKS_SHOWN)
            # Each chart its own request, for this report's day: the page answers at once
            # (drawing the charts is most of its time), and a new day never mixes with an old.
            query = urlencode({"as_of": day.isoformat()})

            def figure(name: str) -> str:
                src = f"/athletes/{a.id}/charts/{name}.svg?{query}"
                return f"<figure><img src='{src}' alt='{html.escape(CHARTS[name])}'></figure>"

            return Report(view, report_body(view, WEEKS_SHOWN, figure))

        return a, serving.reports.get(key, app.clock(), make), key

    def athlete(request: Request) -> Response:
        shown = 200 if request.query_params.get("all") else 40
        with open_app() as app:
            a, report, _ = report_of(app, request)
            activities = list(reversed(app.activities(a, newest=shown + 1)))
            ledger = list(reversed(app.ledger(a)))
            failures = app.failures(a)
            pain = app.pain_reports(a)[:PAIN_SHOWN]
            today = app.today(a)
            shoe_names = {s.id: s.name for s in app.store.shoes.all(a.id)}
        return page(
            request,
            "athlete.html",
            athlete=a,
            view=report.view,
            report=Markup(report.body),
            activities=activities[:shown],
            more=len(activities) > 40 and not request.query_params.get("all"),
            ledger=ledger,
            failures=failures,
            shoe_names=shoe_names,
            pain=pain,
            pain_when=PAIN_WHEN,
            # A report for the day the page shows (a runner catching up on yesterday's opens
            # ?as_of=yesterday), never a day still to come: the field's default and its max.
            pain_day=min(report.view.as_of, today),
            pain_today=today,
            note_max=MAX_TEXT,
        )

    def chart(request: Request) -> Response:
        """One chart of an athlete page's report, drawn once per revision (matplotlib's SVG)."""
        name = request.path_params["name"]
        if name not in CHARTS:
            raise HTTPException(404, f"no chart {name!r}: one of {', '.join(CHARTS)}")
        with open_app() as app:
            a, report, key = report_of(app, request)
            now = app.clock()
        if name not in chart_names(report.view):
            raise HTTPException(404, f"no chart {name!r} on {a.name}'s page")
        made = serving.charts.get(
            (key, name), now, lambda: Made.of(chart_svg(report.view, name, WEEKS_SHOWN), FOREVER)
        )
        return _answer(request, made, "image/svg+xml")

    def run(request: Request) -> Response:
        """One run: its numbers, its edits, its splits and curves from its file, its outline."""
        activity_id = _id(request, "activity_id")
        with open_app() as app:
            view = app.run(activity_id)
            shoes = [s.name for s in app.store.shoes.all(view.athlete_id) if not s.retired]
        return page(
            request,
            "activity.html",
            view=view,
            a=view.activity,
            sports=SPORTS,
            shoes=shoes,
            u=view.units,
            curves=[Markup(curve_svg(c, view.units)) for c in view.curves if c.present],
            outline=Markup(outline_svg(view.outline, units=view.units)),
        )

    def totals(request: Request) -> Response:
        athlete_id = _id(request, "athlete_id")
        by = request.query_params.get("by", "week")
        if by not in ("week", "month", "year"):
            raise HTTPException(400, "by one of week, month, year")
        with open_app() as app:
            a = app.store.athletes.get(athlete_id)
            result = app.totals(a, by, _as_of(request))
        periods = list(reversed(result.periods))
        return page(
            request,
            "totals.html",
            athlete=a,
            u=a.units,
            totals=result,
            periods=periods[:TOTALS_SHOWN],
            more=len(periods) > TOTALS_SHOWN,
            shown=TOTALS_SHOWN,
        )

    def alerts(request: Request) -> Response:
        # The newest of the club's ledger (every alert of every runner's history is in it).
        every = bool(request.query_params.get("all"))
        as_of = _as_of(request)
        with open_app() as app:

            def make() -> Made:
                now = app.clock()
                athletes = {a.id: a for a in app.athletes()}
                entries = app.store.ledger.entries_all(newest=None if every else LEDGER_SHOWN + 1)
                rows = [(athletes[i], e) for i, es in entries.items() if i in athletes for e in es]
                pending = app.alerts_to_send(as_of)
                # A pending alert's channels, as the ledger recorded them (one read).
                waiting = [(a, e) for a, e in rows if e.status == "pending"]
                channels = app.channel_states(waiting, configured=False)
                rows.sort(key=lambda r: r[1].created_utc, reverse=True)
                more = not every and len(rows) > LEDGER_SHOWN
                shown = page(request, "alerts.html", rows=rows[:LEDGER_SHOWN] if more else rows,
                             pending=pending, more=more, channels=channels)  # fmt: skip
                return Made.of(bytes(shown.body), app.holds_until(now))

            made = serving.shared(("alerts", every, request.query_params.get("as_of", "")), make)
        return _answer(request, made)

    async def change(request: Request) -> Any:
        """The form of a POST, once it is known to be allowed: not --read-only, and carrying
        this dashboard's CSRF token (the Origin is checked by HostCheck)."""
        form = await request.form()
        if read_only:
            raise HTTPException(403, "this loadwatch web runs --read-only: no edits")
        given = str(form.get("csrf", ""))
        if not hmac.compare_digest(given.encode(), csrf_token.encode()):
            raise HTTPException(403, "the form is stale or not from this page (CSRF token)")
        return form

    def back_to(athlete_id: int, form: Any, anchor: str = "") -> Response:
        back = f"/athletes/{athlete_id}"
        if form.get("as_of"):
            back += "?" + urlencode({"as_of": str(form.get("as_of"))})
        return RedirectResponse(back + anchor, status_code=303)

    async def edit(request: Request) -> Response:
        form = await change(request)
        activity_id = _id(request, "activity_id")
        action = request.path_params["action"]
        with serving.writer() as app:
            if action == "exclude":
                a = app.exclude_activity(activity_id, True, str(form.get("reason") or "") or None)
            elif action == "include":
                a = app.exclude_activity(activity_id, False)
            elif action in ("race", "not-race"):  # in the load, out of the spike reference
                a = app.edit_activity(activity_id, race=action == "race")
            elif action in ("sport", "rpe", "shoe", "distance"):
                a = _edit(app, activity_id, action, str(form.get(action, "")).strip())
            else:
                raise HTTPException(404, f"no action {action!r}")
        back = f"/activities/{activity_id}" if form.get("back") == "run" else f"/athletes/{a.id}"
        if form.get("as_of"):
            back += "?" + urlencode({"as_of": str(form.get("as_of"))})
        return RedirectResponse(back, status_code=303)

    async def add_pain(request: Request) -> Response:
        form = await change(request)
        athlete_id = _id(request, "athlete_id")
        with serving.writer() as app:
            a = app.store.athletes.get(athlete_id)
            app.log_pain(
                a,
                _whole(form, "score", "pain score"),
                day=_day(form),
                when=str(form.get("when") or "morning"),
                where=str(form.get("where") or "") or None,
                note=str(form.get("note") or "") or None,
            )
        return back_to(a.id, form, "#pain")

    async def delete_pain(request: Request) -> Response:
        form = await change(request)
        with serving.writer() as app:
            a, _ = app.delete_pain(_id(request, "report_id"))
        return back_to(a.id, form, "#pain")

    def calendar(request: Request) -> Response:
        """A phone calendar subscribes with the key in the URL (it sends no token): the wrong
        key, or none, gets the same 404 as an athlete that does not exist."""
        athlete_id = _id(request, "athlete_id")
        with open_app() as app:
            data = app.calendar_by_key(athlete_id, request.query_params.get("key", ""))
        return Response(data, media_type="text/calendar; charset=utf-8")

    async def errors(request: Request, exc: Exception) -> Response:
        status = 404 if isinstance(exc, NotFound) else 400
        detail = str(exc)
        if isinstance(exc, HTTPException):
            status, detail = exc.status_code, str(exc.detail)
        context = {"status": status, "detail": detail, "css": Markup(PAGE_CSS + WEB_CSS)}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        """The background refresh runs while the server does (see warm.py)."""
        serving.warmer.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(serving.warmer.stop)

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/", team),
            Route("/athletes/{athlete_id:int}", athlete),
            Route("/athletes/{athlete_id:int}/charts/{name}.svg", chart),
            Route("/athletes/{athlete_id:int}/totals", totals),
            Route("/alerts", alerts),
            Route(CALENDAR_PATH, calendar),
            Route("/activities/{activity_id:int}", run),
            Route("/activities/{activity_id:int}/{action}", edit, methods=["POST"]),
            Route("/athletes/{athlete_id:int}/pain", add_pain, methods=["POST"]),
            Route("/pain/{report_id:int}/delete", delete_pain, methods=["POST"]),
        ],
        middleware=[
            Middleware(Admission, limit=limit, queue=queue, wait_s=wait_s),
            Middleware(HostCheck, policy=HostPolicy(host, public_url)),
            Middleware(TokenAuth, token=token, keyed=CALENDAR_PATTERN),
        ],
        exception_handlers={HTTPException: errors, LoadwatchError: errors},
    )
