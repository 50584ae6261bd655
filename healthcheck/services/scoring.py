"""Score a responses file: every partnership it holds, assessed against a rule pack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from healthcheck.core.anonymity import DEFAULT_SMALL_GROUPS
from healthcheck.core.assess import Assessment, iter_assessments
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import read_responses, reading_notes
from healthcheck.core.rules import RulePack

Progress = Callable[[int, int], None]
ProgressFor = Callable[[str], Progress]  # a fresh progress counter for a step ("reading", "assessing")


def assess_file(responses: str | Path, questionnaire: Questionnaire, pack: RulePack, threshold: int, *,
                progress: ProgressFor | None = None, notes: list[str] | None = None,
                small_groups: str = DEFAULT_SMALL_GROUPS) -> list[Assessment]:
    """One assessment per partnership in the responses CSV, in order of first appearance.
    `notes` receives what reading set aside (answers to items not asked of the respondent)."""
    df = read_responses(Path(responses), questionnaire, progress=progress("reading") if progress else None)
    if notes is not None:
        notes.extend(reading_notes(df))
    return list(iter_assessments(questionnaire, df, pack, threshold,
                                 progress=progress("assessing") if progress else None,
                                 small_groups=small_groups))
