"""A live workshop's results: its records from the store, scored and judged by the rule engine.

Here, not in the store, because the persistence layer does not reach into the rule engine.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from healthcheck.core.assess import assess
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import frame_from_records
from healthcheck.store import Store, WorkshopInfo

__all__ = ["workshop_assessment"]


def workshop_assessment(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire,
                        pack: Any | None) -> tuple[list[dict[str, Any]], pd.DataFrame, Any | None]:
    """The workshop's records, canonical table and (with a rule pack, once anyone answered) its
    assessment, read fresh from the store."""
    records = store.response_records(workshop.round_id)
    frame = frame_from_records(records, questionnaire, partnership=workshop.partnership_name)
    assessment = None
    if pack is not None and len(frame):
        assessment = assess(questionnaire, frame, pack, workshop.threshold)
    return records, frame, assessment
