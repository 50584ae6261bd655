"""Row-level exports: the responses CSV of a round, de-identified by the anonymity module."""

from __future__ import annotations

import pandas as pd

from healthcheck.core.anonymity import deidentify_rows
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import COMMENT_SUFFIX, export_csv

__all__ = ["anonymised_csv"]


def anonymised_csv(frame: pd.DataFrame, questionnaire: Questionnaire,
                   threshold: int) -> tuple[str, set[str]]:
    """The responses CSV of a round, de-identified by the anonymity module (hidden organisations
    renamed, their roles and the words of every organisation that is not shown left out)."""
    words = [c for c in frame.columns if str(c).endswith(COMMENT_SUFFIX)] + [
        i.id for i in questionnaire.items if i.type == "text" and i.id in frame.columns]
    # an open round's answers come in releases (services.results): combinations are counted
    # within each, so two files taken at two moments cannot be subtracted either
    frame, hidden = deidentify_rows(frame, words, threshold, batch="release")
    return export_csv(frame, questionnaire), hidden
