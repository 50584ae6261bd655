"""Neutralise spreadsheet formulas in exported cells (CSV injection).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return may be run as a formula
when the exported file is opened in a spreadsheet (OWASP "CSV Injection"). Every export in the
project passes its cells through `neutralise`, which prefixes such cells with an apostrophe so
the spreadsheet shows them as text. The full-width forms of the four characters are treated the
same way, because some spreadsheet programs read them as formula starters too. Numbers are not
text: `csv_cell` writes them as numbers (a negative number is not a formula).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import pandas as pd

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PATTERN = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_STARTS) + "]"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def neutralise(value: Any) -> str:
    """The text of one cell, safe to open in a spreadsheet; missing values become ""."""
    if _is_missing(value):
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_cell(value: Any) -> str:
    """One CSV cell: a number written as a number (a spreadsheet reads "-1.2" as minus 1.2, not as
    a formula, so it needs no apostrophe), any text through `neutralise`."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return ""
        return str(int(value)) if isinstance(value, numbers.Integral) else repr(number)
    return neutralise(value)


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` with every cell turned into safe text (object columns of str)."""
    out: dict[int, pd.Series] = {}
    for position in range(df.shape[1]):
        col = df.iloc[:, position].astype(object)
        missing = col.isna()
        text = col.where(~missing, "").astype(str)
        risky = text.str.match(_PATTERN).to_numpy(dtype=bool)
        text = text.astype(object)
        if risky.any():
            text[risky] = "'" + text[risky]
        out[position] = text
    result = pd.DataFrame(out, index=df.index)
    result.columns = df.columns
    return result
