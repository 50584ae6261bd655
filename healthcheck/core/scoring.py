"""Responses -> scores: per dimension, per organisation and level, with anonymity suppression.

Everything is computed for all partnerships of a table in one vectorised pass (a funder's
portfolio has thousands); `ScoreTable.partnership(name)` gives the view of one.

Method, in brief (the method note of reports repeats it):
- an answer of 1-5 maps to 0-100 (1 -> 0, 5 -> 100); reverse-keyed items are flipped first;
- a respondent's dimension score is the weighted mean of their answered items on it;
- the dimension score is the mean of respondents' scores, `spread` their standard deviation,
  `unknown` the share of "don't know" among the answers given to the dimension's items;
- small groups are first pooled or left out ("pool", the default) or kept to be hidden ("hide"):
  `anonymity.plan_view` decides, per partnership; left-out people are in no figure, the whole
  partnership's included, but are counted in `respondents`;
- a group (organisation, level or pool) is shown only when at least `threshold` of its
  respondents answered the dimension. When exactly one group is hidden, the next smallest is
  hidden too: otherwise the hidden one could be worked out from the total and the others;
- room-only figures (a facilitator-paced workshop's, `anonymity.room`) show no group at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from healthcheck.core.anonymity import (
    DEFAULT_SMALL_GROUPS,
    ROOM_GROUP,
    Atom,
    GroupPlan,
    ViewPlan,
    plan_partnerships,
    safe_breakdowns,
    shown_score,
    shown_share,
    suppress_blocks,
    visible_counts,
)
from healthcheck.core.contract import DimensionDoc
from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.grouping import Counted, Grouped, Values, block_order, block_sums, place_counts
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses.columns import DONT_KNOW
from healthcheck.core.vocabulary import MIN_THRESHOLD

GROUPINGS = {"organisation": "organisation", "level": "level"}
LEFT_OUT = "\x00left out"  # the group label of people in no figure (never shown)


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
        """This dimension as the score document holds it (`contract.DimensionDoc`)."""
        return DimensionDoc.model_validate(self.doc_fields()).model_dump()

    def doc_fields(self) -> dict[str, Any]:
        return {"id": self.id, "framework": self.framework, "label": self.label,
                "score": shown_score(self.score), "band": self.band, "answered": self.answered,
                "unknown": shown_share(self.unknown), "spread": shown_score(self.spread),
                "by_organisation": {k: shown_score(v) for k, v in self.by_organisation.items()},
                "by_level": {k: shown_score(v) for k, v in self.by_level.items()},
                "suppressed": list(self.suppressed)}




@dataclass(frozen=True)
class PartnershipScores:
    partnership: str
    respondents: int
    threshold: int
    dimensions: list[DimensionScore]
    answers: dict[str, dict[str, float]]
    items: dict[str, float]
    organisations: dict[str, int] = field(default_factory=dict)  # groups of the figures (pools by label)
    levels: dict[str, int] = field(default_factory=dict)
    left_out: int = 0  # respondents in no figure (their groups were too small to show or pool)
    anonymity: dict[str, GroupPlan] = field(default_factory=dict)  # by grouping
    small_groups: str = DEFAULT_SMALL_GROUPS
    in_figures: tuple[bool, ...] = ()  # per row of the partnership, in table order (empty: everyone)
    room_only: bool = False  # the whole room's figures only, no groups (anonymity.room_only)

    @property
    def by_id(self) -> dict[str, DimensionScore]:
        return {d.id: d for d in self.dimensions}

    def visible_counts(self, grouping: str = "organisation") -> dict[str, int | None]:
        return visible_counts(self.organisations if grouping == "organisation" else self.levels,
                              self.threshold)


def _nan_to_none(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


class ScoreTable:
    """Scores of every partnership in a response table, computed in one vectorised pass."""

    def __init__(self, questionnaire: Questionnaire, responses: pd.DataFrame, threshold: int = MIN_THRESHOLD,
                 published_before: Mapping[str, Sequence[Sequence[Atom]]] | None = None,
                 small_groups: str = DEFAULT_SMALL_GROUPS, kept_before: Sequence[bool | None] | None = None):
        """`published_before`: per dimension, the sums an open round's earlier releases already
        showed (atoms (organisation, level, release); responses then carry a `release` column).
        `small_groups`: "pool" or "hide" (anonymity.plan_view). `kept_before[k]`: whether row k
        was in the figures of the previous release (None: it is new in this one)."""
        if threshold < MIN_THRESHOLD:
            raise ValueError(f"the anonymity threshold cannot be below {MIN_THRESHOLD}")
        self.questionnaire = questionnaire
        self.threshold = threshold
        self.published_before = published_before or {}
        self.small_groups = small_groups
        q = questionnaire
        self.dims = list(q.dimensions)
        likert = q.likert_items
        self._item_ids = [i.id for i in likert]
        n = len(responses)
        partnership = (responses["partnership"].fillna("").astype(str) if "partnership" in responses
                       else pd.Series([""] * n, index=responses.index))
        codes, self.partnerships = pd.factorize(partnership, sort=False)
        self.partnership_codes = codes
        n_p = len(self.partnerships)

        # answers -> items x respondents matrices (pandas stores the columns that way round, and
        # every reduction below then runs along contiguous memory): valid 1-5 values, reverse-keyed
        # items flipped
        values = responses[self._item_ids].to_numpy(dtype=float, na_value=np.nan).T
        valid = (values >= 1) & (values <= 5)
        dont_know = values == DONT_KNOW
        reverse = np.flatnonzero([i.reverse for i in likert])
        keyed = np.where(valid, values, 0.0)
        keyed[reverse] = np.where(valid[reverse], 6.0 - keyed[reverse], 0.0)
        weights = np.zeros((len(self.dims), len(likert)))
        index = {d: j for j, d in enumerate(self.dims)}
        for i, item in enumerate(likert):
            for ref in item.dimensions:
                weights[index[ref.id], i] = ref.weight
        measured = (weights > 0).astype(float)
        valid_f = valid.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_resp = to_percent((weights @ keyed) / (weights @ valid_f))  # dims x respondents

        # who is in the figures, under which group (small groups pooled or left out)
        # factorised once (plans, groups and cells share them), straight from pandas' own strings
        factors = [pd.factorize(responses[col].fillna("").astype(str), sort=True)
                   for col in GROUPINGS.values()]
        originals = [np.asarray(names, dtype=object)[c] for c, names in factors]
        release = responses["release"].astype(str).to_numpy() if "release" in responses else None
        inside, shown_labels, self._plans = plan_partnerships(
            codes, originals, per_resp, self.threshold, small_groups, LEFT_OUT,
            [self.published_before.get(d, ()) for d in self.dims], release, kept_before,
            [c for c, _ in factors])
        self.inside = inside
        out = ~inside
        if out.any():
            valid[:, out] = False
            dont_know[:, out] = False
            keyed[:, out] = 0.0
            valid_f = valid.astype(float)
            per_resp[:, out] = np.nan

        # partnership level: respondents in partnership blocks, each block reduced
        values = Values(per_resp)
        by_p = Grouped(codes, values)
        order, starts = block_order(codes)
        self._score_arr, self._spread_arr = by_p.mean, by_p.spread
        self._answered_arr = by_p.n
        # reduce to partnerships first, then map items to dimensions: far fewer rows to multiply
        item_n = block_sums(valid_f, order, starts)
        item_dk = place_counts(np.nonzero(dont_know), len(likert), codes, n_p).astype(float)  # few
        dk, vc = item_dk @ measured.T, item_n @ measured.T
        item_sums = block_sums(keyed, order, starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            self._unknown_arr = dk / (dk + vc)
            self._item_arr = to_percent(item_sums / item_n)
            # Room-only figures (anonymity.room): an area is scored from its questions' totals,
            # which the room's question spreads already show, not as a mean of each person's
            # mean: someone who answered only some of an area's questions (a late joiner) would
            # otherwise count apart from the rest, and the area less the spreads gives them away.
            # Its spread mixes answers to different questions in the same way: not shown.
            room = np.bincount(codes[originals[0] == ROOM_GROUP], minlength=n_p) > 0
            if room.any():
                pooled = to_percent((item_sums[room] @ weights.T) / (item_n[room] @ weights.T))
                self._score_arr[room] = np.where(self._answered_arr[room] > 0, pooled, np.nan)
                self._spread_arr[room] = np.nan
        self.respondents = pd.Series(np.bincount(codes, minlength=n_p), index=range(n_p))

        # organisation and level groups, with suppression
        self._in_count = np.bincount(codes[inside], minlength=n_p)
        # with nothing pooled or left out, the shown groups are the original ones
        self._groups = {g: self._group(codes, factors[i] if not self._plans else
                                       pd.factorize(shown_labels[i], sort=True), values, n_p)
                        for i, g in enumerate(GROUPINGS)}
        self._check_combinations(codes, responses, values, n_p, originals, factors)
        gap = np.full((n_p, len(self.dims)), np.nan)
        lowest = np.full((n_p, len(self.dims)), np.nan)
        for grp in self._groups.values():
            # group rows come in partnership blocks, and every partnership has at least one
            shown_mean = np.where(grp["shown"], grp["mean"], np.nan)
            blocks = grp["starts"][:-1]
            hi = np.fmax.reduceat(shown_mean, blocks)
            lo = np.fmin.reduceat(shown_mean, blocks)
            count = np.add.reduceat(grp["shown"], blocks, dtype=np.int64)
            span = np.where(count >= 2, hi - lo, np.nan)
            gap = np.fmax(gap, span)
            lowest = np.fmin(lowest, lo)
        self._gap_arr, self._lowest_arr = gap, lowest

        # answer shares of choice items, among those who answered
        self._share_arrs: dict[str, tuple[list[str], np.ndarray]] = {}
        for item in q.choice_items:
            choice_codes, choices = pd.factorize(responses[item.id], sort=True)
            answered = (choice_codes >= 0) & inside
            if not answered.any():
                continue
            k = len(choices)
            counts = np.bincount(codes[answered] * k + choice_codes[answered], minlength=n_p * k)
            counts = counts.reshape(n_p, k).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                self._share_arrs[item.id] = ([str(c) for c in choices],
                                             counts / counts.sum(axis=1, keepdims=True))

    def _group(self, codes: np.ndarray, factor: tuple[np.ndarray, Any], values: Values,
               n_p: int) -> dict[str, Any]:
        """Means by (partnership, group) with primary and secondary suppression; `factor` is the
        rows' group codes and the sorted group names (pandas.factorize)."""
        label_codes, names = factor
        key = codes.astype(np.int64) * (len(names) + 1) + label_codes
        grouped = Grouped(key, values, spread=False)  # blocks by partnership, then label
        p = grouped.keys // (len(names) + 1)
        label = np.asarray(names)[grouped.keys % (len(names) + 1)]
        n_resp = np.bincount(np.searchsorted(grouped.keys, key), minlength=len(grouped.keys))
        n = grouped.n
        starts = np.searchsorted(p, np.arange(n_p + 1))
        suppressed = suppress_blocks(n, label, starts, self.threshold)
        # the room-wide group of room-only figures is never a group of its own (anonymity.room)
        shown = (n >= self.threshold) & ~suppressed & (label != ROOM_GROUP)[:, None]
        return {"p": p, "label": label, "mean": grouped.mean, "n": n, "respondents": n_resp,
                "codes": label_codes, "names": names,
                "suppressed": suppressed, "shown": shown, "starts": starts}

    def _check_combinations(self, codes: np.ndarray, responses: pd.DataFrame, values: Values,
                            n_p: int, originals: list[np.ndarray],
                            factors: list[tuple[np.ndarray, Any]]) -> None:
        """Hide more groups where the organisation and level breakdowns, read together with the
        whole (and with an open round's earlier releases), would pin down fewer than `threshold`
        people (see anonymity.safe_breakdowns).

        A leak needs a cell (organisation x level, x release) below the threshold, so only
        partnerships and areas with one are checked one by one."""
        org, lev = self._groups["organisation"], self._groups["level"]
        # atoms by the groups' own names (not their pools'), so sums of two releases compare
        factors = list(factors)
        if "release" in responses:
            factors.append(pd.factorize(responses["release"].astype(str), sort=True))
        key = codes.astype(np.int64)
        for c, names in factors:
            key = key * (len(names) + 1) + c
        cells = Counted(key, values)
        width = int(np.prod([len(names) + 1 for _, names in factors]))
        cell_p = cells.keys // width
        cell_starts = np.searchsorted(cell_p, np.arange(n_p + 1))
        def atom(row: int) -> Atom:  # decoded only where needed: most partnerships never are
            k, parts = int(cells.keys[row]), []
            for _, names in reversed(factors):
                k, c = divmod(k, len(names) + 1)
                parts.append(str(names[c]))
            return tuple(reversed(parts))

        self._cells = (cell_starts, atom)
        self._cell_n = cells.n
        small = (cells.n > 0) & (cells.n < self.threshold)
        risky = np.add.reduceat(small.astype(np.int64), cell_starts[:-1], axis=0) > 0
        shown_any = [np.add.reduceat(g["shown"].astype(np.int64), g["starts"][:-1], axis=0) > 0
                     for g in (org, lev)]
        # one breakdown beside the whole is already safe, unless earlier releases were published
        risky &= (shown_any[0] | shown_any[1]) if self.published_before else (shown_any[0] & shown_any[1])
        memo: dict[tuple[Any, ...], dict[int, set[str]]] = {}
        for pc, dj in zip(*np.nonzero(risky), strict=True):
            rows = range(int(cell_starts[pc]), int(cell_starts[pc + 1]))
            sizes = {atom(r): int(cells.n[r, dj]) for r in rows}
            blocks = [range(int(g["starts"][pc]), int(g["starts"][pc + 1])) for g in (org, lev)]
            shown = {i: {str(g["label"][r]) for r in blocks[i] if g["shown"][r, dj]}
                     for i, g in enumerate((org, lev))}
            fixed = self.published_before.get(self.dims[dj], ())
            labels = self._labels(int(pc))
            memo_key = (tuple(sorted(sizes.items())), tuple(sorted(shown[0])), tuple(sorted(shown[1])),
                        id(fixed), tuple(tuple(sorted(m.items())) for m in labels))
            keep = memo.get(memo_key)
            if keep is None:
                keep = memo[memo_key] = safe_breakdowns(sizes, shown, self.threshold, fixed, labels)
            for i, g in enumerate((org, lev)):
                for r in blocks[i]:
                    if g["shown"][r, dj] and str(g["label"][r]) not in keep[i]:
                        g["shown"][r, dj] = False
                        g["suppressed"][r, dj] = True

    def _labels(self, code: int) -> tuple[dict[str, str], ...]:
        plan: ViewPlan | None = self._plans.get(code)
        return plan.labels if plan is not None else ({}, {})

    def published_sums(self, code: int = 0) -> dict[str, list[list[Atom]]]:
        """Per dimension, the sums this table shows for one partnership, as sets of atoms: the
        whole and every shown group (what a later release must be checked against)."""
        cell_starts, atom = self._cells
        rows = range(int(cell_starts[code]), int(cell_starts[code + 1]))
        labels = self._labels(code)
        out: dict[str, list[list[Atom]]] = {}
        for j, dim in enumerate(self.dims):
            mine = [atom(r) for r in rows if self._cell_n[r, j] > 0]  # left-out people are in no sum
            sums = [mine]
            for i, g in enumerate((self._groups["organisation"], self._groups["level"])):
                for r in range(int(g["starts"][code]), int(g["starts"][code + 1])):
                    if g["shown"][r, j]:
                        label = str(g["label"][r])
                        sums.append([a for a in mine if labels[i].get(a[i], a[i]) == label])
            out[dim] = sums
        return out

    def kept(self) -> list[bool]:
        """Per row, whether it is in the figures (what the next release's `kept_before` is)."""
        return [bool(k) for k in self.inside]

    def __len__(self) -> int:
        return len(self.partnerships)

    def names(self) -> list[str]:
        return [str(p) for p in self.partnerships]

    def code_of(self, name: str | int) -> int:
        return name if isinstance(name, int) else list(self.partnerships).index(name)

    @property
    def score(self) -> pd.DataFrame:
        """Partnerships x dimensions, 0-100 (NaN where nobody answered)."""
        return pd.DataFrame(self._score_arr, columns=self.dims)

    def _answers(self, code: int) -> dict[str, dict[str, float]]:
        out = {}
        for item_id, (choices, arr) in self._share_arrs.items():
            row = arr[code].tolist()
            shares = {c: round(float(v), 4) for c, v in zip(choices, row, strict=True) if v > 0}
            if shares:
                out[item_id] = shares
        return out

    def facts(self, name: str | int):  # type: ignore[no-untyped-def]
        """The rule facts of one partnership, straight from the arrays (the batch fast path)."""
        from healthcheck.core.rules import Facts

        code = self.code_of(name)

        def row(arr: np.ndarray, keys: list[str]) -> dict[str, float]:
            return {k: float(v) for k, v in zip(keys, arr[code].tolist(), strict=True) if v == v}

        return Facts(scores=row(self._score_arr, self.dims), spreads=row(self._spread_arr, self.dims),
                     gaps=row(self._gap_arr, self.dims), lowest_groups=row(self._lowest_arr, self.dims),
                     unknown=row(self._unknown_arr, self.dims), items=row(self._item_arr, self._item_ids),
                     answers=self._answers(code), respondents=int(self.respondents.iloc[code]))

    def partnership(self, name: str | int = 0) -> PartnershipScores:
        code = self.code_of(name)
        bands = self.questionnaire.bands
        by: dict[str, dict[str, dict[str, float | None]]] = {g: {d: {} for d in self.dims} for g in GROUPINGS}
        suppressed: dict[str, list[str]] = {d: [] for d in self.dims}
        between: dict[str, tuple[float, tuple[str, str]]] = {}
        counts: dict[str, dict[str, int]] = {}
        room = False
        for grouping, grp in self._groups.items():
            rows = [r for r in range(grp["starts"][code], grp["starts"][code + 1])
                    if grp["label"][r] != LEFT_OUT]
            room = room or any(grp["label"][r] == ROOM_GROUP for r in rows)
            rows = [r for r in rows if grp["label"][r] != ROOM_GROUP]  # no group: not listed at all
            counts[grouping] = {str(grp["label"][r]): int(grp["respondents"][r]) for r in rows}
            for j, dim in enumerate(self.dims):
                shown_means = []
                for r in rows:
                    label = str(grp["label"][r])
                    if grp["n"][r, j] == 0:
                        by[grouping][dim][label] = None  # nobody in this group answered: no data
                        continue
                    if grp["shown"][r, j]:
                        mean = float(grp["mean"][r, j])
                        by[grouping][dim][label] = mean
                        shown_means.append((mean, label))
                    else:
                        by[grouping][dim][label] = None
                        suppressed[dim].append(f"{grouping}:{label}")
                if len(shown_means) >= 2:
                    hi, lo = max(shown_means), min(shown_means)
                    if dim not in between or hi[0] - lo[0] > between[dim][0]:
                        between[dim] = (hi[0] - lo[0], (hi[1], lo[1]))
        dimensions = []
        for j, dim in enumerate(self.dims):
            d = DIMENSION_BY_ID[dim]
            score = _nan_to_none(self._score_arr[code, j])
            dimensions.append(DimensionScore(
                id=dim, framework=d.framework, label=d.label, score=score, band=bands.band(score),
                answered=int(self._answered_arr[code, j]),
                unknown=_nan_to_none(self._unknown_arr[code, j]),
                spread=_nan_to_none(self._spread_arr[code, j]),
                by_organisation=by["organisation"][dim], by_level=by["level"][dim],
                suppressed=suppressed[dim], gap=_nan_to_none(self._gap_arr[code, j]),
                gap_between=between[dim][1] if dim in between else None,
                lowest_group=_nan_to_none(self._lowest_arr[code, j])))
        items = {k: float(v) for k, v in zip(self._item_ids, self._item_arr[code].tolist(), strict=True)
                 if v == v}
        plan = self._plans.get(code)
        anonymity = {}
        for i, grouping in enumerate(GROUPINGS):
            base = plan.groups[i] if plan is not None else GroupPlan()
            hidden = sorted({e.partition(":")[2] for d in dimensions for e in d.suppressed
                             if e.startswith(grouping + ":")})
            anonymity[grouping] = GroupPlan(base.pooled, base.left_out, hidden)
        respondents = int(self.respondents.iloc[code])
        return PartnershipScores(
            partnership=str(self.partnerships[code]), respondents=respondents,
            threshold=self.threshold, dimensions=dimensions, answers=self._answers(code), items=items,
            organisations=counts["organisation"], levels=counts["level"],
            left_out=respondents - int(self._in_count[code]), anonymity=anonymity,
            small_groups=self.small_groups,
            in_figures=tuple(bool(k) for k in plan.inside) if plan is not None and plan.left_out else (),
            room_only=room)


def score(questionnaire: Questionnaire, responses: pd.DataFrame, threshold: int = MIN_THRESHOLD,
          small_groups: str = DEFAULT_SMALL_GROUPS) -> PartnershipScores:
    """Scores of one partnership (the first, when the table holds several)."""
    return ScoreTable(questionnaire, responses, threshold, small_groups=small_groups).partnership(0)
