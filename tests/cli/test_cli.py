"""The `healthcheck` console script, run as a separate process (exit codes, streams, formats)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from healthcheck.core.frameworks import DIMENSION_IDS
from healthcheck.core.questionnaire import Questionnaire, load_questionnaire
from healthcheck.core.responses import columns_of, export_csv
from healthcheck.core.rules import SEVERITY_RANK
from healthcheck.services import demo_stories as demo

ROOT = Path(__file__).resolve().parents[2]
CORE = load_questionnaire(ROOT / "questionnaires" / "core.yaml")

TOP_KEYS = {"partnership", "questionnaire", "respondents", "threshold", "dimensions", "answers", "findings"}
DIM_KEYS = {"id", "framework", "label", "score", "band", "answered", "unknown", "spread",
            "by_organisation", "by_level", "suppressed"}
FINDING_KEYS = {"rule", "severity", "title", "tasks", "margin", "covers", "evidence", "actions"}
EVIDENCE_KEYS = {"condition", "subject", "value", "op", "threshold", "margin", "to_clear"}


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "healthcheck.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def _demo_csv(path: Path, q: Questionnaire = CORE) -> Path:
    path.write_text(export_csv(demo.all_stories(q), q), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _demo_csv(tmp_path_factory.mktemp("cli") / "demo.csv")


@pytest.fixture(scope="module")
def demo_json(demo_csv: Path) -> list[dict[str, Any]]:
    result = run("score", demo_csv, "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert isinstance(doc, list)
    return doc


def _by_story(docs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    name = demo.STORY_BY_KEY[key].partnership
    (doc,) = [d for d in docs if d["partnership"] == name]
    return doc


# --- template ----------------------------------------------------------------------------------

def test_template_header_has_every_item_of_core() -> None:
    result = run("template", "-q", "core")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    header = next(csv.reader([lines[0]]))
    assert header[:3] == ["respondent", "organisation", "level"]
    for item in CORE.items:
        assert item.id in header, item.id
    for item in CORE.items:
        if item.comment_prompt_below is not None:
            assert f"{item.id}_comment" in header
    assert header == columns_of(CORE)
    assert len(header) == len(set(header))


def test_template_default_is_core_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "template.csv"
    result = run("template", "-o", out)
    assert result.returncode == 0
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == run("template", "-q", "core").stdout


def test_template_of_a_questionnaire_by_path() -> None:
    result = run("template", "-q", "tests/data/mini.yaml")
    assert result.returncode == 0
    header = next(csv.reader([result.stdout]))
    assert "culture.open_debate" in header and "culture.open_debate_comment" in header


def test_template_of_an_unknown_questionnaire() -> None:
    result = run("template", "-q", "nosuch")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no such questionnaire" in result.stderr


# --- score --format json -----------------------------------------------------------------------

def test_score_json_one_object_per_partnership(demo_json: list[dict[str, Any]]) -> None:
    assert sorted(d["partnership"] for d in demo_json) == sorted(s.partnership for s in demo.STORIES)
    rows = demo.all_stories(CORE)
    for doc in demo_json:
        assert set(doc) >= TOP_KEYS
        assert doc["questionnaire"] == {"id": "core", "version": CORE.version}
        assert doc["threshold"] == 3
        assert doc["respondents"] == int((rows["partnership"] == doc["partnership"]).sum())
        assert [d["id"] for d in doc["dimensions"]] == list(DIMENSION_IDS)
        assert isinstance(doc["answers"], dict)
        for item_id, shares in doc["answers"].items():
            assert CORE.item_by_id[item_id].type == "choice"
            assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)


def test_score_json_dimension_contract(demo_json: list[dict[str, Any]]) -> None:
    for doc in demo_json:
        for d in doc["dimensions"]:
            assert set(d) >= DIM_KEYS, d["id"]
            assert d["framework"] in ("factors", "prerequisites", "tasks")
            assert isinstance(d["label"], str) and d["label"]
            assert d["band"] in ("strength", "borderline", "concern", "no data")
            assert isinstance(d["answered"], int)
            if d["score"] is None:
                assert d["band"] == "no data"
            else:
                assert 0 <= d["score"] <= 100
                band = "strength" if d["score"] >= 75 else "borderline" if d["score"] >= 50 else "concern"
                # scores are whole points in JSON; a band decided on 74.6 shows 75
                if abs(d["score"] - 75) > 0.5 and abs(d["score"] - 50) > 0.5:
                    assert d["band"] == band
            assert d["unknown"] is None or 0 <= d["unknown"] <= 1
            assert d["spread"] is None or d["spread"] >= 0
            for key in ("by_organisation", "by_level"):
                for value in d[key].values():
                    assert value is None or 0 <= value <= 100
            grouping_values = {f"organisation:{k}": v for k, v in d["by_organisation"].items()}
            grouping_values.update({f"level:{k}": v for k, v in d["by_level"].items()})
            for name in d["suppressed"]:
                assert grouping_values[name] is None, name
            assert set(d["by_level"]) <= {"funder", "strategic", "operational"}


def test_score_json_suppresses_small_groups(demo_json: list[dict[str, Any]]) -> None:
    # Harbour has 2 strategic respondents (one per organisation): hidden everywhere, and its
    # 3 funders hidden with it (otherwise strategic = total - operational - funder).
    doc = _by_story(demo_json, "money")
    for d in doc["dimensions"]:
        if d["answered"] == doc["respondents"]:
            assert d["by_level"]["strategic"] is None
            assert "level:strategic" in d["suppressed"]
            assert d["by_level"]["funder"] is None


def test_findings_follow_the_contract_and_order(demo_json: list[dict[str, Any]]) -> None:
    seen = 0
    for doc in demo_json:
        findings = doc["findings"]
        # ranked: most severe first, then furthest past its threshold, then rule id
        keys = [(SEVERITY_RANK[f["severity"]], -(f["margin"] if f["margin"] is not None else -1e9), f["rule"])
                for f in findings]
        assert keys == sorted(keys), doc["partnership"]
        assert len({f["rule"] for f in findings}) == len(findings)
        for f in findings:
            seen += 1
            assert set(f) >= FINDING_KEYS
            assert f["title"] and f["tasks"] and f["actions"] and f["evidence"]
            assert all(t.startswith("task.") for t in f["tasks"])
            for act in f["actions"]:
                assert set(act) == {"task", "text"}
            for e in f["evidence"]:
                assert set(e) >= EVIDENCE_KEYS
                _check_evidence(e)
    assert seen > 0


def _check_evidence(e: dict[str, Any]) -> None:
    value, threshold, op = e["value"], e["threshold"], e["op"]
    if value is None:
        assert op.startswith("not "), e  # a missing value never makes a condition hold
        return
    tol = 0.005 if e["condition"] in ("unknown", "answer") else 0.5  # shares to 0.01, points whole
    holds = {"below": value < threshold + tol, "at_least": value >= threshold - tol,
             "above": value > threshold - tol, "at_most": value <= threshold + tol}
    if op.startswith("not "):
        strict = {"below": value >= threshold - tol, "at_least": value < threshold + tol,
                  "above": value <= threshold + tol, "at_most": value > threshold - tol}
        assert strict[op.removeprefix("not ")], e
    else:
        assert holds[op], e


def test_strong_story_has_no_findings(demo_json: list[dict[str, Any]]) -> None:
    assert _by_story(demo_json, "strong")["findings"] == []


def test_money_story_findings(demo_json: list[dict[str, Any]]) -> None:
    rules = {f["rule"] for f in _by_story(demo_json, "money")["findings"]}
    assert {"resource-led-drift", "unfunded-partnership-time", "promised-not-delivered"} <= rules


def test_leaderless_story_findings(demo_json: list[dict[str, Any]]) -> None:
    rules = {f["rule"] for f in _by_story(demo_json, "leaderless")["findings"]}
    assert {"leadership-vacuum", "meeting-drag"} <= rules


def test_every_story_raises_what_it_promises(demo_json: list[dict[str, Any]]) -> None:
    for story in demo.STORIES:
        # a finding that supersedes another shows it in `covers`
        rules = {r for f in _by_story(demo_json, story.key)["findings"] for r in (f["rule"], *f["covers"])}
        assert set(story.expected) <= rules, story.key


def test_score_json_single_partnership_is_one_object(tmp_path: Path) -> None:
    df = demo.story_responses(CORE, demo.STORY_BY_KEY["strong"])
    path = tmp_path / "one.csv"
    path.write_text(export_csv(df, CORE), encoding="utf-8")
    result = run("score", path, "--format", "json", "--threshold", "4")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert isinstance(doc, dict)
    assert doc["partnership"] == demo.STORY_BY_KEY["strong"].partnership
    assert doc["threshold"] == 4
    assert doc["findings"] == []


# --- other formats -----------------------------------------------------------------------------

def test_score_csv(demo_csv: Path) -> None:
    result = run("score", demo_csv, "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(demo.STORIES) * len(DIMENSION_IDS)
    assert {r["partnership"] for r in rows} == {s.partnership for s in demo.STORIES}
    assert {"partnership", "dimension", "score", "band", "spread", "suppressed"} <= set(rows[0])
    for r in rows:
        assert r["dimension"] in DIMENSION_IDS
        if r["score"]:
            assert 0 <= float(r["score"]) <= 100


def test_score_table(demo_csv: Path) -> None:
    result = run("score", demo_csv, "--format", "table")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for story in demo.STORIES:
        assert story.partnership in out
    assert "No risks flagged." in out          # Riverside
    assert "(leadership-vacuum)" in out
    assert "[HIGH]" in out
    assert run("score", demo_csv).stdout == out  # table is the default


# --- errors and usage --------------------------------------------------------------------------

@pytest.mark.parametrize("threshold", ["2", "0", "-1", "three"])
def test_score_threshold_below_three_is_a_usage_error(demo_csv: Path, threshold: str) -> None:
    result = run("score", demo_csv, "--threshold", threshold)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "threshold" in result.stderr


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    assert run("nosuchcommand").returncode == 2
    assert run("score").returncode == 2  # RESPONSES.csv missing
    assert run("score", "x.csv", "--format", "xml").returncode == 2


def _bad_csv(path: Path) -> Path:
    header = columns_of(CORE)
    likert = [i.id for i in CORE.likert_items]
    rows = []
    for k in range(3):
        row = dict.fromkeys(header, "")
        row.update({"respondent": f"r{k}", "organisation": "Harbour Music", "level": "operational"})
        row.update(dict.fromkeys(likert, "3"))
        rows.append(row)
    rows[1][likert[2]] = "7"            # row 3 of the spreadsheet (header is row 1)
    rows[2]["level"] = "manager"        # row 4
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_score_bad_csv_exits_1_with_located_problems(tmp_path: Path) -> None:
    path = _bad_csv(tmp_path / "bad.csv")
    result = run("score", path, "--format", "json")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    likert = [i.id for i in CORE.likert_items]
    assert any(line.startswith(f"{path}: row 3, column {likert[2]}: ") and "7" in line
               for line in lines), lines
    assert any(line.startswith(f"{path}: row 4, column level: ") for line in lines), lines
    assert "Traceback" not in result.stderr


def test_score_csv_with_unknown_column(tmp_path: Path) -> None:
    path = tmp_path / "unknown.csv"
    header = [*columns_of(CORE), "favourite_colour"]
    path.write_text(",".join(header) + "\n", encoding="utf-8")
    result = run("score", path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "favourite_colour" in result.stderr
    assert "Traceback" not in result.stderr


def test_score_missing_file(tmp_path: Path) -> None:
    result = run("score", tmp_path / "nope.csv")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "nope.csv" in result.stderr
    assert "Traceback" not in result.stderr


def test_score_with_bad_rules_folder(demo_csv: Path) -> None:
    result = run("score", demo_csv, "--rules", "tests/data/bad_yaml/rules")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "tests/data/bad_yaml/rules/unknown-severity.yaml:4: " in result.stderr
    assert "Traceback" not in result.stderr


def test_score_with_a_folder_of_good_rules(demo_csv: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("leadership-vacuum.yaml", "meeting-drag.yaml"):
        (rules / name).write_text((ROOT / "rules" / name).read_text(encoding="utf-8"), encoding="utf-8")
    result = run("score", demo_csv, "--rules", rules, "--format", "json")
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert {f["rule"] for d in docs for f in d["findings"]} == {"leadership-vacuum", "meeting-drag"}
    assert {f["rule"] for f in _by_story(docs, "leaderless")["findings"]} == {"leadership-vacuum",
                                                                               "meeting-drag"}


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "healthcheck"
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("healthcheck ")
