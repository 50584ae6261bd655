"""A live workshop's results: its records from the store, scored and judged by the rule engine.

Here, not in the store, because the persistence layer does not reach into the rule engine.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from healthcheck.core.questionnaire import Questionnaire
from healthcheck.services.results import round_results
from healthcheck.store import Store, WorkshopInfo

__all__ = ["workshop_assessment", "workshop_export_frame"]


def workshop_assessment(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire,
                        pack: Any | None) -> tuple[list[dict[str, Any]], pd.DataFrame, Any | None]:
    """The workshop's records, canonical table and (with a rule pack, once anyone answered) its
    assessment, read fresh from the store."""
    data = round_results(store, workshop.round_id, questionnaire, pack, workshop.threshold,
                         workshop.partnership_name)
    return data.records, data.frame, data.assessment


def workshop_export_frame(store: Store, workshop: WorkshopInfo, questionnaire: Questionnaire,
                          pack: Any) -> pd.DataFrame:
    """The rows a workshop's responses file may hold: those in its figures."""
    return round_results(store, workshop.round_id, questionnaire, pack, workshop.threshold,
                         workshop.partnership_name).figures_frame
