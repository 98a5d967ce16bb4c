"""CSV files that are safe to open in a spreadsheet (OWASP, "CSV Injection").

Excel, LibreOffice and Google Sheets run a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and,
in some versions, a tab or carriage return) as a formula: a participant ID ``=HYPERLINK(…)`` or a
withdrawal reason typed by someone could run on the analyst's machine. Every CSV placebolab writes
goes through :func:`write_csv`, which puts a single quote ``'`` in front of such a text cell. Numbers
(numeric columns, and numbers inside mixed columns) are never changed: ``-3.5`` stays ``-3.5``. A text
cell that already begins with quotes followed by one of those characters (``'=x``) gets one more, so
:func:`unescape` (remove one leading quote) gives back exactly what was recorded.
"""

from __future__ import annotations

import numbers
import re
from pathlib import Path

import pandas as pd

from placebolab.files import atomic_file

#: What codebook.json records under ``csv_formula_prefix``: the prefix put in front of formula-like text.
PREFIX = "'"
_NEEDS_PREFIX = re.compile(r"'*[=+\-@\t\r]")
_ADDED_PREFIX = re.compile(r"^'(?='*[=+\-@\t\r])")


def escape_cell(value):
    """``'=1+1'`` → ``"'=1+1"``; numbers, missing values and other text unchanged.

    Examples
    --------
    >>> [escape_cell(v) for v in ["=SUM(A1)", "-5", "'@x", "P001", -3.5, None]]
    ["'=SUM(A1)", "'-5", "''@x", 'P001', -3.5, None]
    """
    if value is None or isinstance(value, numbers.Number):
        return value  # numbers (bool included) and NaN are written as numbers
    text = value if isinstance(value, str) else str(value)
    return PREFIX + text if _NEEDS_PREFIX.match(text) else text


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with every text cell escaped; numeric and boolean columns untouched."""
    safe = table.copy()
    for column in safe.columns:
        series = safe[column]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            safe[column] = series.astype(object).map(escape_cell, na_action="ignore")
    return safe


def unescape(series: pd.Series) -> pd.Series:
    """Undo :func:`escape_cell` on a column read as text (``'=x`` → ``=x``; ``''=x`` → ``'=x``)."""
    return series.str.replace(_ADDED_PREFIX, "", regex=True)


def write_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` as CSV (no index), spreadsheet-safe and atomically.

    Lines end in CRLF (RFC 4180): Python's csv writer quotes a cell holding a carriage return only when
    the line terminator contains one, and an unquoted CR would split the row for every reader.
    """
    with atomic_file(path, encoding="utf-8", newline="") as file:
        spreadsheet_safe(table).to_csv(file, index=False, lineterminator="\r\n")
    return Path(path)
