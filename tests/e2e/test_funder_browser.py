"""A funder's portfolio in a real browser (Debian's headless chromium, driven by Playwright).

The demo (`load_demo_links`) creates a funder with which three of the four demo partnerships
shared their rounds. The funder link opens the portfolio: the three shared partnerships are
listed and the fourth is invisible; a risk filter narrows the list; one partnership opens as a
read-only dashboard (radar and findings). A wrong funder link gets a plain message. Screenshots
go to test-artifacts/screenshots/funder-*.png.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from healthcheck.core.rules import load_rules
from healthcheck.services.demo import DEMO_FUNDER, DEMO_SHARED, load_demo_links
from healthcheck.services.demo_stories import STORY_BY_KEY
from healthcheck.store import Store

from ..browser import (
    choose,
    launch_chromium,
    screenshot,
    streamlit_server,
    unavailable,
    wait_idle,
)

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
UNSHARED = STORY_BY_KEY["new"].partnership
MONEY = STORY_BY_KEY["money"].partnership
LEADERLESS = STORY_BY_KEY["leaderless"].partnership
RISK = "resource-led-drift"  # flagged for the "money" story only


def _listed(page: Any) -> list[str]:
    """The Partnership column of the portfolio table (the grid's accessible table: the cells are
    drawn on a canvas, this hidden table mirrors them)."""
    cells = page.locator("[data-testid='stDataFrame']").first.locator("td[aria-colindex='1']")
    cells.first.wait_for(state="attached", timeout=15_000)
    return [t.strip() for t in cells.all_text_contents()]


def _wait_listed(page: Any, expected: list[str], timeout: float = 15.0) -> None:
    """Wait until the table lists exactly `expected` (in any order): the grid redraws after the run."""
    deadline = time.monotonic() + timeout
    while sorted(listed := _listed(page)) != sorted(expected):
        assert time.monotonic() < deadline, listed
        page.wait_for_timeout(200)


def test_funder_portfolio_in_browser(tmp_path: Path) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright is not installed")
    started = time.monotonic()
    db_url = f"sqlite:///{(tmp_path / 'funder.db').as_posix()}"
    with Store(db_url) as store:
        links = load_demo_links(store)
    assert links.funder_name == DEMO_FUNDER and UNSHARED not in DEMO_SHARED and len(DEMO_SHARED) == 3
    risk_title = load_rules().by_id[RISK].title

    with streamlit_server(db_url, tmp_path / "streamlit.log") as base, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_context(viewport=DESKTOP).new_page()

            # --- the funder link opens the portfolio: the shared partnerships only
            page.goto(f"{base}/?funder={links.funder_token}")
            wait_idle(page, timeout=45_000)
            page.get_by_text("3 of 3 partnerships").wait_for(timeout=45_000)
            assert page.get_by_text(DEMO_FUNDER).first.is_visible()
            _wait_listed(page, list(DEMO_SHARED))
            assert page.get_by_text(UNSHARED).count() == 0
            charts = page.locator("[data-testid='stVegaLiteChart']")
            charts.first.locator("svg, canvas").first.wait_for(timeout=15_000)
            heat = charts.first.bounding_box()
            assert heat and heat["width"] > 500 and heat["height"] > 150, heat  # labels not squeezed out
            screenshot(page, "funder-01-portfolio")

            # --- filter by a risk: only the partnership with that risk is left
            choose(page, "Risk", risk_title, exact=True)
            page.get_by_text("1 of 3 partnerships").wait_for(timeout=15_000)
            _wait_listed(page, [MONEY])
            screenshot(page, "funder-02-filtered")
            choose(page, "Risk", "(any)", exact=True)
            page.get_by_text("3 of 3 partnerships").wait_for(timeout=15_000)

            # --- drill into one partnership: its read-only dashboard
            choose(page, "Partnership", LEADERLESS, exact=True)
            page.get_by_text("Round: Six-month check").first.wait_for(timeout=15_000)
            radar = page.locator("[data-testid='stVegaLiteChart']").last
            radar.scroll_into_view_if_needed()
            radar.locator("svg, canvas").first.wait_for(timeout=15_000)
            assert radar.is_visible()
            box = radar.bounding_box()
            assert box and box["height"] > 300, box
            finding = page.locator("[data-testid='stExpander']", has_text="rests on one person").first
            assert finding.is_visible()
            assert page.get_by_role("button", name="Add to action plan").count() == 0  # read-only
            screenshot(page, "funder-03-partnership")

            # --- a wrong funder link: a plain message, nothing else
            page.goto(f"{base}/?funder=not-a-real-token")
            wait_idle(page)
            page.get_by_text("This funder link does not work").wait_for(timeout=20_000)
            assert page.locator("[data-testid='stDataFrame']").count() == 0
            assert page.locator("[data-testid='stException']").count() == 0
            screenshot(page, "funder-04-bad-link")
        finally:
            browser.close()
    # about 40 s on an idle 2-core machine; the bound only catches hangs on a busy one
    assert time.monotonic() - started < 240
