"""Rules: the rule pack in plain language (what each rule looks at, why, actions, examples)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.rules import Condition, Example, Group, Leaf, Rule
from healthcheck.core.vocabulary import SEVERITIES, SEVERITY_LABEL, SEVERITY_RANK
from healthcheck.ui.common import get_rules, plain
from healthcheck.ui.severity import SEVERITY_ICON

_MODE_WORDS = {"all": "all of these hold", "any": "any of these holds", "none": "none of these holds"}


def condition_lines(cond: Condition, depth: int = 0) -> list[str]:
    """The condition tree as indented plain-language lines."""
    pad = "    " * depth
    if isinstance(cond, Leaf):
        return [f"{pad}- {plain(cond.describe())}"]
    assert isinstance(cond, Group)
    lines = [f"{pad}- {_MODE_WORDS[cond.mode]}:"] if depth or len(cond.parts) > 1 else []
    inner = depth + 1 if lines else depth
    for part in cond.parts:
        lines.extend(condition_lines(part, inner))
    return lines


def _example_row(example: Example) -> dict[str, Any]:
    inputs: list[str] = []
    for label, table in (("score", example.scores), ("spread", example.spreads), ("gap", example.gaps),
                         ("lowest group", example.lowest_groups), ("don't know", example.unknown),
                         ("item", example.items)):
        for key, value in table.items():
            name = DIMENSION_BY_ID[key].label if key in DIMENSION_BY_ID else key
            inputs.append(f"{label} {name} = {value:g}")
    for item, shares in example.answers.items():
        inputs.append(f"{item}: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    if example.respondents is not None:
        inputs.append(f"{example.respondents} respondents")
    return {"example": example.name, "expected": "fires" if example.expect == "fires" else "stays quiet",
            "inputs": "; ".join(inputs)}


def render_rule(rule: Rule) -> None:
    tasks = ", ".join(DIMENSION_BY_ID[t].label for t in rule.tasks if t in DIMENSION_BY_ID)
    st.markdown(f"**Severity:** {SEVERITY_LABEL.get(rule.severity, rule.severity)} · "
                f"**Where the remedy lives:** {plain(tasks)} · rule id `{rule.id}`")
    st.markdown(plain(rule.explanation))
    st.markdown("**What it looks at**: the rule raises a finding when")
    st.markdown("\n".join(condition_lines(rule.when)))
    st.markdown("**Recommended actions**")
    st.markdown("\n".join(f"- {plain(a.text)} ({plain(DIMENSION_BY_ID[a.task].label)})"
                          for a in rule.actions))
    if rule.examples:
        st.markdown("**Examples** (checked every time the rules are validated)")
        st.dataframe(pd.DataFrame([_example_row(e) for e in rule.examples]), hide_index=True)


def render() -> None:
    st.title("Rules")
    pack = get_rules()
    st.markdown(
        f"The health check looks for {len(pack.rules)} risks that the practice guides warn about. "
        "Each rule below says what it looks at, why it matters and what to do. Scores run from 0 "
        "(everyone strongly disagrees) to 100 (everyone strongly agrees).")
    severities = st.multiselect("Severity", list(SEVERITIES), default=list(SEVERITIES),
                                format_func=SEVERITY_LABEL.__getitem__, key="rules_severity")
    rules = sorted((r for r in pack.rules if r.severity in severities),
                   key=lambda r: (SEVERITY_RANK[r.severity], r.title))
    if not rules:
        st.info("No rules of that severity.")
    for rule in rules:
        with st.expander(f"{plain(rule.title)} ({SEVERITY_LABEL.get(rule.severity, rule.severity)})",
                         icon=SEVERITY_ICON.get(rule.severity)):
            render_rule(rule)
