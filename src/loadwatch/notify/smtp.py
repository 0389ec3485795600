"""Deliver messages over SMTP (STARTTLS or implicit TLS with a verifying context; plain only to
localhost), or write them to an outbox folder as .eml for a dry run."""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path

from ..config import LOCAL_HOSTS, SmtpSettings
from ..errors import ConfigError, SendFailed, SmtpRefusesUs, SmtpUnavailable


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    ctx = ssl.create_default_context()  # verifies the certificate and the host name
    if settings.ca_file:
        ctx.load_verify_locations(cafile=str(settings.ca_file))
    return ctx


def password(settings: SmtpSettings) -> str | None:
    if not settings.username:
        return None
    value = os.environ.get(settings.password_env)
    if not value:
        raise ConfigError(
            "smtp.password_env", f"environment variable {settings.password_env} is not set"
        )
    return value


class Sender:
    """One SMTP session for a whole check: connect once, send many, close."""

    def __init__(self, settings: SmtpSettings):
        if not settings.host:
            raise ConfigError(
                "smtp.host", "no SMTP server configured (needed to send alerts; or use --dry-run)"
            )
        if settings.security == "none" and settings.host not in LOCAL_HOSTS:
            raise ConfigError("smtp.security", '"none" is only allowed for localhost')
        self.settings = settings
        self.host: str = settings.host
        self.client: smtplib.SMTP | None = None

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port_number}"

    def __enter__(self) -> Sender:
        s = self.settings
        secret = password(s)
        try:
            if s.security == "ssl":
                self.client = smtplib.SMTP_SSL(
                    self.host, s.port_number, timeout=s.timeout_s, context=tls_context(s)
                )
            else:
                self.client = smtplib.SMTP(self.host, s.port_number, timeout=s.timeout_s)
                self.client.ehlo()
                if s.security == "starttls":
                    self.client.starttls(context=tls_context(s))
                    self.client.ehlo()
            if s.username and secret is not None:
                self.client.login(s.username, secret)
        except smtplib.SMTPAuthenticationError as e:
            self._close()
            raise SmtpRefusesUs(
                f"SMTP login as {s.username!r} at {self._where()} was refused ({e.smtp_code}): "
                f"check the password in ${s.password_env}"
            ) from e
        except ssl.SSLCertVerificationError as e:
            self._close()
            raise SmtpRefusesUs(
                f"the certificate of {self._where()} is not trusted ({e.verify_message}); "
                "set smtp.ca_file for a private CA"
            ) from e
        except smtplib.SMTPNotSupportedError as e:
            self._close()
            raise SmtpRefusesUs(
                f'{self._where()} does not offer STARTTLS; use security = "ssl" or another port'
            ) from e
        except (OSError, smtplib.SMTPException) as e:
            self._close()
            raise SmtpUnavailable(f"SMTP server {self._where()} unavailable: {_reason(e)}") from e
        return self

    def send(self, msg: EmailMessage) -> dict[str, str]:
        """Send; returns the recipients the server refused (address -> its answer) when it
        accepted the others: a refused address costs that address, never the others' copy."""
        assert self.client is not None
        try:
            refused = self.client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as e:
            answers = ", ".join(f"{a} ({_answer(r)})" for a, r in e.recipients.items())
            if all(400 <= code < 500 for code, _ in e.recipients.values()):
                raise SmtpUnavailable(f"{self._where()} said try later for {answers}") from e
            raise SendFailed(f"{self._where()} refused every recipient: {answers}") from e
        except smtplib.SMTPResponseException as e:
            if 400 <= e.smtp_code < 500:
                raise SmtpUnavailable(f"{self._where()} said try later ({e.smtp_code})") from e
            raise SendFailed(
                f"{self._where()} refused the message ({e.smtp_code} {_reason(e)})"
            ) from e
        except (OSError, smtplib.SMTPException) as e:
            raise SmtpUnavailable(f"SMTP server {self._where()} went away: {_reason(e)}") from e
        return {address: _answer(answer) for address, answer in refused.items()}

    def _close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None

    def __exit__(self, *exc) -> None:
        self._close()


def _answer(answer: tuple[int, bytes]) -> str:
    code, text = answer
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _reason(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPResponseException):
        err = (
            e.smtp_error.decode(errors="replace")
            if isinstance(e.smtp_error, bytes)
            else str(e.smtp_error)
        )
        return f"{e.smtp_code} {err}"
    if isinstance(e, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    return str(e) or type(e).__name__


def outbox_name(*parts: str) -> str:
    """A file name a person can read (athlete-day-rule) in characters every file system and
    shell takes; a name that had to be changed gets a short hash of the original, so "ben?" and
    "ben/" (or "../ben") never share a file and none reaches outside the folder."""
    raw = "-".join(parts)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", raw).lstrip(".-")[:100] or "_"
    if safe != raw:
        safe += "-" + hashlib.sha256(raw.encode()).hexdigest()[:8]
    return safe + ".eml"


def write_outbox(msg: EmailMessage, folder: Path, name: str) -> Path:
    """A dry run's message as an .eml file (`name` from outbox_name)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(bytes(msg))
    return path
