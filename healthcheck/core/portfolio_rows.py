"""A portfolio row: what a funder's overview holds of one partnership, and what "most at risk" means.

Rows hold aggregates only (scores, bands, which rules fired); `services.portfolio` builds them,
`present.portfolio` sorts, filters and exports them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from healthcheck.core.anonymity import shown_score
from healthcheck.core.frameworks import FRAMEWORKS
from healthcheck.core.rules import SEVERITIES, Finding, Rule
from healthcheck.core.rules.rank import rank_key

FRAMEWORK_IDS: tuple[str, ...] = tuple(FRAMEWORKS)


@dataclass(frozen=True)
class RiskRef:
    """What a portfolio needs of a finding: which rule, how severe, and what to do about it."""

    rule: str
    severity: str
    title: str
    tasks: tuple[str, ...] = ()
    actions: tuple[tuple[str, str], ...] = ()  # (task id, text)
    margin: float | None = None  # how far past its threshold (`core.rules.clearing`)
    covers: tuple[str, ...] = ()  # rules this finding groups

    @classmethod
    def of_rule(cls, rule: Rule) -> RiskRef:
        """A rule that did not run (a pulse round cannot feed it): named, with no evidence."""
        return cls(rule.id, rule.severity, rule.title, tuple(rule.tasks),
                   tuple((a.task, a.text) for a in rule.actions))

    @classmethod
    def of(cls, finding: Finding) -> RiskRef:
        return cls(finding.id, finding.rule.severity, finding.rule.title, finding.tasks,
                   tuple((a.task, a.text) for a in finding.actions), finding.margin, finding.covers)


@dataclass(frozen=True)
class PortfolioRow:
    partnership: str
    respondents: int
    means: dict[str, float | None]  # framework id -> mean of its dimension scores
    risks: tuple[RiskRef, ...]  # findings, most severe first
    scores: dict[str, float | None]  # dimension id -> score (None: nobody answered)
    bands: dict[str, str]  # dimension id -> band
    framework_bands: dict[str, str]  # framework id -> band of its mean (the questionnaire's cut points)
    round: str | None = None
    change: float | None = None  # tasks mean now minus at the previous round
    key: Any = None  # where the row came from (the store: (partnership id, round id))
    # rules its questionnaire cannot run (a pulse round): those checks need the full health check
    not_checked: tuple[RiskRef, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.severity for r in self.risks)
        return {s: c.get(s, 0) for s in SEVERITIES}

    @property
    def top_risk(self) -> str | None:
        return self.risks[0].title if self.risks else None

    @property
    def rule_ids(self) -> set[str]:
        return {r.rule for r in self.risks}

    def as_dict(self) -> dict[str, Any]:
        """The row for `healthcheck portfolio --format json`."""
        return {
            "partnership": self.partnership,
            "round": self.round,
            "respondents": self.respondents,
            "scores": {f: shown_score(self.means.get(f)) for f in FRAMEWORK_IDS},
            "findings": self.counts,
            "top_risk": self.top_risk,
            "risks": [r.rule for r in self.risks],  # ranked, as in a score document
            "change": shown_score(self.change),
            "needs_full_check": [r.rule for r in self.not_checked],
            "dimensions": {d: {"score": shown_score(self.scores.get(d)),
                               "band": self.bands.get(d, "no data")} for d in self.scores},
        }


def risk_key(row: PortfolioRow) -> tuple[Any, ...]:
    """Most at risk first: most high findings, then medium, low, info; then the lowest tasks mean."""
    c = row.counts
    tasks = row.means.get("tasks")
    return (*(-c[s] for s in SEVERITIES), math.inf if tasks is None else tasks,
            row.partnership.lower())


def by_risk(rows: Iterable[PortfolioRow]) -> list[PortfolioRow]:
    return sorted(rows, key=risk_key)


def risk_order(risks: Iterable[RiskRef]) -> list[RiskRef]:
    """Findings ranked as everywhere (`core.rules.rank`): most severe first (an unknown severity
    last), then furthest past its threshold, then by rule id."""
    return sorted(risks, key=lambda r: rank_key(r.severity, r.margin, r.rule))
