"""Each chart's one-sentence text alternative (`healthcheck.summaries`).

The sentences are checked against the same numbers the charts draw: the strongest and weakest
areas with score and band, band counts, hidden groups named without a number, the largest gap,
what rose and fell. Built from the demo stories and from small hand-made frames.
"""

from __future__ import annotations

import pandas as pd
import pytest

from healthcheck.core.questionnaire import Questionnaire, load_questionnaire
from healthcheck.core.scoring import PartnershipScores, score
from healthcheck.core.workshop import answer_distribution
from healthcheck.present import summaries, views
from healthcheck.services.demo_stories import STORIES, STORY_BY_KEY, story_responses


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire("questionnaires/core.yaml")


@pytest.fixture(scope="module")
def stories(q: Questionnaire) -> dict[str, PartnershipScores]:
    return {s.key: score(q, story_responses(q, s)) for s in STORIES}


def _one_sentence(text: str) -> None:
    assert text.endswith(".") and text.count(". ") == 0, text
    assert "nan" not in text.lower() and "none" not in text.lower(), text


def test_dimension_summary_names_strongest_weakest_and_bands(stories: dict[str, PartnershipScores]) -> None:
    table = views.dimension_table(stories["money"], "prerequisites")
    text = summaries.dimension_summary(table, "prerequisites")
    _one_sentence(text)
    scored = table.dropna(subset=["score"]).sort_values("score")
    best, worst = scored.iloc[-1], scored.iloc[0]
    assert f"Strongest: {int(best.number)} {best.label} ({best.score:.0f}, {best.band})" in text
    assert f"weakest: {int(worst.number)} {worst.label} ({worst.score:.0f}, {worst.band})" in text
    concerns = int((table["band"] == "concern").sum())
    assert f"{concerns} of {len(table)} prerequisites" in text


def test_dimension_summary_by_hand() -> None:
    table = pd.DataFrame({"number": [1, 2, 3], "label": ["Shared purpose", "Funding", "Roles"],
                          "score": [82.0, 31.0, float("nan")], "band": ["strength", "concern", "no data"]})
    assert summaries.dimension_summary(table) == (
        "Strongest: 1 Shared purpose (82, strength); weakest: 2 Funding (31, concern); 1 of 3 areas a "
        "concern, 1 a strength; 1 without answers.")
    empty = table.assign(score=float("nan"), band="no data")
    assert summaries.dimension_summary(empty) == ("No scores yet: nobody has answered the questions on these "
                                                  "3 areas.")


def test_radar_summary_names_hidden_groups_without_numbers(q: Questionnaire) -> None:
    frame = story_responses(q, STORY_BY_KEY["leaderless"])
    small = "County Fostering Team"
    drop = frame.index[frame["organisation"] == small][-1]
    scores = score(q, frame.drop(index=drop).reset_index(drop=True), small_groups="hide")
    radar = views.radar_frame(scores, "tasks", by="organisation")
    assert (radar.loc[radar["series"] == small, "status"] == views.SUPPRESSED).all()
    text = summaries.radar_summary(radar, scores.threshold, "tasks")
    _one_sentence(text)
    assert text.startswith("Whole partnership: strongest ")
    assert f"not drawn (fewer than {scores.threshold} responses): {small}" in text
    whole = radar[radar["series"] == views.WHOLE].sort_values("score")
    worst = whole.iloc[0]
    assert f"weakest {int(worst.number)} {worst.label} ({worst.score:.0f}, " in text
    assert "of 13 tasks" in text


def test_radar_summary_uses_the_questionnaire_bands(stories: dict[str, PartnershipScores]) -> None:
    radar = views.radar_frame(stories["strong"], "tasks", by=None)
    text = summaries.radar_summary(radar, 3, "tasks")
    table = views.dimension_table(stories["strong"], "tasks")
    for band in ("strength", "borderline", "concern"):
        n = int((table["band"] == band).sum())
        if band == "concern":
            assert f"{n} of 13 tasks" in text
        elif n:
            word = band if band == "borderline" else "a strength" if n == 1 else "strengths"
            assert f"{n} {word}" in text


def test_gap_summary(stories: dict[str, PartnershipScores]) -> None:
    gaps = views.largest_gaps(stories["money"], 5)
    assert gaps
    text = summaries.gap_summary(gaps)
    _one_sentence(text)
    top = max(gaps, key=lambda g: g["gap"])
    assert text.startswith(f"Largest difference: {top['label']}, where {top['high_group']} scores "
                           f"{top['high_score']:.0f} and {top['low_group']} {top['low_score']:.0f}")
    assert summaries.gap_summary([]) == "No differences between groups to show."


def test_change_summary(q: Questionnaire) -> None:
    story = STORY_BY_KEY["money"]
    before = score(q, story_responses(q, story, round_no=1))
    after = score(q, story_responses(q, story, round_no=2))
    table = views.changes(after, before)
    assert (table["direction"] == "up").any()  # the story improves between its rounds
    text = summaries.change_summary(table, "Away day, May")
    _one_sentence(text)
    up = int((table["direction"] == "up").sum())
    down = int((table["direction"] == "down").sum())
    assert text.startswith(f"Since Away day, May: {up} of ")
    assert f"rose, {down} fell" in text
    if up:
        best = table.loc[table["change"].astype(float).idxmax()]
        assert f"largest rise: {best.label} ({float(best.change):+.0f}" in text
    nothing = views.changes(after, None)
    assert "nothing can be compared yet" in summaries.change_summary(nothing)


def test_trend_summary(q: Questionnaire) -> None:
    story = STORY_BY_KEY["money"]
    before = score(q, story_responses(q, story, round_no=1))
    after = score(q, story_responses(q, story, round_no=2))
    frame = views.trend_frame([("May", before), ("November", after)], "tasks")
    text = summaries.trend_summary(frame)
    _one_sentence(text)
    assert text.startswith("2 rounds, from May to November; largest rise: ")
    single = views.trend_frame([("May", before)], "tasks")
    assert summaries.trend_summary(single) == "One round so far (May): nothing to compare yet."


def test_heatmap_summary(stories: dict[str, PartnershipScores]) -> None:
    frame = views.heatmap_frame(stories.values(), "tasks")
    text = summaries.heatmap_summary(frame)
    _one_sentence(text)
    concerns = int((frame["band"] == "concern").sum())
    assert text.startswith(f"4 partnerships by 13 areas: {concerns} of {int(frame['score'].notna().sum())} ")
    low = frame.sort_values("score").iloc[0]
    assert f"lowest: {low.partnership}, {low.label} ({low.score:.0f}, {low.band})" in text


def test_workshop_distribution_summaries() -> None:
    pulse = load_questionnaire("questionnaires/pulse.yaml")
    items = [i for i in pulse.items if i.type in ("likert", "choice")][:4]
    likert = [i for i in items if i.type == "likert"][:2]
    a, b = likert[0].id, likert[1].id
    records = [{"answers": {a: 5, b: 1}}, {"answers": {a: 4, b: 2}}, {"answers": {a: 2, b: 1}}]
    dist = answer_distribution(records, likert, pulse)
    dist["name"] = [f"Q{n}" for n in dist["number"]]
    text = summaries.likert_summary(dist)
    _one_sentence(text)
    assert text == ("2 questions answered; most agreement: Q1 (2 of 3 agree); most disagreement: Q2 "
                    "(3 of 3 disagree).")
    part = pd.DataFrame({"option": ["Yes", "No", "Not sure"], "order": [0, 1, 2], "count": [1, 3, 0]})
    assert summaries.choice_summary(part) == "Chosen most: No (3 of 4 people)."
    tie = part.assign(count=[2, 2, 0])
    assert summaries.choice_summary(tie) == "Chosen most, tied: Yes and No (2 of 4 people each)."
    assert summaries.choice_summary(part.assign(count=0)) == "Nobody has answered this question."
