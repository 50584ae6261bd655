"""Answers from respondents an item is not asked of (`asked_of`), in a responses file.

A responses CSV may carry the optional `organisation_kind` column. Where it does, an answer to an
item not asked of the row's kind of organisation is set aside (blanked) while reading, so that
scoring and the rules treat it as not asked: not "don't know", not in `answered` or `unknown`,
not in the denominators of answer shares. The file still reads; each item set aside gets a note.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses.columns import comment_column

# Where `read_responses` leaves its notes (not problems: the file was read) on the table it returns.
NOTES = "notes"
_SHOWN_ROWS = 10


def reading_notes(df: pd.DataFrame) -> list[str]:
    """The notes `read_responses` left on a table: answers set aside as not asked."""
    return list(df.attrs.get(NOTES, []))


def set_aside_not_asked(out: dict[str, Any], kinds: np.ndarray | None, questionnaire: Questionnaire,
                        rownums: np.ndarray, path: str) -> list[str]:
    """Blank, in the columns `out` holds, the answers (and their comments) given to items not
    asked of the row's kind of organisation (`Item.is_asked_of` decides; None: kind not known,
    asked everything); one note per item naming the rows set aside."""
    if kinds is None:
        return []
    notes: list[str] = []
    for item in questionnaire.limited_items:
        col = out[item.id]  # a float array (likert) or an object Series
        given = ~np.asarray(pd.isna(col), dtype=bool)
        not_asked = np.array([k is not None and not item.is_asked_of(k) for k in kinds], dtype=bool)
        hit = given & not_asked
        if not hit.any():
            continue
        out[item.id] = _blanked(col, hit, np.nan if item.type == "likert" else None)
        comment = comment_column(item.id)
        if comment in out:
            out[comment] = _blanked(out[comment], hit, None)
        rows = [str(int(r)) for r in rownums[hit]]
        more = f" and {len(rows) - _SHOWN_ROWS} more" if len(rows) > _SHOWN_ROWS else ""
        whom = ", ".join(sorted({str(k) for k in kinds[hit]}))
        notes.append(f"{path}: column {item.id}: this item is asked only of {', '.join(item.asked_of)} "
                     f"organisations; the answers in row(s) {', '.join(rows[:_SHOWN_ROWS])}{more} "
                     f"(from {whom}) were set aside as not asked")
    return notes


def _blanked(col: Any, hit: np.ndarray, blank: Any) -> Any:
    """The column with the cells at `hit` blank, of the same type as it came."""
    if isinstance(col, pd.Series):
        return col.where(~hit, blank)
    values = np.array(col, copy=True)
    values[hit] = blank
    return values
