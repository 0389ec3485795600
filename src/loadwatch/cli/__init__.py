"""The `loadwatch` command: a thin click shell over `App`, a module per command group (each
loaded when one of its commands runs, see `main.COMMAND_MODULES`)."""

from .main import main

__all__ = ["main"]
