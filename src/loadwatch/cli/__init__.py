"""The `loadwatch` command: a thin click shell over `App`, a module per command group."""

from . import activities, alerts, athletes, imports, report, shoes, web  # noqa: F401  (registers)
from .main import main

__all__ = ["main"]
