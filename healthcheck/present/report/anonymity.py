"""What the report may show of the people who answered: comments and hidden groups.

Both decisions are kept here together (the dashboard uses `low_score_comments` too), so that they
can move to the one place that holds every anonymity decision in one piece.
"""

from __future__ import annotations

import pandas as pd

from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import COMMENT_SUFFIX
from healthcheck.core.scoring import PartnershipScores
from healthcheck.present import views


def low_score_comments(responses: pd.DataFrame, questionnaire: Questionnaire,
                       threshold: int) -> dict[str, list[str]]:
    """Comments on low answers, by item text, from organisations with at least `threshold`
    respondents only (as the dashboard shows them): no name, organisation or level attached,
    sorted so the order says nothing about who answered when."""
    if responses.empty or "organisation" not in responses:
        return {}
    counts = responses["organisation"].astype(str).value_counts()
    keep = responses["organisation"].astype(str).map(counts) >= threshold
    out: dict[str, list[str]] = {}
    for item in questionnaire.items:
        col = item.id + COMMENT_SUFFIX
        if col not in responses:
            continue
        texts = [str(t).strip() for t in responses.loc[keep, col]
                 if isinstance(t, str) and t.strip()]
        if texts:
            out.setdefault(item.text, []).extend(texts)
    return {k: sorted(v) for k, v in out.items()}


def suppressed_groups(scores: PartnershipScores) -> list[str]:
    """Hidden groups, by name only, with why: "Foster Care Co (organisation): fewer than 3 responses"."""
    t = scores.threshold
    total = len(scores.dimensions)
    out = []
    for grouping in ("organisation", "level"):
        status = views.group_status(scores, grouping)
        for r in status.itertuples():
            hidden_on = sum(1 for d in scores.dimensions if f"{grouping}:{r.key}" in d.suppressed)
            if r.respondents is None:
                out.append(f"{r.group} ({grouping}): fewer than {t} responses")
            elif hidden_on == total:
                out.append(f"{r.group} ({grouping}): hidden on every area, so that a smaller group cannot "
                           "be worked out from the total")
            elif hidden_on:
                out.append(f"{r.group} ({grouping}): hidden on {hidden_on} of {total} areas (fewer than {t} "
                           "of them answered those, or so that a smaller group cannot be worked out)")
    return out
