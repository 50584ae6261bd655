"""The pipeline: questionnaire + responses -> scores -> facts -> findings (-> JSON contract)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from healthcheck.core.anonymity import DEFAULT_SMALL_GROUPS, Atom, shown_share
from healthcheck.core.contract import ScoreDocument
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.rules import Facts, Rule, RulePack
from healthcheck.core.rules.engine import Finding, get_engine
from healthcheck.core.rules.reach import full_check_note, unreachable
from healthcheck.core.scoring import MIN_THRESHOLD, PartnershipScores, ScoreTable


@dataclass(frozen=True)
class Assessment:
    questionnaire: Questionnaire
    scores: PartnershipScores
    findings: list[Finding]
    # Rules that cannot fire on this questionnaire (it does not ask what they need): a pulse round
    # says which checks need the full health check (core/rules/reach decides).
    not_checked: tuple[Rule, ...] = ()

    @property
    def full_check_note(self) -> str | None:
        """The sentence saying which checks this round could not run, or None."""
        return full_check_note(self.not_checked, self.questionnaire.title.lower())

    @property
    def partnership(self) -> str:
        return self.scores.partnership

    def as_dict(self) -> dict[str, Any]:
        """The `healthcheck score --format json` document, written through its contract."""
        return self.document().model_dump()

    def document(self) -> ScoreDocument:
        q, s = self.questionnaire, self.scores
        # one validation of the whole document: a fraction of the cost of building it model by model
        return ScoreDocument.model_validate({
            "partnership": s.partnership,
            "questionnaire": {"id": q.id, "version": q.version},
            "respondents": s.respondents,
            "threshold": s.threshold,
            "organisations": s.visible_counts("organisation"),
            "anonymity": {g: plan.as_dict() for g, plan in s.anonymity.items()},
            "dimensions": [d.doc_fields() for d in s.dimensions],
            "answers": {item: {c: shown_share(v) for c, v in shares.items()}
                        for item, shares in s.answers.items()},
            "findings": [f.doc_fields(q) for f in self.findings],
        })


def facts_from_scores(s: PartnershipScores) -> Facts:
    scores, spreads, gaps, lowest, unknown = {}, {}, {}, {}, {}
    for d in s.dimensions:
        for table, value in ((scores, d.score), (spreads, d.spread), (gaps, d.gap),
                             (lowest, d.lowest_group), (unknown, d.unknown)):
            if value is not None:
                table[d.id] = value
    return Facts(scores=scores, spreads=spreads, gaps=gaps, lowest_groups=lowest, unknown=unknown,
                 items=dict(s.items), answers={k: dict(v) for k, v in s.answers.items()},
                 respondents=s.respondents)


def iter_assessments(questionnaire: Questionnaire, responses: pd.DataFrame, pack: RulePack,
                     threshold: int = MIN_THRESHOLD,
                     progress: Callable[[int, int], None] | None = None,
                     published_before: Mapping[str, Sequence[Sequence[Atom]]] | None = None,
                     small_groups: str = DEFAULT_SMALL_GROUPS,
                     kept_before: Sequence[bool | None] | None = None,
                     ) -> Iterator[Assessment]:
    """One assessment per partnership in the table, in order of first appearance (`small_groups`
    and `kept_before` as for `ScoreTable`)."""
    table = ScoreTable(questionnaire, responses, threshold, published_before, small_groups, kept_before)
    engine = get_engine(pack)
    blocked = tuple(u.rule for u in unreachable(pack, questionnaire))
    total = len(table)
    for code in range(total):
        scores = table.partnership(code)
        yield Assessment(questionnaire, scores, engine.evaluate(facts_from_scores(scores)), blocked)
        if progress is not None:
            progress(code + 1, total)


def assess(questionnaire: Questionnaire, responses: pd.DataFrame, pack: RulePack,
           threshold: int = MIN_THRESHOLD,
           published_before: Mapping[str, Sequence[Sequence[Atom]]] | None = None,
           small_groups: str = DEFAULT_SMALL_GROUPS,
           kept_before: Sequence[bool | None] | None = None) -> Assessment:
    """The assessment of one partnership (the table's first, if it holds several)."""
    return next(iter_assessments(questionnaire, responses, pack, threshold,
                                 published_before=published_before, small_groups=small_groups,
                                 kept_before=kept_before))
