"""Realistic demo response sets for a handful of partnership stories.

Used by the tests (each story must raise the findings it implies), the benchmarks (bulk
random partnerships) and the app's `healthcheck demo`. Answers are drawn around a story's
target for each dimension, so the same seed always gives the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from healthcheck.core.frameworks import DIMENSION_IDS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import DONT_KNOW, META_COLUMNS


@dataclass(frozen=True)
class Org:
    name: str
    kind: str
    members: tuple[tuple[str, str | None], ...]  # (level, role) per respondent
    offset: dict[str, float] = field(default_factory=dict)  # dimension -> shift on the 1-5 scale


@dataclass(frozen=True)
class Story:
    key: str
    partnership: str
    summary: str
    base: float  # typical answer on the 1-5 scale
    dims: dict[str, float]  # dimension -> target answer, where it differs from base
    orgs: tuple[Org, ...]
    choices: dict[str, dict[str, float]]  # choice item -> probabilities
    dont_know: float = 0.03
    noise: float = 0.6
    expected: tuple[str, ...] = ()  # rules this story must raise
    # improvement between round 1 and round 2, per dimension (1-5 scale)
    progress: dict[str, float] = field(default_factory=dict)
    team_notes: dict[str, dict[str, str]] = field(default_factory=dict)


def _staff(*levels: str) -> tuple[tuple[str, str | None], ...]:
    roles = {"strategic": "Manager", "operational": "Practitioner", "funder": "Grants officer"}
    return tuple((lv, roles[lv]) for lv in levels)


STORIES: tuple[Story, ...] = (
    Story(
        key="money",
        partnership="Harbour Music + City Children's Services",
        summary="Started when a grant appeared; nobody costed the partnership's time and promised "
                "rooms and staff have not arrived.",
        base=3.4,
        dims={"task.taking_stock": 2.1, "prereq.young_people_first": 2.4, "prereq.clear_problem": 2.6,
              "task.investing_resources": 2.2, "task.doing_research": 2.6, "prereq.equal_commitment": 2.7},
        orgs=(
            Org("Harbour Music", "music", _staff("strategic", *["operational"] * 3)),
            Org("City Children's Services", "childrens_services",
                _staff("strategic", "operational", "operational"), {"prereq.equal_commitment": -0.4}),
            Org("Bright Futures Fund", "funder", _staff("funder", "funder", "funder")),
        ),
        choices={"fact.origin": {"funding_call": 0.8, "invitation": 0.1, "dont_know": 0.1},
                 "fact.time_costed": {"no": 0.7, "partly": 0.2, "dont_know": 0.1},
                 "fact.resources_delivered": {"some": 0.6, "none": 0.2, "most": 0.2},
                 "fact.capacity": {"stretched": 0.5, "overstretched": 0.4, "enough": 0.1}},
        expected=("resource-led-drift", "unfunded-partnership-time", "promised-not-delivered"),
        progress={"task.taking_stock": 0.6, "task.investing_resources": 0.5},
        team_notes={"City Children's Services": {
            "team.challenges": "Caseloads are high and two posts are vacant.",
            "team.outcomes": "Placement stability and school attendance, reported each quarter."}},
    ),
    Story(
        key="strong",
        partnership="Riverside Music Hub + Westshire Fostering",
        summary="Five years in: a shared problem, time in budgets, a standing learning item at "
                "every meeting and a continuity plan.",
        base=4.45,
        dims={"factor.initial_ignorance": 4.2},
        noise=0.45,
        orgs=(
            Org("Riverside Music Hub", "music", _staff(*["strategic"] * 2, *["operational"] * 2)),
            Org("Westshire Fostering", "fostering", _staff("strategic", *["operational"] * 3)),
            Org("Westshire Virtual School", "virtual_school",
                _staff("strategic", "operational", "operational")),
        ),
        choices={"fact.origin": {"shared_need": 0.9, "invitation": 0.1},
                 "fact.time_costed": {"yes": 0.9, "partly": 0.1},
                 "fact.named_lead": {"yes": 1.0},
                 "fact.resources_delivered": {"all": 0.7, "most": 0.3},
                 "fact.continuity_plan": {"yes": 0.8, "partly": 0.2},
                 "fact.capacity": {"enough": 0.8, "stretched": 0.2},
                 "fact.outcomes_set": {"outline_then_refined": 0.7, "emerging": 0.3},
                 "fact.meeting_actions": {"always": 0.7, "usually": 0.3},
                 "fact.review_timing": {"each_meeting": 0.8, "now_and_then": 0.2}},
        dont_know=0.01,
        progress={"task.staffing_change": 0.2},
        team_notes={"Westshire Fostering": {
            "team.engagement": "Carer support groups on Tuesday evenings at the family centre.",
            "team.barriers": "Many children move placement mid-year and lose their activities."}},
    ),
    Story(
        key="leaderless",
        partnership="Northgate Strings + County Virtual School",
        summary="Good will but nobody leads: meetings drift, actions are not followed up and the "
                "fostering team feels left out.",
        base=3.3,
        dims={"task.exercising_leadership": 2.0, "prereq.clear_roles": 2.4, "task.attending_systems": 2.4,
              "task.communicating": 2.8, "task.staffing_change": 2.3},
        orgs=(
            Org("Northgate Strings", "music", _staff("strategic", *["operational"] * 3)),
            Org("County Virtual School", "virtual_school", _staff("strategic", "strategic", "operational")),
            Org("County Fostering Team", "fostering", _staff("operational", "operational", "operational"),
                {"task.communicating": -1.9, "task.developing_understanding": -1.2}),
        ),
        choices={"fact.named_lead": {"no": 0.5, "dont_know": 0.4, "yes": 0.1},
                 "fact.meeting_actions": {"rarely": 0.7, "usually": 0.3},
                 "fact.continuity_plan": {"no": 0.6, "dont_know": 0.3, "partly": 0.1}},
        expected=("leadership-vacuum", "meeting-drag", "marginalised-partner"),
        progress={"task.exercising_leadership": 1.0, "task.attending_systems": 0.6},
    ),
    Story(
        key="new",
        partnership="Eastfield Music Trust + Foster Carers' Network",
        summary="Three months old: people are keen but much is not yet known.",
        base=3.6,
        dims={"task.doing_research": 3.0},
        orgs=(
            Org("Eastfield Music Trust", "music", _staff("strategic", "operational", "operational")),
            Org("Foster Carers' Network", "fostering", _staff("operational", "operational", "operational")),
        ),
        choices={"fact.origin": {"invitation": 0.5, "shared_need": 0.3, "dont_know": 0.2},
                 "fact.named_lead": {"yes": 0.5, "dont_know": 0.5}},
        dont_know=0.3,
        expected=("much-unknown",),
        progress={"task.doing_research": 0.5},
    ),
)

STORY_BY_KEY = {s.key: s for s in STORIES}

_DEFAULT_CHOICES = {
    "fact.origin": {"shared_need": 0.6, "invitation": 0.3, "dont_know": 0.1},
    "fact.time_costed": {"yes": 0.5, "partly": 0.4, "dont_know": 0.1},
    "fact.named_lead": {"yes": 0.9, "dont_know": 0.1},
    "fact.resources_delivered": {"all": 0.4, "most": 0.5, "dont_know": 0.1},
    "fact.continuity_plan": {"yes": 0.4, "partly": 0.5, "dont_know": 0.1},
    "fact.capacity": {"enough": 0.6, "stretched": 0.4},
    "fact.outcomes_set": {"outline_then_refined": 0.6, "emerging": 0.3, "dont_know": 0.1},
    "fact.meeting_actions": {"always": 0.4, "usually": 0.6},
    "fact.review_timing": {"each_meeting": 0.4, "now_and_then": 0.6},
}

_LOW_COMMENTS = (
    "We talked about this once and never came back to it.",
    "Depends who you ask, honestly.",
    "Not sure anyone owns this at the moment.",
    "It used to be better before the reorganisation.",
)


def story_responses(questionnaire: Questionnaire, story: Story, round_no: int = 1,
                    seed: int = 0) -> pd.DataFrame:
    """One round of answers for a story, in the canonical response table layout."""
    rng = np.random.default_rng(seed * 1000 + round_no * 7 + sum(map(ord, story.key)))
    rows = []
    n = 0
    for org in story.orgs:
        for level, role in org.members:
            n += 1
            row: dict[str, object] = {"respondent": f"{story.key}-{round_no}-{n}", "organisation": org.name,
                                      "level": level, "role": role, "partnership": story.partnership}
            for item in questionnaire.items:
                if not item.is_asked_of(org.kind):  # not shown to this organisation: left blank
                    row[item.id] = np.nan if item.type == "likert" else None
                    continue
                if item.type == "likert":
                    targets = []
                    for ref in item.dimensions:
                        t = story.dims.get(ref.id, story.base) + org.offset.get(ref.id, 0.0)
                        if round_no > 1:
                            t += story.progress.get(ref.id, 0.0)
                        targets.append(t)
                    target = float(np.mean(targets))
                    if item.reverse:
                        target = 6.0 - target
                    if rng.random() < story.dont_know:
                        row[item.id] = DONT_KNOW
                        continue
                    value = float(np.clip(np.rint(rng.normal(target, story.noise)), 1, 5))
                    row[item.id] = value
                    keyed = 6 - value if item.reverse else value
                    if item.comment_prompt_below and keyed < item.comment_prompt_below and rng.random() < 0.2:
                        row[f"{item.id}_comment"] = str(rng.choice(_LOW_COMMENTS))
                elif item.type == "choice":
                    dist = story.choices.get(item.id) or _DEFAULT_CHOICES.get(item.id)
                    ids = [c.id for c in item.choices]
                    if dist is None:
                        dist = {ids[0]: 1.0}
                    keys = [k for k in dist if k in ids]
                    p = np.array([dist[k] for k in keys])
                    row[item.id] = str(rng.choice(keys, p=p / p.sum()))
                else:
                    note = story.team_notes.get(org.name, {}).get(item.id)
                    row[item.id] = note if note and level != "funder" else None
            rows.append(row)
    return _frame(questionnaire, rows)


def _frame(questionnaire: Questionnaire, rows: list[dict[str, object]]) -> pd.DataFrame:
    columns = list(META_COLUMNS) + [i.id for i in questionnaire.items] + [
        f"{i.id}_comment" for i in questionnaire.items if i.comment_prompt_below]
    df = pd.DataFrame(rows, columns=columns)
    for item in questionnaire.likert_items:
        df[item.id] = df[item.id].astype(float)
    for col in df.columns:
        if df[col].dtype != float:
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df


def all_stories(questionnaire: Questionnaire, round_no: int = 1, seed: int = 0) -> pd.DataFrame:
    return pd.concat([story_responses(questionnaire, s, round_no, seed) for s in STORIES], ignore_index=True)


def bulk_responses(questionnaire: Questionnaire, partnerships: int, respondents: int = 12,
                   seed: int = 0) -> pd.DataFrame:
    """Many random partnerships at once (for benchmarks and scale tests), vectorised."""
    rng = np.random.default_rng(seed)
    n = partnerships * respondents
    p_idx = np.repeat(np.arange(partnerships), respondents)
    data: dict[str, object] = {
        "respondent": [f"R{i}" for i in range(n)],
        "organisation": np.array(["Music org", "Children's services", "Fostering team"])[
            (np.arange(n) % respondents) % 3],
        "level": np.array(["strategic", "operational", "operational"])[np.arange(n) % 3],
        "role": None,
        "partnership": np.char.add("Partnership ", p_idx.astype(str)),
    }
    centre = rng.uniform(2.0, 4.6, size=(partnerships, len(DIMENSION_IDS)))[p_idx]
    dim_pos = {d: j for j, d in enumerate(DIMENSION_IDS)}
    for item in questionnaire.items:
        if item.type == "likert":
            t = centre[:, [dim_pos[r.id] for r in item.dimensions]].mean(axis=1)
            if item.reverse:
                t = 6 - t
            v = np.clip(np.rint(rng.normal(t, 0.7)), 1, 5)
            v[rng.random(n) < 0.04] = DONT_KNOW
            v[rng.random(n) < 0.02] = np.nan
            data[item.id] = v
        elif item.type == "choice":
            ids = np.array([c.id for c in item.choices], dtype=object)
            data[item.id] = ids[rng.integers(0, len(ids), n)]
        else:
            data[item.id] = None
    for item in questionnaire.items:
        if item.comment_prompt_below:
            data[f"{item.id}_comment"] = None
    return pd.DataFrame(data)
