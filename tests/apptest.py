"""Shared helpers for Streamlit AppTest page tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from healthcheck.store import Store

APP = os.environ.get("HC_WORKSHOP_APP") or str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60


def app(**params: str) -> AppTest:
    """The real app.py with the given query parameters (the link a visitor followed)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at


@contextmanager
def app_store(folder: Path) -> Iterator[Store]:
    """A fresh SQLite store in `folder` that the app under test also uses (via
    HEALTHCHECK_DATABASE_URL), with a fixed base URL for the links it shows."""
    url = f"sqlite:///{(folder / 'app.db').as_posix()}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEALTHCHECK_DATABASE_URL", url)
        mp.setenv("HEALTHCHECK_BASE_URL", "https://hc.example.org")
        store = Store(url)
        try:
            yield store
        finally:
            store.close()
