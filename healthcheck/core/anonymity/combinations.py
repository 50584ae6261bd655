"""What a reader can work out from several figures at once (their linear span)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

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
