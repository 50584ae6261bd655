"""Scoring: hand-built response tables with answers chosen so every expected number is exact.

The mini questionnaire (tests/data/mini.yaml) measures each dimension with one likert item:
culture.open_debate -> the 4 factors; purpose.shared_problem -> 4 prerequisites;
purpose.provider_led (reverse-keyed) -> prereq.young_people_first and tasks 1-3;
meetings.useful -> tasks 4-6; resources.trust -> task.investing_resources (weight 2),
task.integrity_trust, task.thinking_integration; continuity.learning -> tasks 10-13.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcheck.core.anonymity import SMALL_GROUPS
from healthcheck.core.frameworks import DIMENSION_IDS
from healthcheck.core.questionnaire import Questionnaire, load_questionnaire
from healthcheck.core.responses import DONT_KNOW, frame_from_records
from healthcheck.core.scoring import MIN_THRESHOLD, DimensionScore, PartnershipScores, ScoreTable, score

ROOT = Path(__file__).resolve().parents[2]
MINI_PATH = ROOT / "tests" / "data" / "mini.yaml"
HIDE = SMALL_GROUPS[1]  # today's secondary suppression, which the tests of the hide rule use
MINI = load_questionnaire(MINI_PATH)
LIKERT = [i.id for i in MINI.likert_items]

# Extra item on task.investing_resources (weight 1) so that the weight 2 of resources.trust shows.
WEIGHTED = load_questionnaire(MINI_PATH, text=MINI_PATH.read_text(encoding="utf-8") + """\
      - id: resources.extra
        text: Partners put in staff time as well as money.
        type: likert
        dimensions: [task.investing_resources]
""")


def rec(respondent: str, organisation: str = "Org A", level: str = "operational",
        partnership: str | None = None, **answers: Any) -> dict[str, Any]:
    """An answer record; keyword names use '__' for the dot of an item id."""
    record: dict[str, Any] = {"respondent": respondent, "organisation": organisation, "level": level,
                              "answers": {k.replace("__", "."): v for k, v in answers.items()}}
    if partnership is not None:
        record["partnership"] = partnership
    return record


def everyone(value: Any) -> dict[str, Any]:
    """The same answer to every likert item of mini."""
    return {i.replace(".", "__"): value for i in LIKERT}


def table(records: list[dict[str, Any]], q: Questionnaire = MINI) -> pd.DataFrame:
    return frame_from_records(records, q)


def dim(scores: PartnershipScores, dimension: str) -> DimensionScore:
    return scores.by_id[dimension]


# --- the 0-100 mapping, reverse keying, weights ---------------------------------------------------

@pytest.mark.parametrize(("answer", "expected"), [(1, 0.0), (2, 25.0), (3, 50.0), (4, 75.0), (5, 100.0)])
def test_answer_maps_linearly_to_0_100(answer: int, expected: float) -> None:
    s = score(MINI, table([rec("r1", **everyone(answer))]))
    assert s.respondents == 1
    assert dim(s, "factor.debate").score == expected
    assert dim(s, "task.exercising_leadership").score == expected
    assert s.items["culture.open_debate"] == expected


@pytest.mark.parametrize(("answer", "expected"), [(1, 100.0), (2, 75.0), (3, 50.0), (4, 25.0), (5, 0.0)])
def test_reverse_keyed_item_is_flipped(answer: int, expected: float) -> None:
    s = score(MINI, table([rec("r1", **everyone(answer))]))
    # purpose.provider_led is reverse-keyed and alone measures these four dimensions
    for d in ("prereq.young_people_first", "task.taking_stock", "task.doing_research",
              "task.creating_interest"):
        assert dim(s, d).score == expected
    assert s.items["purpose.provider_led"] == expected
    # a normally keyed item with the same answer is not flipped
    assert dim(s, "prereq.clear_problem").score == 100.0 - expected


def test_weight_two_counts_double() -> None:
    # resources.trust (weight 2) = 5 -> 100, resources.extra (weight 1) = 1 -> 0
    s = score(WEIGHTED, table([rec("r1", resources__trust=5, resources__extra=1)], WEIGHTED))
    assert dim(s, "task.investing_resources").score == pytest.approx(200 / 3)
    # the other dimensions of resources.trust have weight 1 and only that item
    assert dim(s, "task.integrity_trust").score == 100.0
    # swapped: the heavier item says 1
    s = score(WEIGHTED, table([rec("r1", resources__trust=1, resources__extra=5)], WEIGHTED))
    assert dim(s, "task.investing_resources").score == pytest.approx(100 / 3)


def test_weight_applies_within_a_respondent_before_averaging() -> None:
    records = [rec("r1", resources__trust=5, resources__extra=1),   # 66.67
               rec("r2", resources__trust=3),                       # 50 (extra blank)
               rec("r3", resources__extra=4)]                       # 75 (trust blank)
    s = score(WEIGHTED, table(records, WEIGHTED))
    d = dim(s, "task.investing_resources")
    assert d.score == pytest.approx((200 / 3 + 50 + 75) / 3)
    assert d.answered == 3


def test_weighted_dont_know_is_left_out_not_counted_as_zero() -> None:
    s = score(WEIGHTED, table([rec("r1", resources__trust="dk", resources__extra=5)], WEIGHTED))
    d = dim(s, "task.investing_resources")
    assert d.score == 100.0
    assert d.unknown == pytest.approx(0.5)


# --- don't know, blanks, answered, spread ----------------------------------------------------------

def test_dont_know_excluded_from_score_and_counted_in_unknown() -> None:
    records = [rec("r1", culture__open_debate=5), rec("r2", culture__open_debate=3),
               rec("r3", culture__open_debate="dk")]
    df = table(records)
    assert df["culture.open_debate"].tolist()[2] == DONT_KNOW
    d = dim(score(MINI, df), "factor.debate")
    assert d.score == 75.0           # mean of 100 and 50
    assert d.answered == 2
    assert d.unknown == pytest.approx(1 / 3)
    assert d.spread == pytest.approx(25.0)


def test_blank_excluded_from_score_and_from_unknown() -> None:
    records = [rec("r1", culture__open_debate=5), rec("r2"), rec("r3", culture__open_debate="dk")]
    d = dim(score(MINI, table(records)), "factor.debate")
    assert d.score == 100.0
    assert d.answered == 1
    assert d.unknown == pytest.approx(0.5)  # 1 don't know among 2 answers; the blank is not one
    assert d.spread is None                 # one respondent: no spread


def test_unknown_is_zero_when_everyone_answered() -> None:
    d = dim(score(MINI, table([rec("r1", **everyone(4)), rec("r2", **everyone(2))])), "factor.change")
    assert d.unknown == 0.0
    assert d.answered == 2


def test_spread_is_population_standard_deviation() -> None:
    records = [rec("r1", culture__open_debate=1), rec("r2", culture__open_debate=3),
               rec("r3", culture__open_debate=5)]
    d = dim(score(MINI, table(records)), "factor.debate")
    assert d.score == 50.0
    assert d.spread == pytest.approx(math.sqrt((50**2 + 0 + 50**2) / 3))  # 40.82, not 50 (sample)
    assert d.spread == pytest.approx(float(np.std([0, 50, 100])))


def test_spread_zero_when_everyone_agrees() -> None:
    d = dim(score(MINI, table([rec(f"r{k}", **everyone(4)) for k in range(4)])), "factor.debate")
    assert d.spread == 0.0
    assert d.score == 75.0


def test_answered_counts_respondents_not_items() -> None:
    # task.investing_resources is measured by two items in WEIGHTED; r1 answered both
    records = [rec("r1", resources__trust=4, resources__extra=4), rec("r2", resources__trust="dk"),
               rec("r3", resources__extra=2), rec("r4")]
    s = score(WEIGHTED, table(records, WEIGHTED))
    d = dim(s, "task.investing_resources")
    assert d.answered == 2
    assert d.unknown == pytest.approx(1 / 4)  # answers given: 4, 4, dk, 2
    assert s.respondents == 4


# --- bands and "no data" -------------------------------------------------------------------------

@pytest.mark.parametrize(("answer", "band"), [(5, "strength"), (4, "strength"), (3, "borderline"),
                                              (2, "concern"), (1, "concern")])
def test_bands_from_answers(answer: int, band: str) -> None:
    d = dim(score(MINI, table([rec("r1", **everyone(answer))])), "factor.debate")
    assert d.band == band


def test_band_follows_the_score_as_shown() -> None:
    # 249 answers of 3 (50) and one of 2 (25): mean 49.9, shown as 50 (anonymity.shown_score), so
    # borderline: a band never says which side of a cut a decimal nobody is shown fell on
    records = [rec(f"r{k}", culture__open_debate=3) for k in range(249)]
    records.append(rec("r249", culture__open_debate=2))
    d = dim(score(MINI, table(records)), "factor.debate")
    assert d.score == pytest.approx(49.9)
    assert d.as_dict()["score"] == 50 and d.band == "borderline"
    # 240 of 3 and ten of 2: mean 49.0, shown as 49: concern
    records = [rec(f"r{k}", culture__open_debate=3) for k in range(240)]
    records += [rec(f"s{k}", culture__open_debate=2) for k in range(10)]
    d = dim(score(MINI, table(records)), "factor.debate")
    assert d.as_dict()["score"] == 49 and d.band == "concern"


def test_band_just_below_seventy_five_as_shown() -> None:
    # 240 answers of 4 (75) and ten of 3 (50): mean 74.0, shown as 74: borderline
    records = [rec(f"r{k}", culture__open_debate=4) for k in range(240)]
    records += [rec(f"s{k}", culture__open_debate=3) for k in range(10)]
    d = dim(score(MINI, table(records)), "factor.debate")
    assert d.score == pytest.approx(74.0)
    assert d.band == "borderline"


@pytest.mark.parametrize(("value", "band"), [(100, "strength"), (75, "strength"), (74.999, "strength"),
                                             (74.4, "borderline"), (50, "borderline"), (49.9, "borderline"),
                                             (49.4, "concern"), (0, "concern"),
                                             (None, "no data"), (float("nan"), "no data")])
def test_default_cut_points(value: float | None, band: str) -> None:
    assert MINI.bands.band(value) == band


def test_cut_points_are_configuration() -> None:
    text = MINI_PATH.read_text(encoding="utf-8").replace(
        "coverage: 1\n", "coverage: 1\nbands: {strength: 80, borderline: 60}\n")
    q = load_questionnaire(MINI_PATH, text=text)
    s = score(q, table([rec("r1", **everyone(4))], q))   # 75
    assert dim(s, "factor.debate").band == "borderline"
    s = score(q, table([rec("r1", **everyone(3))], q))   # 50
    assert dim(s, "factor.debate").band == "concern"


@pytest.mark.parametrize("nobody", [None, "dk"])
def test_no_data_when_nobody_answered(nobody: str | None) -> None:
    answers = everyone(4)
    answers["meetings__useful"] = nobody
    s = score(MINI, table([rec(f"r{k}", **answers) for k in range(4)]))
    for d_id in ("task.developing_understanding", "task.attending_structures", "task.attending_systems"):
        d = dim(s, d_id)
        assert d.score is None
        assert d.band == "no data"
        assert d.answered == 0
        assert d.spread is None
        assert d.unknown == (1.0 if nobody == "dk" else None)
        assert set(d.by_organisation.values()) == {None}
        assert d.gap is None and d.lowest_group is None
        doc = d.as_dict()
        assert doc["score"] is None and doc["band"] == "no data"
    assert dim(s, "factor.debate").score == 75.0
    assert "meetings.useful" not in s.items


def test_dimensions_in_framework_order() -> None:
    s = score(MINI, table([rec("r1", **everyone(3))]))
    assert [d.id for d in s.dimensions] == list(DIMENSION_IDS)
    d = dim(s, "task.taking_stock")
    assert (d.framework, d.label) == ("tasks", "Taking stock")


# --- groups: organisation and level, suppression ---------------------------------------------------

def _people(org: str, level: str, answers: list[Any], start: int = 0) -> list[dict[str, Any]]:
    return [rec(f"{org}-{level}-{start + k}", org, level, culture__open_debate=a)
            for k, a in enumerate(answers)]


def test_by_organisation_and_level_means() -> None:
    records = (_people("A", "strategic", [5, 5]) + _people("A", "operational", [4])
               + _people("B", "strategic", [1]) + _people("B", "operational", [2, 3]))
    d = dim(score(MINI, table(records)), "factor.debate")
    assert d.by_organisation == {"A": pytest.approx(275 / 3), "B": pytest.approx(25.0)}
    # levels: strategic 100, 100, 0; operational 75, 25, 50
    assert d.by_level == {"strategic": pytest.approx(200 / 3), "operational": pytest.approx(50.0)}
    assert d.suppressed == []
    assert d.score == pytest.approx(350 / 6)
    assert d.gap == pytest.approx(275 / 3 - 25)
    assert d.gap_between == ("A", "B")
    assert d.lowest_group == pytest.approx(25.0)


def test_groups_below_threshold_are_hidden_and_listed() -> None:
    records = (_people("A", "operational", [5, 5, 5]) + _people("B", "operational", [3, 3, 3])
               + _people("C", "operational", [1]) + _people("D", "operational", [2, 2]))
    d = dim(score(MINI, table(records), small_groups=HIDE), "factor.debate")
    assert d.by_organisation == {"A": 100.0, "B": 50.0, "C": None, "D": None}
    assert sorted(d.suppressed) == ["organisation:C", "organisation:D"]
    # the overall score still counts everyone
    assert d.score == pytest.approx((300 + 150 + 0 + 50) / 9)
    assert d.answered == 9


def test_secondary_suppression_hides_the_next_smallest_group() -> None:
    records = (_people("A", "operational", [5, 5, 5, 5, 5]) + _people("B", "operational", [4, 4, 4, 4])
               + _people("C", "operational", [3, 3, 3]) + _people("D", "operational", [1]))
    d = dim(score(MINI, table(records), small_groups=HIDE), "factor.debate")
    # D (1 person) is below the threshold; with only D hidden its score would follow from the
    # total and A, B, C, so the smallest shown group (C, 3 people) is hidden too.
    assert d.by_organisation == {"A": 100.0, "B": 75.0, "C": None, "D": None}
    assert sorted(d.suppressed) == ["organisation:C", "organisation:D"]


def test_secondary_suppression_cannot_be_undone_from_the_total() -> None:
    records = (_people("A", "operational", [5, 5, 5, 4]) + _people("B", "operational", [2, 3, 3])
               + _people("C", "operational", [1]))
    d = dim(score(MINI, table(records), small_groups=HIDE), "factor.debate")
    shown = {k: v for k, v in d.by_organisation.items() if v is not None}
    assert shown == {"A": pytest.approx(93.75)}
    assert len(d.suppressed) == 2
    # total = (4*A + 3*B + 1*C) / 8: with B and C both hidden, C cannot be solved for alone


def test_secondary_suppression_with_a_tie_hides_exactly_one_more() -> None:
    records = (_people("A", "operational", [5, 5, 5]) + _people("B", "operational", [3, 3, 3])
               + _people("E", "operational", [4, 4, 4, 4]) + _people("C", "operational", [1, 1]))
    d = dim(score(MINI, table(records), small_groups=HIDE), "factor.debate")
    hidden = sorted(k for k, v in d.by_organisation.items() if v is None)
    assert len(hidden) == 2 and "C" in hidden and hidden[0] in ("A", "B")
    assert d.by_organisation["E"] == 75.0


def test_no_secondary_suppression_when_two_groups_are_hidden() -> None:
    records = (_people("A", "operational", [5, 5, 5]) + _people("B", "operational", [1])
               + _people("C", "operational", [1, 1]))
    d = dim(score(MINI, table(records), small_groups=HIDE), "factor.debate")
    assert d.by_organisation == {"A": 100.0, "B": None, "C": None}


def test_lone_small_level_hides_the_next_smallest_level() -> None:
    records = (_people("A", "operational", [5, 5, 5, 5]) + _people("A", "strategic", [3, 3, 3])
               + _people("A", "funder", [1]))
    d = dim(score(MINI, table(records), small_groups=HIDE), "factor.debate")
    assert d.by_level == {"funder": None, "operational": 100.0, "strategic": None}
    assert sorted(d.suppressed) == ["level:funder", "level:strategic"]
    assert d.by_organisation == {"A": pytest.approx(550 / 8)}


def test_group_size_counts_only_those_who_answered_the_dimension() -> None:
    # B has 3 people but only 2 answered culture.open_debate: B is below the threshold there
    records = (_people("A", "operational", [5, 5, 5]) + _people("A", "operational", [4, 4, 4], 3)
               + _people("B", "operational", [2, 2, None]) + _people("C", "operational", [3, 3, 3]))
    s = score(MINI, table(records))
    d = dim(s, "factor.debate")
    assert d.by_organisation["B"] is None
    assert "organisation:B" in d.suppressed
    # lone hidden group: the smallest shown (C, 3) is hidden too; A (6) is shown
    assert d.by_organisation == {"A": pytest.approx(87.5), "B": None, "C": None}


def test_higher_threshold_hides_more() -> None:
    records = _people("A", "operational", [5, 5, 5, 5]) + _people("B", "operational", [1, 1, 1, 1, 1])
    d = dim(score(MINI, table(records), threshold=5, small_groups=HIDE), "factor.debate")
    assert d.by_organisation == {"A": None, "B": None}
    d3 = dim(score(MINI, table(records), threshold=3, small_groups=HIDE), "factor.debate")
    assert d3.by_organisation == {"A": 100.0, "B": 0.0}


@pytest.mark.parametrize("threshold", [2, 1, 0, -3])
def test_threshold_below_three_raises(threshold: int) -> None:
    df = table([rec("r1", **everyone(3))])
    with pytest.raises(ValueError, match="cannot be below 3"):
        ScoreTable(MINI, df, threshold)
    with pytest.raises(ValueError):
        score(MINI, df, threshold=threshold)
    assert MIN_THRESHOLD == 3


def test_gap_and_lowest_group_only_over_shown_groups() -> None:
    records = (_people("A", "operational", [5, 5, 5, 5]) + _people("B", "operational", [3, 3, 3, 3])
               + _people("C", "operational", [4, 4, 4, 4]) + _people("D", "operational", [1]))
    d = dim(score(MINI, table(records), small_groups=HIDE), "factor.debate")
    # D (0) is hidden; secondary suppression hides one of the 4-person groups (A, by name).
    assert d.by_organisation == {"A": None, "B": 50.0, "C": 75.0, "D": None}
    assert d.gap == pytest.approx(25.0)           # not 100 (A vs D)
    assert d.gap_between == ("C", "B")
    assert d.lowest_group == pytest.approx(50.0)  # not 0 (D)
    # one level only: no gap between levels; its mean is everyone's
    assert d.by_level == {"operational": pytest.approx(900 / 13)}


def test_gap_is_none_with_fewer_than_two_shown_groups() -> None:
    records = _people("A", "operational", [5, 5, 5]) + _people("B", "operational", [1, 1])
    d = dim(score(MINI, table(records), small_groups=HIDE), "factor.debate")
    assert d.by_organisation == {"A": None, "B": None}
    assert d.gap is None and d.gap_between is None
    # the one level (5 people) is still shown, so it is the lowest shown group
    assert d.by_level == {"operational": 60.0}
    assert d.lowest_group == pytest.approx(60.0)


def test_gap_takes_the_larger_of_organisations_and_levels() -> None:
    records = (_people("A", "strategic", [5, 5, 5]) + _people("B", "operational", [4, 4, 4])
               + _people("B", "strategic", [1, 1, 1]))
    d = dim(score(MINI, table(records)), "factor.debate")
    # organisations: A 100, B 37.5 -> 62.5; levels: strategic 50, operational 75 -> 25
    assert d.gap == pytest.approx(62.5)
    assert d.gap_between == ("A", "B")
    assert d.lowest_group == pytest.approx(37.5)


# --- choice answers ------------------------------------------------------------------------------

def test_answer_shares_of_a_choice_item() -> None:
    answers = ["yes", "yes", "no", None, "partly"]
    records = [rec(f"r{k}", fact__time_costed=a) for k, a in enumerate(answers)]
    s = score(MINI, table(records))
    assert s.answers == {"fact.time_costed": {"yes": 0.5, "no": 0.25, "partly": 0.25}}


def test_dont_know_choice_is_a_share_like_any_other() -> None:
    answers = ["dont_know", "yes", "yes", "dont_know"]
    s = score(MINI, table([rec(f"r{k}", fact__time_costed=a) for k, a in enumerate(answers)]))
    assert s.answers["fact.time_costed"] == {"dont_know": 0.5, "yes": 0.5}


def test_no_answer_shares_when_nobody_answered_the_choice() -> None:
    s = score(MINI, table([rec("r1", **everyone(3))]))
    assert s.answers == {}


# --- several partnerships in one table ------------------------------------------------------------

def _two_partnerships() -> list[dict[str, Any]]:
    out = []
    first = [("A", "strategic", 5, "yes"), ("A", "operational", 4, "no"), ("A", "operational", 4, "yes"),
             ("B", "operational", "dk", None), ("B", "strategic", 2, "partly"), ("B", "operational", 3, "no")]
    for k, (org, level, a, fact) in enumerate(first):
        out.append(rec(f"p1-{k}", org, level, "One", fact__time_costed=fact, **everyone(a)))
    for k, (org, level, a) in enumerate([("X", "funder", 1), ("X", "funder", 2), ("X", "funder", 1),
                                         ("Y", "strategic", 5), ("Y", "operational", None)]):
        out.append(rec(f"p2-{k}", org, level, "Two", fact__time_costed="dont_know", **everyone(a)))
    return out


def _snapshot(s: PartnershipScores) -> Any:
    return (s.partnership, s.respondents, s.threshold, [_dim_snapshot(d) for d in s.dimensions],
            s.answers, s.items, s.organisations, s.levels)


def _dim_snapshot(d: DimensionScore) -> Any:
    return (d.as_dict(), None if d.gap is None else round(d.gap, 9), d.gap_between,
            None if d.lowest_group is None else round(d.lowest_group, 9))


def test_partnerships_in_one_table_are_scored_independently() -> None:
    records = _two_partnerships()
    for mode in ("pool", HIDE):
        together = ScoreTable(MINI, table(records), small_groups=mode)
        for name in ("One", "Two"):
            alone = score(MINI, table([r for r in records if r["partnership"] == name]), small_groups=mode)
            assert _snapshot(together.partnership(name)) == _snapshot(alone)
    # pooling (the default): One's lone pair of strategic staff would take both partners below
    # the threshold if left out, so the level is hidden instead and both partners show
    one = ScoreTable(MINI, table(records)).partnership("One")
    assert one.respondents == 6 and one.left_out == 0 and one.anonymity["level"].left_out == []
    assert one.organisations == {"A": 3, "B": 3} and "strategic" in one.anonymity["level"].hidden
    assert dim(one, "factor.debate").score == pytest.approx((100 + 75 + 75 + 25 + 50) / 5)
    together = ScoreTable(MINI, table(records), small_groups=HIDE)
    assert together.names() == ["One", "Two"]
    assert len(together) == 2
    one, two = together.partnership("One"), together.partnership(1)
    assert one.respondents == 6 and two.respondents == 5
    assert dim(one, "factor.debate").score == pytest.approx((100 + 75 + 75 + 25 + 50) / 5)
    assert dim(two, "factor.debate").score == pytest.approx((0 + 25 + 0 + 100) / 4)
    assert one.answers["fact.time_costed"] == {"yes": 0.4, "no": 0.4, "partly": 0.2}
    assert two.answers["fact.time_costed"] == {"dont_know": 1.0}


def test_interleaved_rows_and_a_filtered_frame_give_the_same_scores() -> None:
    records = _two_partnerships()
    df = table(records)
    shuffled = df.iloc[[0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5]]   # index no longer 0..n-1
    together = ScoreTable(MINI, shuffled)
    for name in ("One", "Two"):
        alone = score(MINI, df[df["partnership"] == name])  # filtered, index kept
        assert _snapshot(together.partnership(name)) == _snapshot(alone)


def test_score_takes_the_first_partnership() -> None:
    s = score(MINI, table(_two_partnerships()))
    assert s.partnership == "One"


# --- properties ----------------------------------------------------------------------------------

ANSWER = st.sampled_from([1, 2, 3, 4, 5, "dk", None])
PERSON = st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["funder", "strategic", "operational"]),
                   st.lists(ANSWER, min_size=len(LIKERT), max_size=len(LIKERT)),
                   st.sampled_from(["yes", "no", "partly", "dont_know", None]),
                   st.sampled_from(["P", "Q"]))


def _records(people: list[Any]) -> list[dict[str, Any]]:
    return [rec(f"r{k}", org, level, part, fact__time_costed=fact,
                **{i.replace(".", "__"): a for i, a in zip(LIKERT, answers, strict=True)})
            for k, (org, level, answers, fact, part) in enumerate(people)]


def _in_range(v: float | None) -> bool:
    return v is None or (0.0 - 1e-9 <= v <= 100.0 + 1e-9)


def _approx_snapshot(s: PartnershipScores) -> Any:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 6)
    return (s.respondents, s.organisations, s.levels,
            {k: {c: round(x, 6) for c, x in v.items()} for k, v in s.answers.items()},
            {k: r(v) for k, v in s.items.items()},
            [(d.id, r(d.score), d.band, d.answered, r(d.unknown), r(d.spread),
              {k: r(v) for k, v in d.by_organisation.items()}, {k: r(v) for k, v in d.by_level.items()},
              sorted(d.suppressed), r(d.gap), r(d.lowest_group)) for d in s.dimensions])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(PERSON, min_size=1, max_size=14), seed=st.randoms(use_true_random=False),
       threshold=st.integers(3, 5), mode=st.sampled_from(["pool", HIDE]))
def test_scores_in_range_and_independent_of_row_order(people: list[Any], seed: Any, threshold: int,
                                                      mode: str) -> None:
    records = _records(people)
    base = ScoreTable(MINI, table(records), threshold, small_groups=mode)
    shuffled = list(records)
    seed.shuffle(shuffled)
    other = ScoreTable(MINI, table(shuffled), threshold, small_groups=mode)
    assert sorted(base.names()) == sorted(other.names())
    for name in base.names():
        s = base.partnership(name)
        assert _approx_snapshot(s) == _approx_snapshot(other.partnership(name))
        for d in s.dimensions:
            assert _in_range(d.score) and _in_range(d.lowest_group)
            assert all(_in_range(v) for v in (*d.by_organisation.values(), *d.by_level.values()))
            assert d.spread is None or 0.0 <= d.spread <= 50.0 + 1e-9
            assert d.gap is None or 0.0 <= d.gap <= 100.0 + 1e-9
            assert d.unknown is None or 0.0 <= d.unknown <= 1.0
            assert (d.score is None) == (d.answered == 0)
            assert d.band in ("strength", "borderline", "concern", "no data")
            assert (d.band == "no data") == (d.score is None)
            # a shown group always has at least `threshold` respondents who answered
            for grouping, values in (("organisation", d.by_organisation), ("level", d.by_level)):
                pools = s.anonymity[grouping].pooled
                for group, value in values.items():
                    column = "organisation" if grouping == "organisation" else "level"
                    members = set(pools.get(group, [group]))  # a pool stands for its groups
                    n = sum(1 for k, r in enumerate(records) if r.get("partnership") == name
                            and r[column] in members and _answered(r, d.id) and base.inside[k])
                    if value is not None:
                        assert n >= threshold
                    if 0 < n < threshold:
                        assert f"{grouping}:{group}" in d.suppressed
                # never exactly one group hidden among those with answers
                hidden = [g for g, v in values.items() if v is None and f"{grouping}:{g}" in d.suppressed]
                assert len(hidden) != 1 or len([v for v in values.values() if v is not None]) == 0
        for shares in s.answers.values():
            assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)


def _answered(record: dict[str, Any], dimension: str) -> bool:
    for item in MINI.likert_items:
        if any(ref.id == dimension for ref in item.dimensions):
            value = record["answers"].get(item.id)
            if value is not None and value != "dk":
                return True
    return False


def test_visible_counts_hide_a_lone_small_group_and_the_next_smallest() -> None:
    from healthcheck.core.anonymity import visible_counts

    # 10 in all: showing 3 and 5 would give away the hidden 2 by subtraction
    assert visible_counts({"funder": 3, "operational": 5, "strategic": 2}, 3) == {
        "funder": None, "operational": 5, "strategic": None}
    # two small groups: each is hidden, the rest stay (neither can be isolated)
    assert visible_counts({"a": 1, "b": 2, "c": 6}, 3) == {"a": None, "b": None, "c": 6}
    assert visible_counts({"a": 4, "b": 6}, 3) == {"a": 4, "b": 6}


def test_organisation_and_level_breakdowns_cannot_be_combined_to_find_one_person() -> None:
    """A partner of four (one funder officer, three strategic staff) and a strategic level of
    those same three: 4 x partner - 3 x strategic would be the officer's own score. The level
    gives way; the partner stays shown."""
    records = [rec("f1", "Partner P", "funder", **everyone(1))]
    records += [rec(f"s{i}", "Partner P", "strategic", **everyone(5)) for i in range(3)]
    records += [rec(f"q{i}", "Partner Q", "operational", **everyone(3)) for i in range(3)]
    # on its own, each breakdown is fine: the funder level (1) and, so it cannot be worked out,
    # the operational level (3) are hidden; both partners and the strategic level would show
    s = score(MINI, table(records), small_groups=HIDE)
    for d in s.dimensions:
        assert None not in d.by_organisation.values() and set(d.by_organisation) == {"Partner P", "Partner Q"}
        assert d.by_level["strategic"] is None and "level:strategic" in d.suppressed
