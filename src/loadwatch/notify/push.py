"""Push through Apprise (ntfy, Telegram, Signal, Matrix, Gotify, Pushover... one URL per
channel): a short title, two lines and a link. Apprise is imported only when a push goes out
or a URL is checked.

Apprise answers a failed notify with False and a log line; the HTTP status in that line
(`error=429`) says whether to try later (no answer, 408, 425, 429, 5xx: ChannelUnavailable) or
not (another 4xx: SendFailed). Either way the notice stays pending on that channel only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import NotifyUrl
from ..errors import ChannelUnavailable, SendFailed
from ..units import parse as parse_units
from ..views import headroom_lines
from .channel import AlertNotice, Delivered, DigestNotice, Preview

if TYPE_CHECKING:
    import apprise

TIMEOUT_S = 30  # one push, whole call: a hung service must not hold the check
TRY_LATER = {408, 425, 429}
MAX_DIGEST_LINES = 5


@dataclass(frozen=True)
class PushText:
    title: str
    body: str


def _first_sentence(text: str) -> str:
    """The alert's first sentence: what happened, with its numbers (the rest is in the email)."""
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def alert_push(notice: AlertNotice) -> PushText:
    """A title ("ana: 24.0 km run, 60% over the 30-day longest (moderate spike)"), what
    happened, today's headroom and a link: the run's page when the alert is about a run and the
    check knows its page, else the athlete's."""
    first = notice.alerts[0]
    more = f" (+{len(notice.alerts) - 1} more)" if len(notice.alerts) > 1 else ""
    lines = [_first_sentence(first.text)]
    if notice.guidance is not None:
        today = "; ".join(
            x.guidance
            for x in headroom_lines(notice.guidance, parse_units(notice.units), unknown_pain=False)[
                :2
            ]
        )
        lines.append(f"Today: {today}.")
    link = notice.links.get(first.key, notice.link)  # the run's page, else the athlete's
    if link:
        lines.append(link)
    return PushText(f"{notice.athlete}: {first.title}{more}", "\n".join(lines))


def digest_push(notice: DigestNotice) -> PushText:
    """The digest's headline and the athletes who need a look, one line each."""
    flagged = [r for r in notice.rows if r.open_alerts]
    title = (
        f"loadwatch {notice.period} digest: {len(flagged)} of {len(notice.rows)} athletes "
        "need a look"
    )
    # The newest alert (the ledger's order) and how many more: the oldest once led, a spike
    # of days ago above today's.
    lines = [
        f"{r.athlete}: {r.open_alerts[-1]}"
        + (f" (+{len(r.open_alerts) - 1} more)" if len(r.open_alerts) > 1 else "")
        for r in flagged[:MAX_DIGEST_LINES]
    ]
    if len(flagged) > MAX_DIGEST_LINES:
        lines.append(f"and {len(flagged) - MAX_DIGEST_LINES} more")
    if not flagged:
        lines.append("Nothing flagged.")
    if notice.link:
        lines.append(notice.link)
    return PushText(title, "\n".join(lines))


def _plugin(url: str) -> tuple[Any, str]:
    """Apprise's service for a URL (None when it cannot use it) and its reason then."""
    import logging

    import apprise

    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
        plugin = apprise.Apprise.instantiate(url)
    reasons = [line for line in log.getvalue().splitlines() if line.strip()]
    return plugin, (reasons[-1] if reasons else "not a URL Apprise knows")


def _shown(url: str) -> str:
    """A URL as Apprise prints it with its secrets masked, without the options."""
    plugin, _ = _plugin(url)
    if plugin is None:
        return url.split("://", 1)[0] + "://..."
    return str(plugin.url(privacy=True)).split("?", 1)[0]


def _scrub(text: str, url: str) -> str:
    """`text` with `url` masked; where Apprise masked it already ("yy://..." for "yy://"),
    as it wrote it ("yy://......" before)."""
    return re.sub(re.escape(url) + r"(?!\.\.\.)", lambda _: _shown(url), text)


def url_problem(url: str, from_env: bool) -> str | None:
    """What is wrong with a push URL, asked of Apprise without sending anything: one it cannot
    use, or (in the file) one that holds a secret Apprise would mask."""
    plugin, reason = _plugin(url)
    if plugin is None:
        return f"Apprise cannot use this URL: {_scrub(reason, url)}"
    if not from_env and plugin.url(privacy=True) != plugin.url():
        return (
            f"{_shown(url)} holds a token or password: put the URL in an environment variable "
            "and name it in notify_env"
        )
    return None


class PushChannel:
    """One Apprise URL. Its id is the environment variable's name, or a hash of the URL written
    in the file: stable across checks, never the secret itself."""

    def __init__(self, source: NotifyUrl):
        self.source = source
        if source.env is not None:
            self.id = f"push:${source.env}"
        else:
            self.id = "push:" + hashlib.sha256((source.url or "").encode()).hexdigest()[:16]
        shown = _shown(source.url) if source.url else "(unset)"
        self.label = f"push ${source.env} {shown}" if source.env else f"push {shown}"

    def _send(self, text: PushText) -> Delivered:
        import apprise

        url = self.source.url
        if url is None:
            raise SendFailed(f"{self.label}: environment variable {self.source.env} is not set")
        service = apprise.Apprise()
        if not service.add(url):
            raise SendFailed(f"{self.label}: Apprise cannot use this URL (see `config check`)")
        result = service.notify(body=text.body, title=text.title, timeout=TIMEOUT_S)
        if result:
            return Delivered()
        raise _failure(self.label, url, result)

    def alerts(self, notice: AlertNotice) -> Delivered:
        return self._send(alert_push(notice))

    def digest(self, notice: DigestNotice) -> Delivered:
        return self._send(digest_push(notice))

    def preview(self, notice: AlertNotice | DigestNotice, outbox: Path | None) -> Preview:
        text = alert_push(notice) if isinstance(notice, AlertNotice) else digest_push(notice)
        return Preview(f"{self.label}: {text.title}\n{text.body}")


def _failure(label: str, url: str, result: apprise.AppriseResult) -> SendFailed:
    """Apprise's reason, and whether to try later, from the lines it logged."""
    said = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR")]
    reason = _scrub(said[-1], url) if said else "no answer"
    code = re.search(r"error=(\d+)", reason)
    status = int(code.group(1)) if code else None
    while status is not None and status > 999:  # ntfy's codes: the HTTP status and two digits
        status //= 10
    if status is None or status >= 500 or status in TRY_LATER:
        return ChannelUnavailable(f"{label} unavailable: {reason}")
    return SendFailed(f"{label} refused the notice: {reason}")
