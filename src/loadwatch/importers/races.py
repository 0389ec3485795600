"""Runs whose name says race: listed for a look, never marked by a guess.

A race stays in the load but should not be the longest run later runs are compared with (two
weeks after a marathon, "a run up to 46.4 km today" is no guidance). Only the runner knows a run
was raced, so a name that says so (marathon, half, 10k, parkrun, race) puts the run on the
"needs a look" list, and `loadwatch activities edit ID --race` marks it.
"""

from __future__ import annotations

import re

# "Halbmarathon" and "semi-marathon" too; "halfway" and "10 km easy" not.
RACE_WORDS = re.compile(r"marathon|\bhalf\b|\b10\s?k\b|parkrun|\brac(e|es|ing)\b", re.IGNORECASE)


def race_look(name: str | None) -> str | None:
    """Why a run named `name` needs a look, or None."""
    if not name or not RACE_WORDS.search(name):
        return None
    return (
        f"named {name!r}: a race? 'loadwatch activities edit ID --race' keeps it in the load "
        "but out of the longest run later runs are compared with"
    )
