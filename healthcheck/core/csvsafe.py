"""Neutralise spreadsheet formulas in exported cells (CSV injection).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return may be run as a formula
when the exported file is opened in a spreadsheet (OWASP "CSV Injection"). Every export in the
project passes its cells through `neutralise`, which prefixes such cells with an apostrophe so
the spreadsheet shows them as text. The full-width forms of the four characters are treated the
same way, because some spreadsheet programs read them as formula starters too.
"""

from __future__ import annotations

import math
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
