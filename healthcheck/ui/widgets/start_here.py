""""Start here": the top findings, each with one action, at the head of the dashboard, a funder's
drill-down and the portfolio. What to show is `present.start`; this only draws it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from healthcheck.core.vocabulary import SEVERITY_LABEL
from healthcheck.present.start import HEADING, INTRO
from healthcheck.ui.common import plain


def start_here(items: Sequence[dict[str, Any]], *, intro: str = INTRO) -> None:
    """One bordered box per item: severity and title (with the partnership, when it has one), the
    most telling evidence and what would clear it, and one action."""
    if not items:
        return
    st.subheader(HEADING)
    st.caption(intro)
    for k, item in enumerate(items, start=1):
        with st.container(border=True):
            who = f"{item['partnership']}: " if item.get("partnership") else ""
            severity = SEVERITY_LABEL.get(item["severity"], item["severity"])
            # words only: an icon shortcode in Markdown is what the injection tests look for
            st.markdown(f"**{k}. {plain(who + item['title'])}** ({plain(severity.lower())})")
            # what would clear it says the value too; the plain "why" where there is nothing to reach
            if item.get("to_clear") or item.get("why"):
                st.markdown(plain(item.get("to_clear") or item["why"]))
            if item.get("covers"):
                st.caption("Also covers: " + plain("; ".join(item["covers"])))
            action = item.get("action")
            if action:
                st.markdown(f"**First step:** {plain(action['text'])}  \n*{plain(action['task'])}*")
