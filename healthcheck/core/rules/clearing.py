"""How far a piece of evidence is past its threshold (its margin), and what would clear it, in words.

The one place that decides both, so the JSON document, the screens and the report agree:

- **margin**: how far the value is past the threshold, on one scale for every condition so that
  findings can be ranked against each other: points (0-100) for a score, item, lowest group,
  spread or gap; percentage points for a share (`answer`, `unknown`). A count of respondents
  has no margin (it is a gate, not a sign of trouble), nor does a missing value.
- **to_clear**: one plain sentence with the value, the line it has to reach and how far away
  that is ("Taking stock is 42; it needs 60 to clear this (18 points to go)").

Evidence that points at a problem is a value below a line (`below`) or above one (`above`).
A value at or above a line (`at_least`, e.g. "overall contact is fair") and the conditions of a
`none` group (op "not ...") set the context of a finding: they get a neutral sentence saying how
far the value is from the line, and do not count towards the finding's margin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from healthcheck.core.contract import SHARE_DIGITS
from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.questionnaire import Questionnaire

SHARE_KINDS = frozenset({"answer", "unknown"})  # values are shares 0-1; margins in percentage points
PROBLEM_OPS = frozenset({"below", "above"})  # ops that point at a problem (count towards the margin)
_NEGATED = {"below": "at_least", "at_least": "below", "above": "at_most", "at_most": "above"}


def held_op(op: str) -> str:
    """The comparison that holds: "not below" (from a `none` group) holds as "at_least"."""
    return _NEGATED[op.removeprefix("not ")] if op.startswith("not ") else op


def margin(condition: str, op: str, value: float | None, threshold: float) -> float | None:
    """How far `value` is past `threshold`, in points or percentage points (positive: it holds)."""
    if value is None or condition == "respondents":
        return None
    value = round(value, SHARE_DIGITS)  # as the score document holds it, so a re-read says the same
    held = held_op(op)
    distance = threshold - value if held in ("below", "at_most") else value - threshold
    if condition in SHARE_KINDS:
        distance *= 100
    return round(distance, 1)


def counts(condition: str, op: str) -> bool:
    """Whether this evidence points at a problem, and so counts towards its finding's margin."""
    return condition != "respondents" and op in PROBLEM_OPS


def finding_margin(evidence: Sequence[tuple[str, str, float | None, float]]) -> float | None:
    """A finding's margin: the largest margin of the evidence that points at a problem, i.e. the
    piece of evidence furthest past its line (None when no such evidence has a value)."""
    values = [m for c, op, v, t in evidence if counts(c, op) and (m := margin(c, op, v, t)) is not None]
    return max(values) if values else None


# ----------------------------------------------------------------------------- words


def _half_up(x: float, places: int) -> float:
    """Rounded half away from zero (26.5 reads 27), as people round."""
    step = 10 ** places
    return math.floor(abs(x) * step + 0.5) / step * (1 if x >= 0 else -1)


def _shown(v: float, threshold: float, share: bool) -> tuple[float, int]:
    """A value as prose shows it, and its decimals: whole, or one decimal when the whole number
    would land on the threshold (59.6 below 60 reads 59.6, not 60)."""
    scale = 100 if share else 1
    places = 0
    shown = _half_up(v * scale, 0)
    if shown == threshold * scale and v != threshold:
        places = 1
        shown = _half_up(v * scale, 1)
    return shown, places


def _number(x: float, places: int) -> str:
    return f"{x:.{places}f}"


def _limit(t: float, share: bool) -> str:
    return f"{t * 100:g}%" if share else f"{t:g}"


def _item(subject: str, names: Questionnaire | None) -> str:
    item = names.item_by_id.get(subject) if names is not None else None
    return f"'{item.text}'" if item is not None else subject


def _choices(subject: str, choices: Sequence[str], names: Questionnaire | None) -> str:
    item = names.item_by_id.get(subject) if names is not None else None
    labels = {c.id: c.label for c in item.choices} if item is not None else {}
    return " or ".join(f"'{labels.get(c, c)}'" for c in choices)


def _subject(condition: str, subject: str, value: str, choices: Sequence[str],
             names: Questionnaire | None) -> str:
    """"Taking stock is 42", "Disagreement on Communicating is 31 points"..."""
    label = DIMENSION_BY_ID[subject].label if subject in DIMENSION_BY_ID else subject
    if condition == "score":
        return f"{label} is {value}"
    if condition == "item":
        return f"{_item(subject, names)} scores {value}"
    if condition == "lowest_group":
        return f"The lowest group on {label} scores {value}"
    if condition == "spread":
        return f"Disagreement on {label} is {value} points"
    if condition == "gap":
        return f"The gap between groups on {label} is {value} points"
    if condition == "unknown":
        return f"'Don't know' is {value} of answers on {label}"
    if condition == "answer":
        return f"{value} answered {_choices(subject, choices, names)} to {_item(subject, names)}"
    return f"{label} is {value}"


def to_clear(condition: str, subject: str, op: str, value: float | None, threshold: float,
             choices: Sequence[str] = (), names: Questionnaire | None = None, *,
             clause: bool = False) -> str | None:
    """One sentence: the value, the line it must reach to clear this evidence, and how far that is.

    `clause`: only what would clear it ("It needs 60 to clear this (18 points to go)."), for a
    screen that has just said the value; "" for context evidence, which needs nothing.
    None for a count of respondents (a gate) and for a missing value.
    """
    if value is None or condition == "respondents":
        return None
    value = round(value, SHARE_DIGITS)  # as the score document holds it, so a re-read says the same
    share = condition in SHARE_KINDS
    value_shown, places = _shown(value, threshold, share)
    # the distance is from the value as shown, so the two numbers add up to the threshold
    distance = _number(abs(threshold * (100 if share else 1) - value_shown), places)
    unit = ("percentage point" if share else "point") + ("" if distance == "1" else "s")
    text = _number(value_shown, places) + ("%" if share else "")
    shown = _subject(condition, subject, text, choices, names)
    limit = _limit(threshold, share)
    gap = f"{distance} {unit}"
    if op in ("below", "above"):
        verb = "needs" if op == "below" else "needs to " + {"spread": "come down to",
                                                              "gap": "narrow to"}.get(condition, "fall to")
        need = f"{verb} {limit} to clear this ({gap} to go)."
        return f"It {need}" if clause else f"{shown}; it {need}"
    if clause:
        return ""
    # context: at_least, or a `none` group's condition
    side = "above" if held_op(op) in ("at_least", "above") else "below"
    return f"{shown}, {gap} {side} the line of {limit}; this is context, not something to fix."
