"""Response tables: CSV import (all problems at once, all-or-nothing), template and safe export.

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

Validation is vectorised per column (pandas masks); a `Problem` is built only for the cells
that are wrong, and at most `MAX_PROBLEMS` of them, so a 12,000-row file checks in a fraction
of a second even when every cell is bad.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from healthcheck.core.csvsafe import neutralise_frame
from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import LEVELS
from healthcheck.core.questionnaire import Item, Questionnaire

DONT_KNOW = 0.0
META_COLUMNS: tuple[str, ...] = ("respondent", "organisation", "level", "role", "partnership")
REQUIRED_COLUMNS: tuple[str, ...] = ("respondent", "organisation", "level")
COMMENT_SUFFIX = "_comment"
MAX_TEXT = 5_000
MAX_PROBLEMS = 200
# Limits that keep a hostile or mistaken file from exhausting memory or time: checked while
# reading, so a file over a limit is refused before it is all taken in. A funder's portfolio of
# 1,000 partnerships x 12 respondents (the benchmark) is 12,000 rows and about 3 MB.
MAX_FILE_BYTES = 50_000_000
MAX_ROWS = 50_000
MAX_COLUMNS = 1_000
MAX_NAME = 200  # respondent, organisation, role and partnership (the store keeps 200 characters)
DEFAULT_NAME = "responses.csv"

_SAVE_AS = "in Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)'"
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


# ----------------------------------------------------------------------------- columns


def comment_column(item_id: str) -> str:
    return item_id + COMMENT_SUFFIX


def comment_items(questionnaire: Questionnaire) -> tuple[Item, ...]:
    """Items that ask for a comment (and so have a `<item>_comment` column)."""
    return tuple(i for i in questionnaire.items if i.comment_prompt_below is not None)


def columns_of(questionnaire: Questionnaire) -> list[str]:
    """The canonical column order of a response table (and of the template and export)."""
    return [*META_COLUMNS, *(i.id for i in questionnaire.items),
            *(comment_column(i.id) for i in comment_items(questionnaire))]


def template_csv(questionnaire: Questionnaire) -> str:
    """The header row of an empty responses file for `questionnaire`, with a newline."""
    return _write_csv([columns_of(questionnaire)])


def _write_csv(rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


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


def _show(value: Any, limit: int = 40) -> str:
    text = str(value)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(text) if text.strip() != text or not text else f"'{text}'"


def _letters(position: int) -> str:
    """Spreadsheet column letters of a 0-based position (0 -> A, 26 -> AA)."""
    out = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        out = chr(65 + rem) + out
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ----------------------------------------------------------------------------- reading


_TOO_LARGE = (f"the file is larger than the {MAX_FILE_BYTES // 1_000_000} MB limit: split it into "
              "smaller files (for example one per partnership)")


def _read_bytes(source: str | Path | bytes, name: str | None) -> tuple[str, bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) > MAX_FILE_BYTES:
            raise InputError([Problem(name or DEFAULT_NAME, _TOO_LARGE)])
        return name or DEFAULT_NAME, bytes(source)
    path = Path(source)
    shown = name or str(source)
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:  # refused before reading
            raise InputError([Problem(shown, _TOO_LARGE)])
        return shown, path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(shown, "no such file")]) from None
    except IsADirectoryError:
        raise InputError([Problem(shown, "this is a folder, not a CSV file")]) from None
    except OSError as exc:
        raise InputError([Problem(shown, f"cannot read the file ({exc.strerror or exc})")]) from None


# Files people pick by mistake, by their first bytes: named so the message says what they are.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"), (b"{\\rtf", "an RTF document"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel workbook (.xls) or another Office file"),
    (b"\x1f\x8b", "a compressed (gzip) file"), (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_MARKUP = (("<!doctype html", "a web page (HTML)"), ("<html", "a web page (HTML)"),
           ("<table", "a web page (HTML)"), ("<?xml", "an XML file"))
# Invisible characters that sneak into header cells (a second BOM, zero-width spaces).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: text in the Latin range puts a zero byte in every other position."""
    head = data[:2000]
    even, odd = head[0::2], head[1::2]
    if len(head) < 8:
        return False
    return odd.count(0) > 0.4 * len(odd) > 0 and even.count(0) < 0.1 * len(even) or \
        even.count(0) > 0.4 * len(even) > 0 and odd.count(0) < 0.1 * len(odd)


def _decode(data: bytes, path: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise InputError([Problem(path, "this is an Excel workbook (or another zip file), not a CSV "
                                        f"file: {_SAVE_AS}")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        raise InputError([Problem(path, f"the file is saved as UTF-16 text, not UTF-8: {_SAVE_AS}")])
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise InputError([Problem(path, f"this is {what}, not a CSV file: choose the responses file "
                                            f"itself ({_SAVE_AS})")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise InputError([Problem(
            path, f"the file is not UTF-8 text (byte 0x{byte:02X} cannot be read; it may have been "
                  f"saved in another encoding, such as Windows Latin-1): {_SAVE_AS}",
            line=line)]) from None
    start = text[:200].lstrip().lower()
    for opening, what in _MARKUP:
        if start.startswith(opening):
            raise InputError([Problem(path, f"this is {what}, not a CSV file: download or save the "
                                            f"responses as CSV ({_SAVE_AS})")])
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError([Problem(path, "the file holds binary data (a zero byte), not CSV text: "
                                        f"{_SAVE_AS}", line=line)])
    return text


_END = "\x00"  # cannot occur in the text (_decode refuses zero bytes)


def _parse(text: str, path: str) -> list[list[str]]:
    """CSV records, refusing early (with the row) a file over the row or column limit.

    An end marker is appended to the text: if a quote mark opens a cell that is never closed,
    the csv module silently reads the rest of the file into that cell, marker included.
    """
    ending = "" if text.endswith(("\n", "\r")) else "\n"
    reader = csv.reader(io.StringIO(text + ending + _END, newline=""), strict=False)
    records: list[list[str]] = []
    try:
        for record in reader:
            if len(record) > MAX_COLUMNS:
                if any(c.strip() for c in record[MAX_COLUMNS:]):
                    what = "the header row has" if not records else "this row has"
                    raise InputError([Problem(path, f"{what} {len(record):,} cells: a file may have at most "
                                                    f"{MAX_COLUMNS:,} columns", row=len(records) + 1)])
                record = record[:MAX_COLUMNS]  # trailing empty cells only: harmless
            records.append(record)
            if len(records) > MAX_ROWS + 1 and record != [_END]:  # the header and MAX_ROWS rows
                raise InputError([Problem(path, f"the file has more than {MAX_ROWS:,} rows of responses "
                                                f"(the limit is {MAX_ROWS:,}): split it into smaller files",
                                          row=len(records))])
    except csv.Error as exc:
        reason = str(exc)
        if "field larger than field limit" in reason:
            reason = (f"a cell is longer than {csv.field_size_limit():,} characters, the most a cell "
                      f"may hold (answers and comments hold at most {MAX_TEXT:,})")
        raise InputError([Problem(path, f"the file could not be read as CSV ({reason}); check for "
                                        "a quote mark (\") that is never closed",
                                  row=len(records) + 1)]) from None
    if records and records[-1] == [_END]:
        records.pop()
    elif records:
        raise InputError([Problem(path, "a quote mark (\") opens a cell in this row that is never closed, "
                                        "so the rest of the file would be read as one cell: add the "
                                        "closing quote mark or remove the opening one",
                                  row=len(records))])
    return records


def _known_columns(questionnaire: Questionnaire) -> dict[str, str]:
    """Accepted header name -> kind (meta / likert / choice / text / comment)."""
    known: dict[str, str] = {c: "meta" for c in META_COLUMNS}
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
                         f"{_letters(first)} and {_letters(j)}): keep only one", row=1,
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
    path, data = _read_bytes(source, name)
    text = _decode(data, path)
    if not text.strip():
        raise InputError([Problem(path, "the file is empty: it should start with a header row of "
                                        "column names (download the template)")])
    records = _parse(text, path)
    header = records[0] if records else []
    named = [h for h in header if h.strip()]
    if not named:
        raise InputError([Problem(path, "the first row is empty: it must hold the column names "
                                        "(download the template)", row=1)])
    if named[0].strip().lower().startswith("sep=") and len(named) <= 2:
        raise InputError([Problem(path, f"the first line '{_show(','.join(header))[1:-1]}' is a hint for "
                                        "Excel, not the column names: delete that line (and separate "
                                        "the columns with commas)", row=1)])
    if len(named) == 1:
        for sep, what in ((";", "semicolons"), ("\t", "tabs")):
            if sep in named[0]:
                raise InputError([Problem(
                    path, f"the columns are separated by {what}, not commas: use commas "
                          f"({_SAVE_AS})", row=1)])

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
            problems.add(f"column {_letters(j)} has values (first in row {int(rownums[mask][0])}) but "
                         "no name in the header row: add the column name or delete the column",
                         row=1, column=_letters(j), order=j)

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

    problems.raise_if_any()
    if progress is not None:
        progress(total, total)
    return pd.DataFrame(out, columns=columns_of(questionnaire))


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
    return (f"respondent {_show(respondent)} is already used in row {first}{where}: each "
            "respondent must appear only once")


def _level_message(value: str) -> str:
    if not value:
        return f"the level is blank: use one of {_LEVEL_LIST}"
    return f"{_show(value)} is not a level: use one of {_LEVEL_LIST}"


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
                   lambda v: f"{_show(v)} is not an answer on the 1-5 scale: {_LIKERT_HELP}")
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
                   lambda v: f"{_show(v)} is not a choice of {item.id}: use one of {allowed}, "
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


# ----------------------------------------------------------------------------- records


def record_problems(records: list[dict[str, Any]], questionnaire: Questionnaire) -> list[Problem]:
    """What is wrong with answer records for this questionnaire, by record ("response N"): an
    unknown item, a comment on an item that asks for none, an answer of the wrong kind. Looks only
    at the answers given, so the store can check thousands of records before writing them."""
    problems: list[Problem] = []
    commented = {i.id for i in comment_items(questionnaire)}
    choices = {i.id: {c.id for c in i.choices} for i in questionnaire.items if i.type == "choice"}
    for n, record in enumerate(records, start=1):
        where = f"response {n}"
        for key, value in (record.get("answers") or {}).items():
            item = questionnaire.item_by_id.get(key)
            if item is None:
                problems.append(Problem(where, f"'{key}' is not an item of questionnaire {questionnaire.id}"))
            elif _blank(value) or item.type == "text":
                continue
            elif item.type == "likert":
                if not (isinstance(value, str) and value.strip().lower() == "dk") and not (
                        isinstance(value, int | float) and not isinstance(value, bool)
                        and value in (1, 2, 3, 4, 5)):
                    problems.append(Problem(where, f"{item.id}: {_show(value)} is not an answer on the "
                                                   "1-5 scale"))
            elif not isinstance(value, str) or value not in choices[item.id]:
                problems.append(Problem(where, f"{item.id}: {_show(value)} is not a choice "
                                               f"({', '.join(c.id for c in item.choices)})"))
        for key in record.get("comments") or {}:
            if key not in commented:
                problems.append(Problem(where, f"item '{key}' does not ask for a comment"))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems[:MAX_PROBLEMS]


def frame_from_records(records: list[dict[str, Any]], questionnaire: Questionnaire,
                       partnership: str = "") -> pd.DataFrame:
    """The canonical table from answer records (the app's and the store's shape).

    A record: `{"respondent", "organisation", "level", "role", "answers": {item: 1-5 | "dk" |
    choice id | text}, "comments": {item: text}}`, optionally `"partnership"` (else the
    argument). Missing answers become NaN / None. An answer of the wrong kind raises InputError.
    """
    problems = record_problems(records, questionnaire)
    if problems:
        raise InputError(problems)
    out: dict[str, list[Any]] = {c: [] for c in columns_of(questionnaire)}
    commented = [i.id for i in comment_items(questionnaire)]
    for record in records:
        out["respondent"].append(str(record.get("respondent") or ""))
        out["organisation"].append(str(record.get("organisation") or ""))
        out["level"].append(str(record.get("level") or ""))
        role = record.get("role")
        out["role"].append(str(role) if role not in (None, "") else None)
        part = record.get("partnership")
        out["partnership"].append(str(part) if part not in (None, "") else partnership)
        answers = record.get("answers") or {}
        comments = record.get("comments") or {}
        for item in questionnaire.items:
            out[item.id].append(_record_value(item, answers.get(item.id)))
        for item_id in commented:
            text = comments.get(item_id)
            out[comment_column(item_id)].append(str(text) if text not in (None, "") else None)
    frame: dict[str, Any] = {}
    for col, values in out.items():
        item = questionnaire.item_by_id.get(col)
        if item is not None and item.type == "likert":
            frame[col] = np.asarray(values, dtype=np.float64)
        else:
            frame[col] = pd.Series(values, dtype=object)
    return pd.DataFrame(frame, columns=columns_of(questionnaire))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _record_value(item: Item, value: Any) -> Any:
    """A checked answer (see `record_problems`) as the table holds it."""
    if _blank(value):
        return np.nan if item.type == "likert" else None
    if item.type == "likert":
        return DONT_KNOW if isinstance(value, str) else float(value)
    return value if item.type == "choice" else str(value)


def records_from_frame(df: pd.DataFrame, questionnaire: Questionnaire) -> list[dict[str, Any]]:
    """The answer records of a canonical table (inverse of `frame_from_records`).

    Likert answers come back as int 1-5 or "dk"; unanswered items and empty comments are left
    out. Each record also carries its `partnership`.
    """
    records: list[dict[str, Any]] = []
    likert = [i.id for i in questionnaire.likert_items]
    other = [i.id for i in questionnaire.items if i.type != "likert"]
    commented = [i.id for i in comment_items(questionnaire)]
    for row in df.to_dict("records"):
        answers: dict[str, Any] = {}
        for item_id in likert:
            v = row.get(item_id)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            answers[item_id] = "dk" if v == DONT_KNOW else int(v)
        for item_id in other:
            v = row.get(item_id)
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                answers[item_id] = v
        comments = {}
        for item_id in commented:
            v = row.get(comment_column(item_id))
            if isinstance(v, str) and v:
                comments[item_id] = v
        role = row.get("role")
        records.append({
            "respondent": row["respondent"],
            "organisation": row["organisation"],
            "level": row["level"],
            "role": role if isinstance(role, str) and role else None,
            "partnership": row.get("partnership") or "",
            "answers": answers,
            "comments": comments,
        })
    return records


def split_partnerships(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One table per partnership, in order of first appearance, each indexed from 0."""
    if df.empty:
        return {}
    out: dict[str, pd.DataFrame] = {}
    for name, group in df.groupby("partnership", sort=False, dropna=False):
        out[str(name)] = group.reset_index(drop=True)
    return out


# ----------------------------------------------------------------------------- export


def export_csv(df: pd.DataFrame, questionnaire: Questionnaire) -> str:
    """An anonymised responses CSV for download, safe to open in a spreadsheet.

    Respondent ids are replaced by R1..Rn, numbered in a stable order that is not the order
    of submission (organisation, level, then a hash of the row's content). "Don't know" is
    written as `dk`. Every cell goes through `csvsafe.neutralise`.
    """
    columns = columns_of(questionnaire)
    table = df.reindex(columns=columns).reset_index(drop=True)
    for col in META_COLUMNS:
        table[col] = table[col].astype(object).where(table[col].notna(), "")
    # Content first, then the id: knowing the ids alone does not give their R-numbers.
    content = pd.util.hash_pandas_object(table.drop(columns=["respondent"]).astype(object),
                                         index=False).to_numpy()
    who = pd.util.hash_pandas_object(table["respondent"].astype(str), index=False).to_numpy()
    order = (pd.DataFrame({"o": table["organisation"].astype(str), "l": table["level"].astype(str),
                           "c": content, "w": who})
             .sort_values(["o", "l", "c", "w"], kind="stable").index)
    table = table.loc[order].reset_index(drop=True)
    table["respondent"] = [f"R{k}" for k in range(1, len(table) + 1)]
    table["role"] = table["role"].where(table["role"] != "", None)
    words = {float(v): str(v) for v in range(1, 6)}
    words[DONT_KNOW] = "dk"
    for item in questionnaire.likert_items:
        table[item.id] = pd.Series(table[item.id], dtype=np.float64).map(words).astype(object)
    safe = neutralise_frame(table)
    return _write_csv([columns, *safe.itertuples(index=False, name=None)])
