"""Responses -> scores: per dimension, per organisation and level, with anonymity suppression.

Everything is computed for all partnerships of a table in one vectorised pass (a funder's
portfolio has thousands); `ScoreTable.partnership(name)` gives the view of one.

Method, in brief (the method note of reports repeats it):
- an answer of 1-5 maps to 0-100 (1 -> 0, 5 -> 100); reverse-keyed items are flipped first;
- a respondent's dimension score is the weighted mean of their answered items on it;
- the dimension score is the mean of respondents' scores, `spread` their standard deviation,
  `unknown` the share of "don't know" among the answers given to the dimension's items;
- a group (organisation or level) is shown only when at least `threshold` of its respondents
  answered the dimension. When exactly one group is hidden, the next smallest is hidden too:
  otherwise the hidden one could be worked out from the total and the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .frameworks import DIMENSION_BY_ID
from .questionnaire import Questionnaire
from .responses import DONT_KNOW

MIN_THRESHOLD = 3
GROUPINGS = {"organisation": "organisation", "level": "level"}


def to_percent(mean_1_to_5: Any) -> Any:
    return (mean_1_to_5 - 1.0) * 25.0


@dataclass(frozen=True)
class DimensionScore:
    id: str
    framework: str
    label: str
    score: float | None
    band: str
    answered: int
    unknown: float | None
    spread: float | None
    by_organisation: dict[str, float | None]
    by_level: dict[str, float | None]
    suppressed: list[str]
    gap: float | None = None  # largest difference between shown groups (organisations or levels)
    gap_between: tuple[str, str] | None = None  # the two groups furthest apart
    lowest_group: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "framework": self.framework, "label": self.label,
                "score": _r(self.score), "band": self.band, "answered": self.answered,
                "unknown": _r(self.unknown, 3), "spread": _r(self.spread),
                "by_organisation": {k: _r(v) for k, v in self.by_organisation.items()},
                "by_level": {k: _r(v) for k, v in self.by_level.items()},
                "suppressed": list(self.suppressed)}


def _r(v: float | None, digits: int = 1) -> float | None:
    return None if v is None else round(float(v), digits)


@dataclass(frozen=True)
class PartnershipScores:
    partnership: str
    respondents: int
    threshold: int
    dimensions: list[DimensionScore]
    answers: dict[str, dict[str, float]]
    items: dict[str, float]
    organisations: dict[str, int] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)

    @property
    def by_id(self) -> dict[str, DimensionScore]:
        return {d.id: d for d in self.dimensions}


def _nan_to_none(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


class ScoreTable:
    """Scores of every partnership in a response table, as tidy DataFrames."""

    def __init__(self, questionnaire: Questionnaire, responses: pd.DataFrame, threshold: int = MIN_THRESHOLD):
        if threshold < MIN_THRESHOLD:
            raise ValueError(f"the anonymity threshold cannot be below {MIN_THRESHOLD}")
        self.questionnaire = questionnaire
        self.threshold = threshold
        q = questionnaire
        self.dims = list(q.dimensions)
        likert = q.likert_items
        n = len(responses)
        partnership = (responses["partnership"].fillna("").astype(str) if "partnership" in responses
                       else pd.Series([""] * n, index=responses.index))
        self.partnership_codes, self.partnerships = pd.factorize(partnership, sort=False)

        # answers -> matrices (respondents x items): valid 1-5 values, reversed where keyed so
        values = responses[[i.id for i in likert]].to_numpy(dtype=float, na_value=np.nan)
        dont_know = values == DONT_KNOW
        valid = (values >= 1) & (values <= 5)
        reverse = np.array([i.reverse for i in likert])
        keyed = np.where(reverse, 6.0 - values, values)
        keyed = np.where(valid, keyed, 0.0)
        weights = np.zeros((len(likert), len(self.dims)))
        index = {d: j for j, d in enumerate(self.dims)}
        for i, item in enumerate(likert):
            for ref in item.dimensions:
                weights[i, index[ref.id]] = ref.weight
        measured = (weights > 0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_resp = to_percent((keyed @ weights) / (valid.astype(float) @ weights))
        dk_count = dont_know.astype(float) @ measured
        valid_count = valid.astype(float) @ measured

        codes = self.partnership_codes
        resp = pd.DataFrame(per_resp, columns=self.dims)
        grouped = resp.groupby(codes, sort=True)
        mean, count = grouped.mean(), grouped.count()
        spread = grouped.std(ddof=0)
        spread[count < 2] = np.nan
        dk = pd.DataFrame(dk_count, columns=self.dims).groupby(codes, sort=True).sum()
        vc = pd.DataFrame(valid_count, columns=self.dims).groupby(codes, sort=True).sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            unknown = dk / (dk + vc)
        self.score, self.answered, self.spread, self.unknown = mean, count, spread, unknown
        self.respondents = pd.Series(codes).value_counts().sort_index()

        # item scores (for `item:` conditions and the item table of reports)
        item_vals = pd.DataFrame(np.where(valid, to_percent(keyed), np.nan), columns=[i.id for i in likert])
        self.item_scores = item_vals.groupby(codes, sort=True).mean()

        # groups: long table (partnership, grouping, group, dim, mean, n), then suppression
        frames = []
        for grouping, column in GROUPINGS.items():
            labels = responses[column].fillna("").astype(str).to_numpy()
            g = resp.groupby([codes, labels], sort=True)
            m = g.mean().stack(future_stack=True).rename("mean")
            c = g.count().stack(future_stack=True).rename("n")
            long = pd.concat([m, c], axis=1).reset_index()
            long.columns = ["p", "group", "dim", "mean", "n"]
            long.insert(1, "grouping", grouping)
            frames.append(long)
        groups = pd.concat(frames, ignore_index=True)
        groups["suppressed"] = (groups["n"] > 0) & (groups["n"] < threshold)
        # Secondary suppression: a lone hidden group could be derived from the total and the rest.
        key = ["p", "grouping", "dim"]
        lone = groups.groupby(key)["suppressed"].transform("sum") == 1
        shown = (groups["n"] >= threshold)
        candidates = groups[lone & shown].sort_values(["n", "group"])
        second = candidates.drop_duplicates(key).index
        groups.loc[second, "suppressed"] = True
        groups["shown"] = (groups["n"] >= threshold) & ~groups["suppressed"]
        self.groups = groups

        visible = groups[groups["shown"]]
        by = visible.groupby(["p", "dim"])["mean"]
        span = visible.groupby(["p", "grouping", "dim"])["mean"].agg(["max", "min", "count"])
        span = span[span["count"] >= 2]
        self.gap = (span["max"] - span["min"]).groupby(level=["p", "dim"]).max()
        self.lowest = by.min()

        # answer shares of choice items, among those who answered
        shares: dict[str, pd.DataFrame] = {}
        for item in q.choice_items:
            col = responses[item.id]
            if col.notna().any():
                shares[item.id] = pd.crosstab(codes, col, normalize="index")
        self.shares = shares

        org_counts = responses.groupby([codes, responses["organisation"].astype(str)]).size()
        level_counts = responses.groupby([codes, responses["level"].astype(str)]).size()
        self._org_counts, self._level_counts = org_counts, level_counts

    def __len__(self) -> int:
        return len(self.partnerships)

    def names(self) -> list[str]:
        return [str(p) for p in self.partnerships]

    def partnership(self, name: str | int = 0) -> PartnershipScores:
        code = name if isinstance(name, int) else list(self.partnerships).index(name)
        pname = str(self.partnerships[code])
        bands = self.questionnaire.bands
        groups = self.groups[self.groups["p"] == code]
        dimensions = []
        for dim in self.dims:
            d = DIMENSION_BY_ID[dim]
            score = _nan_to_none(self.score.at[code, dim])
            g = groups[groups["dim"] == dim]
            by: dict[str, dict[str, float | None]] = {"organisation": {}, "level": {}}
            suppressed = []
            for row in g.itertuples(index=False):
                by[row.grouping][row.group] = _nan_to_none(row.mean) if row.shown else None
                if row.suppressed:
                    suppressed.append(f"{row.grouping}:{row.group}")
            gap = _nan_to_none(self.gap.get((code, dim)))
            between = None
            if gap is not None:
                shown = g[g["shown"]]
                best = None
                for _, part in shown.groupby("grouping"):
                    if len(part) >= 2:
                        hi, lo = part.loc[part["mean"].idxmax()], part.loc[part["mean"].idxmin()]
                        if best is None or hi["mean"] - lo["mean"] > best[0]:
                            best = (hi["mean"] - lo["mean"], str(hi["group"]), str(lo["group"]))
                between = (best[1], best[2]) if best else None
            dimensions.append(DimensionScore(
                id=dim, framework=d.framework, label=d.label, score=score, band=bands.band(score),
                answered=int(self.answered.at[code, dim]),
                unknown=_nan_to_none(self.unknown.at[code, dim]),
                spread=_nan_to_none(self.spread.at[code, dim]),
                by_organisation=by["organisation"], by_level=by["level"], suppressed=suppressed,
                gap=gap, gap_between=between, lowest_group=_nan_to_none(self.lowest.get((code, dim)))))
        answers = {}
        for item_id, table in self.shares.items():
            if code in table.index:
                row = table.loc[code]
                answers[item_id] = {str(k): round(float(v), 4) for k, v in row.items() if v > 0}
        items = {k: float(v) for k, v in self.item_scores.loc[code].items() if pd.notna(v)}
        return PartnershipScores(
            partnership=pname, respondents=int(self.respondents.get(code, 0)), threshold=self.threshold,
            dimensions=dimensions, answers=answers, items=items,
            organisations={str(k): int(v) for k, v in self._org_counts.loc[code].items()},
            levels={str(k): int(v) for k, v in self._level_counts.loc[code].items()})


def score(questionnaire: Questionnaire, responses: pd.DataFrame, threshold: int = MIN_THRESHOLD,
          ) -> PartnershipScores:
    """Scores of one partnership (the first, when the table holds several)."""
    return ScoreTable(questionnaire, responses, threshold).partnership(0)
