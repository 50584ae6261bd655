"""Pool before you hide: who is in a view's figures, and under which group's name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from healthcheck.core.anonymity.combinations import Atom, linear_leak

# How a round treats groups too small to show (see the module's docstring).
SMALL_GROUPS = ("pool", "hide")
DEFAULT_SMALL_GROUPS = "pool"
_POOL_NAMES = ("Other partners", "Other levels")  # by breakdown: organisations, levels


def pooled_label(breakdown: int, people: int) -> str:
    """The name a pool of small groups is shown under ("Other partners, 4 people")."""
    return f"{_POOL_NAMES[breakdown]}, {people} people"


def left_out_note(left_out: int | None) -> str | None:
    """What a page says when people of groups too small to show are not in its figures (None for
    the count: a score document names the groups but not how many)."""
    if left_out is not None and left_out <= 0:
        return None
    what = ("Responses from groups too small to show are" if left_out is None
            else "1 response from a group too small to show is" if left_out == 1
            else f"{left_out} responses from groups too small to show are")
    return (f"{what} not in these figures (counts of responses still include them), so that every other "
            "group can be shown.")


def hidden_note(groups: Sequence[str], threshold: int) -> str:
    """What a page says of groups in the figures whose own scores are hidden somewhere."""
    return (f"Not shown on every area: {', '.join(groups)}. A group is hidden where fewer than {threshold} "
            "of it answered, and others are hidden so that a smaller group cannot be worked out.")


@dataclass(frozen=True)
class GroupPlan:
    """What happened to the small groups of one breakdown (organisations or levels)."""

    pooled: dict[str, list[str]] = field(default_factory=dict)  # pool's label -> its groups
    left_out: list[str] = field(default_factory=list)  # groups whose people are in no figure
    hidden: list[str] = field(default_factory=list)  # groups in the figures but not shown somewhere

    def as_dict(self) -> dict[str, object]:
        return {"pooled": {k: sorted(v) for k, v in self.pooled.items()}, "left_out": sorted(self.left_out),
                "hidden": sorted(self.hidden)}


@dataclass(frozen=True)
class ViewPlan:
    """Who is in a view's figures and under which group: `inside[k]` for person k, and per
    breakdown the label each group is shown under (a pool's label for its members)."""

    inside: np.ndarray
    labels: tuple[dict[str, str], ...]
    groups: tuple[GroupPlan, ...]

    def label(self, breakdown: int, group: str) -> str:
        return self.labels[breakdown].get(group, group)

    @property
    def left_out(self) -> int:
        return int((~self.inside).sum())


def plan_view(people: Sequence[Sequence[str]], threshold: int, mode: str = DEFAULT_SMALL_GROUPS,
              kept: Sequence[bool] | None = None) -> ViewPlan:
    """Pool or leave out small groups. `people[k]` names person k's group in each breakdown
    (organisation, level); `kept[k]` is True for someone an earlier release of the same round
    already showed, who stays in the figures (a small group holding such a person is not left
    out but hidden by the rules of each area), so that a later whole never lacks someone an
    earlier one had.

    Pool mode, until nothing changes: per breakdown, the groups with fewer than `threshold`
    people still in are pooled if together they reach the threshold, else their people are left
    out, except that a later breakdown (levels) never leaves people out where that would cost an
    earlier one (organisations) a group or its pool: such a level stays, to be hidden. Each pass
    only leaves people out, so it ends; at the end every organisation group is at least the
    threshold or pooled to it (or held by a kept person), and so is the whole, unless it is
    empty. Hide mode keeps everyone and pools nothing, and so does a view of fewer
    than `threshold` people in all."""
    if mode not in SMALL_GROUPS:
        raise ValueError(f"small groups are 'pool' or 'hide', not {mode!r}")
    n = len(people)
    width = len(people[0]) if n else 2
    inside = np.ones(n, dtype=bool)
    left: list[set[str]] = [set() for _ in range(width)]
    pools: list[set[str]] = [set() for _ in range(width)]
    stays = np.zeros(n, dtype=bool) if kept is None else np.asarray(kept, dtype=bool)
    # below the threshold in all, nothing can be shown safely anyway: that is for the caller
    # (an open round shows counts only until then), and the figures are left as they are
    changed = mode == "pool" and n >= threshold
    while changed:
        changed = False
        for i in range(width):
            counts: dict[str, int] = {}
            held: set[str] = set()
            for k in np.flatnonzero(inside):
                g = people[k][i]
                counts[g] = counts.get(g, 0) + 1
                if stays[k]:
                    held.add(g)
            small = {g for g, c in counts.items() if c < threshold}
            if sum(counts[g] for g in small) >= threshold:
                pools[i] = small
                continue
            pools[i] = set()
            gone = small - held
            if gone and i > 0 and _costs_earlier(people, inside, gone, i, threshold):
                gone = set()  # hidden instead (the rules of each area), not left out
            if gone:
                left[i] |= gone
                for k in np.flatnonzero(inside):
                    if people[k][i] in gone:
                        inside[k] = False
                changed = True
    labels = []
    plans = []
    for i in range(width):
        members = pools[i]
        label = pooled_label(i, sum(1 for k in np.flatnonzero(inside) if people[k][i] in members))
        labels.append({g: label for g in members})
        plans.append(GroupPlan(pooled={label: sorted(members)} if members else {},
                               left_out=sorted(left[i])))
    return ViewPlan(inside, tuple(labels), tuple(plans))


def _costs_earlier(people: Sequence[Sequence[str]], inside: np.ndarray, gone: set[str], i: int,
                   threshold: int) -> bool:
    """Whether leaving out the people of breakdown i's groups `gone` would cost an earlier
    breakdown a group: one of at least the threshold falling below it, or its pool of small
    groups falling below it. Levels give way to organisations: a lone small level is hidden
    rather than take a partner out of the figures."""
    after = inside & np.array([p[i] not in gone for p in people], dtype=bool)
    for j in range(i):
        def counts(mask: np.ndarray, j: int = j) -> dict[str, int]:
            out: dict[str, int] = {}
            for k in np.flatnonzero(mask):
                out[people[k][j]] = out.get(people[k][j], 0) + 1
            return out
        now, then = counts(inside), counts(after)
        big = {g for g, c in now.items() if c >= threshold}
        if any(then.get(g, 0) < threshold for g in big):
            return True
        pool_now = sum(c for g, c in now.items() if c < threshold)
        pool_then = sum(c for g, c in then.items() if c < threshold)
        if pool_now >= threshold > pool_then > 0:
            return True
    return False


# ----------------------------------------------------------------------------- plans for a table


def plan_partnerships(codes: np.ndarray, originals: Sequence[np.ndarray], per_resp: np.ndarray,
                      threshold: int, mode: str, left_label: str,
                      fixed: Sequence[Sequence[Sequence[Atom]]] = (), release: np.ndarray | None = None,
                      kept_before: Sequence[bool | None] | None = None,
                      group_codes: Sequence[np.ndarray] | None = None,
                      ) -> tuple[np.ndarray, list[np.ndarray], dict[int, ViewPlan]]:
    """`plan_view` for every partnership of a table with a small group: who is in the figures
    (per row), each row's group label per breakdown (`left_label` for rows in no figure), and the
    plans by partnership code. `per_resp` is areas x rows (NaN: not answered); `fixed[j]` the sums
    earlier releases showed on area j (atoms (organisation, level, release), `release` per row);
    `kept_before[k]` whether row k was in the previous release's figures (None: new in this one).
    `group_codes[i]`, if given, numbers the names of `originals[i]` (as pandas.factorize does).

    A plan that leaves people out is checked against every area's whole (and the earlier
    releases): where a whole would then pin down fewer than the threshold, the partnership keeps
    everyone the previous release did not leave out, and its small groups are hidden instead.
    That is always safe: a release adds to an area none or at least the threshold of answers, in
    atoms of its own, so the new whole adds nothing an earlier look could subtract to a person."""
    n = len(codes)
    inside = np.ones(n, dtype=bool)
    labels = [np.asarray(o, dtype=object).copy() for o in originals]
    plans: dict[int, ViewPlan] = {}
    if mode == "hide" or n == 0:
        return inside, labels, plans
    small = np.zeros(int(codes.max()) + 1, dtype=bool)
    for i, o in enumerate(originals):
        group = pd.factorize(o)[0] if group_codes is None else group_codes[i]
        width = int(group.max()) + 2 if len(group) else 1
        cell = codes.astype(np.int64) * width + group
        size = np.bincount(cell)
        small[np.flatnonzero((size > 0) & (size < threshold)) // width] = True
    if not small.any():
        return inside, labels, plans
    rows_of = pd.Series(np.arange(n)).groupby(codes).indices
    for pc in np.flatnonzero(small):
        rows = rows_of[pc]
        people = list(zip(*(o[rows] for o in originals), strict=True))
        before = None if kept_before is None else [kept_before[r] for r in rows]
        plan = plan_view(people, threshold, mode, None if before is None else [b is True for b in before])
        atoms = (people if release is None
                 else [(*p, str(r)) for p, r in zip(people, release[rows], strict=True)])
        if plan.left_out and _whole_pins(plan.inside, atoms, per_resp[:, rows], threshold, fixed):
            keep = np.array([b is not False for b in (before or [None] * len(rows))])
            gone = [p for p, k in zip(people, keep, strict=True) if not k]
            plan = ViewPlan(keep, tuple({} for _ in originals),
                            tuple(GroupPlan(left_out=sorted({p[i] for p in gone}))
                                  for i in range(len(originals))))
        plans[int(pc)] = plan
        inside[rows] = plan.inside
        for i, lab in enumerate(labels):
            lab[rows] = [plan.label(i, g) if k else left_label
                         for g, k in zip(originals[i][rows], plan.inside, strict=True)]
    return inside, labels, plans


def _whole_pins(inside: np.ndarray, atoms: list[Atom], per_resp: np.ndarray, threshold: int,
                fixed: Sequence[Sequence[Sequence[Atom]]]) -> bool:
    """Whether some area's whole of the people inside, beside the sums earlier releases showed,
    pins down fewer than `threshold` people."""
    for j in range(per_resp.shape[0]):
        answered = inside & ~np.isnan(per_resp[j])
        before = fixed[j] if j < len(fixed) else ()
        if not before:
            if 0 < int(answered.sum()) < threshold:
                return True
            continue
        sizes: dict[Atom, int] = {}
        for a, yes in zip(atoms, answered, strict=True):
            if yes:
                sizes[a] = sizes.get(a, 0) + 1
        if linear_leak(sizes, [list(sizes), *before], threshold) is not None:
            return True
    return False
