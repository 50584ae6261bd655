"""How the report names the groups the anonymity module hid, and why (the decisions themselves
are core.anonymity's)."""

from __future__ import annotations

from healthcheck.core.scoring import PartnershipScores
from healthcheck.present import views


def suppressed_groups(scores: PartnershipScores) -> list[str]:
    """Hidden groups, by name only, with why: "Foster Care Co (organisation): fewer than 3 responses"."""
    t = scores.threshold
    total = len(scores.dimensions)
    out = []
    for grouping in ("organisation", "level"):
        status = views.group_status(scores, grouping)
        for r in status.itertuples():
            hidden_on = sum(1 for d in scores.dimensions if f"{grouping}:{r.key}" in d.suppressed)
            if r.status == views.NOT_IN_FIGURES:
                out.append(f"{r.group} ({grouping}): fewer than {t} responses, so left out of every figure")
            elif r.respondents is None:
                out.append(f"{r.group} ({grouping}): fewer than {t} responses")
            elif hidden_on == total:
                out.append(f"{r.group} ({grouping}): hidden on every area, so that a smaller group cannot "
                           "be worked out from the total")
            elif hidden_on:
                out.append(f"{r.group} ({grouping}): hidden on {hidden_on} of {total} areas (fewer than {t} "
                           "of them answered those, or so that a smaller group cannot be worked out)")
    return out
