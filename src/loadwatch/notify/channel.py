"""What a delivery channel is to the check: something that carries a notice and says whether
it got through. The check asks each channel of a person in turn and the ledger records each
channel's answer, so one channel down never holds the others back (issue 19).

A channel raises ChannelUnavailable when it cannot be reached or says "try later" (the notice
stays pending on it, exit 75), SendFailed when it refuses the notice (pending, a problem).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from ..load.headroom import Headroom
from ..model import Alert
from ..views import DigestRow

# A chart as (PNG, alt text), drawn only if a channel shows it (email does, a push does not).
ChartMaker = Callable[[], tuple[bytes, str] | None]


@dataclass(frozen=True)
class AlertNotice:
    """An athlete's alerts to deliver on one channel: `alerts` the ones shown (one per episode,
    the best-supported first), `keys` every ledger key the notice settles."""

    athlete: str
    athlete_id: int
    alerts: list[Alert]
    keys: list[str]
    day: date
    now: datetime
    guidance: Headroom | None
    chart: ChartMaker
    link: str | None  # the athlete's web page when web.public_url is set
    # Alert key -> the page of the run it is about, where there is one (a spike names its run).
    links: dict[str, str] = field(default_factory=dict)
    units: str = "km"  # the athlete's: how the email and the push word distances


@dataclass(frozen=True)
class DigestNotice:
    coach: str
    period: str  # "daily" or "weekly"
    rows: list[DigestRow]
    key: str
    day: date
    now: datetime
    chart: Callable[[], bytes | None]
    link: str | None  # the team page when web.public_url is set


@dataclass(frozen=True)
class Delivered:
    """A channel's receipt: the message's id where it has one, and what went wrong for some of
    its recipients while the others got it (an email's refused Cc)."""

    message_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Preview:
    """A dry run's view of what a channel would deliver, and the file it was written to."""

    text: str
    file: Path | None = None


class Channel(Protocol):
    @property
    def id(self) -> str:
        """Stable across checks and never a secret: the ledger's name for the channel."""
        ...

    @property
    def label(self) -> str:
        """How messages name the channel (secrets masked)."""
        ...

    def alerts(self, notice: AlertNotice) -> Delivered: ...

    def digest(self, notice: DigestNotice) -> Delivered: ...

    def preview(self, notice: AlertNotice | DigestNotice, outbox: Path | None) -> Preview: ...
