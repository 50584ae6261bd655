"""Microsoft Forms / Google Forms exports and score JSON files -> the canonical response table."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from healthcheck import cli
from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import DONT_KNOW, columns_of
from healthcheck.core.responses.forms import (
    apply_mapping,
    is_personal,
    propose_mapping,
    read_any,
    read_forms_file,
    read_score_json,
)
from healthcheck.services import demo_stories as demo

PERSONAL = ["Timestamp", "Email address", "Name"]
META = ["Which organisation do you work for?", "At which level do you work?", "Partnership"]
LEVEL_WORDS = {"funder": "Funder", "strategic": "Strategic", "operational": "Operational"}


@pytest.fixture(scope="module")
def q() -> Any:
    return load_questionnaire(find_questionnaire("core"))


def forms_rows(q: Any, df: pd.DataFrame, *, partnership_column: bool = True) -> list[list[str]]:
    """A Forms-style export of a canonical table: question texts as headers, labels as answers,
    plus the timestamp, e-mail and name columns that Forms adds."""
    items = [i for i in q.items if i.type in ("likert", "choice")]
    header = PERSONAL + META[:2] + (META[2:] if partnership_column else []) + [i.text for i in items]
    rows = [header]
    for n, rec in enumerate(df.to_dict("records"), start=1):
        row = [f"2026/11/{n % 28 + 1:02d} 10:{n % 60:02d}:00", f"person{n}@example.org", f"Jo Bloggs {n}",
               rec["organisation"], LEVEL_WORDS[rec["level"]]]
        if partnership_column:
            row.append(rec["partnership"])
        for item in items:
            v = rec[item.id]
            if item.type == "likert":
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    row.append("")
                elif v == DONT_KNOW:
                    row.append(q.scale.dont_know)
                else:
                    row.append(q.scale.labels[int(v) - 1])
            else:
                labels = {c.id: c.label for c in item.choices}
                row.append(labels[v] if v else "")
        rows.append(row)
    return rows


def to_csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def story(q: Any, key: str) -> pd.DataFrame:
    return demo.story_responses(q, demo.STORY_BY_KEY[key])


def _same_answers(q: Any, got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(got) == len(want)
    for item in q.likert_items:
        assert np.array_equal(got[item.id].to_numpy(), want[item.id].to_numpy(), equal_nan=True), item.id
    for item in q.choice_items:
        assert got[item.id].tolist() == want[item.id].tolist(), item.id
    assert got["organisation"].tolist() == want["organisation"].tolist()
    assert got["level"].tolist() == want["level"].tolist()


def _no_personal_data(df: pd.DataFrame) -> None:
    assert list(df.columns) == columns_of(load_questionnaire(find_questionnaire("core")))
    cells = [str(v) for v in df.to_numpy(dtype=object).ravel()]
    assert not any("@" in c for c in cells)
    assert not any("Jo Bloggs" in c or "2026/11/" in c for c in cells)


def test_forms_export_maps_exactly_and_drops_personal_columns(q: Any) -> None:
    want = story(q, "money")
    forms = read_forms_file(to_csv(forms_rows(q, want)), "forms.csv")
    mapping = propose_mapping(forms.header, q)
    assert not mapping.needs_confirmation
    assert [c.header for c in mapping.dropped] == PERSONAL
    assert all(c.target is None for c in mapping.dropped)
    hows = {c.header: c.how for c in mapping.columns}
    assert hows[META[0]] == hows[META[1]] == "meta"
    assert hows["Partnership"] == "exact"  # the contract's own column name
    assert sum(c.how == "exact" for c in mapping.columns) == len(q.likert_items) + len(q.choice_items) + 1
    got = apply_mapping(forms, mapping, q)
    _same_answers(q, got, want)
    _no_personal_data(got)
    assert got["partnership"].unique().tolist() == [want["partnership"][0]]


def test_forms_export_without_partnership_column_takes_the_given_name(q: Any) -> None:
    want = story(q, "strong")
    forms = read_forms_file(to_csv(forms_rows(q, want, partnership_column=False)), "strong.csv")
    got = apply_mapping(forms, propose_mapping(forms.header, q), q, partnership="Riverside")
    assert set(got["partnership"]) == {"Riverside"}
    assert got["respondent"].is_unique
    _same_answers(q, got, want)


def test_mistyped_header_is_matched_by_closest_match_and_flagged(q: Any) -> None:
    want = story(q, "strong")
    rows = forms_rows(q, want)
    item = next(i for i in q.likert_items[3:] if "partner" in i.text)
    col = rows[0].index(item.text)
    rows[0][col] = item.text.replace("partner", "partnr", 1).rstrip(".") + "  "
    assert rows[0][col].strip() != item.text
    forms = read_forms_file(to_csv(rows), "forms.csv")
    mapping = propose_mapping(forms.header, q)
    (pending,) = mapping.pending
    assert pending.position == col and pending.how == "close" and pending.target == item.id
    assert 0.75 <= pending.similarity < 1
    # not confirmed: nothing is imported, and the problem names the column
    with pytest.raises(InputError) as err:
        apply_mapping(forms, mapping, q)
    (problem,) = err.value.problems
    assert problem.row == 1 and problem.column == pending.letter and item.id in problem.message
    # confirmed: imported like the rest
    _same_answers(q, apply_mapping(forms, mapping.confirm_all(), q), want)
    _same_answers(q, apply_mapping(forms, mapping.choose(col, item.id), q), want)
    # or left out: that item is simply not answered
    left_out = apply_mapping(forms, mapping.choose(col, None), q)
    assert left_out[item.id].isna().all()


def test_unmatched_header_offers_suggestions(q: Any) -> None:
    header = [*PERSONAL, *META, "Completely unrelated question about the weather?", q.likert_items[0].text]
    mapping = propose_mapping(header, q)
    (pending,) = mapping.pending
    assert pending.how == "unmatched" and pending.target is None
    assert mapping.columns[-1].how == "exact"
    with pytest.raises(ValueError):
        mapping.choose(0, q.likert_items[1].id)  # a personal column can never be imported


def test_bad_rows_are_all_reported_with_row_and_column_and_nothing_imported(q: Any) -> None:
    rows = forms_rows(q, story(q, "money"))
    item = q.likert_items[0]
    col = rows[0].index(item.text)
    level = rows[0].index(META[1])
    rows[3][col] = "Strongly agreed!!"  # spreadsheet row 3
    rows[5][level] = "Boss"  # spreadsheet row 5
    rows[7][col] = "7"
    forms = read_forms_file(to_csv(rows), "bad.csv")
    with pytest.raises(InputError) as err:
        apply_mapping(forms, propose_mapping(forms.header, q), q)
    found = {(p.row, p.column) for p in err.value.problems}
    letter = propose_mapping(forms.header, q).columns[col].letter
    level_letter = propose_mapping(forms.header, q).columns[level].letter
    assert len(err.value.problems) == 3
    rows_cols = {(r, c.split(" ")[0]) for r, c in found}
    assert rows_cols == {(4, letter), (8, letter), (6, level_letter)}
    text = "\n".join(str(p) for p in err.value.problems)
    assert "bad.csv: row 4, column" in text and item.text[:20] in text


def test_mixed_partnerships_in_one_export(q: Any) -> None:
    want = pd.concat([story(q, "money"), story(q, "leaderless"), story(q, "strong")], ignore_index=True)
    forms = read_forms_file(to_csv(forms_rows(q, want)), "all.csv")
    got = apply_mapping(forms, propose_mapping(forms.header, q), q)
    _same_answers(q, got, want)
    counts = got["partnership"].value_counts().to_dict()
    assert counts == want["partnership"].value_counts().to_dict()
    assert len(counts) == 3
    _no_personal_data(got)


def test_answer_label_variants(q: Any) -> None:
    rows = forms_rows(q, story(q, "strong").head(3))
    col = rows[0].index(q.likert_items[0].text)
    rows[1][col], rows[2][col], rows[3][col] = "STRONGLY AGREE", "Neutral", "Don\u2019t know"
    forms = read_forms_file(to_csv(rows), "labels.csv")
    got = apply_mapping(forms, propose_mapping(forms.header, q), q)
    assert got[q.likert_items[0].id].tolist() == [5.0, 3.0, DONT_KNOW]


def test_microsoft_forms_xlsx_export(q: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    want = story(q, "leaderless")
    rows = forms_rows(q, want)
    rows[0] = ["ID", "Start time", "Completion time", "Email", "Name", *rows[0][3:]]
    wb = Workbook()
    ws = wb.active
    for k, row in enumerate(rows):
        ws.append([k, row[0], row[0], *row[1:]] if k else row)
    path = tmp_path / "ms-forms.xlsx"
    wb.save(path)
    forms = read_forms_file(path)
    mapping = propose_mapping(forms.header, q)
    assert [c.header for c in mapping.dropped] == ["ID", "Start time", "Completion time", "Email", "Name"]
    got = apply_mapping(forms, mapping, q)
    _same_answers(q, got, want)
    _no_personal_data(got)
    kind, table = read_any(path, q)
    assert kind == "table" and len(table) == len(want)


@pytest.mark.parametrize("header, personal", [
    ("Timestamp", True), ("Email Address", True), ("E-mail", True), ("Name", True), ("Your name", True),
    ("Full name", True), ("Completion time", True), ("Last modified time", True), ("ID", True),
    ("Phone number", True),
    ("Name of your organisation", False), ("Which organisation do you work for?", False),
    ("Level", False), ("We can name the problem this partnership is here to solve.", False),
])
def test_personal_columns(header: str, personal: bool) -> None:
    assert is_personal(header) is personal


def test_score_json_files(q: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "all.csv"
    source.write_bytes(to_csv([list(map(str, r)) for r in _canonical_rows(demo.all_stories(q))]))
    assert cli.main(["score", str(source), "--format", "json"]) == 0
    out = tmp_path / "scores.json"
    out.write_text(capsys.readouterr().out)
    docs = read_score_json(out)
    assert len(docs) == len(demo.STORIES)
    kind, again = read_any(out, q)
    assert kind == "json" and again == docs
    one = tmp_path / "one.json"
    one.write_text(json.dumps(docs[0]))
    assert len(read_score_json(one)) == 1

    bad = tmp_path / "bad.json"
    bad.write_text('{"partnership": "x",\n "dimensions": [}')
    with pytest.raises(InputError) as err:
        read_score_json(bad)
    assert err.value.problems[0].line == 2
    bad.write_text(json.dumps([{"partnership": "x"}, docs[0]]))
    with pytest.raises(InputError) as err:
        read_score_json(bad)
    assert all("document 1" in str(p) for p in err.value.problems)
    assert any("'dimensions' is missing" in str(p) for p in err.value.problems)


def _canonical_rows(df: pd.DataFrame) -> list[list[Any]]:
    cols = list(df.columns)
    out: list[list[Any]] = [cols]
    for rec in df.itertuples(index=False):
        row = []
        for v in rec:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                row.append("")
            elif isinstance(v, float):
                row.append("dk" if v == DONT_KNOW else str(int(v)))
            else:
                row.append(v)
        out.append(row)
    return out


def test_cli_portfolio_reads_forms_exports_only_when_sure(q: Any, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    rows = forms_rows(q, pd.concat([story(q, "money"), story(q, "strong")], ignore_index=True))
    good = tmp_path / "forms.csv"
    good.write_bytes(to_csv(rows))
    assert cli.main(["portfolio", str(good), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [r["partnership"] for r in result] == [demo.STORY_BY_KEY["money"].partnership,
                                                  demo.STORY_BY_KEY["strong"].partnership]
    rows[0][8] = rows[0][8][:-3] + "xyz"
    good.write_bytes(to_csv(rows))
    assert cli.main(["portfolio", str(good)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "forms.csv: row 1, column I: header" in captured.err and "close match" in captured.err
