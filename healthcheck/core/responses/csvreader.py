"""Reading a responses CSV into the canonical table: all problems at once, all-or-nothing.

Validation is vectorised per column (pandas masks); a `Problem` is built only for the cells
that are wrong, and at most `MAX_PROBLEMS` of them, so a 12,000-row file checks in a fraction
of a second even when every cell is bad.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import LEVELS
from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.core.responses.asked import NOTES, set_aside_not_asked
from healthcheck.core.responses.columns import (
    COMMENT_SUFFIX,
    DONT_KNOW,
    KIND_COLUMN,
    MAX_NAME,
    MAX_PROBLEMS,
    MAX_TEXT,
    META_COLUMNS,
    REQUIRED_COLUMNS,
    column_letters,
    columns_of,
    comment_column,
    comment_items,
    show_value,
)
from healthcheck.core.responses.csvfile import SAVE_AS_CSV, decode_text, parse_records, read_bytes
from healthcheck.core.vocabulary import ORGANISATION_KINDS

_LEVEL_LIST = ", ".join(LEVELS)
_LIKERT_HELP = "use a whole number from 1 to 5, dk for don't know, or leave the cell blank"

# Exact cell texts accepted without any clean-up (the common case, looked up in one pass).
_LIKERT_EXACT: dict[str, float] = {
    **{str(n): float(n) for n in range(1, 6)},
    **{f"{n}.0": float(n) for n in range(1, 6)},
    "dk": DONT_KNOW,
    "DK": DONT_KNOW,
}
# Accepted after trimming spaces and lower-casing (curly apostrophes straightened).
_DONT_KNOW_WORDS = ("dk", "d/k", "don't know", "dont know", "do not know")
# Invisible characters that sneak into header cells (a second BOM, zero-width spaces).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


# ----------------------------------------------------------------------------- problems


@dataclass
class _CellBatch:
    rows: np.ndarray  # spreadsheet row numbers of the bad cells
    order: int  # column position, for sorting
    column: str | None
    values: np.ndarray  # the offending cell texts (or lengths)
    message: Callable[[Any], str]


class _Problems:
    """Problems collected while reading; built lazily so a file of bad cells stays fast."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.batches: list[_CellBatch] = []

    def add(self, message: str, row: int | None = None, column: str | None = None,
            order: int = -1) -> None:
        self.batches.append(_CellBatch(np.array([row if row is not None else 0]), order, column,
                                       np.array([message], dtype=object), lambda m: m))

    def cells(self, rows: np.ndarray, mask: np.ndarray, order: int, column: str | None,
              values: Any, message: Callable[[Any], str]) -> None:
        if not mask.any():
            return
        vals = np.asarray(values, dtype=object)[mask]
        self.batches.append(_CellBatch(rows[mask], order, column, vals, message))

    def __len__(self) -> int:
        return sum(len(b.rows) for b in self.batches)

    def raise_if_any(self) -> None:
        total = len(self)
        if total == 0:
            return
        rows = np.concatenate([b.rows for b in self.batches])
        orders = np.concatenate([np.full(len(b.rows), b.order) for b in self.batches])
        which = np.concatenate([np.full(len(b.rows), k) for k, b in enumerate(self.batches)])
        pos = np.concatenate([np.arange(len(b.rows)) for b in self.batches])
        keep = MAX_PROBLEMS if total <= MAX_PROBLEMS else MAX_PROBLEMS - 1
        chosen = np.lexsort((pos, which, orders, rows))[:keep]
        problems: list[Problem] = []
        for k in chosen:
            batch = self.batches[which[k]]
            row = int(rows[k])
            problems.append(Problem(self.path, batch.message(batch.values[pos[k]]),
                                    row=row if row > 0 else None, column=batch.column))
        if total > keep:
            problems.append(Problem(self.path, f"... and {total - keep:,} more problems"))
        raise InputError(problems)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ----------------------------------------------------------------------------- reading


def _known_columns(questionnaire: Questionnaire) -> dict[str, str]:
    """Accepted header name -> kind (meta / likert / choice / text / comment)."""
    known: dict[str, str] = {c: "meta" for c in (*META_COLUMNS, KIND_COLUMN)}
    for item in questionnaire.items:
        known[item.id] = item.type
    for item in comment_items(questionnaire):
        known[comment_column(item.id)] = "comment"
    return known


def _header_problems(header: list[str], questionnaire: Questionnaire, problems: _Problems
                     ) -> tuple[dict[str, int], list[int]]:
    """Map canonical column name -> position; report unknown, duplicated and missing columns."""
    known = _known_columns(questionnaire)
    positions: dict[str, int] = {}
    unnamed: list[int] = []
    suggest = MAX_PROBLEMS  # difflib per unknown column is slow: suggest only for those shown
    for j, raw in enumerate(header):
        label = _INVISIBLE.sub("", raw).strip()
        name = label.lower()
        if not name:
            unnamed.append(j)
            continue
        if name in positions:
            first = positions[name]
            problems.add(f"column '{label}' appears more than once in the header (columns "
                         f"{column_letters(first)} and {column_letters(j)}): keep only one", row=1,
                         column=name, order=j)
            continue
        if name not in known:
            problems.add(_unknown_message(label, name, questionnaire, known, suggest > 0), row=1,
                         column=label, order=j)
            suggest -= 1
            continue
        positions[name] = j
    for j, name in enumerate(REQUIRED_COLUMNS):
        if name not in positions:
            problems.add(f"the required column '{name}' is missing from the header row "
                         f"(required: {', '.join(REQUIRED_COLUMNS)})", row=1, column=name,
                         order=-len(REQUIRED_COLUMNS) + j - 1)
    return positions, unnamed


def _unknown_message(label: str, name: str, questionnaire: Questionnaire,
                     known: dict[str, str], suggest: bool = True) -> str:
    if name.endswith(COMMENT_SUFFIX) and name[: -len(COMMENT_SUFFIX)] in questionnaire.item_by_id:
        return (f"unknown column '{label}': item {name[: -len(COMMENT_SUFFIX)]} does not ask for a "
                f"comment in questionnaire {questionnaire.id}")
    message = f"unknown column '{label}': not an item of questionnaire {questionnaire.id}"
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75) if suggest else []
    if close:
        message += f" (did you mean '{close[0]}'?)"
    return message


def read_responses(source: str | Path | bytes, questionnaire: Questionnaire, *,
                   name: str | None = None, partnership: str = "",
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Read a responses CSV into the canonical table, or raise one InputError listing every problem.

    `source` is a file path, or the file's bytes (an upload); `name` is how problems refer to
    the file. Row numbers are spreadsheet rows (the header is row 1). Nothing is returned
    unless the whole file is valid.
    """
    path, data = read_bytes(source, name)
    text = decode_text(data, path)
    if not text.strip():
        raise InputError([Problem(path, "the file is empty: it should start with a header row of "
                                        "column names (download the template)")])
    records = parse_records(text, path)
    header = records[0] if records else []
    named = [h for h in header if h.strip()]
    if not named:
        raise InputError([Problem(path, "the first row is empty: it must hold the column names "
                                        "(download the template)", row=1)])
    if named[0].strip().lower().startswith("sep=") and len(named) <= 2:
        first = show_value(",".join(header))[1:-1]
        raise InputError([Problem(path, f"the first line '{first}' is a hint for Excel, not the column "
                                        "names: delete that line (and separate the columns with "
                                        "commas)", row=1)])
    if len(named) == 1:
        for sep, what in ((";", "semicolons"), ("\t", "tabs")):
            if sep in named[0]:
                raise InputError([Problem(
                    path, f"the columns are separated by {what}, not commas: use commas "
                          f"({SAVE_AS_CSV})", row=1)])

    problems = _Problems(path)
    positions, unnamed = _header_problems(header, questionnaire, problems)
    width = len(header)

    # Rows: drop blank ones (spreadsheets leave them), flag ones longer than the header.
    rows: list[list[str]] = []
    row_numbers: list[int] = []
    for index in range(1, len(records)):
        record = records[index]
        if not "".join(record).strip():
            continue
        if len(record) > width:
            extra = record[width:]
            if "".join(extra).strip():
                problems.add(f"this row has {len(record)} cells but the header has "
                             f"{_plural(width, 'column')}: remove the extra cells or add "
                             "their column names", row=index + 1, order=width)
            record = record[:width]
        elif len(record) < width:
            record = record + [""] * (width - len(record))
        rows.append(record)
        row_numbers.append(index + 1)

    n = len(rows)
    if n == 0:
        problems.add("the file has no responses: it holds only the header row", row=None)
        problems.raise_if_any()
    rownums = np.asarray(row_numbers, dtype=np.int64)
    columns = list(zip(*rows, strict=True))
    del rows

    items = questionnaire.items
    total = len(items) + len(comment_items(questionnaire)) + 2
    done = 1
    if progress is not None:
        progress(done, total)

    def cells(col: str) -> pd.Series | None:
        j = positions.get(col)
        return None if j is None else pd.Series(columns[j], dtype=object)

    for j in unnamed:
        blank = pd.Series(columns[j], dtype=object).str.strip() == ""
        mask = ~blank.to_numpy()
        if mask.any():
            problems.add(f"column {column_letters(j)} has values (first in row {int(rownums[mask][0])}) but "
                         "no name in the header row: add the column name or delete the column",
                         row=1, column=column_letters(j), order=j)

    out: dict[str, Any] = {}
    out.update(_meta_columns(cells, positions, rownums, n, partnership, problems))
    done += 1
    if progress is not None:
        progress(done, total)

    batch = max(1, total // 8)
    for item in items:
        col = cells(item.id)
        order = positions.get(item.id, 0)
        if item.type == "likert":
            out[item.id] = _likert(col, n, item, questionnaire, rownums, order, problems)
        elif item.type == "choice":
            out[item.id] = _choice(col, n, item, rownums, order, problems)
        else:
            out[item.id] = _text(col, n, item.id, rownums, order, problems)
        done += 1
        if progress is not None and done % batch == 0:
            progress(done, total)
    for item in comment_items(questionnaire):
        column = comment_column(item.id)
        out[column] = _text(cells(column), n, column, rownums, positions.get(column, 0), problems)
        done += 1
        if progress is not None and done % batch == 0:
            progress(done, total)

    kinds = _kinds(cells(KIND_COLUMN), rownums, positions.get(KIND_COLUMN, 0), problems)
    problems.raise_if_any()
    notes = set_aside_not_asked(out, kinds, questionnaire, rownums, path)
    if progress is not None:
        progress(total, total)
    df = pd.DataFrame(out, columns=columns_of(questionnaire))
    df.attrs[NOTES] = notes
    return df


def _kinds(col: pd.Series | None, rownums: np.ndarray, order: int, problems: _Problems) -> np.ndarray | None:
    """Each row's organisation kind (None where blank), from the optional kind column."""
    if col is None:
        return None
    raw = col.str.strip()
    kinds = raw.str.lower()
    bad = (~kinds.isin([*ORGANISATION_KINDS, ""])).to_numpy()
    known = ", ".join(ORGANISATION_KINDS)
    problems.cells(rownums, bad, order, KIND_COLUMN, raw,
                   lambda v: f"{show_value(v)} is not a kind of organisation; use one of: {known} "
                             "(or leave the cell blank)")
    return kinds.where(kinds != "", None).to_numpy(dtype=object)


def _meta_columns(cells: Callable[[str], pd.Series | None], positions: dict[str, int],
                  rownums: np.ndarray, n: int, partnership: str, problems: _Problems
                  ) -> dict[str, Any]:
    out: dict[str, Any] = {}

    part_col = cells("partnership")
    if part_col is None:
        parts = pd.Series([partnership] * n, dtype=object)
    else:
        parts = part_col.str.strip()
        _too_long(parts, rownums, positions["partnership"], "partnership", problems)
        parts = parts.where(parts != "", partnership)

    resp = cells("respondent")
    if resp is None:
        out["respondent"] = pd.Series([""] * n, dtype=object)
    else:
        resp = resp.str.strip()
        order = positions["respondent"]
        _too_long(resp, rownums, order, "respondent", problems)
        blank = (resp == "").to_numpy()
        problems.cells(rownums, blank, order, "respondent", resp,
                       lambda _v: "the respondent is blank: every row needs a respondent id "
                                  "(any text, different on every row)")
        key = parts + "\x1f" + resp
        dup = key.duplicated().to_numpy() & ~blank
        if dup.any():
            first_rows = pd.Series(rownums, index=key.to_numpy())[~key.duplicated().to_numpy()]
            firsts = first_rows.loc[key.to_numpy()[dup]].to_numpy()
            labels = np.empty(n, dtype=object)
            for k, v, f, p in zip(np.flatnonzero(dup), resp.to_numpy()[dup], firsts,
                                  parts.to_numpy()[dup], strict=True):
                labels[k] = (v, int(f), p)
            problems.cells(rownums, dup, order, "respondent", labels, _duplicate_message)
        out["respondent"] = resp

    org = cells("organisation")
    if org is None:
        out["organisation"] = pd.Series([""] * n, dtype=object)
    else:
        org = org.str.strip()
        _too_long(org, rownums, positions["organisation"], "organisation", problems)
        problems.cells(rownums, (org == "").to_numpy(), positions["organisation"], "organisation",
                       org, lambda _v: "the organisation is blank: say which organisation the "
                                       "respondent belongs to")
        out["organisation"] = org

    level = cells("level")
    if level is None:
        out["level"] = pd.Series([""] * n, dtype=object)
    else:
        raw = level.str.strip()
        level = raw.str.lower()
        bad = (~level.isin(list(LEVELS))).to_numpy()
        problems.cells(rownums, bad, positions["level"], "level", raw, _level_message)
        out["level"] = level

    role = cells("role")
    if role is None:
        out["role"] = pd.Series([None] * n, dtype=object)
    else:
        role = role.str.strip()
        _too_long(role, rownums, positions["role"], "role", problems)
        out["role"] = role.where(role != "", None)
    out["partnership"] = parts
    return out


def _too_long(col: pd.Series, rownums: np.ndarray, order: int, column: str, problems: _Problems) -> None:
    lengths = col.str.len().to_numpy()
    problems.cells(rownums, lengths > MAX_NAME, order, column, lengths,
                   lambda v: f"the {column} is {int(v):,} characters long: the limit is {MAX_NAME} "
                             "characters")


def _duplicate_message(value: tuple[str, int, str]) -> str:
    respondent, first, part = value
    where = f" of partnership '{part}'" if part else ""
    return (f"respondent {show_value(respondent)} is already used in row {first}{where}: each "
            "respondent must appear only once")


def _level_message(value: str) -> str:
    if not value:
        return f"the level is blank: use one of {_LEVEL_LIST}"
    return f"{show_value(value)} is not a level: use one of {_LEVEL_LIST}"


_INVALID = object()


def _decode_cells(col: pd.Series, decode: Callable[[str], Any], dtype: Any, missing: Any
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Decode a column by looking at its distinct cell texts only (a column has few of them).

    `decode` returns the value of one cell text, or `_INVALID`. Returns the values (invalid
    cells set to `missing`) and the mask of invalid cells.
    """
    codes, uniques = pd.factorize(col.to_numpy(dtype=object))
    decoded = [decode(u) for u in uniques]
    invalid = np.array([d is _INVALID for d in decoded], dtype=bool)
    table = np.array([missing if d is _INVALID else d for d in decoded], dtype=dtype)
    return table[codes], invalid[codes]


def _likert(col: pd.Series | None, n: int, item: Item, questionnaire: Questionnaire,
            rownums: np.ndarray, order: int, problems: _Problems) -> np.ndarray:
    if col is None:
        return np.full(n, np.nan)
    words = _likert_words(questionnaire)

    def decode(cell: str) -> Any:
        value = _LIKERT_EXACT.get(cell)
        if value is not None:
            return value
        cleaned = _clean(cell)
        if not cleaned:
            return np.nan
        return words.get(cleaned, _INVALID)

    values, bad = _decode_cells(col, decode, np.float64, np.nan)
    problems.cells(rownums, bad, order, item.id, col,
                   lambda v: f"{show_value(v)} is not an answer on the 1-5 scale: {_LIKERT_HELP}")
    return values


def _clean(cell: str) -> str:
    return cell.strip().lower().replace("\u2019", "'")


def _likert_words(questionnaire: Questionnaire) -> dict[str, float]:
    words: dict[str, float] = {k.lower(): v for k, v in _LIKERT_EXACT.items()}
    for i, label in enumerate(questionnaire.scale.labels, start=1):
        words.setdefault(_clean(label), float(i))
    for word in (*_DONT_KNOW_WORDS, _clean(questionnaire.scale.dont_know)):
        words.setdefault(word, DONT_KNOW)
    return words


def _choice(col: pd.Series | None, n: int, item: Item, rownums: np.ndarray, order: int,
            problems: _Problems) -> pd.Series:
    if col is None:
        return pd.Series([None] * n, dtype=object)
    ids = {c.id: c.id for c in item.choices}
    for c in item.choices:
        ids.setdefault(_clean(c.label), c.id)

    def decode(cell: str) -> Any:
        cleaned = _clean(cell)
        return ids.get(cleaned, _INVALID) if cleaned else None

    values, bad = _decode_cells(col, decode, object, None)
    allowed = ", ".join(c.id for c in item.choices)
    problems.cells(rownums, bad, order, item.id, col,
                   lambda v: f"{show_value(v)} is not a choice of {item.id}: use one of {allowed}, "
                             "or leave the cell blank")
    return pd.Series(values, dtype=object)


def _text(col: pd.Series | None, n: int, column: str, rownums: np.ndarray, order: int,
          problems: _Problems) -> pd.Series:
    if col is None:
        return pd.Series([None] * n, dtype=object)
    text = col.str.strip()
    lengths = text.str.len().to_numpy()
    problems.cells(rownums, lengths > MAX_TEXT, order, column, lengths,
                   lambda v: f"the text is {int(v):,} characters long: the limit is "
                             f"{MAX_TEXT:,} characters")
    return text.where(text != "", None)
