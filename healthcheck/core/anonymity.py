"""Every decision about what a group, a count or a comment may show.

Respondents are staff talking about colleagues, so no figure, count, comment or exported row may
let anyone work out one person's answers. Screens, exports, the report, the portfolio and the
workshop console all ask this module; none decides for itself.

The one rule for groups (organisations or levels): a group with fewer respondents than the
threshold is hidden (primary suppression). While the hidden groups could still be traced, the
smallest shown group is hidden too (secondary suppression): a single hidden group is the total
minus the rest, and hidden groups that together number fewer than the threshold are a small
group themselves. Of the rules the code used to apply in different places, this is the
strictest, so it is the one kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import COMMENT_SUFFIX

__all__ = [
    "LEVEL_NOT_SHOWN",
    "SUPPRESSED_ORG",
    "Atom",
    "linear_leak",
    "low_score_comments",
    "safe_breakdowns",
    "shown_score",
    "shown_scores",
    "shown_share",
    "comment_groups",
    "deidentify_rows",
    "hidden_groups",
    "suppress_blocks",
    "visible_counts",
    "written_answers",
]

# What a hidden organisation is called in a row-level export.
SUPPRESSED_ORG = "(suppressed)"
# ... and a level a row-level export leaves out, where it would make a combination too rare.
LEVEL_NOT_SHOWN = "(not shown)"


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
                    threshold: int, batch: str | None = None) -> tuple[pd.DataFrame, set[str]]:
    """A response table fit for a row-level export, and the organisations it had to hide.

    No roles. Hidden organisations are renamed `SUPPRESSED_ORG`; comments and written answers
    (`word_columns`) are kept only for organisations whose comments may be shown. Then every
    combination of organisation and level in the file must appear at least `threshold` times:
    a rarer one loses its level (`LEVEL_NOT_SHOWN`), then, if still rare, its organisation, and
    rows still alone after that are left out.

    `batch` names a column (an open round's release) within which each combination is counted:
    two files taken at two moments then differ, in every combination, by none or by at least
    `threshold` rows, so a row new in the later file cannot be told apart in its combination."""
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
    keys = ["organisation", "level", *([batch] if batch is not None and batch in frame else [])]
    for column, coarse in (("level", LEVEL_NOT_SHOWN), ("organisation", SUPPRESSED_ORG)):
        combo = frame.groupby(keys, dropna=False)["level"].transform("size")
        frame.loc[combo < threshold, column] = coarse
    combo = frame.groupby(keys, dropna=False)["level"].transform("size")
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


def written_answers(records: Iterable[Mapping[str, object]], questions: Iterable[str],
                    threshold: int) -> dict[str, dict[str, list[str]]]:
    """Written answers by organisation and question, only for organisations whose comments may
    be shown (`comment_groups`), with no count or name beside them. Each question's answers are
    sorted by their words (repeats once), so neither the order sent nor one person's place in
    the list lines up across questions."""
    rows = list(records)
    counts: dict[str, int] = {}
    for rec in rows:
        counts[str(rec["organisation"])] = counts.get(str(rec["organisation"]), 0) + 1
    speaking = comment_groups(counts, threshold)
    wanted = list(questions)
    out: dict[str, dict[str, set[str]]] = {}
    for rec in rows:
        org = str(rec["organisation"])
        answers = rec.get("answers") or {}
        if org not in speaking or not isinstance(answers, Mapping):
            continue
        for question in wanted:
            text = answers.get(question)
            if isinstance(text, str) and text.strip():
                out.setdefault(org, {}).setdefault(question, set()).add(text.strip())
    return {org: {q: sorted(by_q[q]) for q in wanted if q in by_q} for org, by_q in out.items()}


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
                    fixed: Sequence[Iterable[Atom]] = ()) -> dict[int, set[str]]:
    """Which groups of each breakdown may show beside each other and the whole.

    `sizes` counts people per atom (one name per breakdown, e.g. (organisation, level));
    `shown[i]` holds the groups of breakdown i that its own rule shows. While some combination
    isolates fewer than `threshold` people, one group is hidden: the first, in the order "later
    breakdown first (levels give way to organisations), then smallest", whose hiding breaks
    that combination. Returns nothing at all when the whole is itself too small.

    `fixed` are sums already published that cannot be taken back: an open round's earlier
    releases (atoms then carry the release as their last name)."""
    keep = {i: set(groups) for i, groups in shown.items()}
    atoms = [a for a, n in sizes.items() if n > 0]
    if sum(sizes[a] for a in atoms) < threshold:
        return {i: set() for i in keep}

    before = [list(group) for group in fixed]

    def published(k: Mapping[int, set[str]]) -> list[list[Atom]]:
        return [atoms, *before] + [[a for a in atoms if a[i] == g] for i, groups in k.items() for g in groups]

    def people(i: int, g: str) -> int:
        return sum(sizes[a] for a in atoms if a[i] == g)

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


# ----------------------------------------------------------------------------- numbers shown
#
# Every number a person or a file is given is rounded here, the same way everywhere (dashboard
# tables, change tables, the score JSON, CSV, exports, the report, the portfolio, the workshop):
# scores, spreads, gaps and changes to whole points, shares to 2 decimals of a fraction (a whole
# percent). Finer figures make every subtraction between two looks exact; a difference (a change
# or a gap) is taken between the shown numbers, so it tells no more than they do. Rules still
# decide on the exact figures.

SHARE_DECIMALS = 2  # shares (0-1) keep 2 decimals: a whole percent


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def shown_score(value: Any) -> int | None:
    """A score, spread, gap or change (points) as it is shown: whole points; None when missing.

    Half-way values go to the even neighbour, as Python's round and ``f"{x:.0f}"`` do."""
    return None if _missing(value) else int(round(float(value)))


def shown_share(value: Any) -> float | None:
    """A share (0-1: "don't know", an answer's share) as it is shown: a whole percent."""
    return None if _missing(value) else round(float(value), SHARE_DECIMALS)


def shown_scores(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of `frame` with the given point columns rounded by `shown_score` (as whole
    numbers, blank where missing) for a table or a file."""
    out = frame.copy()
    for col in columns:
        if col in out:
            out[col] = pd.array([shown_score(v) for v in out[col]], dtype="Int64")
    return out
