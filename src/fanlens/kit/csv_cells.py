"""Every CSV fanlens writes (API, dashboard and outreach exports) goes through `cell`: lists
joined, objects as JSON, and text a spreadsheet would run as a formula escaped."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

LIST_SEPARATOR = "|"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def cell(value: Any) -> Any:
    """A JSON value as one CSV cell: lists joined by '|', objects as JSON, null as empty;
    text a spreadsheet would run as a formula is escaped (see `defused`)."""
    text = _flat(value)
    return defused(text) if isinstance(text, str) else text


def _flat(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(_flat(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return value


def defused(text: str) -> str:
    """Text starting with = + - @ tab or CR gets a leading ' (OWASP's advice against formula
    injection): a spreadsheet shows it as text instead of running it. A plain number such as
    -3 or -0.25 is left alone, so numbers (and decimals the JSON carries as text) stay numbers."""
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_rows(out: TextIO, columns: list[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows of dicts as CSV with a header, each value made a safe cell (for small exports)."""
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([cell(row.get(c)) for c in columns] for row in rows)
