"""View models: anonymity in every view, plain sentences for evidence, change directions."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from healthcheck.core.assess import Assessment, iter_assessments
from healthcheck.core.frameworks import dimensions_of
from healthcheck.core.questionnaire import Questionnaire, load_questionnaire
from healthcheck.core.rules import RulePack, load_rules
from healthcheck.core.rules.engine import Evidence, Finding
from healthcheck.core.scoring import PartnershipScores, score
from healthcheck.present import views
from healthcheck.services.demo_stories import STORY_BY_KEY, all_stories, story_responses

SMALL_ORG = "County Fostering Team"


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire("questionnaires/core.yaml")


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_rules()


@pytest.fixture(scope="module")
def assessments(q: Questionnaire, pack: RulePack) -> dict[str, Assessment]:
    found = list(iter_assessments(q, all_stories(q), pack))
    return {story.key: a for story, a in zip(STORY_BY_KEY.values(), found, strict=True)}


@pytest.fixture(scope="module")
def small(q: Questionnaire) -> PartnershipScores:
    """The leaderless story with one of the fostering team's three people removed: 2 < threshold 3,
    scored in "hide" mode (in the default "pool" mode the team would be left out of the figures).

    That team is also the one that scores communication far lower than everyone else, so any
    leak of its numbers would show as the largest gap.
    """
    frame = story_responses(q, STORY_BY_KEY["leaderless"])
    drop = frame.index[frame["organisation"] == SMALL_ORG][-1]
    frame = frame.drop(index=drop).reset_index(drop=True)
    scores = score(q, frame, small_groups="hide")  # these tests are about hiding, not pooling
    assert scores.organisations[SMALL_ORG] == 2
    assert any(f"organisation:{SMALL_ORG}" in d.suppressed for d in scores.dimensions)
    return scores


# ----------------------------------------------------------------------------- radar_frame


@pytest.mark.parametrize("framework", ["factors", "prerequisites", "tasks"])
@pytest.mark.parametrize("by", ["organisation", "level"])
def test_radar_frame_never_gives_a_number_for_a_suppressed_group(small: PartnershipScores, framework: str,
                                                                  by: str) -> None:
    frame = views.radar_frame(small, framework, by=by)
    assert set(frame["status"]) <= {views.SHOWN, views.SUPPRESSED, views.NO_DATA}
    hidden = frame[frame["status"] != views.SHOWN]
    assert hidden["score"].isna().all()
    assert frame.loc[frame["status"] == views.SHOWN, "score"].notna().all()
    if by == "organisation":
        small_rows = frame[frame["series"] == SMALL_ORG]
        assert len(small_rows) == len(dimensions_of(framework))  # present as status rows...
        assert small_rows["score"].isna().all()  # ...never as points
        assert (small_rows["status"] == views.SUPPRESSED).all()
    # every group scoring suppressed on a dimension is suppressed in the frame too
    by_id = small.by_id
    for row in frame[frame["series"] != views.WHOLE].itertuples():
        d = by_id[row.dimension]
        value = (d.by_organisation if by == "organisation" else d.by_level).get(
            row.series if by == "organisation" else row.series.lower())
        if value is None:
            assert math.isnan(row.score)


def test_radar_frame_always_has_the_whole_partnership(small: PartnershipScores) -> None:
    for by in ("organisation", "level", None):
        frame = views.radar_frame(small, "tasks", by=by)
        whole = frame[frame["series"] == views.WHOLE]
        assert list(whole["dimension"]) == [d.id for d in dimensions_of("tasks")]
        assert list(whole["number"]) == list(range(1, 14))
        assert (whole["status"] == views.SHOWN).all()
        assert whole["score"].notna().all()
    assert set(views.radar_frame(small, "tasks", by=None)["series"]) == {views.WHOLE}
    assert list(views.radar_frame(small, "factors").columns[:2]) == ["series", "grouping"]


def test_radar_frame_rejects_unknown_framework(small: PartnershipScores) -> None:
    with pytest.raises(ValueError):
        views.radar_frame(small, "nonsense")


# ----------------------------------------------------------------------------- tables


def test_dimension_table_names_suppressed_groups(small: PartnershipScores) -> None:
    table = views.dimension_table(small)
    assert len(table) == 22
    assert list(table.columns[:6]) == ["framework", "dimension", "label", "number", "score", "band"]
    comm = table.set_index("dimension").loc["task.communicating"]
    assert f"fewer than 3 responses: {SMALL_ORG}" in comm["suppressed_groups"]
    tasks = views.dimension_table(small, "tasks")
    assert list(tasks["dimension"]) == [d.id for d in dimensions_of("tasks")]


def test_group_status_hides_small_counts(small: PartnershipScores) -> None:
    status = views.group_status(small).set_index("group")
    row = status.loc[SMALL_ORG]
    assert row["respondents"] is None
    assert row["respondents_text"] == "fewer than 3"
    assert row["status"] == "fewer than 3 responses"
    assert row["shown_areas"] == 0
    assert status.loc["Northgate Strings", "respondents"] == 4
    assert status.loc["Northgate Strings", "status"] == views.SHOWN
    levels = views.group_status(small, "level")
    assert set(levels["grouping"]) == {"level"}
    assert "Operational" in set(levels["group"])


# ----------------------------------------------------------------------------- gaps


def test_largest_gaps_sorted_and_from_shown_groups(assessments: dict[str, Assessment]) -> None:
    gaps = views.largest_gaps(assessments["leaderless"].scores, n=5)
    assert len(gaps) == 5
    assert [g["gap"] for g in gaps] == sorted((g["gap"] for g in gaps), reverse=True)
    top = gaps[0]
    assert top["dimension"] == "task.communicating"
    assert top["low_group"] == SMALL_ORG
    for g in gaps:
        assert g["high_score"] - g["low_score"] == pytest.approx(g["gap"])
        assert g["high_score"] >= g["low_score"]


def test_largest_gaps_exclude_suppressed_groups(small: PartnershipScores) -> None:
    gaps = views.largest_gaps(small, n=22)
    assert gaps, "level groups still differ"
    by_id = small.by_id
    for g in gaps:
        hidden = {views.group_label(*entry.split(":", 1)) for entry in by_id[g["dimension"]].suppressed}
        assert g["high_group"] not in hidden and g["low_group"] not in hidden
        assert SMALL_ORG not in (g["high_group"], g["low_group"])
    assert [g["gap"] for g in gaps] == sorted((g["gap"] for g in gaps), reverse=True)


# ----------------------------------------------------------------------------- findings


def test_finding_rows_sentences(pack: RulePack) -> None:
    rule = pack.by_id["unfunded-partnership-time"]
    finding = Finding(rule, (
        Evidence("answer", "fact.time_costed", 0.8, "above", 0.5, ("no", "partly")),
        Evidence("score", "task.investing_resources", 38.0, "below", 60.0),
        Evidence("score", "task.investing_resources", 38.0, "below", 65.0),
        Evidence("unknown", "task.doing_research", 0.4, "above", 0.25),
        Evidence("answer", "fact.named_lead", None, "not above", 0.5, ("no",)),
        Evidence("score", "task.taking_stock", None, "not below", 40.0),
    ))
    [row] = views.finding_rows([finding])
    assert row["rule"] == "unfunded-partnership-time"
    assert row["severity"] == rule.severity
    assert row["title"] == rule.title
    why = row["why"]
    assert "80% answered 'no' or 'partly' to fact.time_costed, above 50%" in why
    assert "Investing resources scores 38, below the threshold of 60" in why
    assert not any("65" in w for w in why)  # the looser threshold on the same score is dropped
    assert "40% of answers on Doing your research were 'don't know', above 25%" in why
    assert any(w.startswith("No answers to fact.named_lead") for w in why)
    assert "Taking stock: no answers" in why
    assert not any("0.8" in w or "0.5" in w for w in why)  # shares are percentages
    assert row["actions"] and all(set(a) >= {"task", "text"} for a in row["actions"])
    assert row["actions"][0]["task"] == "Investing resources"


def test_finding_rows_use_questionnaire_wording(assessments: dict[str, Assessment], q: Questionnaire) -> None:
    rows = views.finding_rows(assessments["money"].findings, q)
    assert rows, "the money story raises findings"
    unfunded = next(r for r in rows if r["rule"] == "unfunded-partnership-time")
    item = q.item_by_id["fact.time_costed"]
    assert any(item.text in w and "%" in w for w in unfunded["why"])
    ranks = ["high", "medium", "low", "info"]
    assert [ranks.index(r["severity"]) for r in rows] == sorted(ranks.index(r["severity"]) for r in rows)


# ----------------------------------------------------------------------------- changes


def _with_scores(base: PartnershipScores, values: dict[str, float | None]) -> PartnershipScores:
    dims = [replace(d, score=values[d.id]) if d.id in values else d for d in base.dimensions]
    return replace(base, dimensions=dims)


def test_changes_directions(small: PartnershipScores) -> None:
    before = _with_scores(small, {"task.taking_stock": 40.0, "task.communicating": 60.0,
                                  "task.staffing_change": 50.0, "task.doing_research": None,
                                  "task.attending_systems": 50.0})
    after = _with_scores(small, {"task.taking_stock": 50.0, "task.communicating": 54.0,
                                 "task.staffing_change": 54.4, "task.doing_research": 70.0,
                                 "task.attending_systems": 45.0})
    table = views.changes(after, before).set_index("dimension")
    assert table.loc["task.taking_stock", "direction"] == "up"
    assert table.loc["task.taking_stock", "change"] == pytest.approx(10.0)
    assert table.loc["task.communicating", "direction"] == "down"
    assert table.loc["task.staffing_change", "direction"] == "same"
    assert table.loc["task.staffing_change", "current"] == 54  # whole points, as shown
    # the change is that of the shown scores: 50 -> 54.9 shows as 50 -> 55, a change of 5
    nearly = views.changes(_with_scores(small, {"task.staffing_change": 54.9}), before).set_index("dimension")
    assert nearly.loc["task.staffing_change", "change"] == 5.0
    assert nearly.loc["task.staffing_change", "direction"] == "up"
    assert table.loc["task.attending_systems", "direction"] == "down"  # exactly 5 points is a change
    assert table.loc["task.doing_research", "direction"] == "new"
    assert table.loc["task.doing_research", "change"] is None
    first = views.changes(after, None)
    assert set(first["direction"]) == {"new"}
    assert first["change"].isna().all()
    gone = views.changes(_with_scores(small, {"task.taking_stock": None}), before).set_index("dimension")
    assert gone.loc["task.taking_stock", "direction"] == views.NO_DATA
    assert gone.loc["task.taking_stock", "change"] is None


# ----------------------------------------------------------------------------- summary and frames


def test_summary_sentence(assessments: dict[str, Assessment]) -> None:
    money = assessments["money"]
    text = views.summary_sentence(money.scores, money.findings)
    assert text.startswith(f"{money.scores.respondents} people from 3 organisations answered.")
    concerns = [d for d in money.scores.dimensions if d.band == "concern"]
    lowest = min(concerns, key=lambda d: d.score or 0)
    assert f"{len(concerns)} concerns, led by {lowest.label} ({lowest.score:.0f})" in text
    high = sum(f.rule.severity == "high" for f in money.findings)
    assert f"The rules flag {len(money.findings)} risks, {high} of them high:" in text
    strong = assessments["strong"]
    assert "The rules flag no risks." in views.summary_sentence(strong.scores, strong.findings)


def test_trend_and_heatmap_frames(assessments: dict[str, Assessment]) -> None:
    a, b = assessments["money"].scores, assessments["strong"].scores
    trend = views.trend_frame([("Round 1", a), ("Round 2", b)], "prerequisites")
    assert list(trend.columns[:5]) == ["round", "round_order", "dimension", "label", "score"]
    assert len(trend) == 10
    heat = views.heatmap_frame([a, b])
    assert len(heat) == 26 and set(heat["partnership"]) == {a.partnership, b.partnership}
    assert pd.api.types.is_float_dtype(heat["score"])
