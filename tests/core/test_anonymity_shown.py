"""What the anonymity module lets numbers and words show (issue 13): every number rounded one way,
written answers only from shown organisations and in an order that says nothing about who wrote
them or when, row exports counted within each release."""

from __future__ import annotations

import math
import random

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from healthcheck.core.anonymity import (
    LEVEL_NOT_SHOWN,
    SUPPRESSED_ORG,
    comment_groups,
    deidentify_rows,
    shown_score,
    shown_scores,
    shown_share,
    written_answers,
)

finite = st.floats(0, 100, allow_nan=False)


@given(finite)
def test_points_are_shown_whole(x: float) -> None:
    shown = shown_score(x)
    assert isinstance(shown, int) and abs(shown - x) <= 0.5
    assert f"{x:.0f}" == str(shown)  # the dashboard's own formatting agrees


@given(st.floats(0, 1, allow_nan=False))
def test_shares_are_shown_to_a_percent(x: float) -> None:
    shown = shown_share(x)
    assert shown is not None and abs(shown - x) <= 0.005 + 1e-12 and round(shown, 2) == shown


def test_missing_stays_missing() -> None:
    assert shown_score(None) is None and shown_score(math.nan) is None and shown_share(None) is None
    table = shown_scores(pd.DataFrame({"score": [61.5, None, 62.5], "label": ["a", "b", "c"]}), ["score"])
    assert list(table["score"].astype(object).where(table["score"].notna(), None)) == [62, None, 62]
    assert str(table["score"].dtype) == "Int64" and list(table["label"]) == ["a", "b", "c"]


# ----------------------------------------------------------------------------- written answers

people = st.lists(st.tuples(st.sampled_from("ABC"), st.text("xyz", min_size=1, max_size=3),
                            st.text("xyz", min_size=1, max_size=3)), min_size=1, max_size=12)


@given(people, st.integers(0, 1000))
def test_written_answers_say_nothing_of_order_or_of_small_groups(rows: list[tuple[str, str, str]],
                                                                  seed: int) -> None:
    records = [{"organisation": org, "answers": {"q1": a, "q2": b}} for org, a, b in rows]
    shown = written_answers(records, ["q1", "q2"], 3)
    shuffled = records[:]
    random.Random(seed).shuffle(shuffled)
    assert written_answers(shuffled, ["q1", "q2"], 3) == shown  # the order sent changes nothing
    counts: dict[str, int] = {}
    for org, _, _ in rows:
        counts[org] = counts.get(org, 0) + 1
    assert set(shown) <= comment_groups(counts, 3)
    for by_q in shown.values():
        for texts in by_q.values():
            assert texts == sorted(set(texts))  # sorted by their words, each once: no count


def test_one_persons_answers_do_not_line_up_across_questions() -> None:
    """Sent in this order, the second person wrote "b" and "z": listed by their words, "b" is
    second of the first question's answers and "z" last of the second's."""
    records = [{"organisation": "A", "answers": {"q1": "c", "q2": "x"}},
               {"organisation": "A", "answers": {"q1": "b", "q2": "z"}},
               {"organisation": "A", "answers": {"q1": "a", "q2": "y"}}]
    shown = written_answers(records, ["q1", "q2"], 3)["A"]
    assert shown == {"q1": ["a", "b", "c"], "q2": ["x", "y", "z"]}
    assert written_answers(records[:2], ["q1", "q2"], 3) == {}  # two people: nothing at all


# ----------------------------------------------------------------------------- row exports


def test_row_export_counts_combinations_within_each_release() -> None:
    """Three of A and three of B in the first release, one of A and two of B in the second: in
    one file A and B both show, but the second release's rows are not named, or two exports
    (before and after it) would give each newcomer's row away."""
    frame = pd.DataFrame({"organisation": list("AAABBB" + "ABB"),
                          "level": ["operational"] * 3 + ["strategic"] * 3
                          + ["operational"] + ["strategic"] * 2,
                          "role": ["x"] * 9, "release": [0] * 6 + [1] * 3})
    out, _ = deidentify_rows(frame, [], 3, batch="release")
    assert len(out) == 9 and (out.groupby(["organisation", "level", "release"]).size() >= 3).all()
    second = out[out["release"] == 1]
    assert set(zip(second["organisation"], second["level"], strict=True)) == {
        (SUPPRESSED_ORG, LEVEL_NOT_SHOWN)}
    assert set(out.loc[out["release"] == 0, "organisation"]) == {"A", "B"}
    assert out["role"].isna().all()
    whole, _ = deidentify_rows(frame.drop(columns="release"), [], 3)  # one file, one release
    assert (whole["organisation"] == "A").sum() == 4 and (whole["organisation"] == "B").sum() == 5
