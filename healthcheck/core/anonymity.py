"""Every decision about what a group, a count or a comment may show.

Respondents are staff talking about colleagues, so no figure, count, comment or exported row may
let anyone work out one person's answers. Screens, exports, the report, the portfolio and the
workshop console all ask this module; none decides for itself.

Small groups (organisations or levels with fewer respondents than the threshold) are handled in
one of two ways, chosen per round (`SMALL_GROUPS`):

- "pool" (the default, `plan_view`): the small groups of a breakdown are pooled into one group
  ("Other partners, 4 people") where together they reach the threshold. Where they cannot, their
  people are left out of every figure of the view, the whole partnership included, so that every
  other group can show: the whole is then exactly the sum of the groups shown, and no subtraction
  gives anyone away. Counts of responses still include them, and the page says so.
- "hide" (secondary suppression, `hidden_groups`): a group with fewer respondents than the
  threshold is hidden; while the hidden groups could still be traced, the smallest shown group is
  hidden too (a single hidden group is the total minus the rest, and hidden groups that together
  number fewer than the threshold are a small group themselves).

Whichever the mode, the figures of each area then pass the hide rule (fewer of a group may have
answered one area) and the check of combinations below (`safe_breakdowns`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import COMMENT_SUFFIX

__all__ = [
    "DEFAULT_SMALL_GROUPS", "LEVEL_NOT_SHOWN", "SMALL_GROUPS", "SUPPRESSED_ORG", "Atom", "GroupPlan",
    "ViewPlan", "comment_groups", "deidentify_rows", "hidden_groups", "hidden_note", "left_out_note",
    "linear_leak", "low_score_comments", "plan_partnerships", "plan_view", "pooled_label", "safe_breakdowns",
    "suppress_blocks", "visible_counts",
]

# What a hidden organisation is called in a row-level export.
SUPPRESSED_ORG = "(suppressed)"
# ... and a level a row-level export leaves out, where it would make a combination too rare.
LEVEL_NOT_SHOWN = "(not shown)"


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


def _still_traceable(hidden_sizes: list[int], threshold: int) -> bool:
    return len(hidden_sizes) == 1 or 0 < sum(hidden_sizes) < threshold


def hidden_groups(counts: Mapping[str, int], threshold: int) -> set[str]:
    """Groups (with at least one response) whose figures must not be shown.

    Those below the threshold, and then, smallest first, as many others as it takes until the
    hidden ones can neither be worked out by subtraction nor form a small group themselves."""
    present = {g: n for g, n in counts.items() if n > 0}
    hidden = {g for g, n in present.items() if n < threshold}
    if not hidden:
        return hidden
    rest = sorted((n, g) for g, n in present.items() if g not in hidden)
    while rest and _still_traceable([present[g] for g in hidden], threshold):
        hidden.add(rest.pop(0)[1])
    return hidden


def visible_counts(counts: Mapping[str, int], threshold: int) -> dict[str, int | None]:
    """Response counts safe to show: None for every hidden group (and for empty ones)."""
    hidden = hidden_groups(counts, threshold)
    return {g: (n if n >= threshold and g not in hidden else None) for g, n in counts.items()}


def comment_groups(counts: Mapping[str, int], threshold: int) -> set[str]:
    """Groups whose comments and written answers may be shown: exactly those whose figures are."""
    hidden = hidden_groups(counts, threshold)
    return {g for g, n in counts.items() if n >= threshold and g not in hidden}


def suppress_blocks(n: np.ndarray, labels: np.ndarray, starts: np.ndarray, threshold: int) -> np.ndarray:
    """`hidden_groups` for many partnerships and dimensions at once (the batch scoring path).

    `n` is groups x dimensions (how many in each group answered each dimension), with the groups
    of one partnership in consecutive rows from `starts[p]` to `starts[p + 1]`; `labels` names
    each row (ties are broken by name, as in `hidden_groups`). Returns the hidden mask."""
    hidden = (n > 0) & (n < threshold)
    hidden_n = np.where(hidden, n, 0)
    blocks = starts[:-1]
    if len(n) == 0:
        return hidden
    count = np.add.reduceat(hidden.astype(np.int64), blocks, axis=0)
    total = np.add.reduceat(hidden_n, blocks, axis=0)
    traceable = (count == 1) | ((count > 0) & (total < threshold))
    for pc, dj in zip(*np.nonzero(traceable), strict=True):
        rows = range(int(starts[pc]), int(starts[pc + 1]))
        counts = {str(labels[r]): int(n[r, dj]) for r in rows}
        secret = hidden_groups(counts, threshold)
        for r in rows:
            if str(labels[r]) in secret:
                hidden[r, dj] = True
    return hidden


def deidentify_rows(frame: pd.DataFrame, word_columns: Iterable[str],
                    threshold: int) -> tuple[pd.DataFrame, set[str]]:
    """A response table fit for a row-level export, and the organisations it had to hide.

    No roles. Hidden organisations are renamed `SUPPRESSED_ORG`; comments and written answers
    (`word_columns`) are kept only for organisations whose comments may be shown. Then every
    combination of organisation and level in the file must appear at least `threshold` times:
    a rarer one loses its level (`LEVEL_NOT_SHOWN`), then, if still rare, its organisation, and
    rows still alone after that are left out."""
    frame = frame.copy()
    if "role" in frame:
        frame["role"] = None
    counts = {str(k): int(v) for k, v in frame["organisation"].astype(str).value_counts().items()}
    hidden = hidden_groups(counts, threshold)
    speaking = comment_groups(counts, threshold)
    silent = ~frame["organisation"].astype(str).isin(speaking)
    for col in word_columns:
        frame[col] = frame[col].astype(object)
        frame.loc[silent, col] = None
    frame["organisation"] = frame["organisation"].astype(object)
    frame.loc[frame["organisation"].astype(str).isin(hidden), "organisation"] = SUPPRESSED_ORG
    frame["level"] = frame["level"].astype(object)
    for column, coarse in (("level", LEVEL_NOT_SHOWN), ("organisation", SUPPRESSED_ORG)):
        combo = frame.groupby(["organisation", "level"], dropna=False)["level"].transform("size")
        frame.loc[combo < threshold, column] = coarse
    combo = frame.groupby(["organisation", "level"], dropna=False)["level"].transform("size")
    return frame[combo >= threshold], hidden


def low_score_comments(responses: pd.DataFrame, questionnaire: Questionnaire,
                       threshold: int) -> dict[str, list[str]]:
    """Comments on low answers, by item text, only from organisations whose figures show
    (`comment_groups`): no name, organisation or level attached, sorted so the order says
    nothing about who answered when."""
    if responses.empty or "organisation" not in responses:
        return {}
    orgs = responses["organisation"].astype(str)
    keep = orgs.isin(comment_groups({str(k): int(v) for k, v in orgs.value_counts().items()}, threshold))
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


# ----------------------------------------------------------------------------- combinations of views
#
# Shown on their own, an organisation breakdown and a level breakdown can each be safe and still,
# together with the whole-partnership figure, give someone away: a partner of four (one funder
# officer, three strategic staff) shown as an organisation, beside a strategic level of those same
# three, gives the officer's score as 4 x A - 3 x S. Every published figure is a sum over some
# respondents, so what a reader can work out is exactly the linear span of those sums. People
# who fall in the same cell of every breakdown (an "atom": organisation x level, and x release
# for an open round) are never told apart, so it is enough to ask whether a union of atoms with
# fewer than `threshold` people lies in that span.

Atom = tuple[str, ...]


def _projection(atoms: list[Atom], published: Iterable[Iterable[Atom]]) -> np.ndarray | None:
    """The projection onto the span of the published sums, in atom coordinates."""
    index = {a: i for i, a in enumerate(atoms)}
    rows = []
    for group in published:
        row = np.zeros(len(atoms))
        row[[index[a] for a in group if a in index]] = 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return None
    m = np.array(rows)
    return np.linalg.pinv(m) @ m


def _pinned(atoms: list[Atom], basis: np.ndarray | None, chosen: Iterable[Atom]) -> bool:
    if basis is None:
        return False
    v = np.zeros(len(atoms))
    v[[atoms.index(a) for a in chosen]] = 1.0
    return bool(np.allclose(v @ basis, v, atol=1e-6))


def linear_leak(sizes: Mapping[Atom, int], published: Iterable[Iterable[Atom]],
                threshold: int) -> frozenset[Atom] | None:
    """A set of atoms with 1 to threshold-1 people whose total the published sums pin down."""
    atoms = [a for a, n in sizes.items() if n > 0]
    basis = _projection(atoms, published)
    if basis is None:
        return None
    small = sorted((sizes[a], a) for a in atoms if sizes[a] < threshold)

    def search(start: int, chosen: list[Atom], total: int) -> frozenset[Atom] | None:
        for k in range(start, len(small)):
            n, a = small[k]
            if total + n >= threshold:
                break  # sorted by size: no later atom fits either
            if _pinned(atoms, basis, chosen + [a]):
                return frozenset(chosen + [a])
            found = search(k + 1, chosen + [a], total + n)
            if found is not None:
                return found
        return None

    return search(0, [], 0)


def safe_breakdowns(sizes: Mapping[Atom, int], shown: Mapping[int, set[str]], threshold: int,
                    fixed: Sequence[Iterable[Atom]] = (),
                    labels: Sequence[Mapping[str, str]] = ()) -> dict[int, set[str]]:
    """Which groups of each breakdown may show beside each other and the whole.

    `sizes` counts people per atom (one name per breakdown, e.g. (organisation, level));
    `shown[i]` holds the groups of breakdown i that its own rule shows. While some combination
    isolates fewer than `threshold` people, one group is hidden: the first, in the order "later
    breakdown first (levels give way to organisations), then smallest", whose hiding breaks
    that combination. Returns nothing at all when the whole is itself too small.

    `fixed` are sums already published that cannot be taken back: an open round's earlier
    releases (atoms then carry the release as their last name).

    `labels[i]` maps a name of breakdown i to the group it is shown under (a pool's label for
    its members; any other name is its own group): atoms keep the groups' own names, so that
    sums published under different pools can be compared."""
    keep = {i: set(groups) for i, groups in shown.items()}
    atoms = [a for a, n in sizes.items() if n > 0]
    if sum(sizes[a] for a in atoms) < threshold:
        return {i: set() for i in keep}

    before = [list(group) for group in fixed]

    def group(a: Atom, i: int) -> str:
        return labels[i].get(a[i], a[i]) if i < len(labels) else a[i]

    def published(k: Mapping[int, set[str]]) -> list[list[Atom]]:
        return [atoms, *before] + [[a for a in atoms if group(a, i) == g]
                                   for i, groups in k.items() for g in groups]

    def people(i: int, g: str) -> int:
        return sum(sizes[a] for a in atoms if group(a, i) == g)

    while (leak := linear_leak(sizes, published(keep), threshold)) is not None:
        order = sorted(((i, g) for i, groups in keep.items() for g in groups),
                       key=lambda ig: (-ig[0], people(*ig), ig[1]))
        if not order:  # cannot happen while the whole is big enough; kept as a guard
            return {i: set() for i in keep}
        choice = order[0]
        for i, g in order:
            trial = {j: groups - {g} if j == i else groups for j, groups in keep.items()}
            if not _pinned(atoms, _projection(atoms, published(trial)), leak):
                choice = (i, g)
                break
        keep[choice[0]].discard(choice[1])
    return keep


# ----------------------------------------------------------------------------- plans for a table


def plan_partnerships(codes: np.ndarray, originals: Sequence[np.ndarray], per_resp: np.ndarray,
                      threshold: int, mode: str, left_label: str,
                      fixed: Sequence[Sequence[Sequence[Atom]]] = (), release: np.ndarray | None = None,
                      kept_before: Sequence[bool | None] | None = None,
                      ) -> tuple[np.ndarray, list[np.ndarray], dict[int, ViewPlan]]:
    """`plan_view` for every partnership of a table with a small group: who is in the figures
    (per row), each row's group label per breakdown (`left_label` for rows in no figure), and the
    plans by partnership code. `per_resp` is areas x rows (NaN: not answered); `fixed[j]` the sums
    earlier releases showed on area j (atoms (organisation, level, release), `release` per row);
    `kept_before[k]` whether row k was in the previous release's figures (None: new in this one).

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
    for o in originals:
        sizes = pd.Series(1, index=pd.MultiIndex.from_arrays([codes, o])).groupby(level=[0, 1]).size()
        small[sizes[sizes < threshold].index.get_level_values(0).to_numpy()] = True
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
