"""Which groups, counts, comments and exported rows may show (the "hide" rule and its checks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import COMMENT_SUFFIX

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
    memo: dict[tuple[int, bytes], np.ndarray] = {}  # a partnership's areas mostly share their counts
    for pc, dj in zip(*np.nonzero(traceable), strict=True):
        lo, hi = int(starts[pc]), int(starts[pc + 1])
        column = n[lo:hi, dj]
        key = (int(pc), column.tobytes())
        mask = memo.get(key)
        if mask is None:
            secret = hidden_groups({str(labels[r]): int(column[r - lo]) for r in range(lo, hi)}, threshold)
            mask = memo[key] = np.array([str(labels[r]) in secret for r in range(lo, hi)], dtype=bool)
        hidden[lo:hi, dj] |= mask
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
