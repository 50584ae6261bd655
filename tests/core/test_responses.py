"""Response tables: CSV import (problems with row and column), all-or-nothing, template, export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcheck.core.csvsafe import neutralise, neutralise_frame
from healthcheck.core.errors import InputError
from healthcheck.core.frameworks import DIMENSION_IDS
from healthcheck.core.questionnaire import Questionnaire, load_questionnaire
from healthcheck.core.responses import (
    DONT_KNOW,
    MAX_PROBLEMS,
    META_COLUMNS,
    columns_of,
    export_csv,
    frame_from_records,
    read_responses,
    records_from_frame,
    split_partnerships,
    template_csv,
)

DATA = Path(__file__).resolve().parents[1] / "data"
BAD = DATA / "bad_csv"
LIKERT = ["culture.open_debate", "purpose.shared_problem", "purpose.provider_led", "meetings.useful",
          "resources.trust", "continuity.learning"]
COMMENTS = ["culture.open_debate_comment", "meetings.useful_comment"]


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(DATA / "mini.yaml")


def header(q: Questionnaire) -> list[str]:
    return template_csv(q).strip().split(",")


def csv_bytes(q: Questionnaire, rows: list[dict[str, str]], *, cols: list[str] | None = None,
              bom: bool = False) -> bytes:
    cols = cols or header(q)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([row.get(c, "") for c in cols])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def person(n: int, **answers: str) -> dict[str, str]:
    row = {"respondent": f"person-{n}", "organisation": ["Harbour Music", "City CYPS"][n % 2],
           "level": ["strategic", "operational", "funder"][n % 3]}
    row.update(answers)
    return row


def problems_of(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# ----------------------------------------------------------------------------- the questionnaire


def test_mini_questionnaire_covers_every_dimension(q: Questionnaire) -> None:
    assert set(q.dimensions) == set(DIMENSION_IDS)
    assert [i.id for i in q.likert_items] == LIKERT
    assert sum(i.reverse for i in q.likert_items) == 1
    assert [i.id for i in q.items if i.comment_prompt_below == 3] == ["culture.open_debate",
                                                                       "meetings.useful"]
    assert [c.id for c in q.item_by_id["fact.time_costed"].choices] == ["yes", "partly", "no",
                                                                         "dont_know"]
    assert [i.id for i in q.text_items] == ["team.challenges"]


# ----------------------------------------------------------------------------- template and shape


def test_template_is_the_header_row(q: Questionnaire) -> None:
    text = template_csv(q)
    assert text.endswith("\n") and text.count("\n") == 1
    assert header(q) == [*META_COLUMNS, *LIKERT, "fact.time_costed", "team.challenges", *COMMENTS]
    assert header(q) == columns_of(q)


def test_canonical_shape_and_dtypes(q: Questionnaire) -> None:
    data = csv_bytes(q, [person(1, **{"culture.open_debate": "4", "purpose.shared_problem": "dk",
                                      "fact.time_costed": "partly", "team.challenges": "  busy  ",
                                      "role": "Head of service"}),
                         person(2)])
    df = read_responses(data, q, partnership="Harbour + CYPS")
    assert list(df.columns) == columns_of(q)
    assert list(df.index) == [0, 1]
    for col in LIKERT:
        assert df[col].dtype == np.float64
    for col in [*META_COLUMNS, "fact.time_costed", "team.challenges", *COMMENTS]:
        assert df[col].dtype == object, col
    first, second = df.iloc[0], df.iloc[1]
    assert first["culture.open_debate"] == 4.0
    assert first["purpose.shared_problem"] == DONT_KNOW == 0.0
    assert np.isnan(first["meetings.useful"])
    assert first["fact.time_costed"] == "partly"
    assert first["team.challenges"] == "busy"
    assert first["role"] == "Head of service" and second["role"] is None
    assert second["fact.time_costed"] is None and second["team.challenges"] is None
    assert second["culture.open_debate_comment"] is None
    assert list(df["partnership"]) == ["Harbour + CYPS"] * 2


def test_comment_columns_present_even_when_the_file_has_none(q: Questionnaire) -> None:
    cols = [*META_COLUMNS[:3], "culture.open_debate"]
    df = read_responses(csv_bytes(q, [person(1, **{"culture.open_debate": "2"})], cols=cols), q)
    assert list(df.columns) == columns_of(q)
    assert df["meetings.useful_comment"].tolist() == [None]
    assert np.isnan(df["meetings.useful"].iloc[0])
    assert df["partnership"].tolist() == [""]


# ----------------------------------------------------------------------------- round trip


def test_round_trip_template_csv_records_frame(q: Questionnaire) -> None:
    rows = [
        person(1, **{"culture.open_debate": "1", "culture.open_debate_comment": "we never disagree",
                     "purpose.shared_problem": "dk", "purpose.provider_led": "5",
                     "fact.time_costed": "no", "team.challenges": "staff turnover, \"cuts\"\nand more",
                     "role": "Musician"}),
        person(2, **{"meetings.useful": "3", "resources.trust": "4", "continuity.learning": "2",
                     "fact.time_costed": "dont_know"}),
        person(3),
    ]
    filled = template_csv(q) + csv_bytes(q, rows).decode().split("\n", 1)[1]
    df = read_responses(filled.encode(), q, partnership="P")
    records = records_from_frame(df, q)
    assert records[0]["answers"]["purpose.shared_problem"] == "dk"
    assert records[0]["answers"]["culture.open_debate"] == 1
    assert isinstance(records[0]["answers"]["culture.open_debate"], int)
    assert "meetings.useful" not in records[0]["answers"]
    assert records[0]["comments"] == {"culture.open_debate": "we never disagree"}
    assert records[2]["answers"] == {} and records[2]["role"] is None
    again = frame_from_records(records, q)
    pd.testing.assert_frame_equal(again, df)
    # ...and through the export and back (ids are replaced, the answers are not).
    exported = read_responses(export_csv(df, q).encode(), q)
    key = ["organisation", "level", *LIKERT, "fact.time_costed"]
    left = df[key].sort_values(key[:2]).reset_index(drop=True)
    right = exported[key].sort_values(key[:2]).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)


def test_frame_from_records_fills_missing_and_uses_partnership_argument(q: Questionnaire) -> None:
    df = frame_from_records([
        {"respondent": "a", "organisation": "O", "level": "funder", "role": None,
         "answers": {"resources.trust": 2, "continuity.learning": "dk", "fact.time_costed": "yes"},
         "comments": {"meetings.useful": "late again"}},
    ], q, partnership="P1")
    row = df.iloc[0]
    assert row["partnership"] == "P1"
    assert row["resources.trust"] == 2.0 and row["continuity.learning"] == DONT_KNOW
    assert np.isnan(row["culture.open_debate"])
    assert row["team.challenges"] is None and row["culture.open_debate_comment"] is None
    assert row["meetings.useful_comment"] == "late again"
    assert list(df.columns) == columns_of(q)


def test_frame_from_records_rejects_answers_of_the_wrong_kind(q: Questionnaire) -> None:
    with pytest.raises(InputError) as exc:
        frame_from_records([{"respondent": "a", "organisation": "O", "level": "funder",
                             "answers": {"resources.trust": 7, "fact.time_costed": "perhaps",
                                         "nope.item": 1}}], q)
    text = "\n".join(problems_of(exc))
    assert "resources.trust" in text and "'7'" in text
    assert "'perhaps' is not a choice" in text
    assert "'nope.item' is not an item" in text


def test_split_partnerships_in_order_of_first_appearance(q: Questionnaire) -> None:
    cols = header(q)
    rows = [dict(person(1), partnership="Zeta"), dict(person(2), partnership="Alpha"),
            dict(person(3), partnership="Zeta"), dict(person(1), partnership="Alpha")]
    df = read_responses(csv_bytes(q, rows, cols=cols), q)
    parts = split_partnerships(df)
    assert list(parts) == ["Zeta", "Alpha"]
    assert parts["Zeta"]["respondent"].tolist() == ["person-1", "person-3"]
    assert list(parts["Alpha"].index) == [0, 1]
    assert split_partnerships(df.iloc[0:0]) == {}


# ----------------------------------------------------------------------------- malformed files

# (file, where, fragment): `where` is what follows the file name in the printed problem:
# "row R, column C", "row R", ":LINE" (path:line form) or "" (the whole file).
BAD_CASES: list[tuple[str, str, str]] = [
    ("latin1.csv", ":3", "not UTF-8 text"),
    ("latin1.csv", ":3", "CSV UTF-8"),
    ("utf16.csv", "", "UTF-16"),
    ("binary_junk.csv", ":1", "not UTF-8 text"),
    ("zero_bytes.csv", ":1", "binary data"),
    ("workbook.csv", "", "Excel workbook"),
    ("semicolons.csv", "row 1", "use commas"),
    ("tabs.csv", "row 1", "separated by tabs"),
    ("empty.csv", "", "the file is empty"),
    ("blank_lines.csv", "", "the file is empty"),
    ("header_only.csv", "", "the file has no responses"),
    ("long_comment.csv", "row 2, column culture.open_debate_comment", "10,000 characters"),
    ("long_text.csv", "row 4, column team.challenges", "the limit is 5,000 characters"),
    ("duplicate_header.csv", "row 1, column level", "appears more than once"),
    ("duplicate_respondent.csv", "row 4, column respondent", "already used in row 2"),
    ("ragged_row.csv", "row 3", "17 cells but the header has 15 columns"),
    ("unknown_column.csv", "row 1, column fact.time_costd", "not an item of questionnaire mini"),
    ("unknown_column.csv", "row 1, column fact.time_costd", "did you mean 'fact.time_costed'"),
    ("extra_column.csv", "row 1, column favourite_colour", "unknown column"),
    ("comment_not_asked.csv", "row 1, column purpose.shared_problem_comment",
     "does not ask for a comment"),
    ("unnamed_column.csv", "row 1, column P", "no name in the header row"),
    ("likert_zero.csv", "row 2, column culture.open_debate", "'0' is not an answer on the 1-5 scale"),
    ("likert_six.csv", "row 3, column purpose.provider_led", "'6' is not an answer on the 1-5 scale"),
    ("likert_half.csv", "row 4, column meetings.useful", "'2.5' is not an answer on the 1-5 scale"),
    ("likert_text.csv", "row 2, column continuity.learning", "'often' is not an answer"),
    ("bad_choice.csv", "row 3, column fact.time_costed", "'maybe' is not a choice"),
    ("bad_choice.csv", "row 3, column fact.time_costed", "yes, partly, no, dont_know"),
    ("blank_level.csv", "row 2, column level", "the level is blank"),
    ("bad_level.csv", "row 3, column level", "not a level"),
    ("bad_level.csv", "row 3, column level", "funder, strategic, operational"),
    ("blank_respondent.csv", "row 2, column respondent", "the respondent is blank"),
    ("blank_organisation.csv", "row 3, column organisation", "the organisation is blank"),
    ("missing_respondent_column.csv", "row 1, column respondent",
     "required column 'respondent' is missing"),
    ("error_after_multiline.csv", "row 3, column level", "'boss' is not a level"),
]


def _prefix(name: str, where: str) -> str:
    if not where:
        return f"{name}: "
    if where.startswith(":"):
        return f"{name}{where}: "
    return f"{name}: {where}: "


@pytest.mark.parametrize(("file", "where", "fragment"), BAD_CASES)
def test_malformed_file_is_reported_with_its_location(q: Questionnaire, file: str, where: str,
                                                      fragment: str) -> None:
    with pytest.raises(InputError) as exc:
        read_responses(BAD / file, q, name=file)
    prefix = _prefix(file, where)
    lines = problems_of(exc)
    assert any(line.startswith(prefix) and fragment in line for line in lines), lines
    if not where:  # a whole-file problem carries no row and no line
        assert any(p.row is None and p.line is None for p in exc.value.problems)


def test_path_argument_names_the_file_by_default(q: Questionnaire) -> None:
    with pytest.raises(InputError) as exc:
        read_responses(str(BAD / "bad_level.csv"), q)
    assert problems_of(exc)[0].startswith(f"{BAD / 'bad_level.csv'}: row 3, column level: ")


def test_missing_file(q: Questionnaire, tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        read_responses(tmp_path / "nope.csv", q)
    assert "no such file" in problems_of(exc)[0]


def test_every_problem_is_listed_in_row_order(q: Questionnaire) -> None:
    rows = [person(1, level="boss", **{"culture.open_debate": "9"}),
            person(2, organisation=""),
            person(3, **{"fact.time_costed": "never", "purpose.provider_led": "0"})]
    with pytest.raises(InputError) as exc:
        read_responses(csv_bytes(q, rows), q, name="f.csv")
    assert [(p.row, p.column) for p in exc.value.problems] == [
        (2, "level"), (2, "culture.open_debate"), (3, "organisation"),
        (4, "purpose.provider_led"), (4, "fact.time_costed")]


def test_duplicate_respondent_in_different_partnerships_is_fine(q: Questionnaire) -> None:
    rows = [dict(person(1), partnership="A"), dict(person(1), partnership="B")]
    df = read_responses(csv_bytes(q, rows), q)
    assert df["respondent"].tolist() == ["person-1", "person-1"]
    rows.append(dict(person(1), partnership="B"))
    with pytest.raises(InputError) as exc:
        read_responses(csv_bytes(q, rows), q, name="f.csv")
    assert problems_of(exc) == [
        "f.csv: row 4, column respondent: respondent 'person-1' is already used in row 3 of "
        "partnership 'B': each respondent must appear only once"]


def test_problem_list_is_capped(q: Questionnaire) -> None:
    rows = [person(n, **dict.fromkeys(LIKERT, "7")) for n in range(100)]
    with pytest.raises(InputError) as exc:
        read_responses(csv_bytes(q, rows), q, name="f.csv")
    problems = exc.value.problems
    assert len(problems) == MAX_PROBLEMS
    assert problems[-1].message == f"... and {600 - MAX_PROBLEMS + 1} more problems"
    assert problems[0].row == 2 and problems[0].column == LIKERT[0]


# ----------------------------------------------------------------------------- accepted input


def test_bom_is_accepted(q: Questionnaire) -> None:
    df = read_responses(csv_bytes(q, [person(1, **{"resources.trust": "5"})], bom=True), q)
    assert df["respondent"].tolist() == ["person-1"]
    assert df["resources.trust"].tolist() == [5.0]


def test_lenient_cells_are_accepted(q: Questionnaire) -> None:
    cols = [" Respondent ", "ORGANISATION", "Level", *LIKERT, "fact.time_costed"]
    rows = [{" Respondent ": " a ", "ORGANISATION": " Org ", "Level": " Strategic ",
             **dict(zip(LIKERT, [" 3 ", "DK", "2.0", "Don't know", "don\u2019t know", "Agree"],
                        strict=True)),
             "fact.time_costed": " Partly "}]
    df = read_responses(csv_bytes(q, rows, cols=cols), q)
    row = df.iloc[0]
    assert (row["respondent"], row["organisation"], row["level"]) == ("a", "Org", "strategic")
    assert [row[c] for c in LIKERT] == [3.0, DONT_KNOW, 2.0, DONT_KNOW, DONT_KNOW, 4.0]
    assert row["fact.time_costed"] == "partly"


def test_blank_rows_skipped_and_row_numbers_kept(q: Questionnaire) -> None:
    text = csv_bytes(q, [person(1)]).decode() + "\n,,,,\n" + csv_bytes(
        q, [person(2, level="chief")]).decode().split("\n", 1)[1]
    with pytest.raises(InputError) as exc:
        read_responses(text.encode(), q, name="f.csv")
    assert problems_of(exc)[0].startswith("f.csv: row 5, column level: 'chief' is not a level")
    df = read_responses(text.replace("chief", "funder").encode(), q)
    assert len(df) == 2


def test_trailing_empty_cells_and_short_rows_are_fine(q: Questionnaire) -> None:
    text = "respondent,organisation,level,resources.trust\nR1,O,funder,4,,,\nR2,O,funder\n"
    df = read_responses(text.encode(), q)
    assert df["resources.trust"].tolist()[0] == 4.0 and np.isnan(df["resources.trust"].iloc[1])


def test_formula_cells_are_stored_as_text_on_import(q: Questionnaire) -> None:
    rows = [person(1, role="=HYPERLINK(\"http://evil\",\"x\")",
                   **{"team.challenges": "+1 more", "culture.open_debate_comment": "@SUM(A1)"})]
    df = read_responses(csv_bytes(q, rows), q)
    assert df["role"].iloc[0] == "=HYPERLINK(\"http://evil\",\"x\")"
    assert df["team.challenges"].iloc[0] == "+1 more"
    assert df["culture.open_debate_comment"].iloc[0] == "@SUM(A1)"


def test_comment_of_exactly_the_limit_is_fine(q: Questionnaire) -> None:
    df = read_responses(csv_bytes(q, [person(1, **{"meetings.useful_comment": "y" * 5000})]), q)
    assert len(df["meetings.useful_comment"].iloc[0]) == 5000


# ----------------------------------------------------------------------------- all or nothing


def test_one_bad_row_in_500_rejects_the_whole_file(q: Questionnaire) -> None:
    rows = [person(n, **{"culture.open_debate": str(1 + n % 5)}) for n in range(500)]
    rows[317]["purpose.shared_problem"] = "11"
    result = None
    with pytest.raises(InputError) as exc:
        result = read_responses(csv_bytes(q, rows), q, name="f.csv")
    assert result is None
    assert problems_of(exc) == [
        "f.csv: row 319, column purpose.shared_problem: '11' is not an answer on the 1-5 scale: "
        "use a whole number from 1 to 5, dk for don't know, or leave the cell blank"]
    rows[317]["purpose.shared_problem"] = "1"
    assert len(read_responses(csv_bytes(q, rows), q)) == 500


# ----------------------------------------------------------------------------- progress and speed


def test_progress_is_reported_a_handful_of_times(q: Questionnaire) -> None:
    calls: list[tuple[int, int]] = []
    read_responses(csv_bytes(q, [person(n) for n in range(30)]), q,
                   progress=lambda done, total: calls.append((done, total)))
    assert 2 <= len(calls) <= 30
    assert calls[-1][0] == calls[-1][1]
    dones = [d for d, _ in calls]
    assert dones == sorted(dones)
    assert len({t for _, t in calls}) == 1


def _big_questionnaire() -> Questionnaire:
    items = []
    for k in range(80):
        prompt = ", comment_prompt_below: 3" if k % 20 == 0 else ""
        items.append(f"      - {{id: l.i{k}, text: t, type: likert, "
                     f"dimensions: [{DIMENSION_IDS[k % 22]}]{prompt}}}")
    for k in range(4):
        items.append(f"      - {{id: c.i{k}, text: t, type: choice, "
                     "choices: [{id: a, label: A}, {id: b, label: B}]}")
    items.append("      - {id: t.x, text: t, type: text}")
    text = ("id: big\nversion: 1\ntitle: Big\nscale: {labels: [a, b, c, d, e]}\nsections:\n"
            "  - title: S\n    items:\n" + "\n".join(items) + "\n")
    return load_questionnaire("big.yaml", text)


def test_twelve_thousand_rows_read_whole_and_fail_whole() -> None:
    # Speed is measured in benchmarks/bench_portfolio.py, not timed here.
    big = _big_questionnaire()
    cols = columns_of(big)
    assert len(cols) >= 90
    rng = np.random.default_rng(7)
    likert = rng.integers(0, 6, size=(12_000, 80)).astype(str)
    likert[likert == "0"] = "dk"
    lines = [",".join(cols)]
    for r in range(12_000):
        cells = [f"resp-{r}", f"Org {r % 7}", ("funder", "strategic", "operational")[r % 3], "", "P"]
        cells += list(likert[r]) + ["a", "b", "", "a", "we are short of time"]
        cells += [""] * (len(cols) - len(cells))
        lines.append(",".join(cells))
    data = ("\n".join(lines) + "\n").encode()
    df = read_responses(data, big)
    assert df.shape == (12_000, len(cols))
    bad = data.replace(b",3,", b",9,")
    with pytest.raises(InputError) as exc:
        read_responses(bad, big)
    assert len(exc.value.problems) == MAX_PROBLEMS


# ----------------------------------------------------------------------------- export


def test_export_neutralises_formulas_and_hides_respondent_ids(q: Questionnaire) -> None:
    rows = [
        person(1, role='=HYPERLINK("http://evil.example","click")',
               **{"culture.open_debate": "1", "culture.open_debate_comment": "+1 for this"}),
        person(2, role="-2", **{"meetings.useful": "dk", "meetings.useful_comment": "@SUM(A1:A9)"}),
        person(3, organisation="=cmd|' /C calc'!A0"),
    ]
    df = read_responses(csv_bytes(q, rows), q)
    df.loc[1, "team.challenges"] = "\tindented"  # import trims spaces; the app may not
    out = export_csv(df, q)
    assert "person-" not in out
    parsed = list(csv.reader(io.StringIO(out)))
    assert parsed[0] == columns_of(q)
    cells = [c for row in parsed[1:] for c in row]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in cells
    assert "'+1 for this" in cells and "'-2" in cells and "'@SUM(A1:A9)" in cells
    assert "'\tindented" in cells and "'=cmd|' /C calc'!A0" in cells
    assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in cells)
    assert sorted(row[0] for row in parsed[1:]) == ["R1", "R2", "R3"]
    assert "dk" in [row[columns_of(q).index("meetings.useful")] for row in parsed[1:]]
    assert "1" in [row[columns_of(q).index("culture.open_debate")] for row in parsed[1:]]


def test_export_order_is_stable_and_not_submission_order(q: Questionnaire) -> None:
    rows = [person(n, organisation="Same Org", level="operational",
                   **{"resources.trust": str(1 + n % 5)}) for n in range(40)]
    df = read_responses(csv_bytes(q, rows), q)
    first = export_csv(df, q)
    shuffled = df.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert export_csv(shuffled, q) == first
    trust = [row[columns_of(q).index("resources.trust")]
             for row in list(csv.reader(io.StringIO(first)))[1:]]
    assert trust != [str(1 + n % 5) for n in range(40)]


def test_export_sorts_by_organisation_then_level(q: Questionnaire) -> None:
    rows = [person(1, organisation="Zed", level="funder"), person(2, organisation="Abe", level="strategic"),
            person(3, organisation="Abe", level="funder")]
    parsed = list(csv.reader(io.StringIO(export_csv(read_responses(csv_bytes(q, rows), q), q))))
    assert [(r[0], r[1], r[2]) for r in parsed[1:]] == [
        ("R1", "Abe", "funder"), ("R2", "Abe", "strategic"), ("R3", "Zed", "funder")]


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("\uff1dcmd", "'\uff1dcmd"), ("plain", "plain"),
    ("a=b", "a=b"), ("", ""), (None, ""), (float("nan"), ""), (3.0, "3.0"), (-1, "'-1"),
])
def test_neutralise(value: object, expected: str) -> None:
    assert neutralise(value) == expected


def test_neutralise_frame_matches_neutralise() -> None:
    df = pd.DataFrame({"a": ["=x", None, "ok"], "b": [1.5, np.nan, -3.0], "c": ["@y", "+z", "\rq"]})
    out = neutralise_frame(df)
    assert list(out.columns) == ["a", "b", "c"]
    for col in df.columns:
        assert out[col].tolist() == [neutralise(v) for v in df[col]]
    assert df["a"].iloc[0] == "=x"  # the input is left alone


# ----------------------------------------------------------------------------- never crash

TOKENS = [*"respondent,organisation,level\n\r\"';\t 0123456789.dkDK-=@x", "funder", "strategic",
          "culture.open_debate", "\ufeff", "\u00e9", "\x00", "fact.time_costed", "yes", "maybe",
          "role", "partnership", "team.challenges", "meetings.useful_comment", ",,", "\r\n"]
CSVISH = st.lists(st.sampled_from(TOKENS), max_size=120).map("".join)
HEADED = CSVISH.map(lambda body: "respondent,organisation,level,culture.open_debate,"
                                 "fact.time_costed,team.challenges\n" + body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=400), CSVISH.map(str.encode), HEADED.map(str.encode),
                 st.text(max_size=200).map(str.encode)))
def test_any_input_gives_a_frame_or_an_input_error(q: Questionnaire, data: bytes) -> None:
    try:
        df = read_responses(data, q, name="x.csv")
    except InputError as exc:
        assert exc.problems
        assert all(str(p).startswith("x.csv") for p in exc.problems)
        assert len(exc.problems) <= MAX_PROBLEMS
    else:
        assert isinstance(df, pd.DataFrame)
        assert list(df.columns) == columns_of(q)
        assert len(df) > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({
    "answers": st.fixed_dictionaries({}, optional={
        item: st.one_of(st.integers(1, 5), st.just("dk")) for item in LIKERT}),
    "choice": st.sampled_from([None, "yes", "partly", "no", "dont_know"]),
    "text": st.one_of(st.none(), st.text(min_size=1, max_size=30).filter(
        lambda s: s.strip() == s and "\x00" not in s)),
    "level": st.sampled_from(["funder", "strategic", "operational"]),
}), min_size=1, max_size=8))
def test_records_survive_csv_round_trip(q: Questionnaire, people: list[dict]) -> None:
    records = []
    for n, p in enumerate(people):
        answers = dict(p["answers"])
        if p["choice"]:
            answers["fact.time_costed"] = p["choice"]
        if p["text"]:
            answers["team.challenges"] = p["text"]
        records.append({"respondent": f"r{n}", "organisation": "O", "level": p["level"], "role": None,
                        "partnership": "", "answers": answers, "comments": {}})
    df = frame_from_records(records, q)
    assert records_from_frame(df, q) == records
    text = csv_bytes(q, [
        {**{k: r[k] for k in ("respondent", "organisation", "level")},
         **{k: str(v) for k, v in r["answers"].items()}} for r in records])
    pd.testing.assert_frame_equal(read_responses(text, q), df)


def test_export_keeps_line_breaks_inside_cells(q: Questionnaire) -> None:
    rows = [person(1, **{"meetings.useful": "2", "meetings.useful_comment": "one\rtwo\nthree\r\nfour"})]
    df = read_responses(csv_bytes(q, rows), q)
    again = read_responses(export_csv(df, q).encode(), q)
    assert again["meetings.useful_comment"].tolist() == ["one\rtwo\nthree\r\nfour"]
    assert again["respondent"].tolist() == ["R1"]


@pytest.mark.parametrize(("text", "where", "fragment"), [
    ("\nrespondent,organisation,level\nR1,O,funder\n", "row 1", "the first row is empty"),
    ("respondent,organisation,level,team.challenges\nR1,O,funder,\"" + "z" * 200_000 + "\"\n",
     "row 2", "a cell is longer than"),
    ("respondent,organisation,level\nR1,O,funder\nR2,O,\n", "row 3, column level", "the level is blank"),
    ("respondent,organisation\nR1,O\n", "row 1, column level", "required column 'level' is missing"),
])
def test_inline_malformed_cases(q: Questionnaire, text: str, where: str, fragment: str) -> None:
    with pytest.raises(InputError) as exc:
        read_responses(text.encode(), q, name="in.csv")
    assert any(line.startswith(_prefix("in.csv", where)) and fragment in line
               for line in problems_of(exc)), problems_of(exc)
