"""Coverage and precision of the shipped rules, probed one area at a time.

- No silent concern: each of the 22 areas, alone in the concern band (about 17/100) with every
  other area healthy (about 80) and healthy facts, raises a finding that names it.
- No false alarm: a partnership whose every area is at least 60, with healthy facts, raises no
  high finding.
- "Don't know" neither dilutes nor feeds an `answer` condition: shares count among those who
  gave another answer, from real responses through scoring to the engine.

Probes are built as Facts directly (items follow their areas: as the mean of the areas an item
measures, or as the weakest of them, the two readings a real answer may take).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from healthcheck.core.assess import assess
from healthcheck.core.errors import InputError
from healthcheck.core.frameworks import DIMENSION_IDS
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.rules import Facts, load_rules, parse_rule
from healthcheck.core.rules.engine import get_engine
from healthcheck.services.calibration import names_area

from ..reference import value as reference_value

CORE = load_questionnaire(find_questionnaire("core"))
PACK = load_rules()

HEALTHY_ANSWERS = {
    "fact.origin": {"shared_need": 0.9, "invitation": 0.1},
    "fact.time_costed": {"yes": 0.9, "partly": 0.1},
    "fact.named_lead": {"yes": 1.0},
    "fact.resources_delivered": {"all": 0.7, "most": 0.3},
    "fact.continuity_plan": {"yes": 0.8, "partly": 0.2},
    "fact.capacity": {"enough": 0.8, "stretched": 0.2},
    "fact.outcomes_set": {"outline_then_refined": 0.7, "emerging": 0.3},
    "fact.meeting_actions": {"always": 0.7, "usually": 0.3},
    "fact.review_timing": {"each_meeting": 0.8, "now_and_then": 0.2},
}


def probe(scores: dict[str, float], items_follow: str = "mean") -> Facts:
    """Facts of a partnership with these area scores: small spreads and gaps, every group close
    to the whole, few "don't know", healthy facts; each item follows the areas it measures."""
    items = {}
    for item in CORE.likert_items:
        values = [scores[ref.id] for ref in item.dimensions]
        weights = [ref.weight for ref in item.dimensions]
        items[item.id] = (min(values) if items_follow == "min"
                          else sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights))
    return Facts(scores=dict(scores), spreads={d: 12.0 for d in scores}, gaps={d: 10.0 for d in scores},
                 lowest_groups={d: s - 6.0 for d, s in scores.items()}, unknown={d: 0.03 for d in scores},
                 items=items, answers={k: dict(v) for k, v in HEALTHY_ANSWERS.items()}, respondents=12)


@pytest.mark.parametrize("items_follow", ["mean", "min"])
@pytest.mark.parametrize("area", DIMENSION_IDS)
def test_one_weak_area_raises_a_finding_naming_it(area: str, items_follow: str) -> None:
    scores = {d: 80.0 for d in DIMENSION_IDS}
    scores[area] = 17.0
    findings = get_engine(PACK).evaluate(probe(scores, items_follow))
    assert any(names_area(f, area) for f in findings), (
        f"{area} at 17 with everything else at 80 raises {[f.id for f in findings]}, none naming it")


@pytest.mark.parametrize("items_follow", ["mean", "min"])
def test_healthy_probe_raises_nothing(items_follow: str) -> None:
    assert get_engine(PACK).evaluate(probe({d: 80.0 for d in DIMENSION_IDS}, items_follow)) == []


@pytest.mark.parametrize("items_follow", ["mean", "min"])
def test_every_area_at_least_60_raises_no_high_finding(items_follow: str) -> None:
    engine = get_engine(PACK)
    rng = random.Random(15)
    draws = [{d: 60.0 for d in DIMENSION_IDS}]
    draws += [{d: rng.choice([60.0, 60.0, rng.uniform(60, 100)]) for d in DIMENSION_IDS} for _ in range(300)]
    for scores in draws:
        high = [f.id for f in engine.evaluate(probe(scores, items_follow)) if f.rule.severity == "high"]
        assert not high, f"high findings {high} for areas all at least 60: {scores}"


# --- "don't know" in answer shares -------------------------------------------------------------

def _responses(time_costed: list[str], investing: float) -> pd.DataFrame:
    """One partnership of len(time_costed) respondents, every likert answer 4 except the items of
    Investing resources (answered `investing` on 1-5; the budget item always 3, so that only the
    fact can say partnership time is unpaid), and these answers to fact.time_costed."""
    rows = []
    invest_items = {i.id for i in CORE.likert_items if any(r.id == "task.investing_resources"
                                                           for r in i.dimensions)}
    invest_items.discard("q.partnership_time_budgeted")
    for n, answer in enumerate(time_costed):
        row: dict[str, object] = {"respondent": f"R{n}", "organisation": ["A", "B", "C"][n % 3],
                                  "level": "operational", "role": None, "partnership": "P"}
        for item in CORE.items:
            if item.type == "likert":
                v = investing if item.id in invest_items else 4.0
                v = 3.0 if item.id == "q.partnership_time_budgeted" else v
                row[item.id] = 6.0 - v if item.reverse else v
            elif item.type == "choice":
                row[item.id] = answer if item.id == "fact.time_costed" else item.choices[0].id
            else:
                row[item.id] = None
        rows.append(row)
    df = pd.DataFrame(rows)
    for item in CORE.likert_items:
        df[item.id] = df[item.id].astype(float)
    return df


def test_dont_know_does_not_dilute_a_fact_from_real_responses() -> None:
    # 4 of the 5 who know say "no"; 5 more do not know. Counted among all ten, "no" would be 0.4.
    df = _responses(["no"] * 4 + ["yes"] + ["dont_know"] * 5, investing=1)
    result = assess(CORE, df, PACK)
    assert result.scores.answers["fact.time_costed"] == {"no": 0.4, "yes": 0.1, "dont_know": 0.5}
    [finding] = [f for f in result.findings if f.id == "unfunded-partnership-time"]
    [share] = [e for e in finding.evidence if e.condition == "answer"]
    assert share.value == pytest.approx(0.8)


def test_half_of_those_who_know_is_not_most() -> None:
    # most do not know; of the few who know, half say it is costed: not "most say it is not"
    df = _responses(["no", "yes"] + ["dont_know"] * 4, investing=1)
    result = assess(CORE, df, PACK)
    assert "unfunded-partnership-time" not in {f.id for f in result.findings}


def test_nobody_who_knows_makes_the_condition_false() -> None:
    facts = Facts(scores={"task.investing_resources": 30}, answers={"fact.time_costed": {"dont_know": 1.0}})
    assert "unfunded-partnership-time" not in get_engine(PACK).fired(facts)
    assert reference_value({"answer": "fact.time_costed", "share_of": ["no"]},
                           {"answers": {"fact.time_costed": {"dont_know": 1.0}}}) is None


def test_dont_know_alone_is_its_share_of_everyone() -> None:
    facts = Facts(scores={"task.exercising_leadership": 55},
                  answers={"fact.named_lead": {"dont_know": 0.6, "yes": 0.4}})
    assert "leadership-vacuum" in get_engine(PACK).fired(facts)
    cond = {"answer": "fact.named_lead", "share_of": ["dont_know"]}
    assert reference_value(cond, {"answers": {"fact.named_lead": {"dont_know": 0.6, "yes": 0.4}}}) == 0.6


def test_dont_know_cannot_be_mixed_with_other_choices(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "rules" / "leadership-vacuum.yaml").read_text()
    bad = text.replace('share_of: ["no"]', 'share_of: ["no", dont_know]', 1)
    assert bad != text
    path = tmp_path / "leadership-vacuum.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as info:
        parse_rule(path)
    [problem] = info.value.problems
    assert problem.line == bad.splitlines().index('              share_of: ["no", dont_know]') + 1
    assert "dont_know" in problem.message and "on its own" in problem.message


def test_answer_shares_in_the_document_still_count_everyone() -> None:
    df = _responses(["no", "dont_know", "dont_know", "yes"], investing=4)
    shares = assess(CORE, df, PACK).scores.answers["fact.time_costed"]
    assert shares == {"dont_know": 0.5, "no": 0.25, "yes": 0.25}
    assert np.isclose(sum(shares.values()), 1.0)
