"""An open round watched as it fills: its figures move only in steps, and no combination of every
look (whole partnership, organisation and level breakdowns, every area) pins anyone down."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from healthcheck.core.anonymity import linear_leak
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.rules import load_rules
from healthcheck.services.results import RoundData, due_step, may_release, release_results
from healthcheck.store import Store

MINI = load_questionnaire(Path(__file__).resolve().parents[1] / "data" / "mini.yaml")
LIKERT = [i.id for i in MINI.likert_items]
T = 3
PACK = load_rules()


def person(i: int, org: str, level: str, rng: random.Random) -> dict[str, Any]:
    return {"respondent": f"P{i}", "organisation": org, "level": level, "role": None,
            "answers": {item: rng.randint(1, 5) for item in LIKERT}, "comments": {}}


def watch(records: list[dict[str, Any]]) -> list[RoundData]:
    """An admin who refreshes the dashboard after every single answer (steps as the store keeps them)."""
    steps: list[int] = []
    looks = []
    for n in range(1, len(records) + 1):
        step = due_step(records[:n], steps, MINI, T)
        if step is not None:
            steps.append(step)
        looks.append(release_results(records[:n], steps, MINI, PACK, T, "P"))
    return looks


def published_sums(looks: list[RoundData], dim: str) -> list[list[tuple[str, ...]]]:
    """Every set of people whose mean on `dim` some look showed (everyone answers every item)."""
    sums = []
    for look in looks:
        if not look.records:
            continue
        assert look.assessment is not None
        scores = look.assessment.scores  # what every page, export and report is built from
        d = scores.by_id[dim]
        # only people in the figures (a round pooling small groups may leave some out), and a
        # pooled group is the people of the groups in it
        inside = [r for r, k in zip(look.records, scores.in_figures or [True] * len(look.records),
                                    strict=True) if k]
        sums.append([(r["respondent"],) for r in inside])
        for grouping, shown in (("organisation", d.by_organisation), ("level", d.by_level)):
            pools = scores.anonymity[grouping].pooled
            for group, value in shown.items():
                if value is not None:
                    members = set(pools.get(group, [group]))
                    sums.append([(r["respondent"],) for r in inside if r[grouping] in members])
    return sums


def test_figures_move_only_in_steps_of_the_threshold() -> None:
    rng = random.Random(4)
    records = [person(i, "AB"[i % 2], "operational", rng) for i in range(8)]
    looks = watch(records)
    shown = [len(look.records) for look in looks]
    assert shown == [0, 0, 3, 3, 3, 6, 6, 6]  # counts only until 3 have answered, then steps of 3
    assert looks[0].assessment is None and looks[1].received == 2
    assert [look.held_back for look in looks] == [1, 2, 0, 1, 2, 0, 1, 2]


def test_a_step_waits_while_an_area_has_too_few_new_answers() -> None:
    rng = random.Random(5)
    records = [person(i, "A", "operational", rng) for i in range(5)]
    for r in records[3:5]:
        r["answers"].pop(LIKERT[0])  # two of the new people skip an area: only one new answer there
    looks = watch(records)
    assert [len(look.records) for look in looks] == [0, 0, 3, 3, 3]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from(["funder", "strategic", "operational"])),
                min_size=3, max_size=9), st.integers(0, 10_000))
def test_no_combination_of_looks_pins_anyone_down(people: list[tuple[str, str]], seed: int) -> None:
    rng = random.Random(seed)
    records = [person(i, org, level, rng) for i, (org, level) in enumerate(people)]
    looks = watch(records)
    everyone = {(r["respondent"],): 1 for r in records}
    for dim in MINI.dimensions:
        assert linear_leak(everyone, published_sums(looks, dim), T) is None, dim


def test_the_store_keeps_the_steps(store: Store) -> None:
    """Two processes taking the same step: the first one's stands, the second gets it back."""
    p, _ = store.create_partnership("Harbour + City", "pulse", 3, [("Harbour Music", "music")])
    r, _ = store.open_round(p.id, "Spring", "pulse", "1")
    assert store.releases(r.id) == []
    assert store.add_release(r.id, 0, 3) == [3]
    assert store.add_release(r.id, 0, 4) == [3]  # lost the race: the stored step stands
    assert store.add_release(r.id, 1, 6) == [3, 6]


def test_a_step_waits_while_a_question_has_too_few_new_answers() -> None:
    """A question's counts (the workshop's "answers per question") move in steps too."""
    rng = random.Random(6)
    records = [person(i, "A", "operational", rng) for i in range(6)]
    for r in records[4:6]:
        r["answers"].pop(LIKERT[1])  # of the three after the first step, only one answers this one
    looks = watch(records)
    assert [len(look.records) for look in looks] == [0, 0, 3, 3, 3, 3]


def _leaves(cond: Any) -> list[Any]:
    parts = getattr(cond, "parts", None)
    return [cond] if parts is None else [leaf for part in parts for leaf in _leaves(part)]


def test_a_small_partner_asked_its_own_questions_does_not_hold_steps_back_for_good() -> None:
    """Items asked of music partners only: two music staff and four council staff make a step
    (the areas still need the threshold of new answers each). Sound because no view shows a
    likert item on its own: no shipped rule reads one of these items (checked here)."""
    core = load_questionnaire(find_questionnaire("core"))
    only_some = {i.id for i in core.likert_items if i.asked_of}
    assert only_some, "the core questionnaire asks some items of some kinds only"
    read = {leaf.subject for rule in PACK.rules for leaf in _leaves(rule.when) if leaf.kind == "item"}
    assert not read & only_some, "a rule shows an item asked of some kinds only: gate it per question"
    rng = random.Random(3)

    def answers(kind: str) -> dict[str, int]:
        return {i.id: rng.randint(1, 5) for i in core.likert_items if i.is_asked_of(kind)}

    records = [{"respondent": f"M{i}", "organisation": "Harbour Music", "level": "operational", "role": None,
                "answers": answers("music"), "comments": {}} for i in range(2)]
    records += [{"respondent": f"C{i}", "organisation": "City", "level": "operational", "role": None,
                 "answers": answers("childrens_services"), "comments": {}} for i in range(4)]
    assert may_release(records, core, T)
    assert not may_release(records[:2], core, T)  # the threshold of new answers still holds
