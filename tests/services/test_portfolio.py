"""The funder portfolio: rows, ranking, filters, exports (formula-safe) and the CLI."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from healthcheck import cli
from healthcheck.core.assess import iter_assessments
from healthcheck.core.csvsafe import FORMULA_STARTS
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import export_csv
from healthcheck.core.rules import load_rules
from healthcheck.core.scoring import ScoreTable
from healthcheck.services import demo_stories as demo
from healthcheck.services import portfolio as pf

MONEY = demo.STORY_BY_KEY["money"].partnership
LEADERLESS = demo.STORY_BY_KEY["leaderless"].partnership
STRONG = demo.STORY_BY_KEY["strong"].partnership


@pytest.fixture(scope="module")
def q() -> Any:
    return load_questionnaire(find_questionnaire("core"))


@pytest.fixture(scope="module")
def pack() -> Any:
    return load_rules()


@pytest.fixture(scope="module")
def stories(q: Any) -> pd.DataFrame:
    return demo.all_stories(q)


@pytest.fixture(scope="module")
def portfolio(q: Any, pack: Any, stories: pd.DataFrame) -> pf.Portfolio:
    p = pf.Portfolio()
    p.add_table(q, stories, pack)
    return p


def test_risky_partnerships_rank_above_the_strong_one(portfolio: pf.Portfolio) -> None:
    ranked = [r.partnership for r in pf.sort_rows(portfolio.rows, "risk")]
    assert ranked[-1] == STRONG
    assert ranked.index(MONEY) < ranked.index(STRONG)
    assert ranked.index(LEADERLESS) < ranked.index(STRONG)
    strong = portfolio.row(STRONG)
    money = portfolio.row(MONEY)
    assert strong is not None and money is not None
    assert strong.counts["high"] == 0 and money.counts["high"] > 0
    assert money.top_risk == money.risks[0].title
    assert strong.means["tasks"] > money.means["tasks"]  # type: ignore[operator]
    # by tasks score: lowest first, so the strong one comes last there too
    assert pf.sort_rows(portfolio.rows, "tasks")[-1].partnership == STRONG
    assert pf.sort_rows(portfolio.rows, "tasks", descending=True)[0].partnership == STRONG


def test_rows_agree_with_full_assessments(q: Any, pack: Any, stories: pd.DataFrame,
                                          portfolio: pf.Portfolio) -> None:
    for a in iter_assessments(q, stories, pack):
        row = portfolio.row(a.partnership)
        assert row is not None
        assert [x.rule for x in row.risks] == [f.rule.id for f in a.findings]
        assert row.respondents == a.scores.respondents
        for fw in pf.FRAMEWORK_IDS:
            scores = [d.score for d in a.scores.dimensions if d.framework == fw and d.score is not None]
            assert row.means[fw] == pytest.approx(sum(scores) / len(scores))
        for d in a.scores.dimensions:
            assert row.bands[d.id] == d.band
            assert (row.scores[d.id] is None) == (d.score is None)
        # the drill-down gives the same assessment
        detail = portfolio.assessment(a.partnership)
        assert [f.rule.id for f in detail.findings] == [f.rule.id for f in a.findings]
        assert detail.scores == a.scores


def test_rows_do_not_build_per_partnership_scores(q: Any, pack: Any, stories: pd.DataFrame,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(self: Any, name: Any = 0) -> Any:
        raise AssertionError("portfolio rows must come from the score arrays and table.facts")

    monkeypatch.setattr(ScoreTable, "partnership", forbidden)
    rows = pf.Portfolio().add_table(q, stories, pack)
    assert len(rows) == len(demo.STORIES)


def test_filters(portfolio: pf.Portfolio) -> None:
    rows = portfolio.rows
    money = portfolio.row(MONEY)
    assert money is not None
    rule = "resource-led-drift"
    assert rule in money.rule_ids
    picked = [r.partnership for r in pf.filter_rows(rows, risk=rule)]
    assert MONEY in picked and STRONG not in picked
    assert all(rule in r.rule_ids for r in pf.filter_rows(rows, risk=rule))
    assert pf.filter_rows(rows, risk="no-such-rule") == []
    high = pf.filter_rows(rows, severity="high")
    assert MONEY in [r.partnership for r in high] and STRONG not in [r.partnership for r in high]
    concern = pf.filter_rows(rows, band="concern", dimension="task.investing_resources")
    assert [r.partnership for r in concern] == [r.partnership for r in rows
                                                if r.bands["task.investing_resources"] == "concern"]
    assert MONEY in [r.partnership for r in concern]
    strong_tasks = pf.filter_rows(rows, band="strength", dimension="tasks")
    assert [r.partnership for r in strong_tasks] == [STRONG]
    assert STRONG not in [r.partnership for r in pf.filter_rows(rows, band="concern")]
    assert [r.partnership for r in pf.filter_rows(rows, text="riverside")] == [STRONG]
    spec = pf.FilterSpec(severity="high", sort="tasks")
    got = spec.apply(rows)
    assert got == pf.sort_rows(pf.filter_rows(rows, severity="high"), "tasks")
    with pytest.raises(ValueError):
        pf.filter_rows(rows, severity="dire")
    with pytest.raises(ValueError):
        pf.sort_rows(rows, "shoe size")


def test_common_risks_and_heatmap(portfolio: pf.Portfolio) -> None:
    common = pf.common_risks(portfolio.rows)
    counts = [c["partnerships"] for c in common]
    assert counts == sorted(counts, reverse=True)
    total = sum(len(r.risks) for r in portfolio.rows)
    assert sum(counts) == total
    assert all(c["actions"] and all(a["text"] for a in c["actions"]) for c in common)
    heat = pf.heatmap_frame(portfolio.rows)
    assert len(heat) == 13 * len(portfolio.rows)
    assert list(heat.columns) == ["partnership", "dimension", "label", "number", "score", "band"]
    from healthcheck.present import charts

    charts.heatmap(heat).to_dict()


def _evil_portfolio(q: Any, pack: Any) -> list[pf.PortfolioRow]:
    df = demo.story_responses(q, demo.STORY_BY_KEY["money"]).copy()
    df["partnership"] = '=HYPERLINK("http://evil.example","click")'
    other = demo.story_responses(q, demo.STORY_BY_KEY["strong"]).copy()
    other["partnership"] = "@SUM(1+1)"
    return pf.Portfolio().add_table(q, pd.concat([df, other], ignore_index=True), pack)


def test_csv_export_is_formula_safe(q: Any, pack: Any) -> None:
    rows = _evil_portfolio(q, pack)
    records = list(csv.reader(io.StringIO(pf.to_csv(rows))))
    header, body = records[0], records[1:]
    assert header[:3] == ["partnership", "round", "respondents"]
    names = {r[0] for r in body}
    assert names == {"'=HYPERLINK(\"http://evil.example\",\"click\")", "'@SUM(1+1)"}
    for r in body:
        for cell in r:
            assert not cell.startswith(FORMULA_STARTS), cell


def test_xlsx_export_is_formula_safe_and_keeps_numbers(q: Any, pack: Any) -> None:
    from openpyxl import load_workbook

    rows = _evil_portfolio(q, pack)
    wb = load_workbook(io.BytesIO(pf.to_xlsx(rows)))
    ws = wb["Portfolio"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["partnership", "round", "respondents"]
    by_name = {}
    for row in ws.iter_rows(min_row=2):
        name_cell = row[0]
        assert name_cell.data_type == "s"
        assert isinstance(name_cell.value, str) and name_cell.value.startswith("'")
        by_name[name_cell.value] = row
    evil = by_name["'=HYPERLINK(\"http://evil.example\",\"click\")"]
    cols = {h: i for i, h in enumerate(header)}
    assert isinstance(evil[cols["respondents"]].value, int)
    assert isinstance(evil[cols["tasks"]].value, int)  # whole points, as a number
    assert isinstance(evil[cols["high"]].value, int)
    # no cell anywhere in the workbook is a formula
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    assert "Common risks" in wb.sheetnames


def test_json_rows(portfolio: pf.Portfolio) -> None:
    docs = json.loads(pf.to_json(portfolio.rows))
    assert [d["partnership"] for d in docs] == portfolio.names()
    first = docs[0]
    assert set(first) >= {"partnership", "round", "respondents", "scores", "findings", "top_risk", "change"}
    assert set(first["findings"]) == {"high", "medium", "low", "info"}


def test_rows_from_score_json_match_rows_from_responses(q: Any, pack: Any, stories: pd.DataFrame,
                                                        portfolio: pf.Portfolio) -> None:
    docs = [a.as_dict() for a in iter_assessments(q, stories, pack)]
    from_docs = pf.Portfolio()
    from_docs.add_documents(json.loads(json.dumps(docs)), q, pack)
    for row in from_docs.rows:
        same = portfolio.row(row.partnership)
        assert same is not None
        assert [x.rule for x in row.risks] == [x.rule for x in same.risks]
        assert row.counts == same.counts and row.respondents == same.respondents
        for fw in pf.FRAMEWORK_IDS:
            # documents hold whole points: a mean of them is within half a point
            assert row.means[fw] == pytest.approx(same.means[fw], abs=0.5)
        detail = from_docs.assessment(row.partnership)
        assert [f.rule.id for f in detail.findings] == [x.rule for x in row.risks]
        assert len(detail.scores.dimensions) == len(q.dimensions)


def test_change_since_previous_round(q: Any, pack: Any) -> None:
    story = demo.STORY_BY_KEY["money"]
    before = ScoreTable(q, demo.story_responses(q, story, 1))
    previous = dict(zip(before.names(), pf.framework_means(before)["tasks"].tolist(), strict=True))
    (row,) = pf.Portfolio().add_table(q, demo.story_responses(q, story, 2), pack, rounds={MONEY: "Round 2"},
                                      previous=previous)
    assert row.round == "Round 2"
    assert row.change is not None and row.change > 0 and not math.isnan(row.change)
    assert pf.sort_rows([row], "change")[0] is row


def _write_stories(q: Any, path: Path, keys: list[str]) -> None:
    df = pd.concat([demo.story_responses(q, demo.STORY_BY_KEY[k]) for k in keys], ignore_index=True)
    path.write_text(export_csv(df, q), encoding="utf-8")


def test_cli_portfolio_folder_of_csv_and_json(q: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "grantees"
    folder.mkdir()
    _write_stories(q, folder / "a.csv", ["money", "strong"])
    _write_stories(q, tmp_path / "b.csv", ["leaderless"])
    assert cli.main(["score", str(tmp_path / "b.csv"), "--format", "json"]) == 0
    (folder / "b.json").write_text(capsys.readouterr().out)
    (folder / "notes.txt").write_text("ignored")
    monkeypatch.setenv("HEALTHCHECK_PROGRESS", "1")
    assert cli.main(["portfolio", str(folder)]) == 0
    out = capsys.readouterr()
    body = list(csv.reader(io.StringIO(out.out)))
    names = [r[0] for r in body[1:]]
    assert set(names) == {MONEY, STRONG, LEADERLESS} and names[-1] == STRONG
    assert "assessing: 2/2 (100%)" in out.err and "reading: 2/2 (100%)" in out.err

    assert cli.main(["portfolio", str(folder / "a.csv"), "--format", "json", "--threshold", "4"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [d["partnership"] for d in docs] == [MONEY, STRONG]


def test_cli_portfolio_is_all_or_nothing(q: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "grantees"
    folder.mkdir()
    _write_stories(q, folder / "a.csv", ["money"])
    bad = folder / "b.csv"
    _write_stories(q, bad, ["strong"])
    lines = bad.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index(q.likert_items[0].id)
    cells = lines[2].split(",")
    cells[col] = "9"
    lines[2] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "c.json").write_text("{not json")
    _write_stories(q, folder / "d.csv", ["money"])  # the same partnership again
    assert cli.main(["portfolio", str(folder)]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    err = out.err.splitlines()
    assert any(f"b.csv: row 3, column {q.likert_items[0].id}:" in line for line in err)
    assert any("c.json:1:" in line for line in err)
    assert any("d.csv" in line and "also in" in line for line in err)
    assert cli.main(["portfolio", str(tmp_path / "missing")]) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["portfolio", str(empty)]) == 1


def test_csv_writes_numbers_as_numbers_and_neutralises_only_text(q: Any, pack: Any) -> None:
    """A fall since the previous round is a negative number: it stays "-3", not the text "'-3";
    a name that starts like a formula is still neutralised (issue 14)."""
    from dataclasses import replace

    rows = _evil_portfolio(q, pack)
    rows = [replace(rows[0], change=-3.4), *rows[1:]]
    header, *body = list(csv.reader(io.StringIO(pf.to_csv(rows))))
    evil = next(r for r in body if r[0].startswith("'=HYPERLINK"))
    record = dict(zip(header, evil, strict=True))
    assert record["change"] == "-3"  # whole points
    assert int(record["tasks"]) == round(rows[0].means["tasks"])
    assert record["respondents"] == str(rows[0].respondents)
