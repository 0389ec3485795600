"""Accounts runs can be fetched from (one module per service). A client speaks the service's
published API and returns typed answers or raises `SourceFailed` with one line of reason; what
to store, and how far the cursor moves, is decided by `pull.py`."""

from .base import RemoteActivity, SourceFailed

__all__ = ["RemoteActivity", "SourceFailed"]
