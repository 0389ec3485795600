"""What a name or an email address may hold.

Names reach email headers, HTML pages, terminals and file names. A line break in a shoe's name
once became a `Bcc:` header attempt and stopped every alert of the club; a bidi override makes
a name read backwards on a page. So names are refused at entry (the CLI, the web, the config)
and cleaned where an import brings them from a platform's export (a shoe in Strava's
`shoes.csv` is kept, not lost, with its control characters turned into spaces).
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 100
# Bidirectional embeddings, overrides and isolates: they reorder what a reader sees.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
# An address as mail systems take it: one @, no spaces or brackets, a domain with a dot
# (or localhost, for a test server). Deliberately not the whole of RFC 5322.
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@(localhost|[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\".]+)")


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI


def name_problem(text: str, what: str = "name") -> str | None:
    """Why `text` cannot be a name, or None."""
    if not text.strip():
        return f"the {what} is empty"
    bad = next((ch for ch in text if _unsafe(ch)), None)
    if bad is not None:
        return f"the {what} {text!r} holds a control character (U+{ord(bad):04X}); use plain text"
    if len(text) > MAX_NAME:
        return f"the {what} is {len(text)} characters long (at most {MAX_NAME})"
    return None


MAX_TEXT = 500


def text_problem(text: str, what: str = "text", max_len: int = MAX_TEXT) -> str | None:
    """Why `text` cannot be a free-text field (a pain report's where or note), or None: the
    same characters as a name, but longer (it is shown on pages and in emails too)."""
    bad = next((ch for ch in text if _unsafe(ch)), None)
    if bad is not None:
        return f"the {what} {text!r} holds a control character (U+{ord(bad):04X}); use plain text"
    if len(text) > max_len:
        return f"the {what} is {len(text)} characters long (at most {max_len})"
    return None


def email_problem(address: str) -> str | None:
    """Why `address` cannot be an email address, or None."""
    bad = next((ch for ch in address if _unsafe(ch)), None)
    if bad is not None:
        return f"the email address {address!r} holds a control character (U+{ord(bad):04X})"
    if not _EMAIL.fullmatch(address):
        return f"{address!r} is not an email address like ana@example.com"
    return None


def cleaned(text: str) -> str:
    """`text` with every run of control characters (and the spaces beside it) as one space."""
    if not any(_unsafe(ch) for ch in text):
        return text
    return " ".join("".join(" " if _unsafe(ch) else ch for ch in text).split())
