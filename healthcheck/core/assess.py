"""The pipeline: questionnaire + responses -> scores -> facts -> findings (-> JSON contract)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from healthcheck.core.anonymity import DEFAULT_SMALL_GROUPS, Atom
from healthcheck.core.contract import ScoreDocument
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.rules import Facts, RulePack
from healthcheck.core.rules.engine import Finding, get_engine
from healthcheck.core.scoring import MIN_THRESHOLD, PartnershipScores, ScoreTable


@dataclass(frozen=True)
class Assessment:
    questionnaire: Questionnaire
    scores: PartnershipScores
    findings: list[Finding]

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
            "answers": s.answers,
            "findings": [f.doc_fields() for f in self.findings],
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
    total = len(table)
    for code in range(total):
        scores = table.partnership(code)
        yield Assessment(questionnaire, scores, engine.evaluate(facts_from_scores(scores)))
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
