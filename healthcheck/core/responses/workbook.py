"""An XLSX upload read safely: its zip directory checked first, then its first sheet streamed.

A workbook is a zip archive, and a small archive can unpack to gigabytes (a "zip bomb"), or
declare a sheet of millions of cells. `check_archive` looks only at the archive's directory (the
sizes of its parts) and the first few kilobytes of each sheet (its declared dimension), so such
a file is refused in milliseconds, before the spreadsheet reader sees it, with a message naming
the limit. The limits live with the CSV limits in `csvfile`.

The declared sizes are also what bounds the unpacking: Python's zipfile never yields more bytes
of a part than the directory declares, so a part that lies about its size is cut short, not
inflated.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.responses.csvfile import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_PART_RATIO,
    MAX_PARTS,
    MAX_ROWS,
    MAX_SHARED_STRINGS_BYTES,
    MAX_UNPACKED_BYTES,
)

_RATIO_FLOOR = 1_000_000  # small parts (styles, themes) may pack tightly without harm
_HEAD_BYTES = 65_536  # the dimension comes before the sheet's data, in its first bytes
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
_SAVE_AGAIN = "export the responses again, or save them as CSV UTF-8"


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.0f} MB"


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.decode("ascii"):
        n = n * 26 + ord(ch) - 64
    return n


def declared_cells(head: bytes) -> tuple[int, int] | None:
    """(rows, columns) a sheet declares in its `<dimension ref="A1:Z99">`, from the sheet's first
    bytes; None when it declares none (the reader then counts as it goes)."""
    m = _DIMENSION.search(head)
    if m is None:
        return None
    first_col, first_row = _column_number(m.group(1)), int(m.group(2))
    if m.group(3) is None:
        return 1, 1
    last_col, last_row = _column_number(m.group(3)), int(m.group(4))
    return abs(last_row - first_row) + 1, abs(last_col - first_col) + 1


def check_archive(data: bytes, path: str) -> None:
    """Refuse (InputError naming the limit) a workbook whose directory or declared sheet size is
    over a limit. Unpacks nothing but the first bytes of each sheet."""
    def refuse(message: str) -> InputError:
        return InputError([Problem(path, message)])

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise refuse(f"this file is a zip archive but not an Excel workbook that can be read: {_SAVE_AGAIN}"
                     ) from None
    with archive:
        if len(parts) > MAX_PARTS:
            raise refuse(f"this workbook has {len(parts):,} parts inside (the limit is {MAX_PARTS:,}): "
                         f"{_SAVE_AGAIN}")
        total = sum(p.file_size for p in parts)
        if total > MAX_UNPACKED_BYTES:
            raise refuse(f"this workbook unpacks to {_mb(total)} (the limit is {_mb(MAX_UNPACKED_BYTES)}): "
                         "split it into smaller files, or save it as CSV UTF-8")
        for p in parts:
            ratio = p.file_size / max(p.compress_size, 1)
            if p.file_size > _RATIO_FLOOR and ratio > MAX_PART_RATIO:
                raise refuse(f"a part of this workbook ({p.filename}) unpacks to {ratio:,.0f} times its "
                             f"packed size (the limit is {MAX_PART_RATIO} times), as harmful files do: "
                             f"{_SAVE_AGAIN}")
            if p.filename.lower().endswith("sharedstrings.xml") and p.file_size > MAX_SHARED_STRINGS_BYTES:
                raise refuse(f"the text of this workbook takes {_mb(p.file_size)} (the limit is "
                             f"{_mb(MAX_SHARED_STRINGS_BYTES)}): split it into smaller files")
        for p in parts:
            name = p.filename.lower()
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            try:
                with archive.open(p) as member:
                    head = member.read(_HEAD_BYTES)
            except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError):
                raise refuse(f"this workbook could not be read: {_SAVE_AGAIN}") from None
            size = declared_cells(head)
            if size is not None:
                _check_size(*size, path)


def _check_size(rows: int, columns: int, path: str) -> None:
    """Refuse a sheet of more cells or rows than the limits (`rows` includes the header; empty
    columns past the limit are harmless, as in a CSV file, so columns are checked row by row)."""
    if rows * columns > MAX_CELLS:
        raise InputError([Problem(path, f"the sheet has {rows * columns:,} cells ({rows:,} rows x "
                                        f"{columns:,} columns; the limit is {MAX_CELLS:,} cells): split "
                                        "it into smaller files")])
    if rows > MAX_ROWS + 1:
        raise InputError([Problem(path, f"the file has more than {MAX_ROWS:,} rows of responses (the limit "
                                        f"is {MAX_ROWS:,}): split it into smaller files")])


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def xlsx_records(data: bytes, path: str) -> list[list[str]]:
    """The first sheet's rows as text cells, after `check_archive`; read in streaming mode."""
    check_archive(data, path)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the user's file
        raise InputError([Problem(path, "this file is a zip archive but not an Excel workbook that can "
                                        f"be read: {_SAVE_AGAIN}")]) from None
    try:
        if not wb.worksheets:
            raise InputError([Problem(path, "this workbook has no worksheet: export the responses again")])
        records: list[list[str]] = []
        cells = 0
        # The same limits as a CSV file, checked row by row so a sheet that declared no size (or a
        # false one) is still refused early.
        for row in wb.worksheets[0].iter_rows(values_only=True):
            cells += len(row)
            if cells > MAX_CELLS:
                raise InputError([Problem(path, f"the sheet has more than {MAX_CELLS:,} cells (the limit): "
                                                "split it into smaller files", row=len(records) + 1)])
            if len(row) > MAX_COLUMNS and any(v not in (None, "") for v in row[MAX_COLUMNS:]):
                raise InputError([Problem(path, f"this row has {len(row):,} cells: a file may have at most "
                                                f"{MAX_COLUMNS:,} columns", row=len(records) + 1)])
            records.append([_cell_text(v) for v in row[:MAX_COLUMNS]])
            if len(records) > MAX_ROWS + 1:
                raise InputError([Problem(path, f"the file has more than {MAX_ROWS:,} rows of responses "
                                                f"(the limit is {MAX_ROWS:,}): split it into smaller files",
                                          row=len(records))])
        return records
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - a damaged sheet inside a readable zip is still the user's file
        raise InputError([Problem(path, f"this workbook could not be read: {_SAVE_AGAIN}")]) from None
    finally:
        wb.close()
