"""The anonymity module, driven directly: whatever the group sizes, nothing it lets show can be
used to work out a hidden group, and the batch path agrees with the one-partnership rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcheck.core.anonymity import (
    comment_groups,
    hidden_groups,
    linear_leak,
    safe_breakdowns,
    suppress_blocks,
    visible_counts,
)

sizes = st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(0, 9), min_size=1, max_size=7)
thresholds = st.integers(3, 6)
LEVEL_NAMES = ["funder", "strategic", "operational"]


@given(sizes, thresholds)
def test_hidden_groups_cannot_be_traced(counts: dict[str, int], t: int) -> None:
    hidden = hidden_groups(counts, t)
    present = {g for g, n in counts.items() if n > 0}
    assert {g for g in present if counts[g] < t} <= hidden <= present
    if hidden != present:  # something is shown: the hidden part is neither one group nor a small pool
        assert len(hidden) != 1
        assert sum(counts[g] for g in hidden) in (0,) or sum(counts[g] for g in hidden) >= t


@given(sizes, thresholds)
def test_counts_and_comments_follow_the_same_rule(counts: dict[str, int], t: int) -> None:
    hidden = hidden_groups(counts, t)
    shown = visible_counts(counts, t)
    assert {g for g, n in shown.items() if n is not None} == comment_groups(counts, t)
    assert all(shown[g] is None for g in hidden)
    assert all(n is None or n >= t for n in shown.values())


@settings(max_examples=60)
@given(st.lists(st.lists(st.integers(0, 7), min_size=2, max_size=5), min_size=1, max_size=4), thresholds)
def test_batch_path_agrees_with_the_rule(blocks: list[list[int]], t: int) -> None:
    """Several partnerships, one dimension: suppress_blocks hides what hidden_groups hides."""
    rows = [(p, f"g{i}", n) for p, block in enumerate(blocks) for i, n in enumerate(block)]
    n = np.array([[r[2]] for r in rows])
    labels = np.array([r[1] for r in rows])
    starts = np.r_[np.cumsum([0] + [len(b) for b in blocks])]
    mask = suppress_blocks(n, labels, starts, t)
    for p, block in enumerate(blocks):
        expected = hidden_groups({f"g{i}": v for i, v in enumerate(block)}, t)
        got = {f"g{i}" for i in range(len(block)) if mask[starts[p] + i, 0]}
        assert got == expected


def test_the_strictest_rule_is_kept() -> None:
    # two hidden groups of one each are a small group together: the next smallest goes too
    assert hidden_groups({"A": 5, "B": 1, "C": 1}, 3) == {"A", "B", "C"}
    assert visible_counts({"A": 5, "B": 1, "C": 1}, 3) == {"A": None, "B": None, "C": None}
    assert comment_groups({"A": 5, "B": 4, "C": 1}, 3) == {"A"}


def test_the_issue_example_is_caught_and_mended() -> None:
    """A partner of four (one funder officer, three strategic) beside a strategic level of the
    same three: 4 x org - 3 x level is the officer. The level gives way."""
    sizes = {("P", "funder"): 1, ("P", "strategic"): 3, ("Q", "operational"): 4, ("R", "operational"): 3}
    shown = {0: {"P", "Q", "R"}, 1: {"strategic", "operational"}}
    published = [list(sizes)] + [[a for a in sizes if a[i] == g] for i, gs in shown.items() for g in gs]
    assert linear_leak(sizes, published, 3) == frozenset({("P", "funder")})
    keep = safe_breakdowns(sizes, shown, 3)
    assert keep[0] == {"P", "Q", "R"} and "strategic" not in keep[1]
    published = [list(sizes)] + [[a for a in sizes if a[i] == g] for i, gs in keep.items() for g in gs]
    assert linear_leak(sizes, published, 3) is None


def _brute_force_leak(sizes: dict, published: list, t: int) -> bool:
    """Independent oracle: every subset of atoms, exact rank test with fractions-free integers."""
    import itertools

    atoms = [a for a, n in sizes.items() if n > 0]
    if not published or not atoms:
        return False
    m = np.array([[1.0 if a in set(g) else 0.0 for a in atoms] for g in published])
    r = np.linalg.matrix_rank(m)
    for k in range(1, len(atoms) + 1):
        for combo in itertools.combinations(atoms, k):
            if 0 < sum(sizes[a] for a in combo) < t:
                v = np.array([[1.0 if a in combo else 0.0 for a in atoms]])
                if np.linalg.matrix_rank(np.vstack([m, v])) == r:
                    return True
    return False


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.tuples(st.sampled_from("ABCD"), st.sampled_from(LEVEL_NAMES)),
                       st.integers(0, 5), min_size=1, max_size=8), thresholds)
def test_no_combination_of_safe_breakdowns_isolates_anyone(sizes: dict, t: int) -> None:
    """Whatever the cells, after safe_breakdowns no subset of fewer than t people is pinned down
    by the total and the groups left (checked against a brute-force oracle)."""
    def own_rule(i: int) -> set[str]:
        counts: dict[str, int] = {}
        for a, n in sizes.items():
            counts[a[i]] = counts.get(a[i], 0) + n
        return set(comment_groups(counts, t))

    total = sum(sizes.values())
    keep = safe_breakdowns(sizes, {0: own_rule(0), 1: own_rule(1)}, t)
    published = [[a for a in sizes if a[i] == g] for i, gs in keep.items() for g in gs]
    if total >= t:
        published.append(list(sizes))
    assert not _brute_force_leak(sizes, published, t)


def test_row_exports_have_no_rare_combination_and_no_roles() -> None:
    import pandas as pd

    from healthcheck.core.anonymity import LEVEL_NOT_SHOWN, SUPPRESSED_ORG, deidentify_rows

    rows = ([("A", "operational")] * 3 + [("A", "strategic")] + [("B", "operational")] * 3
            + [("C", "funder")])
    frame = pd.DataFrame({"respondent": [f"R{i}" for i in range(len(rows))],
                          "organisation": [o for o, _ in rows], "level": [lv for _, lv in rows],
                          "role": ["Head of service"] * len(rows), "note": ["words"] * len(rows)})
    out, hidden = deidentify_rows(frame, ["note"], 3)
    assert hidden == {"B", "C"}  # C is too small, and B goes too so C cannot be worked out
    assert out["role"].isna().all()
    combos = out.groupby(["organisation", "level"]).size()
    assert (combos >= 3).all(), combos
    # the lone strategic manager and the lone funder officer cannot be kept apart from anyone:
    # together they are still two, so they are left out rather than shown
    assert len(out) == 6 and set(out["organisation"]) == {"A", SUPPRESSED_ORG}
    assert LEVEL_NOT_SHOWN not in set(out["level"])
