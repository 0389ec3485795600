"""Email as a delivery channel: one SMTP session per check (the Mailer), shared by every
person's email channel, and the compose functions of email.py."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from ..config import Settings
from ..errors import SmtpUnavailable
from ..units import parse as parse_units
from .channel import AlertNotice, Delivered, DigestNotice, Preview
from .email import compose_alerts, compose_digest
from .smtp import Sender, outbox_name, write_outbox

EMAIL = "email"  # the channel's id in the ledger: one SMTP server serves every address


class Mailer:
    """One SMTP session per check, opened only when there is something to send."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sender: Sender | None = None

    def send(self, msg: EmailMessage) -> dict[str, str]:
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


class EmailChannel:
    """One person's email (To and Cc) through the check's Mailer."""

    id = EMAIL
    label = "email"

    def __init__(self, mailer: Mailer, to: list[str], cc: list[str] | None = None):
        self.mailer = mailer
        self.to = to
        self.cc = cc or []

    def _alerts(self, notice: AlertNotice) -> EmailMessage:
        return compose_alerts(
            notice.athlete,
            self.to,
            self.cc,
            self.mailer.settings.smtp.sender,
            notice.alerts,
            notice.day,
            notice.chart(),
            notice.now,
            keys=notice.keys,
            guidance=notice.guidance,
            links=notice.links,
            units=parse_units(notice.units),
        )

    def _digest(self, notice: DigestNotice) -> EmailMessage:
        return compose_digest(
            notice.coach,
            self.to[0],
            self.mailer.settings.smtp.sender,
            notice.period,
            notice.rows,
            notice.chart(),
            notice.key,
            notice.now,
        )

    def _send(self, msg: EmailMessage) -> Delivered:
        refused = self.mailer.send(msg)
        # The others got it: sent, never again to them; the refused address is said, once.
        note = (
            "not delivered to " + ", ".join(f"{a} ({why})" for a, why in refused.items())
            if refused
            else None
        )
        return Delivered(msg["Message-ID"], note)

    def alerts(self, notice: AlertNotice) -> Delivered:
        return self._send(self._alerts(notice))

    def digest(self, notice: DigestNotice) -> Delivered:
        return self._send(self._digest(notice))

    def preview(self, notice: AlertNotice | DigestNotice, outbox: Path | None) -> Preview:
        if isinstance(notice, AlertNotice):
            msg = self._alerts(notice)
            name = outbox_name(notice.athlete, notice.day.isoformat(), notice.alerts[0].rule)
        else:
            msg = self._digest(notice)
            name = outbox_name(notice.coach, notice.day.isoformat(), "digest")
        body = msg.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        written = write_outbox(msg, outbox, name) if outbox else None
        return Preview(f"To: {msg['To']}\nSubject: {msg['Subject']}\n\n{text}", written)
