"""A round's results: the one path from stored answers to an assessment.

Load the round's records, build the canonical response table, score it and run the rules. The
dashboard, the workshop console, the funder's drill-down and the report all come through here,
so they cannot disagree about what a round says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from healthcheck.core.assess import Assessment, assess
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import frame_from_records
from healthcheck.core.rules import RulePack

__all__ = ["RoundData", "results_from_records", "round_results"]


@dataclass(frozen=True)
class RoundData:
    records: list[dict[str, Any]]
    frame: pd.DataFrame
    assessment: Assessment | None  # None when nobody answered (or no rules were asked for)
    key: tuple[Any, ...] = ()  # identifies this round's data (for caching what is built from it)


def results_from_records(records: Sequence[Mapping[str, Any]], questionnaire: Questionnaire,
                         pack: RulePack | None, threshold: int, partnership: str = "",
                         key: tuple[Any, ...] = ()) -> RoundData:
    """Table and assessment of answers already read (a shared round, a workshop)."""
    rows = [dict(r) for r in records]
    frame = frame_from_records(rows, questionnaire, partnership=partnership)
    assessment = assess(questionnaire, frame, pack, threshold) if pack is not None and len(frame) else None
    return RoundData(rows, frame, assessment, key)


def round_results(store: Any, round_id: int, questionnaire: Questionnaire, pack: RulePack | None,
                  threshold: int, partnership: str = "", key: tuple[Any, ...] = ()) -> RoundData:
    """Read a round's answers fresh from the store and assess them."""
    return results_from_records(store.response_records(round_id), questionnaire, pack, threshold,
                                partnership, key)
