"""Room-only figures score an area from its questions' totals (issue 17, attacker review).

In a facilitator-paced workshop the room sees each question's spread, so every question's total
is public. Scored the usual way (each person's mean first, then the mean of people), an area
weighs someone who answered only some of its questions (a late joiner) apart from the rest, and
the area's score less the spreads' totals gives that person's answer away. Room-only figures
(`anonymity.room_only`) therefore score an area from its questions' totals, which add nothing
to the spreads, and show no spread for it.
"""

from __future__ import annotations

from typing import Any

import pytest

from healthcheck.core.anonymity import room_only
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import frame_from_records
from healthcheck.core.scoring import ScoreTable, to_percent

AREA = "task.taking_stock"  # measured by q.clear_problem and q.plan_after_grant on the pulse
Q1, Q2 = "q.clear_problem", "q.plan_after_grant"


@pytest.fixture(scope="module")
def pulse() -> Any:
    return load_questionnaire(find_questionnaire("pulse"))


def _records(late_q2: int, other_q2: int) -> list[dict[str, Any]]:
    """A, B, C, D answered both questions; L joined late and answered Q2 only."""
    people = {"A": (4, 4), "B": (2, other_q2), "C": (5, 3), "D": (3, 2), "L": (None, late_q2)}
    return [{"respondent": k, "organisation": "Harbour Music" if k in "AB" else "City CYPS",
             "level": "operational", "role": None, "comments": {},
             "answers": {q: v for q, v in ((Q1, a1), (Q2, a2)) if v is not None}}
            for k, (a1, a2) in people.items()]


def _area(pulse: Any, records: list[dict[str, Any]]) -> Any:
    table = ScoreTable(pulse, frame_from_records(records, pulse))
    return table.partnership(0).by_id[AREA]


def test_a_late_joiner_cannot_be_told_apart_by_the_area_score(pulse: Any) -> None:
    # Two rooms with the same question totals (the spreads show them): L answered 1 and B 5,
    # or L answered 5 and B 1. Only L's answer differs in how it would be weighed.
    one, other = _records(late_q2=1, other_q2=5), _records(late_q2=5, other_q2=1)
    room_a, room_b = _area(pulse, room_only(one)), _area(pulse, room_only(other))
    assert room_a.score == pytest.approx(room_b.score)
    # the area is its questions' pooled total: (4+2+5+3) + (4+5+3+2+1) over 9 answers
    assert room_a.score == pytest.approx(to_percent((14 + 15) / 9))
    assert room_a.spread is None and room_b.spread is None
    # control: the mean of each person's mean weighs L's answer at 1/5 and B's at 1/10, so the
    # same totals give two scores, 25 x (4/5 - 4/10) = 10 points apart: L's answer shows
    usual_a, usual_b = _area(pulse, one), _area(pulse, other)
    assert usual_b.score - usual_a.score == pytest.approx(25 * (4 / 5 - 4 / 10))


def test_room_only_areas_with_one_question_score_as_before(pulse: Any) -> None:
    records = _records(late_q2=3, other_q2=3)
    room = ScoreTable(pulse, frame_from_records(room_only(records), pulse)).partnership(0).by_id
    usual = ScoreTable(pulse, frame_from_records(records, pulse)).partnership(0).by_id
    # prereq.clear_problem is measured by Q1 alone: the same answers, the same score either way
    assert room["prereq.clear_problem"].score == pytest.approx(usual["prereq.clear_problem"].score)
    assert room["prereq.clear_problem"].answered == usual["prereq.clear_problem"].answered == 4
