"""The whole away-day flow in a real browser (Debian's headless chromium, driven by Playwright).

An admin sets up a partnership and opens a round; three respondents from two organisations
answer in their own browser contexts (one on a phone-sized screen); the admin's dashboard then
draws the radar and shows a finding with its actions. One screenshot per page goes to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from ..browser import (
    choose,
    click_and_wait,
    launch_chromium,
    screenshot,
    streamlit_server,
    unavailable,
    wait_idle,
)

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
ORG_A, ORG_B = "Harbour Music", "City Children's Services"


def _click(page: Any, locator: Any) -> None:
    click_and_wait(page, locator)


def _nav(page: Any, title: str) -> None:
    _click(page, page.locator("[data-testid='stSidebarNavLink']", has_text=title).first)


def _answer_section(page: Any) -> None:
    """Answer every question on screen: 'Disagree' on the agreement scale, 'No...' where offered."""
    # Count the questions only once the section's run is over: until then the previous
    # section's questions can still be on screen (seen in CI: four counted, three shown).
    wait_idle(page)
    groups = page.locator("[data-testid='stRadio']")
    for i in range(groups.count()):
        group = groups.nth(i)
        labels = group.locator("label")
        texts = [t.strip() for t in labels.all_inner_texts()]
        if "Strongly agree" in texts:
            target = labels.nth(texts.index("Disagree"))
        else:
            no = [k for k, t in enumerate(texts) if t == "No" or t.startswith("No,")]
            target = labels.nth(no[0] if no else 0)
        # Wait for each answer's run: on a loaded machine a run still in flight can redraw the
        # section under the next click (seen in CI).
        click_and_wait(page, target)


def _respond(browser: Any, link: str, organisation: str, level: str, viewport: dict[str, int],
             shot: str | None = None) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(link)
        wait_idle(page)
        page.get_by_text("Before you start").wait_for(timeout=30_000)
        assert page.get_by_text("fewer than 3 responses are never shown separately").count() >= 1
        if shot:
            screenshot(page, shot + "-start")
        choose(page, "Your organisation", organisation)
        _click(page, page.locator("[data-testid='stRadio'] label", has_text=level).first)
        _click(page, page.get_by_role("button", name="Start"))
        for _ in range(20):
            assert page.locator("[data-testid='stProgress']").count() == 1
            _answer_section(page)
            if shot and page.get_by_text("Section 1 of").count():
                screenshot(page, shot + "-section")
            # the section ends in Next or, on the last one, Send: wait for whichever it is
            page.get_by_role("button", name=re.compile(r"^(Next|Send my answers)$")).first.wait_for(
                timeout=30_000)
            send = page.get_by_role("button", name="Send my answers")
            if send.count():
                click_and_wait(page, send)
                break
            _click(page, page.get_by_role("button", name="Next"))
        page.get_by_text("Thank you").first.wait_for(timeout=30_000)
        if shot:
            screenshot(page, shot + "-thanks")
    finally:
        context.close()


def test_away_day_flow(tmp_path: Path) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright is not installed")
    started = time.monotonic()
    db_url = f"sqlite:///{(tmp_path / 'browser.db').as_posix()}"
    with streamlit_server(db_url, tmp_path / "streamlit.log") as base, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            admin_ctx = browser.new_context(viewport=DESKTOP)
            admin = admin_ctx.new_page()

            # --- the admin sets up the partnership
            admin.goto(base)
            wait_idle(admin)
            admin.get_by_label("Name of the partnership").wait_for(timeout=30_000)
            admin.get_by_label("Name of the partnership").fill("Harbour Music + City Children's Services")
            admin.get_by_label("Organisation 1", exact=True).fill(ORG_A)
            admin.get_by_label("Organisation 2", exact=True).fill(ORG_B)
            _click(admin, admin.get_by_text("Pulse check", exact=False).first)
            screenshot(admin, "01-start")
            _click(admin, admin.get_by_role("button", name="Create the health check"))
            code = admin.locator("[data-testid='stCode']", has_text="?admin=").first
            code.wait_for(timeout=30_000)
            admin_link = code.inner_text().strip()
            assert "?admin=" in admin_link, admin_link
            assert admin.get_by_text("Keep this admin link safe").is_visible()
            screenshot(admin, "02-admin-link")

            # --- opens a round and reads the respondent link
            admin.goto(admin_link)
            wait_idle(admin)
            admin.get_by_text("No rounds yet").first.wait_for(timeout=30_000)
            _nav(admin, "Rounds")
            _click(admin, admin.get_by_role("button", name="Open the round"))
            respondent_code = admin.locator("[data-testid='stCode']", has_text="?r=").first
            respondent_code.wait_for(timeout=30_000)
            respondent_link = respondent_code.inner_text().strip()
            assert respondent_link.startswith(base), respondent_link
            screenshot(admin, "03-rounds")

            # --- three respondents from two organisations, each in their own browser context
            _respond(browser, respondent_link, ORG_A, "Operational", PHONE, shot="04-answer-phone")
            _respond(browser, respondent_link, ORG_A, "Strategic", DESKTOP, shot="05-answer-desktop")
            _respond(browser, respondent_link, ORG_B, "Operational", DESKTOP)

            # --- the counts never show a group below the threshold as a number
            admin.reload()
            wait_idle(admin)
            admin.get_by_text("3 responses").first.wait_for(timeout=30_000)

            # --- the dashboard: radar drawn, a finding with its actions
            _nav(admin, "Dashboard")
            chart = admin.locator("[data-testid='stVegaLiteChart']").first
            chart.wait_for(timeout=30_000)
            chart.locator("svg, canvas").first.wait_for(timeout=30_000)
            assert chart.is_visible()
            finding = admin.locator("[data-testid='stExpander']", has_text="Nobody is leading").first
            finding.wait_for(timeout=30_000)
            if not finding.get_by_text("Recommended actions").is_visible():
                _click(admin, finding.locator("summary").first)
            assert finding.get_by_text("Recommended actions").is_visible()
            assert finding.get_by_role("button", name="Add to action plan").first.is_visible()
            assert admin.get_by_text("fewer than 3 responses").filter(visible=True).count() >= 1
            screenshot(admin, "06-dashboard")

            phone_ctx = browser.new_context(viewport=PHONE)
            phone = phone_ctx.new_page()
            phone.goto(admin_link)
            wait_idle(phone)
            phone.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
            screenshot(phone, "07-dashboard-phone")
            phone_ctx.close()

            # --- the other admin pages render without an error
            for title, shot in (("Partner teams", "08-teams"), ("Action plan", "09-actions"),
                                ("Exports", "10-exports"), ("Rules", "11-rules")):
                _nav(admin, title)
                assert admin.locator("[data-testid='stException']").count() == 0
                assert admin.get_by_text("Something went wrong").count() == 0
                screenshot(admin, shot)

            # --- a bad link shows a plain message
            admin.goto(base + "/?r=not-a-token")
            wait_idle(admin)
            admin.get_by_text("This link does not work").wait_for(timeout=30_000)
            screenshot(admin, "12-bad-link")
            admin_ctx.close()
        finally:
            browser.close()
    # about 60-90 s on an idle 2-core machine; the bound only catches hangs on a busy one
    assert time.monotonic() - started < 300
