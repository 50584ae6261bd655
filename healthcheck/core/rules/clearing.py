"""How far a piece of evidence is past its threshold (its margin), and what would clear it, in words.

The one place that decides both, so the JSON document, the screens and the report agree:

- **margin**: how far the value is past the threshold, on one scale for every condition so that
  findings can be ranked against each other: points (0-100) for a score, item, lowest group,
  spread or gap; percentage points for a share (`answer`, `unknown`). A count of respondents
  has no margin (it is a gate, not a sign of trouble), nor does a missing value.
- **to_clear**: one plain sentence with the value, the line it has to reach and how far away
  that is ("Taking stock is 42; it needs 60 to clear this (18 points to go)").

Both are worked out from the value as every screen shows it (`anonymity.shown_score`, whole
points; `shown_share`, a whole percent), never from the exact one: a decimal here would undo the
rounding that keeps one person's answer from being worked out between two looks. A value that
rounds onto its line reads "just under 60" ("less than 1 point to go").

Evidence that points at a problem is a value below a line (`below`) or above one (`above`).
A value at or above a line (`at_least`, e.g. "overall contact is fair") and the conditions of a
`none` group (op "not ...") set the context of a finding: they get a neutral sentence saying how
far the value is from the line, and do not count towards the finding's margin.
"""

from __future__ import annotations

from collections.abc import Sequence

from healthcheck.core.anonymity import shown_score, shown_share
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
    value = _as_shown(condition, value)
    held = held_op(op)
    distance = threshold - value if held in ("below", "at_most") else value - threshold
    if condition in SHARE_KINDS:
        distance *= 100
    return float(round(distance))


def _as_shown(condition: str, value: float) -> float:
    """The value as the score document and every screen hold it."""
    shown = shown_share(value) if condition in SHARE_KINDS else shown_score(value)
    return float(value if shown is None else shown)


def counts(condition: str, op: str) -> bool:
    """Whether this evidence points at a problem, and so counts towards its finding's margin."""
    return condition != "respondents" and op in PROBLEM_OPS


def finding_margin(evidence: Sequence[tuple[str, str, float | None, float]]) -> float | None:
    """A finding's margin: the largest margin of the evidence that points at a problem, i.e. the
    piece of evidence furthest past its line (None when no such evidence has a value)."""
    values = [m for c, op, v, t in evidence if counts(c, op) and (m := margin(c, op, v, t)) is not None]
    return max(values) if values else None


# ----------------------------------------------------------------------------- words


def _number(x: float) -> str:
    return f"{x:.0f}"


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
    exact, share = value, condition in SHARE_KINDS
    scale = 100 if share else 1
    value_shown = round(_as_shown(condition, value) * scale, 6)
    line = round(threshold * scale, 6)
    # the distance is from the value as shown, so the two numbers add up to the threshold
    if value_shown == line and exact != threshold:  # rounds onto its line: say so, no decimals
        side = "under" if exact < threshold else "over"
        text, gap = f"just {side} {_number(line)}" + ("%" if share else ""), "less than 1 "
        gap += "percentage point" if share else "point"
    else:
        distance = _number(abs(line - value_shown))
        unit = ("percentage point" if share else "point") + ("" if distance == "1" else "s")
        text, gap = _number(value_shown) + ("%" if share else ""), f"{distance} {unit}"
    shown = _subject(condition, subject, text, choices, names)
    limit = _limit(threshold, share)
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
