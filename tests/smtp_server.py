"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 with STARTTLS and AUTH, its certificate
from a throw-away CA (trustme) that the client trusts through `smtp.ca_file`."""

from __future__ import annotations

import email
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "coach@example.com"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Addresses that start with "refused" do not exist; "later" ones are over quota."""
        if address.startswith("refused"):
            return "550 5.1.1 no such user"
        if address.startswith("later"):
            return "451 4.2.2 mailbox over quota, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=default
        )
        with self.lock:
            self.messages.append(msg)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


class SmtpServer:
    def __init__(self, tmp: Path, implicit_tls: bool = False):
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = tmp / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self.inbox = Inbox()
        self.port = free_port()
        kwargs = dict(
            hostname="127.0.0.1", port=self.port, authenticator=authenticator, auth_required=True
        )
        if implicit_tls:
            self.controller = Controller(
                self.inbox, ssl_context=ctx, auth_require_tls=False, **kwargs
            )
        else:
            self.controller = Controller(
                self.inbox, tls_context=ctx, require_starttls=True, **kwargs
            )
        self.security = "ssl" if implicit_tls else "starttls"

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.inbox.lock:
            return list(self.inbox.messages)

    def config(self, password_env: str = "LW_TEST_SMTP_PASSWORD") -> str:
        return (
            f'[smtp]\nhost = "127.0.0.1"\nport = {self.port}\nsecurity = "{self.security}"\n'
            f'username = "{USER}"\npassword_env = "{password_env}"\n'
            f'from = "loadwatch <alerts@loadwatch.test>"\nca_file = "{self.ca_file}"\ntimeout_s = 10\n'
        )
