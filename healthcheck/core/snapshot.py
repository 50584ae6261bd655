"""What is kept of a round once its individual answers are deleted (retention): its results as
shown, aggregates only, as JSON through the score contract (`core.contract`).

A snapshot holds the round's assessment at full precision (so every chart, table, change and
report reads exactly as before), how many answers were received and shown, and the funder
portfolio's row of the round. What it holds obeys the anonymity rules already applied to what
was shown: group scores only where they were shown (`null` otherwise), counts only where
`anonymity.visible_counts` shows them, and for the other groups only whether they were below
the threshold (which the pages say anyway). No answer, comment, role or respondent is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from healthcheck.core.anonymity.plans import DEFAULT_SMALL_GROUPS, GroupPlan
from healthcheck.core.assess import Assessment
from healthcheck.core.contract import Count, DimensionDoc, FindingDoc, ScoreDocument
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.rules import Action, Group, Rule, RulePack
from healthcheck.core.rules.model import Evidence, Finding
from healthcheck.core.scoring import DimensionScore, PartnershipScores

__all__ = ["SNAPSHOT_VERSION", "PortfolioSnapshot", "RoundSnapshot", "StoredScores",
           "assessment_from_snapshot", "snapshot_document"]

SNAPSHOT_VERSION = 1


class SnapshotDimension(DimensionDoc):
    """A dimension as the score contract has it, plus what the gaps view and the rules read."""

    gap: float | None = None
    gap_between: list[str] | None = None
    lowest_group: float | None = None


class SnapshotScores(ScoreDocument):
    """The contract's score document (full precision), plus level counts and item means."""

    dimensions: list[SnapshotDimension]  # type: ignore[assignment]
    levels: dict[str, Count | None]  # as organisations: None where not shown
    small: dict[str, list[str]]  # per grouping, the groups below the threshold (the pages say so)
    items: dict[str, float]
    left_out: Count = 0  # respondents in no figure (their groups too small to show or pool)
    small_groups: str = DEFAULT_SMALL_GROUPS  # how the round treated small groups ("pool" or "hide")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class PortfolioSnapshot(_Strict):
    """The round's row in a funder's portfolio (`core.portfolio_rows.PortfolioRow`), as built."""

    respondents: Count
    means: dict[str, float | None]
    scores: dict[str, float | None]
    bands: dict[str, str]
    framework_bands: dict[str, str]
    risks: list[dict[str, Any]]  # RiskRef fields, most severe first
    not_checked: list[dict[str, Any]] = []  # rules its questionnaire cannot run (RiskRef fields)


class RoundSnapshot(_Strict):
    version: int
    received: Count  # answers stored when the individual answers were deleted
    released: Count  # of which the results took in
    scores: SnapshotScores | None  # None: nothing was ever shown
    portfolio: PortfolioSnapshot | None = None


@dataclass(frozen=True)
class StoredScores(PartnershipScores):
    """Scores read back from a snapshot: the same figures, with the counts shown as they were."""

    shown: Mapping[str, Mapping[str, int | None]] | None = None

    def visible_counts(self, grouping: str = "organisation") -> dict[str, int | None]:
        if self.shown is None:
            return super().visible_counts(grouping)
        return dict(self.shown["organisation" if grouping == "organisation" else "level"])


def _finding_doc(f: Finding) -> dict[str, Any]:
    doc = f.doc_fields()
    doc["evidence"] = [{"condition": e.condition, "subject": e.subject, "value": e.value, "op": e.op,
                        "threshold": float(e.threshold), "choices": list(e.choices)} for e in f.evidence]
    return doc


def _dimension_doc(d: DimensionScore) -> dict[str, Any]:
    return {"id": d.id, "framework": d.framework, "label": d.label, "score": d.score, "band": d.band,
            "answered": d.answered, "unknown": d.unknown, "spread": d.spread,
            "by_organisation": dict(d.by_organisation), "by_level": dict(d.by_level),
            "suppressed": list(d.suppressed), "gap": d.gap,
            "gap_between": list(d.gap_between) if d.gap_between is not None else None,
            "lowest_group": d.lowest_group}


def snapshot_document(assessment: Assessment | None, received: int, released: int,
                      portfolio: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON kept of a round (checked against `RoundSnapshot`)."""
    scores = None
    if assessment is not None:
        s, q = assessment.scores, assessment.questionnaire
        scores = {
            "partnership": s.partnership, "questionnaire": {"id": q.id, "version": q.version},
            "respondents": s.respondents, "threshold": s.threshold,
            "organisations": s.visible_counts("organisation"),
            "dimensions": [_dimension_doc(d) for d in s.dimensions],
            "answers": {k: dict(v) for k, v in s.answers.items()},
            "findings": [_finding_doc(f) for f in assessment.findings],
            "levels": s.visible_counts("level"),
            "small": {"organisation": sorted(g for g, n in s.organisations.items() if n < s.threshold),
                      "level": sorted(g for g, n in s.levels.items() if n < s.threshold)},
            "items": {k: float(v) for k, v in s.items.items()},
            "anonymity": {g: plan.as_dict() for g, plan in s.anonymity.items()},
            "left_out": s.left_out, "small_groups": s.small_groups,
        }
    doc = {"version": SNAPSHOT_VERSION, "received": received, "released": released, "scores": scores,
           "portfolio": dict(portfolio) if portfolio is not None else None}
    return RoundSnapshot.model_validate(doc).model_dump()


def _counts(shown: Mapping[str, int | None], small: list[str], threshold: int) -> dict[str, int]:
    """Counts every page compares only with the threshold: below it where the group was small,
    at it where the group was large enough but hidden, exact where shown."""
    return {g: n if n is not None else (0 if g in small else threshold) for g, n in shown.items()}


def _findings(docs: list[FindingDoc], pack: RulePack | None) -> list[Finding]:
    known = pack.by_id if pack is not None else {}
    out = []
    for f in docs:
        rule = known.get(f.rule)
        if rule is None:  # a rule since removed from the pack: rebuilt from what the snapshot says
            actions = tuple(Action(task=a.task, text=a.text) for a in f.actions)
            rule = Rule(f.rule, f.title or f.rule, f.severity, tuple(f.tasks), f.explanation,
                        Group("all", ()), actions, (), "")
        evidence = tuple(Evidence(e.condition, e.subject, e.value, e.op, e.threshold, tuple(e.choices))
                         for e in f.evidence)
        covered = tuple(known[c] for c in f.covers if c in known)  # the findings it groups (supersedes)
        out.append(Finding(rule, evidence, covered))
    return out  # in the order they were shown (the assessment's ranking)


def assessment_from_snapshot(doc: Mapping[str, Any] | RoundSnapshot, questionnaire: Questionnaire,
                             pack: RulePack | None, partnership: str | None = None) -> Assessment | None:
    """The assessment a snapshot keeps (None when nothing was shown), named `partnership` when given."""
    snap = doc if isinstance(doc, RoundSnapshot) else RoundSnapshot.model_validate(dict(doc))
    s = snap.scores
    if s is None:
        return None
    t = s.threshold
    dims = [DimensionScore(
        id=d.id, framework=d.framework, label=d.label,
        score=d.score, band=d.band, answered=d.answered, unknown=d.unknown, spread=d.spread,
        by_organisation=dict(d.by_organisation), by_level=dict(d.by_level), suppressed=list(d.suppressed),
        gap=d.gap, gap_between=(d.gap_between[0], d.gap_between[1]) if d.gap_between else None,
        lowest_group=d.lowest_group) for d in s.dimensions]
    scores = StoredScores(
        partnership=s.partnership if partnership is None else partnership, respondents=s.respondents,
        threshold=t, dimensions=dims, answers={k: dict(v) for k, v in s.answers.items()}, items=dict(s.items),
        organisations=_counts(s.organisations, s.small.get("organisation", []), t),
        levels=_counts(s.levels, s.small.get("level", []), t),
        left_out=s.left_out, small_groups=s.small_groups,
        anonymity={g: GroupPlan(dict(a.pooled), list(a.left_out), list(a.hidden))
                   for g, a in (("organisation", s.anonymity.organisation), ("level", s.anonymity.level))},
        shown={"organisation": dict(s.organisations), "level": dict(s.levels)})
    return Assessment(questionnaire, scores, _findings(s.findings, pack))
