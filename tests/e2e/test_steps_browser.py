"""An admin watching the dashboard of an open round in a real browser (issue 13): one more answer
leaves every figure where it was and says how many more people must answer before the results
update; once the threshold of new answers is in, the figures move.

Runs the app as `healthcheck serve` does (tests/browser.py) on its own SQLite database; answers
arrive through the store, as the respondent page stores them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.store import Store

from ..browser import chromium_browser, screenshot, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

NAME = "Harbour Music + City CYPS"
ORGS = [("Harbour Music", "music"), ("City CYPS", "childrens_services")]
T = 3
PULSE = load_questionnaire(find_questionnaire("pulse"))


def _answers(value: int) -> dict[str, Any]:
    return {item.id: value for item in PULSE.likert_items}


def _send(url: str, round_id: int, values: list[int]) -> None:
    with Store(url) as store:
        store.import_records(round_id, [{"organisation": ORGS[k % 2][0], "level": "operational",
                                         "answers": _answers(v)} for k, v in enumerate(values)])


def _figures(page: Any) -> str:
    """What the dashboard says, numbers and all, without the note about the open round (which
    says how many answers are held back, or that results change as more people answer)."""
    main = page.locator("[data-testid='stMain']").first.inner_text()
    lines = [ln for ln in main.splitlines()
             if "since the last update" not in ln and "results change as more people answer" not in ln]
    return "\n".join(lines)


def _look(page: Any) -> str:
    page.reload()
    wait_idle(page)
    # drawn to the end: both "Who answered" tables and the page's last button
    page.get_by_role("button", name="Download the report (Markdown)").wait_for(timeout=30_000)
    tables = page.locator("[data-testid='stTable']")
    tables.nth(1).get_by_text("shown on the charts").wait_for(timeout=30_000)
    tables.nth(0).get_by_text("shown on the charts").wait_for(timeout=30_000)
    wait_idle(page)
    return _figures(page)


def test_dashboard_figures_move_only_in_steps(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'steps.db').as_posix()}"
    with Store(url) as store:
        p, admin_token = store.create_partnership(NAME, "pulse", T, ORGS)
        r, _ = store.open_round(p.id, "Spring pulse", "pulse", PULSE.version)
    _send(url, r.id, [4, 3, 4, 3, 4, 3])
    with streamlit_server(url, tmp_path / "streamlit.log") as base, chromium_browser() as browser:
        admin = browser.new_page(viewport={"width": 1280, "height": 900})
        admin.goto(f"{base}/?admin={admin_token}")
        wait_idle(admin)
        admin.get_by_text("6 people from 2 organisations answered").first.wait_for(timeout=30_000)
        first = _look(admin)
        assert "since the last update" not in admin.locator("[data-testid='stMain']").first.inner_text()
        assert re.search(r"\(\d+,", first), "the page shows scores to compare"

        _send(url, r.id, [1])  # one more person, far from everyone else
        after_one = _look(admin)
        note = admin.get_by_text("1 answer(s) sent since the last update").first
        note.wait_for(timeout=30_000)
        assert "Results update when 2 more people have answered" in note.inner_text()
        assert after_one == first  # not one figure moved
        screenshot(admin, "steps-held-back")

        _send(url, r.id, [1])
        assert _look(admin) == first
        assert "Results update when 1 more person has answered" in \
            admin.get_by_text("2 answer(s) sent since the last update").first.inner_text()

        _send(url, r.id, [1])  # the threshold of new answers: the next step
        moved = _look(admin)
        assert "9 people from 2 organisations answered" in moved
        assert admin.get_by_text("since the last update").count() == 0
        assert moved != first
