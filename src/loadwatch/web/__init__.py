"""`loadwatch web`: a local dashboard for coaches and runners, server-rendered, no JavaScript.

Three pages over the same app and views as the CLI: the team (every athlete, attention first),
an athlete (the report, the activities with their edits, import failures, the alert ledger) and
the alerts (the ledger across athletes, and what a check would send now). Each request opens its
own `App` (a connection per request: SQLite connections do not cross threads). Edits are POSTs
with a CSRF token from this dashboard's own origin, refused with `--read-only`; requests for
another host name are refused (DNS rebinding); names are escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from ..app import App
from ..errors import LoadwatchError, NotFound
from ..model import SPORTS
from ..render.report import PAGE_CSS, report_body
from ..render.spark import sparkline_svg
from ..units import amount, distance, pace
from .security import HostCheck, HostPolicy, TokenAuth

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
body { max-width: 1400px; }
/* Text columns wrap, so the team table fits a 1400 px page and an alert is never cut. */
#team th { white-space: normal; vertical-align: bottom; }
#team td.wrap { white-space: normal; min-width: 7em; }
table.alerts th, table.alerts td { white-space: normal; text-align: left; vertical-align: top;
                                   overflow-wrap: anywhere; }
table.alerts td.day { white-space: nowrap; }
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

SORTS = {
    "attention": None,  # the digest's ranking
    "athlete": lambda r: r.athlete.lower(),
    "last7": lambda r: -r.last7_km,
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


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("loadwatch.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    # Distances as the reader reads them (units.py): `km` for the views' kilometres, `metres`
    # for a run's own, `pace` for seconds per kilometre; each takes the unit ("km" or "mi").
    env.filters["km"] = lambda v, u="km": distance(None if v is None else v * 1000, u)
    env.filters["metres"] = lambda v, u="km", digits=2: (
        "-" if v is None else f"{amount(v, u):.{digits}f}"
    )
    env.filters["pace"] = lambda v, u="km": pace(v, u).split(" ")[0]  # the header says /km
    # Query strings built by urlencode, then HTML-escaped by autoescape: a coach named "Kim & Co"
    # stays one parameter. Empty values are left out.
    env.filters["query"] = lambda params: urlencode({k: v for k, v in params.items() if v})
    env.filters["spark"] = lambda values, label="": Markup(sparkline_svg(values, label=label))
    return Jinja2Templates(env=env)


def create_app(
    open_app: Callable[[], App],
    *,
    read_only: bool = False,
    token: str | None = None,
    csrf: str | None = None,
    host: str = "127.0.0.1",
    public_url: str | None = None,
) -> Starlette:
    """The web application; `open_app` gives a fresh `App` for each request. `host` is the
    address it is bound to and `public_url` the address a proxy serves it under: requests for
    other host names are refused."""
    templates = _templates()
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
        with open_app() as app:
            rows = app.team(coach, _as_of(request))
            coaches = [c.name for c in app.settings.coaches]
        key = SORTS[sort]
        if key is not None:
            rows = sorted(rows, key=key)
        return page(request, "team.html", rows=rows, coaches=coaches, coach=coach, sort=sort)

    def athlete(request: Request) -> Response:
        athlete_id = _id(request, "athlete_id")
        with open_app() as app:
            a = app.store.athletes.get(athlete_id)
            view = app.report(a, _as_of(request), weeks=WEEKS_SHOWN)
            activities = list(reversed(app.activities(a)))
            ledger = list(reversed(app.ledger(a)))
            failures = app.failures(a)
        return page(
            request,
            "athlete.html",
            athlete=a,
            view=view,
            report=Markup(report_body(view, WEEKS_SHOWN)),
            activities=activities[: 200 if request.query_params.get("all") else 40],
            more=len(activities) > 40 and not request.query_params.get("all"),
            ledger=ledger,
            failures=failures,
            sports=SPORTS,
        )

    def alerts(request: Request) -> Response:
        with open_app() as app:
            rows = []
            pending = []
            for a in app.athletes():
                rows += [(a, e) for e in app.ledger(a)]
                pending += [(a, x) for x in app.would_send(a, _as_of(request))]
        rows.sort(key=lambda r: r[1].created_utc, reverse=True)
        return page(request, "alerts.html", rows=rows, pending=pending)

    async def edit(request: Request) -> Response:
        form = await request.form()
        if read_only:
            raise HTTPException(403, "this loadwatch web runs --read-only: no edits")
        given = str(form.get("csrf", ""))
        if not hmac.compare_digest(given.encode(), csrf_token.encode()):
            raise HTTPException(403, "the form is stale or not from this page (CSRF token)")
        activity_id = _id(request, "activity_id")
        action = request.path_params["action"]
        with open_app() as app:
            if action == "exclude":
                a = app.exclude_activity(activity_id, True, str(form.get("reason") or "") or None)
            elif action == "include":
                a = app.exclude_activity(activity_id, False)
            elif action == "sport":
                try:
                    a = app.edit_activity(activity_id, sport=str(form.get("sport", "")))
                except ValueError as e:
                    raise HTTPException(400, str(e)) from e
            else:
                raise HTTPException(404, f"no action {action!r}")
        back = f"/athletes/{a.id}"
        if form.get("as_of"):
            back += "?" + urlencode({"as_of": str(form.get("as_of"))})
        return RedirectResponse(back, status_code=303)

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

    return Starlette(
        routes=[
            Route("/", team),
            Route("/athletes/{athlete_id:int}", athlete),
            Route("/alerts", alerts),
            Route(CALENDAR_PATH, calendar),
            Route("/activities/{activity_id:int}/{action}", edit, methods=["POST"]),
        ],
        middleware=[
            Middleware(HostCheck, policy=HostPolicy(host, public_url)),
            Middleware(TokenAuth, token=token, keyed=CALENDAR_PATTERN),
        ],
        exception_handlers={HTTPException: errors, LoadwatchError: errors},
    )
