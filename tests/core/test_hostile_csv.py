"""Hostile and malformed response CSVs: a plain message naming where, nothing stored, app stays up.

The small files live in tests/data/bad_csv/ (the 30 in tests/core/test_responses.py's BAD_CASES plus
the ones listed in COMMITTED here); the big ones (10 MB cell, 100,000 rows, 20,000 columns, a
row of 10,000 cells, a 55 MB file) are made at test time in tmp_path. Every file goes through:

- the reader the CLI and the funder import use (`read_responses`, `read_forms_file`): the first
  problem names the row and column, the line, or the file, in plain words;
- the path that stores responses (`read_responses` -> `records_from_frame` ->
  `Store.import_records`, as `demo_store` does) on SQLite and PostgreSQL: nothing is stored;
- the funder portfolio page's upload (the app's only file upload; the Rounds page has none),
  with Streamlit's AppTest: no exception, "Nothing was imported" or the problem shown.
"""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.responses import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_PROBLEMS,
    MAX_ROWS,
    columns_of,
    export_csv,
    read_responses,
    records_from_frame,
    template_csv,
)
from healthcheck.core.responses.forms import read_forms_file
from healthcheck.store import Store, sharing

from .test_responses import BAD_CASES, problems_of

DATA = Path(__file__).resolve().parents[1] / "data"
BAD = DATA / "bad_csv"
TRACEBACK_WORDS = ("Traceback", "Error:", "Exception", "<class", "errno", "codec", "NoneType")

# (file, where, fragment): `where` as in test_responses: "row R, column C", "row R", ":LINE" or ""
# (the whole file). Every file in this list is one committed in tests/data/bad_csv/.
COMMITTED: list[tuple[str, str, str]] = [
    ("utf16_no_bom.csv", "", "saved as UTF-16 text"),
    ("utf16_be.csv", "", "saved as UTF-16 text"),
    ("cp1252.csv", ":3", "byte 0x92 cannot be read"),
    ("mixed_encoding.csv", ":4", "byte 0xE9 cannot be read"),
    ("excel_sep_semicolon.csv", "row 1", "'sep=;' is a hint for Excel"),
    ("excel_sep_comma.csv", "row 1", "'sep=,' is a hint for Excel"),
    ("tabs_quoted.csv", "row 1", "separated by tabs"),
    ("formulas_everywhere.csv", "row 2, column level", "'=\"funder\"' is not a level"),
    ("formula_header.csv", "row 1, column =HYPERLINK(\"http://evil.example\")", "unknown column"),
    ("duplicate_item_header.csv", "row 1, column culture.open_debate", "columns F and I"),
    ("png_image.csv", "", "this is a PNG image, not a CSV file"),
    ("pdf_document.csv", "", "this is a PDF document, not a CSV file"),
    ("zip_archive.csv", "", "zip file), not a CSV file"),
    ("old_excel_xls.csv", "", "old-style Excel workbook (.xls)"),
    ("gzip_compressed.csv", "", "compressed (gzip) file"),
    ("nul_in_cell.csv", ":3", "binary data (a zero byte)"),
    ("header_only_bom.csv", "", "the file has no responses"),
    ("only_bom.csv", "", "the file is empty"),
    ("whitespace_only.csv", "", "the file is empty"),
    ("unterminated_quote.csv", "row 3", "opens a cell in this row that is never closed"),
    ("cr_only_line_endings.csv", "row 4, column level", "'boss' is not a level"),
    ("html_page.csv", "", "this is a web page (HTML), not a CSV file"),
    ("xml_file.csv", "", "this is an XML file"),
    ("long_organisation.csv", "row 3, column organisation", "the limit is 200 characters"),
    ("stray_quote_in_level.csv", "row 3, column level", "'opera\"tional' is not a level"),
    ("xlsx_renamed.csv", "", "this is an Excel workbook"),
]
COMMITTED_FILES = {case[0] for case in COMMITTED}
ALL_COMMITTED = sorted(COMMITTED_FILES | {case[0] for case in BAD_CASES})


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(DATA / "mini.yaml")


def _header(q: Questionnaire) -> str:
    return template_csv(q).strip()


def _good_row(n: int) -> str:
    return f"R{n},Harbour Music,operational,,,4,3,2,1,5,dk,yes,busy,,"


# Generated at test time (too big to commit): name -> (bytes maker, where, fragment).
def _cell_10mb(q: Questionnaire) -> bytes:
    return f"{_header(q)}\r\n{_good_row(1)}\r\nR2,O,funder,,,,,,,,,,\"{'x' * 10_000_000}\",,\r\n".encode()


def _rows_100k(q: Questionnaire) -> bytes:
    return (_header(q) + "\r\n" + "\r\n".join(_good_row(n) for n in range(100_000)) + "\r\n").encode()


def _bad_rows_40k(q: Questionnaire) -> bytes:
    rows = (_good_row(n).replace("operational", "chief") for n in range(40_000))
    return (_header(q) + "\r\n" + "\r\n".join(rows) + "\r\n").encode()


def _columns_20k(q: Questionnaire) -> bytes:
    extra = ",".join(f"extra_{j}" for j in range(20_000))
    return f"{_header(q)},{extra}\r\n{_good_row(1)}\r\n".encode()


def _row_10000_cells(q: Questionnaire) -> bytes:
    return f"{_header(q)}\r\n{_good_row(1)}\r\n{_good_row(2)}{',7' * 9_985}\r\n".encode()


def _over_the_size_limit(q: Questionnaire) -> bytes:
    line = (_good_row(0) + "\r\n").encode()
    return _header(q).encode() + b"\r\n" + line * (MAX_FILE_BYTES // len(line) + 10)


GENERATED: dict[str, tuple[Callable[[Questionnaire], bytes], str, str]] = {
    "cell_10mb.csv": (_cell_10mb, "row 3", "a cell is longer than 131,072 characters"),
    "rows_100k.csv": (_rows_100k, f"row {MAX_ROWS + 2}", f"more than {MAX_ROWS:,} rows of responses"),
    "bad_rows_40k.csv": (_bad_rows_40k, "row 2, column level", "'chief' is not a level"),
    "columns_20k.csv": (_columns_20k, "row 1", f"the header row has 20,015 cells: a file may have at most "
                                                f"{MAX_COLUMNS:,} columns"),
    "row_10000_cells.csv": (_row_10000_cells, "row 3", "this row has 10,000 cells"),
    "over_the_size_limit.csv": (_over_the_size_limit, "", "larger than the 50 MB limit"),
}


def _prefix(name: str, where: str) -> str:
    if not where:
        return f"{name}: "
    if where.startswith(":"):
        return f"{name}{where}: "
    return f"{name}: {where}: "


def _assert_located(problems: list[Problem], name: str, where: str, fragment: str) -> None:
    lines = [str(p) for p in problems]
    assert any(line.startswith(_prefix(name, where)) and fragment in line for line in lines), lines[:5]
    for p in problems:
        assert p.path == name
        for word in TRACEBACK_WORDS:
            assert word not in p.message, f"{word!r} in {p}"
    if not where:
        assert any(p.row is None and p.line is None for p in problems)


# ----------------------------------------------------------------------------- the corpus


def test_corpus_has_at_least_fifty_files() -> None:
    on_disk = {p.name for p in BAD.iterdir()}
    assert on_disk == {c[0] for c in BAD_CASES} | COMMITTED_FILES
    assert len(on_disk) + len(GENERATED) >= 50
    assert len(COMMITTED_FILES) + len(GENERATED) >= 20


@pytest.mark.parametrize(("name", "where", "fragment"), COMMITTED, ids=[c[0] for c in COMMITTED])
def test_committed_file_is_refused_with_its_location(q: Questionnaire, name: str, where: str,
                                                     fragment: str) -> None:
    with pytest.raises(InputError) as exc:
        read_responses(BAD / name, q, name=name)
    _assert_located(exc.value.problems, name, where, fragment)


@pytest.mark.parametrize("name", list(GENERATED))
def test_generated_file_is_refused_with_its_location(q: Questionnaire, tmp_path: Path, name: str) -> None:
    make, where, fragment = GENERATED[name]
    path = tmp_path / name
    path.write_bytes(make(q))
    for source in (path, path.read_bytes()):  # from disk (the CLI) and as an upload's bytes
        with pytest.raises(InputError) as exc:
            read_responses(source, q, name=name)
        _assert_located(exc.value.problems, name, where, fragment)
        assert len(exc.value.problems) <= MAX_PROBLEMS


def test_formulas_are_refused_only_where_a_formula_cannot_be_an_answer(q: Questionnaire) -> None:
    """formulas_everywhere.csv has a formula in every cell: the answer cells (level, the scale,
    the choice) are refused by row and column; text cells are text, so they raise nothing."""
    with pytest.raises(InputError) as exc:
        read_responses(BAD / "formulas_everywhere.csv", q, name="f.csv")
    refused = [p.column for p in exc.value.problems]
    likert = [i.id for i in q.likert_items]
    assert refused == ["level", *likert, "fact.time_costed"], problems_of(exc)
    assert all(p.row == 2 for p in exc.value.problems)


def test_formula_text_is_stored_as_text_and_exported_safely(store: Store) -> None:
    """A valid file whose every free-text cell is a formula: stored verbatim, neutralised on export."""
    pulse = load_questionnaire(find_questionnaire("pulse"))
    payloads = ["=1+1", "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3", '=HYPERLINK("http://evil.example","x")']
    org = "=cmd|' /C calc'!A0"
    partnership, _ = store.create_partnership("Formula test", "pulse", 3, [(org, "music")])
    round_info, _ = store.open_round(partnership.id, "Round", "pulse", pulse.version)
    kinds = {i.id: i for i in pulse.items}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns_of(pulse))
    for n in range(3):
        row = []
        for k, col in enumerate(columns_of(pulse)):
            item = kinds.get(col)
            if col == "respondent":
                row.append(f"=R{n}")
            elif col == "organisation":
                row.append(org)
            elif col == "level":
                row.append("strategic")
            elif item is not None and item.type == "likert":
                row.append("2")
            elif item is not None and item.type == "choice":
                row.append(item.choices[0].id)
            else:
                row.append(payloads[(n + k) % len(payloads)])
        writer.writerow(row)
    df = read_responses(buffer.getvalue().encode(), pulse, name="formulas.csv")
    assert store.import_records(round_info.id, records_from_frame(df, pulse)) == 3
    stored = store.response_records(round_info.id)
    assert {r["organisation"] for r in stored} == {org}
    texts = [v for r in stored for v in [r["role"], *r["comments"].values()] if v]
    texts += [v for r in stored for v in r["answers"].values() if isinstance(v, str) and v in payloads]
    assert texts and all(t in payloads for t in texts)
    cells = [c for row in csv.reader(io.StringIO(export_csv(df, pulse))) for c in row]
    assert not any(c[:1] in "=+-@" for c in cells if c), [c for c in cells if c[:1] in "=+-@"]


# ----------------------------------------------------------------------------- the same files via forms


@pytest.mark.parametrize("name", ALL_COMMITTED)
def test_forms_reader_never_crashes(name: str) -> None:
    """The funder import reads every upload with read_forms_file first (CSV or XLSX)."""
    try:
        forms = read_forms_file((BAD / name).read_bytes(), name)
    except InputError as exc:
        for p in exc.problems:
            assert p.path == name and p.message
            assert not any(word in p.message for word in TRACEBACK_WORDS), str(p)
    else:
        assert forms.header


# ----------------------------------------------------------------------------- limits: time and memory


@pytest.mark.parametrize("name", ["rows_100k.csv", "cell_10mb.csv"])
def test_big_files_are_refused_in_bounded_time_and_memory(q: Questionnaire, name: str) -> None:
    data = GENERATED[name][0](q)
    start = time.perf_counter()
    with pytest.raises(InputError):
        read_responses(data, q, name=name)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    try:
        with pytest.raises(InputError):
            read_responses(data, q, name=name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"{name}: {len(data) / 1e6:.1f} MB refused in {seconds:.2f} s, peak {peak / 1e6:.0f} MB")
    assert seconds < 5, f"{seconds:.1f} s"
    # The reader stops at the limit: at most a handful of copies of the file, not a frame of it all.
    assert peak < 8 * len(data) + 50_000_000, f"peak {peak / 1e6:.0f} MB"


def test_oversized_file_on_disk_is_refused_before_reading(q: Questionnaire, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:  # a sparse file: 60 MB that takes no time to write
        f.truncate(60_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as exc:
            read_responses(path, q)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problems_of(exc) == [f"{path}: the file is larger than the 50 MB limit: split it into smaller "
                                "files (for example one per partnership)"]
    assert peak < 1_000_000


def test_rows_up_to_the_limit_are_accepted(q: Questionnaire) -> None:
    data = (_header(q) + "\n" + "\n".join(_good_row(n) for n in range(MAX_ROWS)) + "\n").encode()
    assert len(read_responses(data, q)) == MAX_ROWS
    wide = (_header(q) + "," * (5 * MAX_COLUMNS) + "\n" + _good_row(1) + "," * (5 * MAX_COLUMNS) + "\n")
    assert len(read_responses(wide.encode(), q)) == 1  # trailing empty cells beyond the limit are fine


# ----------------------------------------------------------------------------- nothing is stored


def _all_hostile(q: Questionnaire) -> dict[str, bytes]:
    files = {name: (BAD / name).read_bytes() for name in ALL_COMMITTED}
    files.update({name: make(q) for name, (make, _, _) in GENERATED.items()})
    return files


def test_nothing_is_stored(store: Store) -> None:
    """Every hostile file through the storing path (read, records, import): all refused, 0 rows."""
    mini = DATA / "mini.yaml"
    q = load_questionnaire(mini)
    # The store finds a questionnaire by id or by path; mini.yaml is not shipped, so by path.
    orgs = [("Harbour Music", "music"), ("O", "music")]
    p, _ = store.create_partnership("Hostile files", str(mini), 3, orgs)
    r, _ = store.open_round(p.id, "Round", str(mini), q.version)
    for name, data in _all_hostile(q).items():
        with pytest.raises(InputError):
            store.import_records(r.id, records_from_frame(read_responses(data, q, name=name), q))
    assert sum(store.response_counts(r.id).values()) == 0
    assert store.response_records(r.id) == []
    # The same round still takes a good file: the refusals left nothing half-done.
    good = (_header(q) + "\n" + "\n".join(_good_row(n) for n in range(4)) + "\n").encode()
    assert store.import_records(r.id, records_from_frame(read_responses(good, q), q)) == 4


# ----------------------------------------------------------------------------- the app's upload


def _funder_import_page(db: Store) -> tuple[object, str]:
    from ..ui.test_app import app, ok

    _, token = sharing.create_funder(db, "Bright Futures Fund")
    at = app(funder=token).run()
    ok(at)
    at.segmented_control(key="pf_source").set_value("Imported files").run()
    ok(at)
    return at, token


def _page_text(at: object) -> str:
    from ..ui.test_app import texts

    return texts(at).replace("\\", "")  # type: ignore[arg-type]  # plain() escapes markdown


@pytest.mark.parametrize("batch", ["committed", "generated"])
def test_funder_upload_stays_up_and_shows_the_problems(db: Store, batch: str) -> None:
    """All hostile files uploaded at once to the funder's import: no exception, each file named,
    "Nothing was imported", and no imported portfolio afterwards."""
    from ..ui.test_app import ok

    core = load_questionnaire(find_questionnaire("core"))
    if batch == "committed":
        files = {name: (BAD / name).read_bytes() for name in ALL_COMMITTED}
    else:
        files = {name: make(core) for name, (make, _, _) in GENERATED.items()}
    at, _ = _funder_import_page(db)
    uploader = at.file_uploader(key="pf_upload")  # type: ignore[attr-defined]
    uploader.set_value([(name, data, "text/csv") for name, data in files.items()]).run()
    ok(at)  # type: ignore[arg-type]
    buttons = [b for b in at.button if b.label == "Import"]  # type: ignore[attr-defined]
    if buttons:
        buttons[0].click().run()
        ok(at)  # type: ignore[arg-type]
    page = _page_text(at)
    assert "Traceback" not in page
    refused = [name for name in files if name in page]
    # Files that pass as a Forms export are refused at "Import" (headers that match no question).
    assert refused == list(files), sorted(set(files) - set(refused))
    assert buttons, "some files read as Forms exports, so the Import button must be offered"
    assert "hc_pf_import" not in at.session_state or at.session_state["hc_pf_import"] is None  # type: ignore[attr-defined]
    assert "Nothing was imported" in page


def test_funder_upload_of_a_big_refused_file_says_the_limit(db: Store) -> None:
    from ..ui.test_app import ok

    core = load_questionnaire(find_questionnaire("core"))
    header = template_csv(core).strip()
    data = (header + "\n" + "\n".join(f"R{n},Org,funder" for n in range(MAX_ROWS + 5)) + "\n").encode()
    at, _ = _funder_import_page(db)
    at.file_uploader(key="pf_upload").set_value(("portfolio.csv", data, "text/csv")).run()  # type: ignore[attr-defined]
    ok(at)  # type: ignore[arg-type]
    page = _page_text(at)
    assert f"more than {MAX_ROWS:,} rows of responses (the limit is {MAX_ROWS:,})" in page, page[-2000:]
