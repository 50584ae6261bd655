"""Shared helpers for Streamlit AppTest page tests."""

from __future__ import annotations

import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = os.environ.get("HC_WORKSHOP_APP") or str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60


def app(**params: str) -> AppTest:
    """The real app.py with the given query parameters (the link a visitor followed)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at
