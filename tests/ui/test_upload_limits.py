"""Uploads bounded before parsing (issue 14): a workbook is checked from its zip directory before
the spreadsheet reader sees it, a file is read once per upload (not on every rerun), and the
column mapping is drawn a page at a time.

The zip bomb is built here: a real workbook whose sheet is 200 MB of one repeated letter, packed
to about 200 KB (deflate packs such data about 1,000 times).
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook

from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses.csvfile import MAX_CELLS, MAX_PART_RATIO, MAX_UNPACKED_BYTES
from healthcheck.core.responses.forms import read_forms_file
from healthcheck.core.responses.workbook import check_archive, declared_cells
from healthcheck.store import Store, sharing
from healthcheck.ui.widgets.uploads import PAGE_COLUMNS, PARSED_KEY

from .test_app import app, ok, texts

SHEET = "xl/worksheets/sheet1.xml"
_OPEN = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b'<dimension ref="%s"/><sheetData>')


def workbook_bytes(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def with_sheet(data: bytes, write_sheet: Any) -> bytes:
    """`data` (a workbook) with its first sheet's XML replaced by what `write_sheet(file)` writes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            if info.filename == SHEET:
                with z.open(SHEET, "w", force_zip64=True) as f:
                    write_sheet(f)
            else:
                z.writestr(info, src.read(info.filename))
    return out.getvalue()


def zip_bomb(unpacked: int = 200_000_000) -> bytes:
    """A workbook of about 200 KB whose one cell unpacks to `unpacked` bytes."""
    def sheet(f: Any) -> None:
        f.write(_OPEN % b"A1:B2" + b'<row r="1"><c r="A1" t="inlineStr"><is><t>')
        chunk = b"A" * 1_000_000
        for _ in range(unpacked // len(chunk)):
            f.write(chunk)
        f.write(b"</t></is></c></row></sheetData></worksheet>")

    return with_sheet(workbook_bytes([["a", "b"]]), sheet)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb()


def test_the_bomb_is_small_and_declares_a_huge_sheet(bomb: bytes) -> None:
    assert len(bomb) < 400_000
    sizes = {i.filename: i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()}
    assert sizes[SHEET] >= 200_000_000


def test_a_zip_bomb_is_refused_quickly_with_little_memory(bomb: bytes) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(InputError) as caught:
            read_forms_file(bomb, "responses.xlsx")
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith("responses.xlsx: "), message
    assert f"the limit is {MAX_UNPACKED_BYTES // 1_000_000} MB" in message, message
    assert "Traceback" not in message and "zipfile" not in message.lower()
    assert elapsed < 2.0, elapsed  # the directory is read, nothing is unpacked
    assert peak < 10_000_000, peak  # the file itself is 0.2 MB; unpacked it would be 200 MB


def test_a_part_that_packs_too_tightly_is_refused_even_under_the_size_limit() -> None:
    bomb = zip_bomb(20_000_000)  # 20 MB unpacked: under the total, but 1,000 times its packed size
    with pytest.raises(InputError) as caught:
        check_archive(bomb, "small-bomb.xlsx")
    message = str(caught.value)
    assert SHEET in message and f"the limit is {MAX_PART_RATIO} times" in message, message


def test_a_declared_sheet_of_too_many_cells_is_refused_before_reading() -> None:
    def sheet(f: Any) -> None:  # says 10,000 rows x 1,000 columns, holds one row
        f.write(_OPEN % b"A1:ALL10000" + b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                b"</sheetData></worksheet>")

    data = with_sheet(workbook_bytes([["x"]]), sheet)
    with pytest.raises(InputError) as caught:
        read_forms_file(data, "wide.xlsx")
    message = str(caught.value)
    assert "10,000,000 cells (10,000 rows x 1,000 columns" in message, message
    assert f"the limit is {MAX_CELLS:,} cells" in message, message


def test_declared_cells_reads_the_dimension() -> None:
    assert declared_cells(b'<worksheet><dimension ref="A1:C10"/>') == (10, 3)
    assert declared_cells(b'<worksheet><dimension ref="A1"/>') == (1, 1)
    assert declared_cells(b"<worksheet><sheetData>") is None


def test_a_legal_workbook_still_reads() -> None:
    data = workbook_bytes([["Organisation", "Level"], ["Harbour Music", "Funder"], [None, 3.0]])
    forms = read_forms_file(data, "ok.xlsx")
    assert forms.header == ("Organisation", "Level")
    assert forms.rows == (("Harbour Music", "Funder"), ("", "3"))


# ----------------------------------------------------------------------------- the app


def _import_page(db: Store) -> Any:
    _, token = sharing.create_funder(db, "Bright Futures Fund")
    at = app(funder=token).run()
    ok(at)
    at.segmented_control(key="pf_source").set_value("Imported files").run()
    ok(at)
    return at


def _upload(at: Any, *files: tuple[str, bytes]) -> Any:
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at.file_uploader(key="pf_upload").set_value([(name, data, kind) for name, data in files]).run()
    ok(at)
    return at


def test_the_app_refuses_a_zip_bomb_with_a_plain_message(db: Store, bomb: bytes) -> None:
    at = _upload(_import_page(db), ("bomb.xlsx", bomb))
    page = texts(at).replace("\\", "")
    assert f"bomb.xlsx: this workbook unpacks to 200 MB (the limit is {MAX_UNPACKED_BYTES // 1_000_000} MB)" \
        in page, page[-1500:]
    assert not [b for b in at.button if b.label == "Import"]


def _forms_rows(q: Any, columns: int, rows: int) -> list[list[Any]]:
    """A Forms-style export: organisation, level, then `columns` question columns (the first ones
    the questionnaire's own texts, the rest headers that match nothing)."""
    texts_ = [i.text for i in q.likert_items]
    header = ["Organisation", "Level"] + [texts_[j] if j < 10 else f"Extra question {j} about the week"
                                         for j in range(columns)]
    body = [["Harbour Music", "Operational"] + ["Agree"] * columns for _ in range(rows)]
    return [header, *body]


def test_a_big_legal_workbook_is_read_once_across_reruns(db: Store) -> None:
    q = load_questionnaire(find_questionnaire("core"))
    data = workbook_bytes(_forms_rows(q, 60, 1_500))
    at = _upload(_import_page(db), ("big.xlsx", data))
    parsed = dict(at.session_state[PARSED_KEY])
    assert len(parsed) == 1
    (entry,) = parsed.values()
    assert entry.forms is not None and len(entry.forms.rows) == 1_500
    # Reruns (a widget changed, the page redrawn) reuse what was read: the very same object.
    at.run()
    at.selectbox(key="pf_import_q").set_value("pulse").run()  # another questionnaire: mapped again, not read
    ok(at)
    again = at.session_state[PARSED_KEY]
    assert list(again) == list(parsed) and next(iter(again.values())) is entry
    # Removing the file forgets it.
    at.file_uploader(key="pf_upload").set_value([]).run()
    assert at.session_state[PARSED_KEY] == {}


def test_the_column_mapping_is_drawn_a_page_at_a_time(db: Store) -> None:
    q = load_questionnaire(find_questionnaire("core"))
    data = workbook_bytes(_forms_rows(q, 70, 3))
    at = _upload(_import_page(db), ("wide.xlsx", data))

    def column_boxes() -> list[Any]:
        return [s for s in at.selectbox if str(s.label).startswith("Column ")]

    first = column_boxes()
    assert 0 < len(first) <= PAGE_COLUMNS, len(first)
    pager = at.selectbox(key="pf_map_page_0")
    assert len(pager.options) == 3  # 60 unmatched columns, 25 a page
    first[0].set_value("q.clear_problem").run()  # a choice on the first page
    at.selectbox(key="pf_map_page_0").set_value(2).run()
    ok(at)
    last = column_boxes()
    assert 0 < len(last) <= PAGE_COLUMNS and {s.label for s in last}.isdisjoint({s.label for s in first})
    at.selectbox(key="pf_map_page_0").set_value(0).run()
    assert column_boxes()[0].value == "q.clear_problem"  # kept while another page was shown
