"""The canonical response table's columns, the limits on its cells, and how problems name cells.

The canonical in-memory table is a pandas DataFrame with one row per respondent and these
columns, in this order:

- `respondent`, `organisation`, `level` (funder | strategic | operational), `role` (str or
  None), `partnership` (str; the `partnership` argument when the file has no such column);
- one column per questionnaire item, in questionnaire order: likert items as float64 holding
  1.0-5.0, `DONT_KNOW` (0.0) for "don't know" and NaN when not answered; choice items as object
  (a choice id or None); text items as object (str or None);
- `<item>_comment` (object, str or None) for every item with `comment_prompt_below`.

Meta columns are object columns of str (role may be None). Scoring, the store and the app rely
on this shape; `columns_of(questionnaire)` gives the column order.
"""

from __future__ import annotations

from typing import Any

from healthcheck.core.questionnaire import Item, Questionnaire

DONT_KNOW = 0.0
META_COLUMNS: tuple[str, ...] = ("respondent", "organisation", "level", "role", "partnership")
REQUIRED_COLUMNS: tuple[str, ...] = ("respondent", "organisation", "level")
# An optional responses-file column: the kind of the respondent's organisation (a key of
# vocabulary.ORGANISATION_KINDS). With it, answers to items not asked of that kind are set aside
# as not asked; it is not kept in the canonical table (the answers it set aside are blank there).
KIND_COLUMN = "organisation_kind"
COMMENT_SUFFIX = "_comment"
MAX_TEXT = 5_000
MAX_NAME = 200  # respondent, organisation, role and partnership (the store keeps 200 characters)
MAX_PROBLEMS = 200  # the most problems one check lists (a file of bad cells stays readable)


def comment_column(item_id: str) -> str:
    return item_id + COMMENT_SUFFIX


def comment_items(questionnaire: Questionnaire) -> tuple[Item, ...]:
    """Items that ask for a comment (and so have a `<item>_comment` column)."""
    return tuple(i for i in questionnaire.items if i.comment_prompt_below is not None)


def columns_of(questionnaire: Questionnaire) -> list[str]:
    """The canonical column order of a response table (and of the template and export)."""
    return [*META_COLUMNS, *(i.id for i in questionnaire.items),
            *(comment_column(i.id) for i in comment_items(questionnaire))]


def show_value(value: Any, limit: int = 40) -> str:
    """A cell value as a problem message quotes it: shortened, and in repr form when it is empty or
    has spaces at either end (so they show)."""
    text = str(value)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(text) if text.strip() != text or not text else f"'{text}'"


def column_letters(position: int) -> str:
    """Spreadsheet column letters of a 0-based position (0 -> A, 26 -> AA)."""
    out = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        out = chr(65 + rem) + out
    return out
