"""Answer fields shared by the respondent's answer page and the workshop participant's page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from healthcheck.core.frameworks import LEVELS
from healthcheck.core.pagetext import PageText

DONT_KNOW = "dk"


def level_question(tr: PageText, key: str) -> Any:
    """"Where do you work in the partnership?", with each level's name and who it is for."""
    return st.radio(tr("where_you_work"), list(LEVELS), index=None, key=key,
                    format_func=tr.levels().__getitem__, captions=[tr(f"level_help.{lv}") for lv in LEVELS])
