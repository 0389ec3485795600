"""Kilometres or miles: the one place a distance in metres becomes words a person reads.

Everything below the renderers counts whole metres (rules judge `100·d ≤ 110·ref` in metres), so
a display rounding can never change a verdict. The renderers call these functions with the
reader's unit: the athlete's `units` setting, a coach's, or the CLI's `--units` flag.

Climb follows the distance: metres beside kilometres, feet beside miles (a US runner reads
"up 394 ft" beside "5.2 mi", not "up 120 m"). Stored climb stays metres; only `climb_amount`
turns it into feet, once, where it is shown."""

from __future__ import annotations

import math
from typing import Literal

Units = Literal["km", "mi"]
UNITS: tuple[Units, ...] = ("km", "mi")
METRES: dict[Units, float] = {"km": 1000.0, "mi": 1609.344}  # the international mile
FOOT_M = 0.3048  # the international foot, exactly


def parse(text: str | None, default: Units = "km") -> Units:
    """A stored or typed unit; anything else is the default (the store's CHECK keeps it clean)."""
    return "mi" if text == "mi" else "km" if text == "km" else default


def amount(m: float | None, units: Units) -> float | None:
    """Metres as a number of km or mi (for tables, charts and sums shown)."""
    if m is None or (isinstance(m, float) and math.isnan(m)):
        return None
    return m / METRES[units]


def metres(value: float, units: Units = "km") -> float:
    """A number of km or mi as metres, unrounded: the engine's distance basis (km) on its way
    into the rows, which carry metres so that only `amount` and `distance` turn them back.
    What a person types goes through `to_metres`."""
    return value * METRES[units]


def distance(m: float | None, units: Units, digits: int = 1, none: str = "-") -> str:
    """ "13.2 km" / "8.2 mi"; `none` for an unknown distance."""
    v = amount(m, units)
    return none if v is None else f"{v:.{digits}f} {units}"


def distance_down(m: float | None, units: Units, none: str = "-") -> str:
    """An "up to" distance, rounded down to a tenth: 5,950 m is "5.9 km", never a promised 6.0
    (and 1,609 m is "0.9 mi", not the mile it falls 0.344 m short of)."""
    v = amount(m, units)
    if v is None:
        return none
    tenths = math.floor(round(v * 10, 9))  # 5.9 km is 5,900 m exactly, not 5.8999...
    return f"{tenths / 10:.1f} {units}"


def pace(s_per_km: float | None, units: Units, none: str = "-", suffix: bool = True) -> str:
    """ "5:30 /km" or "8:51 /mi" from seconds per kilometre, in whole seconds cut (not rounded)
    as a watch shows them; without the "/km" where a column's head names it."""
    if s_per_km is None or (isinstance(s_per_km, float) and math.isnan(s_per_km)):
        return none
    # Rounded to a microsecond before the cut: a mile split of exactly 8:00 is 480 s, whatever
    # the float arithmetic through seconds per kilometre left behind (479.99999999...).
    s = math.floor(round(s_per_km * METRES[units] / 1000.0, 6))
    return f"{s // 60}:{s % 60:02d}" + (f" /{units}" if suffix else "")


def to_metres(value: float, units: Units) -> int:
    """A distance a person typed (a CLI option, a setting, an edit form), in km or mi, as the
    whole metres the rules count (`--mi 5` is 8,047 m): converted once, where it is typed."""
    return round(metres(value, units))


def climb_unit(units: Units) -> str:
    """Climb's unit for a distance unit: "ft" beside miles, "m" beside kilometres."""
    return "ft" if units == "mi" else "m"


def climb_amount(m: float | None, units: Units) -> float | None:
    """Metres of ascent or descent as a number of m or ft (for tables, curves and sums shown)."""
    if m is None or (isinstance(m, float) and math.isnan(m)):
        return None
    return m / FOOT_M if units == "mi" else m


def climb(m: float | None, units: Units, none: str = "-", suffix: bool = True) -> str:
    """ "120 m" / "394 ft", whole; without the unit where a column's head names it. Rounded
    from the tenth the JSON and the week and period sums hold, so a run of 125.45 m and its week
    both read 126 (the run read 125 beside its week's 126)."""
    v = climb_amount(None if m is None else round(m, 1), units)
    if v is None:
        return none
    return f"{v:.0f}" + (f" {climb_unit(units)}" if suffix else "")
