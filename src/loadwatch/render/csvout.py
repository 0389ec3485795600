"""Rows as CSV, for a spreadsheet or another tool: the same fields the JSON gives.

Nested values (an alert's numbers, an edit's recorded values) become one JSON text cell, so every
row has the same columns and nothing is lost. A cell that a spreadsheet would run as a formula
(`=`, `+`, `-`, `@` first) is prefixed with `'`, since a name or a reason can be typed by anyone
with access to a file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def to_csv(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> str:
    """`columns` fixes the header when there may be no rows."""
    rows = list(rows)
    if columns is None:
        columns = list(rows[0]) if rows else []
    if not columns:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()
