"""An adversary with every look a link gives, on both databases (issue 13).

An open round is filled one answer at a time through the store. After every answer the adversary
takes what the admin's dashboard and exports get (`services.results.round_results`: the score
document, the same numbers the pages draw), what the funder's portfolio and drill-down get, the
responses CSV and the report. Every published figure is a mean over some set of people, so what a
calculator can learn is the span of those sums: `anonymity.linear_leak` looks for any set of fewer
than the threshold of people whose total lies in it, over all looks at once. None may be found,
for the demo stories and for generated rounds of random group sizes. tests/services/test_releases.py
drives the same rule without a store; tests/ui/test_anonymity_walk.py searches every page for one
small organisation's figures.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from healthcheck.core.anonymity import comment_groups, linear_leak
from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.responses import records_from_frame
from healthcheck.core.rules import load_rules
from healthcheck.present import report
from healthcheck.present.exports import anonymised_csv
from healthcheck.services import portfolio as pf
from healthcheck.services.demo_stories import STORIES, story_responses
from healthcheck.services.results import (
    RoundData,
    current_steps,
    release_results,
    results_from_records,
    round_results,
)
from healthcheck.store import Store, sharing
from healthcheck.store.sharing import shared_round_records

T = 3
PACK = load_rules()
CORE = load_questionnaire(find_questionnaire("core"))
DK = "dk"

Sums = list[list[tuple[str, ...]]]


@dataclass
class Adversary:
    """Everything seen so far, as sets of people whose sum (of some per-person value) was shown."""

    q: Questionnaire
    scores: dict[str, Sums] = field(default_factory=dict)  # dimension -> sets (score, by group)
    unknown: dict[str, Sums] = field(default_factory=dict)  # dimension -> sets (share of don't know)
    answers: dict[str, Sums] = field(default_factory=dict)  # item -> sets (answer shares)
    people: set[str] = field(default_factory=set)
    exports: list[Counter[tuple[str, ...]]] = field(default_factory=list)  # the download's file
    page_exports: list[Counter[tuple[str, ...]]] = field(default_factory=list)  # the exports page's

    def items_of(self, dim: str) -> list[str]:
        return [i.id for i in self.q.likert_items if any(d.id == dim for d in i.dimensions)]

    def see(self, records: list[dict[str, Any]], doc: dict[str, Any], inside: tuple[bool, ...] = ()) -> None:
        """One look at a score document computed from `records` (the released answers). People of
        groups too small to show or pool are in no figure (`inside`, empty: everyone is), and small
        groups pooled together show under the pool's label (the document's `anonymity`)."""
        self.people.update(r["respondent"] for r in records)
        if inside:
            records = [r for r, k in zip(records, inside, strict=True) if k]
        shown_as = {grouping: {g: label for label, groups in plan["pooled"].items() for g in groups}
                    for grouping, plan in doc["anonymity"].items()}
        for d in doc["dimensions"]:
            items = self.items_of(d["id"])
            scored = [r for r in records if any(r["answers"].get(i) not in (None, "", DK) for i in items)]
            touched = [r for r in records if any(r["answers"].get(i) not in (None, "") for i in items)]
            sums = self.scores.setdefault(d["id"], [])
            if d["score"] is not None:
                sums.append([(r["respondent"],) for r in scored])
            for grouping in ("organisation", "level"):
                for group, value in d[f"by_{grouping}"].items():
                    if value is not None:
                        sums.append([(r["respondent"],) for r in scored
                                     if shown_as[grouping].get(r[grouping], r[grouping]) == group])
            if d["unknown"] is not None:
                self.unknown.setdefault(d["id"], []).append([(r["respondent"],) for r in touched])
        for item in doc["answers"]:
            answered = [(r["respondent"],) for r in records if r["answers"].get(item) not in (None, "")]
            self.answers.setdefault(item, []).append(answered)

    def see_row(self, dims: dict[str, float | None], records: list[dict[str, Any]]) -> None:
        """A funder's portfolio row: whole-partnership scores of the released answers."""
        for dim, value in dims.items():
            if value is not None:
                items = self.items_of(dim)
                self.scores.setdefault(dim, []).append(
                    [(r["respondent"],) for r in records
                     if any(r["answers"].get(i) not in (None, "", DK) for i in items)])

    def leaks(self) -> list[tuple[str, frozenset[tuple[str, ...]]]]:
        everyone = {(p,): 1 for p in self.people}
        found = []
        for kind in (self.scores, self.unknown, self.answers):
            for what, sums in kind.items():
                leak = linear_leak(everyone, sums, T)
                if leak is not None:
                    found.append((what, leak))
        return found


def _export_cells(text: str) -> Counter[tuple[str, ...]]:
    """The responses CSV as a multiset of rows (without the R-number, which is renumbered)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        assert not row.get("role"), "no roles in a row-level export"
        assert not any(k in row for k in ("submitted_at", "created_at", "time")), "no times"
    combos = Counter((r["organisation"], r["level"]) for r in rows)
    assert all(n >= T for n in combos.values()), combos
    return Counter(tuple(v for k, v in sorted(r.items()) if k != "respondent") for r in rows)


def _check_export_steps(exports: Iterable[Counter[tuple[str, ...]]], columns: list[str]) -> None:
    """Two exports taken at two moments: the rows whose answers are new (a row's organisation and
    level may be coarsened differently as the round grows, its scored answers stay) number none or at
    least the threshold in every organisation-and-level cell of the later file, so a new row
    cannot be told apart from the others who answered in between in its cell."""
    org, level = columns.index("organisation"), columns.index("level")
    # comments and written answers join a row once its organisation shows: compare the rest
    texts = {i.id for i in CORE.items if i.type == "text"}
    skip = {org, level} | {k for k, c in enumerate(columns) if c.endswith("_comment") or c in texts}

    def answers(row: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v for k, v in enumerate(row) if k not in skip)

    seen = list(exports)
    for before, after in zip(seen, seen[1:], strict=False):
        old = Counter(answers(row) for row in before.elements())
        new: Counter[tuple[str, str]] = Counter()
        for row in sorted(after.elements()):
            if old[answers(row)]:
                old[answers(row)] -= 1
            else:
                new[(row[org], row[level])] += 1
        assert not +old, "an export never loses the answers an earlier one had"
        assert all(n >= T for n in new.values()), new


def _comments_only_from_shown_groups(data: RoundData, q: Questionnaire) -> None:
    frame = data.frame
    counts = Counter(str(o) for o in frame["organisation"])
    speaking = comment_groups(counts, T)
    allowed = set()
    for col in frame.columns:
        if str(col).endswith("_comment"):
            allowed |= {str(t).strip() for t, o in zip(frame[col], frame["organisation"], strict=True)
                        if isinstance(t, str) and t.strip() and str(o) in speaking}
    shown = report.low_score_comments(frame, q, T)
    for texts in shown.values():
        assert set(texts) <= allowed
        assert texts == sorted(texts)  # in the order of their words, not of who sent them when


def watch(store: Store, records: list[dict[str, Any]], partnership: str,
          q: Questionnaire = CORE) -> Adversary:
    """Fill an open, shared round one answer at a time and look after every answer."""
    orgs = sorted({r["organisation"] for r in records})
    p, _ = store.create_partnership(partnership, q.id, T, [(o, "other") for o in orgs])
    r, _ = store.open_round(p.id, "Now", q.id, q.version)
    funder, _ = sharing.create_funder(store, "Watching Fund")
    sharing.share_round(store, r.id, funder.id, include_comments=True)
    adversary = Adversary(q)
    columns: list[str] = []
    last_shown = 0
    for k, rec in enumerate(records, start=1):
        store.import_records(r.id, [{key: v for key, v in rec.items() if key != "respondent"}])
        data = round_results(store, r.id, q, PACK, T, partnership)  # dashboard, exports, report
        assert data.received == k
        if data.assessment is None:
            assert not data.records  # counts only before the first step
            continue
        assert len(data.records) == last_shown or len(data.records) - last_shown >= T
        last_shown = len(data.records)
        doc = data.assessment.as_dict()
        adversary.see(data.records, doc, data.assessment.scores.in_figures)
        # the funder: portfolio row and drill-down, both of the released answers only
        shared = shared_round_records(store, funder.id, r.id) or []
        steps = current_steps(store, r.id, shared, q, T)
        drill = release_results(shared, steps, q, PACK, T, partnership)
        assert drill.assessment is not None
        adversary.see(drill.records, drill.assessment.as_dict(), drill.assessment.scores.in_figures)
        portfolio, _ = pf.store_portfolio(store, funder.id, PACK, lambda _qid: q)
        (row,) = portfolio.rows
        adversary.see_row(row.scores, drill.figures_records)
        # the responses CSV (the download holds every released row, the exports page only the
        # rows in the figures) and the comments
        text, _ = anonymised_csv(data.frame, q, T)
        columns = next(csv.reader(io.StringIO(text)))
        adversary.exports.append(_export_cells(text))
        adversary.page_exports.append(_export_cells(anonymised_csv(data.figures_frame, q, T)[0]))
        _comments_only_from_shown_groups(data, q)
    if columns:  # a round that never reached a step (counts only) gave no file to compare
        for exports in (adversary.exports, adversary.page_exports):
            _check_export_steps(exports, sorted(c for c in columns if c != "respondent"))
    return adversary


@pytest.mark.parametrize("story", [s.key for s in STORIES])
def test_a_demo_story_watched_answer_by_answer(store: Store, story: str) -> None:
    s = next(x for x in STORIES if x.key == story)
    records = records_from_frame(story_responses(CORE, s, 2), CORE)
    adversary = watch(store, records, s.partnership)
    assert adversary.scores, "the round released figures at some point"
    assert adversary.leaks() == []


def _generated(seed: int) -> list[dict[str, Any]]:
    """A round of random group sizes (1 to 6 per organisation, random levels), in random order."""
    rng = random.Random(seed)
    q = CORE
    records = []
    for o in range(rng.randint(2, 4)):
        for _ in range(rng.randint(1, 6)):
            answers: dict[str, Any] = {i.id: rng.choice([1, 2, 3, 4, 5, 5, 4, DK]) for i in q.likert_items}
            comments = {i.id: f"note {rng.randint(0, 999)}" for i in q.likert_items
                        if i.comment_prompt_below and answers[i.id] == 1}
            records.append({"respondent": "", "organisation": f"Org {o}", "role": "Somebody",
                            "level": rng.choice(["funder", "strategic", "operational"]),
                            "answers": answers, "comments": comments})
    rng.shuffle(records)
    return records


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_rounds_watched_answer_by_answer(store: Store, seed: int) -> None:
    records = _generated(seed)
    adversary = watch(store, records, f"Generated {seed}")
    # seed 2 (three people) never steps: one area is answered by two of them, the third said
    # "don't know" to its only item asked of every kind of partner (issue 15's asked_of)
    assert bool(adversary.scores) == (seed != 2)
    assert adversary.leaks() == []


def test_the_report_of_a_watched_round_shows_whole_points_and_shown_comments(store: Store) -> None:
    s = next(x for x in STORIES if x.key == "money")
    records = records_from_frame(story_responses(CORE, s, 2), CORE)
    p, _ = store.create_partnership(s.partnership, CORE.id, T, [(o.name, o.kind) for o in s.orgs])
    r, _ = store.open_round(p.id, "Now", CORE.id, CORE.version)
    store.import_records(r.id, records)
    data = round_results(store, r.id, CORE, PACK, T, s.partnership)
    assert data.assessment is not None
    md = report.to_markdown(report.build_report(
        data.assessment, comments=report.low_score_comments(data.frame, CORE, T), with_charts=False))
    assert not re.search(r"\b\d+\.\d+\b", md), "every number in the report is whole"
    _comments_only_from_shown_groups(data, CORE)


def test_the_adversary_finds_a_newcomer_when_figures_move_with_every_answer() -> None:
    """The same look-taking, with figures that follow every answer (as before issue 13): the
    subtraction of two looks gives the newcomer away, so the checks above can fail."""
    s = next(x for x in STORIES if x.key == "strong")
    records = [dict(r, respondent=f"P{k}") for k, r in
               enumerate(records_from_frame(story_responses(CORE, s, 2), CORE))]
    adversary = Adversary(CORE)
    for n in range(T, len(records) + 1):
        data = results_from_records(records[:n], CORE, PACK, T, s.partnership)
        assert data.assessment is not None
        adversary.see(data.records, data.assessment.as_dict())
    assert adversary.leaks()
