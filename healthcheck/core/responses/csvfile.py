"""A CSV file's bytes -> text -> records, refusing early what is not a responses CSV.

Shared by the responses reader and the Forms import: a file over a limit, in the wrong encoding,
or of another kind altogether (a workbook, an image, a web page) is refused with a message that
says what it is and how to save it as CSV.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.responses.columns import MAX_TEXT

# Limits that keep a hostile or mistaken file from exhausting memory or time: checked while
# reading, so a file over a limit is refused before it is all taken in. A funder's portfolio of
# 1,000 partnerships x 12 respondents (the benchmark) is 12,000 rows and about 3 MB.
MAX_FILE_BYTES = 50_000_000
MAX_ROWS = 50_000
MAX_COLUMNS = 1_000
# An XLSX file is a zip archive: checked from its directory before anything is unpacked
# (`workbook.check_archive`). A Forms export of 12,000 responses to the full questionnaire (165
# columns) is about 2 million cells and 130 MB unpacked; spreadsheet XML packs 5 to 40 times, a
# zip bomb about 1,000 times.
MAX_CELLS = 2_000_000
MAX_UNPACKED_BYTES = 200_000_000  # all the parts of a workbook together, unpacked
MAX_PART_RATIO = 100  # how many times one part may expand (parts over 1 MB unpacked)
MAX_SHARED_STRINGS_BYTES = 50_000_000  # the workbook's text table, which the reader holds in memory
MAX_PARTS = 500
DEFAULT_NAME = "responses.csv"
SAVE_AS_CSV = "in Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)'"

_TOO_LARGE = (f"the file is larger than the {MAX_FILE_BYTES // 1_000_000} MB limit: split it into "
              "smaller files (for example one per partnership)")


def read_bytes(source: str | Path | bytes, name: str | None) -> tuple[str, bytes]:
    """(how problems name the file, its bytes) of a path or an upload, refusing one over the limit."""
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


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: text in the Latin range puts a zero byte in every other position."""
    head = data[:2000]
    even, odd = head[0::2], head[1::2]
    if len(head) < 8:
        return False
    return odd.count(0) > 0.4 * len(odd) > 0 and even.count(0) < 0.1 * len(even) or \
        even.count(0) > 0.4 * len(even) > 0 and odd.count(0) < 0.1 * len(odd)


def decode_text(data: bytes, path: str) -> str:
    """The file's UTF-8 text, or InputError naming what the file is when it is not CSV text."""
    if data.startswith(b"PK\x03\x04"):
        raise InputError([Problem(path, "this is an Excel workbook (or another zip file), not a CSV "
                                        f"file: {SAVE_AS_CSV}")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        raise InputError([Problem(path, f"the file is saved as UTF-16 text, not UTF-8: {SAVE_AS_CSV}")])
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise InputError([Problem(path, f"this is {what}, not a CSV file: choose the responses file "
                                            f"itself ({SAVE_AS_CSV})")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise InputError([Problem(
            path, f"the file is not UTF-8 text (byte 0x{byte:02X} cannot be read; it may have been "
                  f"saved in another encoding, such as Windows Latin-1): {SAVE_AS_CSV}",
            line=line)]) from None
    start = text[:200].lstrip().lower()
    for opening, what in _MARKUP:
        if start.startswith(opening):
            raise InputError([Problem(path, f"this is {what}, not a CSV file: download or save the "
                                            f"responses as CSV ({SAVE_AS_CSV})")])
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError([Problem(path, "the file holds binary data (a zero byte), not CSV text: "
                                        f"{SAVE_AS_CSV}", line=line)])
    return text


_END = "\x00"  # cannot occur in the text (decode_text refuses zero bytes)


def parse_records(text: str, path: str) -> list[list[str]]:
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
