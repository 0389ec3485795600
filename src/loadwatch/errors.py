"""Exceptions that carry their data and write their own one-line message.

The CLI is the only place where these become text and exit codes; the library raises them.
"""

from __future__ import annotations

from pathlib import Path


class LoadwatchError(Exception):
    """Base of every error a user may see as one line."""

    exit_code = 1


class UnreadableFile(LoadwatchError):
    """A file that cannot become activities: corrupt, truncated, foreign or unsupported."""

    def __init__(self, path: Path | str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):
        # Picklable with its own arguments, so it can cross a process pool.
        return (type(self), (self.path, self.reason))


class NotAnActivity(UnreadableFile):
    """A valid file that holds no activity (settings, monitoring, workout, route...): skipped."""


class ConfigError(LoadwatchError):
    """A bad configuration value; names the key so the user can find it."""

    exit_code = 2

    def __init__(self, key: str, message: str, problems: tuple[tuple[str, str], ...] = ()):
        self.key = key
        self.message = message
        self.problems = problems or ((key, message),)
        super().__init__(f"config: {key}: {message}" if key else f"config: {message}")

    @classmethod
    def many(cls, problems: list[tuple[str, str]], path: Path | None) -> ConfigError:
        """Every problem of a config at once, one per line (the CLI prefixes each line)."""
        where = str(path) if path else "the config"
        if len(problems) == 1:
            key, msg = problems[0]
            return cls(key, f"{msg} ({where})" if path else msg)
        lines = "\n".join(f"config: {k}: {m}" for k, m in problems)
        return cls("", f"{len(problems)} problems in {where}:\n{lines}", tuple(problems))

    def __reduce__(self):
        return (type(self), (self.key, self.message, self.problems))


class NotFound(LoadwatchError):
    """An athlete, shoe or activity named on the command line does not exist."""

    exit_code = 2


class UsageError(LoadwatchError):
    """A value given on the command line that cannot be used (a day ten thousand years away)."""

    exit_code = 2


class StoreError(LoadwatchError):
    """The database cannot be opened or is of a newer schema than this program knows."""


class SendFailed(LoadwatchError):
    """A channel refused the message (the SMTP server, a push service): the alerts stay pending
    on it."""

    exit_code = 1


class ChannelUnavailable(SendFailed):
    """A delivery channel (the SMTP server, a push service) could not be reached or said 'try
    later': what it should carry stays pending on it and the next run sends."""

    exit_code = 75  # EX_TEMPFAIL: cron and systemd read it as "try again"


class SmtpRefusesUs(SendFailed):
    """The server refuses loadwatch itself (login, certificate, no TLS): no message can go."""


class SmtpUnavailable(ChannelUnavailable):
    """The SMTP server could not be reached or answered 'try later': the next run sends."""


class LockBusy(LoadwatchError):
    """Another check holds the lock; this one steps aside."""

    exit_code = 75
