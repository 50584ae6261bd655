"""The answer flow and the workshop participant flow with the keyboard alone, in a real browser.

Nothing here clicks: the page is only ever driven with keyboard.press (Tab, Shift+Tab, Space,
Enter, arrow keys) and keyboard.type, as someone using a keyboard or a switch device would. The
walker tabs through the page and reads what has focus (reading the page is fine, acting on it
is keyboard only): a question without an answer gets one with Space and the arrow keys, the
organisation box gets its name typed and Enter, the role box gets typed text, and "Next" or
"Send my answers" gets Enter once every question on screen is answered. The answers must then
be in the store.

Arrow keys are pressed at a person's pace, without waiting for the server between them; this
found a lost answer (the last answer of a section changed just before Enter on "Next"), fixed in
`ui.answer._go` and pinned by tests/ui/test_answer_sync_app.py.

One Streamlit server and one headless Chromium for the module.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.workshop import items_for
from healthcheck.store import Store
from healthcheck.store import workshops as ws

from ..browser import _OBSERVE, chromium_browser, screenshot, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

ORGS = [("Harbour Music", "music"), ("City Children's Services", "childrens_services")]
VIEWPORT = {"width": 1000, "height": 800}
MAX_KEYS = 400  # Tab presses for one page; a page that needs more is not operable in practice

# What has focus, as the walker needs it (reading only).
_FOCUS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return {kind: "none"};
    const text = e => (e ? (e.innerText || e.textContent || "").trim() : "");
    const byIds = ids => (ids || "").split(/\\s+/).filter(Boolean)
        .map(id => text(document.getElementById(id))).join(" ");
    const name = el.getAttribute("aria-label") || byIds(el.getAttribute("aria-labelledby"))
        || (el.labels && el.labels.length ? text(el.labels[0]) : "") || text(el);
    const tag = el.tagName.toLowerCase();
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (type === "radio") {
        const group = el.closest("[role='radiogroup']");
        const inputs = group ? Array.from(group.querySelectorAll("input[type='radio']")) : [el];
        return {kind: "radio", index: inputs.indexOf(el), checked: inputs.findIndex(i => i.checked),
                options: inputs.map(i => text(i.closest("label")).split("\\n")[0].trim())};
    }
    if (el.getAttribute("role") === "combobox") return {kind: "combobox", name: name.split("\\n")[0]};
    if (tag === "textarea" || (tag === "input" && ["", "text"].includes(type)))
        return {kind: "text", name: name.split("\\n")[0], value: el.value};
    if (tag === "button") return {kind: "button", name: text(el), disabled: el.disabled};
    return {kind: tag, name: name.slice(0, 60)};
}"""

_UNANSWERED = """() => Array.from(document.querySelectorAll("[role='radiogroup']"))
    .filter(g => !g.querySelector("input[type='radio']:checked")).length"""


@dataclass
class Site:
    base: str
    db_url: str
    round_id: int
    respondent: str
    workshop: ws.WorkshopInfo


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("keyboard")
    db_url = f"sqlite:///{(tmp / 'keyboard.db').as_posix()}"
    with Store(db_url) as store:
        q = load_questionnaire(find_questionnaire("pulse"))
        p, _ = store.create_partnership("Harbour Music + City Children's Services", "pulse", 3, ORGS)
        r, respondent = store.open_round(p.id, "Spring check", q.id, q.version)
        w, _ = ws.create_workshop(store, p.id, "Spring workshop")
    with streamlit_server(db_url, tmp / "streamlit.log") as base:
        yield Site(base, db_url, r.id, respondent, w)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    with chromium_browser() as chromium:
        yield chromium


def _press(page: Any, key: str, started: float = 2_000) -> None:
    """Press a key that changes a widget, then wait for the run it starts (counted, so a run that
    starts a moment late is not missed) to finish."""
    wait_idle(page)
    before = page.evaluate(_OBSERVE)
    page.keyboard.press(key)
    if before >= 0:
        with contextlib.suppress(Exception):  # a key that starts no run: just settle
            page.wait_for_function(f"() => window.__hcRuns > {before}", timeout=started)
    wait_idle(page)


def _target(options: list[str]) -> int:
    """Which answer to give: "Agree" on the agreement scale, "Operational" for the level, an
    answer starting with "No" on a multiple-choice question, else the first."""
    for wanted in ("Agree", "Operational"):
        if wanted in options:
            return options.index(wanted)
    no = [i for i, o in enumerate(options) if o == "No" or o.startswith("No,")]
    return no[0] if no else 0


def _choose_radio(page: Any, focus: dict[str, Any]) -> None:
    """Answer the radio group that has focus: Space checks the focused option, the arrow keys
    move the choice on (typed at a person's pace, without waiting for each run), then check."""
    target = _target(focus["options"])
    wait_idle(page)
    before = page.evaluate(_OBSERVE)
    page.keyboard.press("Space")
    for _ in range(target - max(focus["index"], 0)):
        page.keyboard.press("ArrowRight")
    with contextlib.suppress(Exception):
        page.wait_for_function(f"() => window.__hcRuns > {before}", timeout=2_000)
    wait_idle(page)
    for _ in range(10):
        now = page.evaluate(_FOCUS)
        assert now["kind"] == "radio", f"focus left the question: {now}"
        if now["checked"] == target:
            return
        _press(page, "ArrowRight" if now["checked"] < target else "ArrowLeft")
    raise AssertionError(f"could not reach {focus['options'][target]!r} with the arrow keys")


def _walk(page: Any, finish: str, organisation: str, role: str | None = None) -> list[str]:
    """Tab through the page doing what a keyboard user does, until `finish` (a button's name)
    has focus with every question answered; then press Enter on it. Returns what was done."""
    done: list[str] = []
    for _ in range(MAX_KEYS):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS)
        kind = focus["kind"]
        if kind == "radio" and focus["checked"] < 0:
            _choose_radio(page, focus)
            done.append(f"answered {focus['options'][_target(focus['options'])]}")
        elif kind == "combobox" and focus["name"].startswith("Your organisation") and \
                "organisation" not in done:
            page.keyboard.type(organisation)
            _press(page, "Enter")
            done.append("organisation")
        elif kind == "text" and role and focus["name"].startswith("Your role") and not focus["value"]:
            page.keyboard.type(role)
            _press(page, "Tab")  # leaving the box commits it
            page.keyboard.press("Shift+Tab")  # and back, so the walk goes on from here
            done.append("role")
        elif kind == "button" and focus["name"] == finish and not focus["disabled"] and \
                page.evaluate(_UNANSWERED) == 0:
            _press(page, "Enter")
            done.append(finish)
            return done
    raise AssertionError(f"{finish!r} was not reached with every question answered after {MAX_KEYS} "
                         f"Tab presses; done: {done}")


def test_answer_flow_with_the_keyboard_only(site: Site, browser: Any) -> None:
    started = time.monotonic()
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(f"{site.base}/?r={site.respondent}")
        wait_idle(page)
        page.get_by_text("Before you start").first.wait_for(timeout=20_000)
        steps = _walk(page, "Start", ORGS[1][0], role="Social worker")
        assert steps[:1] == ["organisation"] and "role" in steps, steps
        sections = 0
        while True:
            label = page.get_by_text("Section ", exact=False).first
            label.wait_for(timeout=20_000)
            sections += 1
            assert sections <= 10
            if page.get_by_role("button", name="Send my answers").count():
                _walk(page, "Send my answers", ORGS[1][0])
                break
            before = label.inner_text()
            _walk(page, "Next", ORGS[1][0])
            page.wait_for_function(
                "t => !document.body.innerText.includes(t)", arg=before.split("\n")[0], timeout=20_000)
        page.get_by_text("Thank you").first.wait_for(timeout=20_000)
        screenshot(page, "keyboard-answer-thanks")
    finally:
        context.close()

    q = load_questionnaire(find_questionnaire("pulse"))
    with Store(site.db_url) as store:
        records = store.response_records(site.round_id)
    assert len(records) == 1
    record = records[0]
    assert record["organisation"] == ORGS[1][0]
    assert record["level"] == "operational" and record["role"] == "Social worker"
    likert = [i for i in q.items if i.type == "likert"]
    assert sections == len(q.sections)
    assert all(record["answers"].get(i.id) == 4 for i in likert), record["answers"]  # "Agree" each time
    assert len(record["answers"]) == len([i for i in q.items if i.type in ("likert", "choice")])
    assert time.monotonic() - started < 120


def test_workshop_participant_flow_with_the_keyboard_only(site: Site, browser: Any) -> None:
    started = time.monotonic()
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(f"{site.base}/join")
        wait_idle(page)
        page.get_by_text("Type the code shown at the front of the room").wait_for(timeout=20_000)
        for _ in range(60):  # Tab to the code box, type the code, Enter submits the form
            page.keyboard.press("Tab")
            focus = page.evaluate(_FOCUS)
            if focus["kind"] == "text" and focus["name"].startswith("Workshop code"):
                break
        else:
            raise AssertionError("the workshop code box cannot be reached with Tab")
        page.keyboard.type(ws.format_join_code(site.workshop.join_code))
        page.keyboard.press("Enter")
        wait_idle(page)
        page.get_by_role("button", name="Send my answers").wait_for(timeout=20_000)
        steps = _walk(page, "Send my answers", ORGS[0][0])
        assert steps[0] == "organisation" and steps[-1] == "Send my answers", steps
        page.get_by_text("Thank you").first.wait_for(timeout=20_000)
        screenshot(page, "keyboard-workshop-thanks")
    finally:
        context.close()

    with Store(site.db_url) as store:
        records = store.response_records(site.workshop.round_id)
    assert len(records) == 1
    record = records[0]
    assert record["level"] == "operational" and record["organisation"] == ORGS[0][0]
    pulse = load_questionnaire(find_questionnaire("pulse"))
    asked = [i for i in items_for(site.workshop.dimensions, pulse) if i.type in ("likert", "choice")]
    assert set(record["answers"]) == {i.id for i in asked}
    assert time.monotonic() - started < 90
