"""Scoring 10,000 partnerships x 12 respondents x the core items, against one bare numpy pass.

Baseline: the same answers as a float matrix, reverse keying, the item->dimension weight
matmul and per-partnership means with bincount: the least any scorer must do. Target: the
real ScoreTable (which also does spread, don't-know shares, organisation and level breakdowns
with suppression, gaps, item scores and answer shares) within 2.5x of it and under 2 s.
"""

from __future__ import annotations

import sys

import numpy as np

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.scoring import ScoreTable
from healthcheck.services.demo_stories import bulk_responses

from .common import best_of, report


def numpy_baseline(q, values: np.ndarray, codes: np.ndarray, n_partnerships: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    likert = q.likert_items
    dims = list(q.dimensions)
    weights = np.zeros((len(likert), len(dims)))
    for i, item in enumerate(likert):
        for ref in item.dimensions:
            weights[i, dims.index(ref.id)] = ref.weight
    valid = (values >= 1) & (values <= 5)
    reverse = np.array([i.reverse for i in likert])
    keyed = np.where(valid, np.where(reverse, 6 - values, values), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_resp = (keyed @ weights) / (valid.astype(float) @ weights)
    out = np.empty((n_partnerships, len(dims)))
    for j in range(len(dims)):
        col = per_resp[:, j]
        ok = ~np.isnan(col)
        out[:, j] = np.bincount(codes[ok], weights=col[ok], minlength=n_partnerships) / np.bincount(
            codes[ok], minlength=n_partnerships)
    return (out - 1) * 25


def main(partnerships: int = 10_000, respondents: int = 12) -> bool:
    q = load_questionnaire(find_questionnaire("core"))
    df = bulk_responses(q, partnerships, respondents, seed=1)
    print(f"scoring {partnerships:,} partnerships x {respondents} respondents x {len(q.likert_items)} "
          f"likert items ({len(df):,} rows)")
    values = df[[i.id for i in q.likert_items]].to_numpy(dtype=float)
    codes = np.repeat(np.arange(partnerships), respondents)
    # Interleaved best-of-5: both sides see the same moments of a busy machine.
    base_times, real_times = [], []
    for _ in range(5):
        t, expected = best_of(lambda: numpy_baseline(q, values, codes, partnerships), repeat=1)
        base_times.append(t)
        t, table = best_of(lambda: ScoreTable(q, df), repeat=1)
        real_times.append(t)
    base, real = min(base_times), min(real_times)
    got = table.score.reindex(columns=list(q.dimensions)).to_numpy()
    assert np.allclose(got, expected, equal_nan=True), "ScoreTable and the baseline disagree"
    return report("scoring (ScoreTable vs numpy)", real, base, target_ratio=2.5, target_seconds=2.0)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
