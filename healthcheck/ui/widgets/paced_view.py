"""What the facilitator's console and the phones both show of a paced workshop's question: its
number and text, and once the facilitator has closed it, its spread (only when at least the
threshold of answers are in it) with the discussion prompt."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.core.workshop import discussion_prompt, paced_items
from healthcheck.present import summaries
from healthcheck.services import workshop as sw
from healthcheck.store import workshops as ws
from healthcheck.ui.common import chart_with_table, get_store, plain
from healthcheck.ui.widgets.workshop_results import shared_spec

SPREAD_COLOURS = ["#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac", "#8c8c8c"]


def current_item(w: ws.WorkshopInfo, q: Questionnaire) -> tuple[list[Item], int, Item | None]:
    """The asked questions, the current position (kept in range) and the current question."""
    items = paced_items(w.dimensions, q)
    if not items:
        return items, 0, None
    position = max(0, min(w.position, len(items) - 1))
    return items, position, items[position]


def _chart(part: pd.DataFrame, likert: bool, width: int) -> alt.Chart:
    colour: Any = (alt.Color("option:N", scale=alt.Scale(domain=list(part["option"]), range=SPREAD_COLOURS),
                             legend=None) if likert else alt.value("#0072B2"))
    return alt.Chart(part).mark_bar().encode(
        x=alt.X("count:Q", title="Number of people", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("option:N", sort=list(part["option"]), title=None,
                axis=alt.Axis(labelLimit=400, labelFontSize=14)),
        color=colour,
        tooltip=[alt.Tooltip("option:N", title="Answer"), alt.Tooltip("count:Q", title="People")],
    ).properties(width=width, height=max(34 * len(part), 60))


def spread(w: ws.WorkshopInfo, q: Questionnaire, item: Item, key: str, width: int = 640) -> None:
    """A closed question's spread and its discussion prompt (the spread only at the threshold)."""
    dist, answered = sw.question_spread(get_store(), w, q, item)
    if dist.empty:
        st.info(f"The spread of answers shows once at least {w.threshold} people have answered this "
                "question, so nobody's answer can be picked out.")
    else:
        part = dist[["option", "order", "count"]].reset_index(drop=True)
        spec = shared_spec(("paced-spread", w.id, item.id, answered, width),
                           lambda: _chart(part, item.type == "likert", width))
        table = part[["option", "count"]].rename(columns={"option": "Answer", "count": "People"})
        chart_with_table(spec, table, key=f"{key}_{item.id}", summary=summaries.choice_summary(part))
    st.markdown("**Talk about it:** " + plain(discussion_prompt(item)))
