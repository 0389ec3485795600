"""Compose alert and digest emails with the standard library: plain text + HTML, chart inline.

One message per athlete per check, holding every new alert. The Message-ID is derived from the
alert keys, so a message re-sent after a crash carries the same id and mail clients fold it.
"""

from __future__ import annotations

import hashlib
import html
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, make_msgid

from ..load.headroom import Headroom
from ..model import Alert
from ..names import cleaned
from ..units import Units, distance
from ..views import DigestRow, headroom_lines, headroom_text

DIGEST_FOOTER = (
    "These numbers describe their training load; the studies describe groups of runners. None of "
    "this is a diagnosis or a personal prediction. If something hurts, they should reduce load "
    "and see a clinician."
)
GUIDANCE_TITLE = (
    "What stays within +10% of your 30-day longest run (the studies' reference range) and under "
    "the weekly +30% line (weak evidence)"
)
FOOTER = (
    "These numbers describe your training load; the studies describe groups of runners. None of this "
    "is a diagnosis or a personal prediction. If something hurts, reduce load and see a clinician."
)


# Headers are folded only past RFC 5322's hard limit of 998 characters: folding at 78 put a
# Subject of 70 to 77 characters on a line of its own below an empty "Subject:" (Python moves a
# value that fits one continuation line there), and some clients show that as no subject.
POLICY = default.clone(max_line_length=998)


def message_id(keys: list[str], domain: str = "loadwatch.invalid") -> str:
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _domain(sender: str) -> str:
    addr = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return addr.rsplit("@", 1)[-1] if "@" in addr else "loadwatch.invalid"


def compose_alerts(
    athlete: str,
    to: list[str],
    cc: list[str],
    sender: str,
    alerts: list[Alert],
    as_of: date,
    chart: tuple[bytes, str] | None,
    now: datetime,
    keys: list[str] | None = None,
    guidance: Headroom | None = None,
    links: dict[str, str] | None = None,
    units: Units = "km",
) -> EmailMessage:
    """`chart` is (PNG, alt text), embedded inline by Content-ID. `keys` are every ledger key
    the message settles (default: the alerts shown); `guidance` is the headroom on the day;
    `links` an alert's run page on the dashboard (by key), where it has a public address."""
    links = links or {}
    keys = keys or [a.key for a in alerts]
    msg = EmailMessage(policy=POLICY)
    first = alerts[0]
    chart_png, chart_alt = chart if chart else (None, "")
    more = f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
    msg["Subject"] = cleaned(f"loadwatch: {first.title}{more}")
    msg["From"] = cleaned(sender)
    msg["To"] = cleaned(", ".join(to))
    if cc:
        msg["Cc"] = cleaned(", ".join(cc))
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(keys, _domain(sender))
    msg["X-Loadwatch-Alerts"] = cleaned(", ".join(keys))

    plain = [
        f"Hello {athlete},",
        "",
        f"loadwatch noticed {_things(len(alerts))} in your training up to {as_of:%a %d %b %Y}:",
        "",
    ]
    for a in alerts:
        plain += [f"* {a.title}", "", _indent(a.text), "", f"  Source: {a.citation}", ""]
        if a.key in links:
            plain += [f"  The run: {links[a.key]}", ""]
    if guidance:
        plain += [GUIDANCE_TITLE, "", headroom_text(guidance, units=units), ""]
    plain += [FOOTER, "", "-- loadwatch"]
    msg.set_content("\n".join(plain))

    cid = make_msgid(domain=_domain(sender))
    items = "".join(
        f"<h3 style='margin-bottom:0.2em'>{html.escape(a.title)}</h3><p>{html.escape(a.text)}</p>"
        f"<p style='font-size:12px;color:#52606d'>Source: {html.escape(a.citation)}</p>"
        + (
            f"<p><a href='{html.escape(links[a.key])}'>The run's page</a></p>"
            if a.key in links
            else ""
        )
        for a in alerts
    )
    figure = (
        f"<p><img src='cid:{cid[1:-1]}' alt='{html.escape(chart_alt)}' width='560' "
        "style='width:100%;max-width:560px;height:auto'></p>"
        if chart_png
        else ""
    )
    # The headroom as the web page shows it: what stays within the range, then the numbers
    # (terminal text in a <pre> broke its aligned lines mid-phrase on a phone).
    ahead = (
        f"<h3 style='margin-bottom:0.2em'>{html.escape(GUIDANCE_TITLE)}</h3><ul style='padding-left:1.1em'>"
        + "".join(
            f"<li style='margin:0.3em 0'><b>{html.escape(x.guidance)}</b><br>"
            f"<span style='font-size:13px;color:#52606d'>{html.escape(x.facts)}</span></li>"
            for x in headroom_lines(guidance, units)
        )
        + "</ul>"
        if guidance
        else ""
    )
    page = (
        "<html><head><meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body style='font-family:sans-serif;color:#1f2933;max-width:680px;margin:auto;"
        "padding:0 12px;font-size:15px;line-height:1.45'>"
        f"<p>Hello {html.escape(athlete)},</p><p>loadwatch noticed {_things(len(alerts))} in your "
        f"training up to {as_of:%a %d %b %Y}:</p>{items}{ahead}{figure}"
        f"<p style='font-size:12px;color:#52606d'>{html.escape(FOOTER)}</p></body></html>"
    )
    msg.add_alternative(page, subtype="html")
    if chart_png:
        _html_part(msg).add_related(chart_png, "image", "png", cid=cid, filename="load.png")
    return msg


DIGEST_NOTE = (
    "Last 7 days against the 7 before (rolling, not a calendar week so far); ratio: 7:28 rolling, "
    "coupled (team-sport bands, context only); spike: the latest run more than 10% over their "
    "30-day longest; headroom: the longest run today within +10% of the 30-day longest (the "
    "reference range in Frandsen 2025) and the distance more today under the weekly +30% line "
    "(weak evidence, Nielsen 2014); effort: session RPE x moving minutes (Foster 2001) of the "
    "same 7 days, shown, never alerted on (whether intensity matters apart from volume is not "
    "settled: Run Clever, Ramskov 2018, found no clear difference)."
)
DIGEST_COLUMNS = [
    "athlete",
    "flags",
    "last 7 d",
    "7 before",
    "12 weeks",
    "ratio",
    "spike",
    "effort 7 d",
    "headroom",
]


# On a phone the digest's table becomes one block per athlete, each number under its label (mail
# apps that drop <style> keep the table, which then scrolls sideways in its own box).
DIGEST_PHONE_CSS = (
    "@media (max-width: 640px) {"
    " table.digest thead { display: none; }"
    " table.digest tr { display: block; border-bottom: 1px solid #cbd2d9; padding: 6px 0; }"
    " table.digest td { display: block; border: 0 !important; padding: 2px 0 !important; }"
    " table.digest td::before { content: attr(data-label) ': '; color: #52606d; font-family: sans-serif; }"
    "}"
)


def compose_digest(
    coach: str,
    to: str,
    sender: str,
    period: str,
    rows: list[DigestRow],
    chart_png: bytes | None,
    key: str,
    now: datetime,
) -> EmailMessage:
    """`rows`: one per athlete, already ranked (see views.rank)."""
    msg = EmailMessage(policy=POLICY)
    attention = sum(1 for r in rows if r.needs_look)
    msg["Subject"] = f"loadwatch {period} digest: {attention} of {len(rows)} athletes need a look"
    msg["From"] = cleaned(sender)
    msg["To"] = cleaned(to)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id([key], _domain(sender))
    lines = [
        f"Hello {coach},",
        "",
        f"Your athletes, those needing a look first ({period} digest):",
        "",
    ]
    for r in rows:
        flags = f" [{', '.join(r.flags)}]" if r.flags else ""
        lines.append(f"* {r.athlete}{flags}  {r.sparkline}".rstrip())
        lines.append(_indent(r.summary))
        for a in r.open_alerts:
            lines.append(f"    - {a}")
    lines += ["", _indent(DIGEST_NOTE).strip(), "", DIGEST_FOOTER, "", "-- loadwatch"]
    msg.set_content("\n".join(lines))
    cid = make_msgid(domain=_domain(sender))
    cell = "padding:6px 8px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top"
    head = "".join(
        f"<th style='{cell};font-size:12px;color:#52606d'>{c}</th>" for c in DIGEST_COLUMNS
    )

    def td(label: str, text: str, style: str = "") -> str:
        return f"<td data-label='{label}' style='{cell}{style}'>{text}</td>"

    body = "".join(
        "<tr>"
        + td(
            "athlete",
            f"<b>{html.escape(r.athlete)}</b>"
            + (
                f"<br><span style='color:#a61b1b;font-size:13px'>{html.escape(r.pain)} "
                f"({r.pain_level})</span>"
                if r.pain
                else ""
            )
            + "".join(
                f"<br><span style='color:#a61b1b;font-size:13px'>{html.escape(a)}</span>"
                for a in r.open_alerts
            ),
        )
        + td("flags", html.escape(", ".join(r.flags) or "-"))
        + td("last 7 d", distance(r.last7_m, r.units))
        + td("7 before", distance(r.prev7_m, r.units))
        + td("12 weeks", html.escape(r.sparkline), ";font-family:monospace")
        + td("ratio", html.escape(r.ratio_text))
        + td("spike", html.escape(r.spike_text))
        + td("effort 7 d", html.escape(r.effort_text))
        + td(
            "headroom",
            html.escape(r.headroom)
            + (
                f"<br><span style='font-size:12px'>shoes: {html.escape(', '.join(r.shoes_near_limit))}</span>"
                if r.shoes_near_limit
                else ""
            ),
        )
        + "</tr>"
        for r in rows
    )
    chart = (
        f"<p><img src='cid:{cid[1:-1]}' alt='Athletes: last 7 days against the 7 before' "
        "width='560' style='width:100%;max-width:560px;height:auto'></p>"
        if chart_png
        else ""
    )
    msg.add_alternative(
        "<html><head><meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{DIGEST_PHONE_CSS}</style></head>"
        "<body style='font-family:sans-serif;color:#1f2933;font-size:15px;margin:auto;"
        f"max-width:900px;padding:0 12px'><p>Hello {html.escape(coach)},</p>"
        f"<p>Your athletes, those needing a look first ({html.escape(period)} digest):</p>"
        "<div style='overflow-x:auto'><table class='digest' "
        "style='border-collapse:collapse;font-size:14px'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{chart}"
        f"<p style='font-size:12px;color:#52606d'>{html.escape(DIGEST_NOTE)}</p>"
        f"<p style='font-size:12px;color:#52606d'>{html.escape(DIGEST_FOOTER)}</p></body></html>",
        subtype="html",
    )
    if chart_png:
        _html_part(msg).add_related(chart_png, "image", "png", cid=cid, filename="overview.png")
    return msg


def _html_part(msg: EmailMessage) -> EmailMessage:
    """The HTML alternative, where the chart goes as a related part (shown inline by cid)."""
    part = msg.get_body(("html",))
    if not isinstance(part, EmailMessage):
        raise ValueError("message has no HTML body")
    return part


def _indent(text: str) -> str:
    import textwrap

    return textwrap.fill(text, width=76, initial_indent="  ", subsequent_indent="  ")


def _things(n: int) -> str:
    return "one thing" if n == 1 else f"{n} things"
