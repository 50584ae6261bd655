"""Row-level exports: the responses of a round, de-identified by the anonymity module (the
Exports page's CSV, and the answers in "download everything we hold")."""

from __future__ import annotations

import pandas as pd

from healthcheck.core.anonymity import deidentify_rows
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import COMMENT_SUFFIX, export_csv, export_table

__all__ = ["anonymised_csv", "anonymised_table"]


def _deidentified(frame: pd.DataFrame, questionnaire: Questionnaire,
                  threshold: int) -> tuple[pd.DataFrame, set[str]]:
    words = [c for c in frame.columns if str(c).endswith(COMMENT_SUFFIX)] + [
        i.id for i in questionnaire.items if i.type == "text" and i.id in frame.columns]
    # an open round's answers come in releases (services.results): combinations are counted
    # within each, so two files taken at two moments cannot be subtracted either
    return deidentify_rows(frame, words, threshold, batch="release")


def anonymised_csv(frame: pd.DataFrame, questionnaire: Questionnaire,
                   threshold: int) -> tuple[str, set[str]]:
    """The responses CSV of a round, de-identified by the anonymity module (hidden organisations
    renamed, their roles and the words of every organisation that is not shown left out)."""
    frame, hidden = _deidentified(frame, questionnaire, threshold)
    return export_csv(frame, questionnaire), hidden


def anonymised_table(frame: pd.DataFrame, questionnaire: Questionnaire,
                     threshold: int) -> tuple[pd.DataFrame, set[str]]:
    """The same rows as `anonymised_csv`, as a table (cells not made spreadsheet-safe: for JSON)."""
    frame, hidden = _deidentified(frame, questionnaire, threshold)
    return export_table(frame, questionnaire), hidden
