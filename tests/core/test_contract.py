"""The `healthcheck score --format json` contract: written and read through the same models.

tests/data/contract/money.csv is the demo "money" partnership (Harbour Music); money_score.json
is what `healthcheck score money.csv --format json` writes (regenerated when numbers became whole
points, and with the `anonymity` key since added: issue 13), so the writer is held to the exact
bytes (key order, rounding, nulls); money_score_decimals.json is the same document as written
before, with decimals, which must still read.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from healthcheck import cli
from healthcheck.core.assess import assess
from healthcheck.core.contract import ScoreDocument, read_documents
from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import read_responses
from healthcheck.core.responses.forms import read_score_json
from healthcheck.core.rules import load_rules
from healthcheck.services import portfolio as pf

DATA = Path(__file__).resolve().parents[1] / "data" / "contract"
CSV = DATA / "money.csv"
EXPECTED = DATA / "money_score.json"


@pytest.fixture(scope="module")
def q() -> Any:
    return load_questionnaire(find_questionnaire("core"))


@pytest.fixture(scope="module")
def doc(q: Any) -> dict[str, Any]:
    return assess(q, read_responses(CSV, q), load_rules()).as_dict()


def test_score_json_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["score", str(CSV), "--format", "json"]) == 0
    assert capsys.readouterr().out == EXPECTED.read_text(encoding="utf-8")


def test_numbers_are_written_as_shown(doc: dict[str, Any]) -> None:
    """Points whole, shares to 0.01: the same numbers the dashboard shows (anonymity.shown_*)."""
    points = [v for d in doc["dimensions"] for v in (d["score"], d["spread"], *d["by_organisation"].values(),
                                                     *d["by_level"].values()) if v is not None]
    assert points and all(isinstance(v, int) for v in points)
    shares = [d["unknown"] for d in doc["dimensions"] if d["unknown"] is not None]
    shares += [v for a in doc["answers"].values() for v in a.values()]
    assert shares and all(round(v, 2) == v for v in shares)
    assert any(round(v, 1) != v for v in shares)  # not coarser than a percent either
    for e in (e for f in doc["findings"] for e in f["evidence"] if e["value"] is not None):
        if e["condition"] in ("unknown", "answer"):
            assert round(e["value"], 2) == e["value"]
        else:
            assert isinstance(e["value"], int), e


def test_documents_with_decimals_still_read(doc: dict[str, Any]) -> None:
    old = DATA / "money_score_decimals.json"
    (read,) = read_documents(json.loads(old.read_text(encoding="utf-8")), str(old))
    assert read.dimensions[0].score == 61.8 and doc["dimensions"][0]["score"] == 62


def test_a_document_written_before_the_anonymity_key_still_reads() -> None:
    old = json.loads(EXPECTED.read_text(encoding="utf-8"))
    del old["anonymity"]
    (read,) = read_documents(old, "old.json")
    assert read.anonymity.organisation.pooled == {} and read.anonymity.level.left_out == []
    bad = {**old, "anonymity": {"organisation": {"pooled": {"Other partners, 3 people": "A"}}}}
    with pytest.raises(InputError, match="pooled"):
        read_documents(bad, "bad.json")


def test_round_trip(doc: dict[str, Any]) -> None:
    again = ScoreDocument.model_validate(json.loads(json.dumps(doc)))
    assert again.model_dump() == doc
    assert list(again.model_dump()) == list(doc)  # key order too
    (read,) = read_documents(json.loads(EXPECTED.read_text(encoding="utf-8")), str(EXPECTED))
    assert read.model_dump() == doc
    # evidence names its choices only when the condition has some
    evidence = [e for f in doc["findings"] for e in f["evidence"]]
    assert any("choices" in e for e in evidence) and any("choices" not in e for e in evidence)


def test_drill_down_from_a_document_matches_the_scores(q: Any, doc: dict[str, Any]) -> None:
    p = pf.Portfolio()
    (row,) = p.add_documents([doc], q, load_rules())
    detail = p.assessment(row.partnership)
    assert detail.as_dict() == doc


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_an_unknown_key_is_refused_naming_file_and_field(doc: dict[str, Any], tmp_path: Path) -> None:
    bad = copy.deepcopy(doc)
    third = bad["dimensions"][2]
    third["scor"] = third.pop("score")
    path = _write(tmp_path / "typo.json", bad)
    with pytest.raises(InputError) as err:
        read_score_json(path)
    messages = [str(p) for p in err.value.problems]
    assert all(p.path == str(path) for p in err.value.problems)
    assert any(f"dimension 3 ({third['id']}): unknown key 'scor'" in m and "did you mean 'score'?" in m
               for m in messages), messages
    assert any("'score' is missing" in m for m in messages), messages


def test_a_portfolio_folder_with_a_bad_document_loads_nothing(q: Any, doc: dict[str, Any],
                                                              tmp_path: Path) -> None:
    bad = copy.deepcopy(doc)
    bad["partnership"] = "Other"
    bad["findings"][0]["evidence"][0]["valeu"] = 1
    bad["respondents"] = "ten"
    _write(tmp_path / "good.json", doc)
    path = _write(tmp_path / "bad.json", [bad])
    with pytest.raises(InputError) as err:
        pf.load_path(tmp_path, q, load_rules())
    messages = [str(p) for p in err.value.problems]
    rule = bad["findings"][0]["rule"]
    assert messages == [
        f"{path}: 'respondents' should be a valid integer",
        f"{path}: finding 1 ({rule}), evidence 1: unknown key 'valeu': a `healthcheck score` document has "
        "no such key",
    ]


def test_documents_given_in_code_are_checked_too(q: Any, doc: dict[str, Any]) -> None:
    bad = {k: v for k, v in doc.items() if k != "threshold"}
    with pytest.raises(InputError) as err:
        pf.Portfolio().add_documents([doc, bad], q)
    (problem,) = err.value.problems
    assert str(problem) == "document 2: 'threshold' is missing: is this a `healthcheck score` file?"


# ----------------------------------------------------------------------------- hostile numbers and depth


def test_a_deeply_nested_file_is_refused_with_its_line(tmp_path: Path) -> None:
    """200,000 levels made Python's parser fail with a recursion error (issue 14)."""
    path = tmp_path / "deep.json"
    path.write_text('{"partnership":\n' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_score_json(path)
    (problem,) = err.value.problems
    assert problem.line == 2 and "nested more than" in problem.message, str(problem)
    # brackets inside strings do not count
    text = json.dumps({"partnership": "[" * 100})
    with pytest.raises(InputError) as err:
        read_score_json(text.encode(), "strings.json")
    assert all("nested" not in str(p) for p in err.value.problems)


@pytest.mark.parametrize(("where", "value", "expected"), [
    ("score", "1e400", "dimension 1 (factor.debate): 'score' should be a finite number"),
    ("score", "-0.5", "dimension 1 (factor.debate): 'score' should be greater than or equal to 0"),
    ("score", "100.5", "dimension 1 (factor.debate): 'score' should be less than or equal to 100"),
    ("unknown", "1.5", "dimension 1 (factor.debate): 'unknown' should be less than or equal to 1"),
    ("by_organisation", "1e400", "'by_organisation[\"Harbour Music\"]' should be a finite number"),
    ("respondents", "-3", "'respondents' should be greater than or equal to 0"),
])
def test_numbers_must_be_finite_and_in_range(doc: dict[str, Any], where: str, value: str,
                                             expected: str) -> None:
    bad = copy.deepcopy(doc)
    if where == "respondents":
        bad["respondents"] = "@@"
    elif where == "by_organisation":
        bad["dimensions"][0]["by_organisation"]["Harbour Music"] = "@@"
    else:
        bad["dimensions"][0][where] = "@@"
    text = json.dumps([doc, bad]).replace('"@@"', value)
    with pytest.raises(InputError) as err:
        read_score_json(text.encode(), "scores.json")
    messages = [str(p) for p in err.value.problems]
    assert len(messages) == 1 and messages[0].startswith("scores.json: document 2: "), messages
    assert expected in messages[0], messages


def test_an_infinite_score_never_reaches_the_drill_down(q: Any, doc: dict[str, Any]) -> None:
    bad = copy.deepcopy(doc)
    bad["dimensions"][0]["score"] = float("inf")
    with pytest.raises(InputError) as err:
        pf.Portfolio().add_documents([bad], q)
    assert "'score' should be a finite number" in str(err.value)
