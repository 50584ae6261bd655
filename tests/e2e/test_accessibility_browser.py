"""axe-core on every page, at desktop size and on a phone, in a real browser.

One Streamlit server (the demo partnerships, a demo funder and two live workshops: one still
hidden, one revealed) and one headless Chromium serve the whole module. Every page is opened at
1280 x 800 and at 375 x 667; once Streamlit is idle and its charts are drawn, axe-core (bundled
with `axe-playwright-python`, no network) runs the WCAG 2.0, 2.1 and 2.2 A and AA rules.

A violation fails the test unless tests/a11y_known_issues.yaml lists it: those come from
Streamlit's own markup, each with the upstream issue. An entry that matches nothing fails the
test too, so the list only ever shrinks. On the phone no page may scroll sideways. Every chart
must have its text alternative: its accessible name is its one-sentence summary, the same
sentence is shown as text beside it, and a "Show as table" expander follows it.

Results (rules checked, violations per page) go to test-artifacts/axe/ as JSON.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from healthcheck.core.workshop import items_for, questionnaire_by_id
from healthcheck.services.demo import load_demo_links
from healthcheck.services.demo_stories import STORY_BY_KEY
from healthcheck.store import Store, sharing
from healthcheck.store import workshops as ws

from ..browser import (
    ROOT,
    choose,
    chromium_browser,
    click_and_wait,
    launch_chromium,
    settle,
    streamlit_server,
    unavailable,
    wait_idle,
)

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS: dict[str, dict[str, int]] = {"desktop": {"width": 1280, "height": 800},
                                        "phone": {"width": 375, "height": 667}}
KNOWN_ISSUES = Path(__file__).resolve().parents[1] / "a11y_known_issues.yaml"
ARTIFACTS = ROOT / "test-artifacts" / "axe"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

# Horizontal overflow of the page or of Streamlit's scrolling main area (Streamlit scrolls inside
# its own container, so the document alone would never show it).
_OVERFLOW = """() => {
    const out = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) out.push(`document ${doc.scrollWidth} > ${doc.clientWidth}`);
    for (const sel of ["[data-testid='stMain']", "[data-testid='stAppViewContainer']",
                       "[data-testid='stMainBlockContainer']"]) {
        const el = document.querySelector(sel);
        if (el && el.scrollWidth > el.clientWidth + 1)
            out.push(`${sel} ${el.scrollWidth} > ${el.clientWidth}`);
    }
    return out;
}"""

# Every chart drawn and named (vega-embed draws, and Streamlit names, after the script run ends).
_CHARTS_DRAWN = """() => Array.from(document.querySelectorAll("[data-testid='stVegaLiteChart']"))
    .every(c => c.querySelector("svg, canvas") && c.getAttribute("aria-label"))"""


# Every chart's text alternative: its accessible name (the one-sentence summary) is also shown as
# text on the page, and a "Show as table" expander follows the chart.
_CHART_TEXT = """() => {
    const squash = t => (t || "").replace(/\\s+/g, " ").trim();
    const texts = new Set(Array.from(document.querySelectorAll("[data-testid='stMarkdownContainer']"))
        .map(m => squash(m.innerText)));
    return Array.from(document.querySelectorAll("[data-testid='stVegaLiteChart']")).map(c => {
        const label = squash(c.getAttribute("aria-label"));
        let table = false;
        let box = c.closest("[data-testid='stElementContainer']");
        for (let i = 0, n = box && box.nextElementSibling; i < 4 && n; i++, n = n.nextElementSibling)
            if ((n.innerText || "").includes("Show as table")) table = true;
        return {label: label.slice(0, 120), shown: label.length > 20 && texts.has(label), table};
    });
}"""


@dataclass
class Site:
    base: str
    admin: str  # admin token of the "money" story (findings, gaps, change since the last round)
    respondent: str
    funder: str
    hidden: ws.WorkshopInfo  # results not revealed; one participant has sent answers
    hidden_token: str
    revealed: ws.WorkshopInfo  # results revealed, enough answers to show them
    revealed_token: str
    sent_key: str  # the submission key of a participant of each workshop
    invite: str  # the demo funder's invitation token


@dataclass(frozen=True)
class PageCheck:
    name: str
    url: Callable[[Site], str]
    ready: str = ""  # text that shows the page is there
    # further states of the same page, each checked too: (name, steps to get there). The steps
    # may click: this is not the keyboard test.
    then: tuple[tuple[str, Callable[[Any], None]], ...] = ()


@dataclass
class Outcome:
    rules: set[str] = field(default_factory=set)
    charts: int = 0
    chart_problems: list[str] = field(default_factory=list)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)


def _answer_section(page: Any) -> None:
    """From the answer page's start to its first section."""
    combo = page.get_by_role("combobox", name="Your organisation")
    settle(combo)
    box = page.locator("[data-testid='stSelectbox']").filter(has=combo)
    box.get_by_role("button", name="Open").click()
    click_and_wait(page, page.get_by_role("option").first)
    click_and_wait(page, page.locator("[data-testid='stRadio'] label", has_text="Operational").first)
    click_and_wait(page, page.get_by_role("button", name="Start"))
    page.get_by_text("Section 1 of").first.wait_for(timeout=15_000)


def _send_workshop(ready: str) -> Callable[[Any], None]:
    """A participant sends their answers (organisation and level; questions may be skipped), then
    the page shows `ready`. The key is the page session's own, never in the address (issue 14), so
    the "sent" states are reached by sending, not by a link."""

    def send(page: Any) -> None:
        combo = page.get_by_role("combobox", name="Your organisation")
        settle(combo)
        box = page.locator("[data-testid='stSelectbox']").filter(has=combo)
        box.get_by_role("button", name="Open").click()
        click_and_wait(page, page.get_by_role("option").first)
        click_and_wait(page, page.locator("[data-testid='stRadio'] label", has_text="Operational").first)
        click_and_wait(page, page.get_by_role("button", name="Send my answers"))
        page.get_by_text(ready).first.wait_for(timeout=30_000)

    return send


def _drill_down(page: Any) -> None:
    """Open the portfolio's read-only dashboard of the partnership that shared its comments."""
    name = STORY_BY_KEY["leaderless"].partnership
    combo = page.get_by_role("combobox", name="Partnership", exact=True)
    combo.scroll_into_view_if_needed()
    box = page.locator("[data-testid='stSelectbox']").filter(has=combo)
    box.get_by_role("button", name="Open").click()
    click_and_wait(page, page.get_by_role("option", name=name, exact=True).first)
    page.get_by_text("Comments on low scores").first.wait_for(timeout=15_000)


PAGES: list[PageCheck] = [
    PageCheck("start", lambda s: s.base, "Set up a health check"),
    PageCheck("join-a-workshop", lambda s: f"{s.base}/join", "Workshop code"),
    PageCheck("rules-public", lambda s: f"{s.base}/rules", "risks that the practice guides"),
    PageCheck("answer-start", lambda s: f"{s.base}/?r={s.respondent}", "Before you start",
              (("answer-section", _answer_section),)),
    PageCheck("dashboard", lambda s: f"{s.base}/?admin={s.admin}", "Report for the board"),
    PageCheck("rounds", lambda s: f"{s.base}/rounds?admin={s.admin}", "Open a new round"),
    PageCheck("partner-teams", lambda s: f"{s.base}/teams?admin={s.admin}", ""),
    PageCheck("action-plan", lambda s: f"{s.base}/actions?admin={s.admin}", ""),
    PageCheck("exports", lambda s: f"{s.base}/exports?admin={s.admin}", ""),
    PageCheck("privacy", lambda s: f"{s.base}/privacy?admin={s.admin}", "What respondents see"),
    PageCheck("audit-log", lambda s: f"{s.base}/audit?admin={s.admin}", "Download everything we hold"),
    PageCheck("rules-admin", lambda s: f"{s.base}/rules?admin={s.admin}", "risks that the practice guides"),
    PageCheck("console-hidden", lambda s: f"{s.base}/?facilitate={s.hidden_token}",
              "Results are hidden until you reveal them"),
    PageCheck("console-revealed", lambda s: f"{s.base}/?facilitate={s.revealed_token}",
              "Answers per question"),
    PageCheck("participant-form", lambda s: f"{s.base}/?join={s.hidden.join_code}", "Send my answers",
              (("participant-sent", _send_workshop("when the facilitator shows them")),)),
    PageCheck("participant-revealed-form", lambda s: f"{s.base}/?join={s.revealed.join_code}",
              "Send my answers",
              (("participant-revealed", _send_workshop("How the whole partnership sees it")),)),
    PageCheck("portfolio", lambda s: f"{s.base}/?funder={s.funder}", "The 13 tasks across the portfolio",
              (("portfolio-drill-down", _drill_down),)),
    PageCheck("invitation", lambda s: f"{s.base}/?invite={s.invite}", "To share a round"),
]
BATCH = 4  # pages loading side by side: the server works on the next pages while axe checks one


def _submit_pulse(store: Store, w: ws.WorkshopInfo, key: str, org_id: int, answer: int) -> None:
    q = questionnaire_by_id(w.questionnaire_id)
    items = [i for i in items_for(w.dimensions, q) if i.type == "likert"]
    assert ws.submit(store, w, org_id, "operational", {i.id: answer for i in items}, key, q)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("a11y")
    db_url = f"sqlite:///{(tmp / 'a11y.db').as_posix()}"
    sent_key = "a" * 32
    with Store(db_url) as store:
        links = load_demo_links(store)
        name = STORY_BY_KEY["money"].partnership
        admin = dict(links.partnerships)[name]
        partnership = next(p for p in store.list_partnerships() if p.name == name)
        current = store.rounds(partnership.id)[-1]
        respondent = store.rotate_respondent_token(current.id)
        org = store.organisations(partnership.id)[0]
        hidden, hidden_token = ws.create_workshop(store, partnership.id, "Spring workshop")
        _submit_pulse(store, hidden, sent_key, org.id, 4)
        revealed, revealed_token = ws.create_workshop(store, partnership.id, "Autumn workshop")
        for k, answer in enumerate((2, 3, 4, 5)):
            _submit_pulse(store, revealed, sent_key if k == 0 else f"{k:032x}", org.id, answer)
        ws.reveal(store, revealed.id, True)
        funder = sharing.funder_by_token(store, links.funder_token)
        assert funder is not None
        invite = sharing.new_invitation(store, funder.id)
    with streamlit_server(db_url, tmp / "streamlit.log") as base:
        yield Site(base, admin, respondent, links.funder_token, hidden, hidden_token, revealed,
                   revealed_token, sent_key, invite)


# ----------------------------------------------------------------------------- known issues


@dataclass(frozen=True)
class KnownIssue:
    rule: str
    target: re.Pattern[str]  # searched in the CSS selector axe reports for the node
    html: re.Pattern[str] | None  # searched in the node's HTML, when given
    upstream: str
    note: str

    def matches(self, rule: str, node: dict[str, Any]) -> bool:
        if rule != self.rule:
            return False
        target = " ".join(str(t) for t in node.get("target", []))
        if not self.target.search(target):
            return False
        return self.html is None or bool(self.html.search(str(node.get("html", ""))))


def load_known_issues(path: Path = KNOWN_ISSUES) -> list[KnownIssue]:
    doc = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    issues = []
    for entry in doc.get("issues") or []:
        missing = {"rule", "target", "upstream", "note"} - set(entry)
        assert not missing, f"{path.name}: entry {entry!r} lacks {sorted(missing)}"
        issues.append(KnownIssue(entry["rule"], re.compile(entry["target"]),
                                 re.compile(entry["html"]) if entry.get("html") else None,
                                 entry["upstream"], entry["note"]))
    return issues


def test_known_issues_file_is_well_formed() -> None:
    for issue in load_known_issues():
        assert re.fullmatch(r"[a-z0-9-]+", issue.rule), issue.rule
        assert issue.upstream.startswith("https://github.com/streamlit/streamlit/") or \
            issue.upstream.startswith("none:"), issue.upstream
        assert issue.note.strip()


# ----------------------------------------------------------------------------- the check


def _settle(page: Any, ready: str = "") -> None:
    """Wait until Streamlit is idle, the page's own text is there and every chart is drawn."""
    wait_idle(page)
    if ready:
        page.get_by_text(ready).first.wait_for(timeout=30_000)
    wait_idle(page)
    with contextlib.suppress(Exception):  # a chart that never gets its name is reported by _check
        page.wait_for_function(_CHARTS_DRAWN, timeout=60_000)  # slow under a loaded CI machine


def _axe(page: Any, axe: Any) -> dict[str, Any]:
    return dict(axe.run(page, options=AXE_OPTIONS).response)


def _rules_checked(result: dict[str, Any]) -> set[str]:
    return {r["id"] for kind in ("violations", "passes", "incomplete", "inapplicable")
            for r in result.get(kind, [])}


def _check(page: Any, axe: Any, key: str, phone: bool, known: list[KnownIssue], used: dict[int, int],
           outcome: Outcome, unknown: list[str], overflow: list[str]) -> None:
    """Run axe on the page as it is; record every violation node and whether a known issue covers it."""
    result = _axe(page, axe)
    outcome.rules |= _rules_checked(result)
    found = []
    for v in result["violations"]:
        for node in v["nodes"]:
            hits = [i for i, k in enumerate(known) if k.matches(v["id"], node)]
            for i in hits:
                used[i] += 1
            found.append({"rule": v["id"], "impact": v.get("impact"), "target": node.get("target"),
                          "html": node.get("html", "")[:300], "summary": node.get("failureSummary", ""),
                          "known": [known[i].upstream for i in hits]})
            if not hits:
                unknown.append(f"{key}: {v['id']} at {node.get('target')}: {node.get('html', '')[:160]}")
    if phone:
        overflow += [f"{key}: {o}" for o in page.evaluate(_OVERFLOW)]
    charts = page.evaluate(_CHART_TEXT)
    if not all(c["shown"] for c in charts):  # a chart redrawn after _settle: give its name time to return
        with contextlib.suppress(Exception):
            page.wait_for_function(_CHARTS_DRAWN, timeout=30_000)
        charts = page.evaluate(_CHART_TEXT)
    for chart in charts:
        outcome.charts += 1
        if not (chart["shown"] and chart["table"]):
            outcome.chart_problems.append(f"{key}: a chart without its summary as text or its table: {chart}")
    outcome.pages[key] = {"violations": len(found), "unknown": sum(1 for f in found if not f["known"]),
                          "nodes": found}


def test_every_page_passes_axe(site: Site) -> None:
    try:
        from axe_playwright_python.sync_playwright import Axe
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright or axe-playwright-python is not installed")
    started = time.monotonic()
    known = load_known_issues()
    used: dict[int, int] = {i: 0 for i in range(len(known))}
    unknown: list[str] = []
    overflow: list[str] = []
    outcome = Outcome()
    axe = Axe()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            for viewport, size in VIEWPORTS.items():
                phone = viewport == "phone"
                context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone)
                try:
                    for start in range(0, len(PAGES), BATCH):
                        batch = [(check, context.new_page()) for check in PAGES[start:start + BATCH]]
                        for check, page in batch:
                            page.goto(check.url(site), wait_until="commit")
                        for check, page in batch:
                            for name, act in (("", None), *check.then):
                                if act is None:
                                    _settle(page, check.ready)
                                else:
                                    act(page)
                                    _settle(page)
                                key = f"{viewport}/{name or check.name}"
                                _check(page, axe, key, phone, known, used, outcome, unknown, overflow)
                            page.close()
                finally:
                    context.close()
        finally:
            browser.close()

    version = re.search(r"axe v([\d.]+)", axe.axe_script[:200])
    summary = {"axe_core": version.group(1) if version else "?", "tags": WCAG_TAGS,
               "rules_checked": sorted(outcome.rules), "charts_checked": outcome.charts,
               "pages": {k: {"violations": v["violations"], "unknown": v["unknown"]}
                         for k, v in outcome.pages.items()},
               "seconds": round(time.monotonic() - started, 1)}
    (ARTIFACTS / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (ARTIFACTS / "violations.json").write_text(json.dumps(outcome.pages, indent=2), encoding="utf-8")

    problems = [f"violation not in {KNOWN_ISSUES.name}: {u}" for u in unknown]
    problems += [f"{KNOWN_ISSUES.name} entry matched nothing, remove it: {k.rule} {k.target.pattern} "
                 f"({k.upstream})" for i, k in enumerate(known) if not used[i]]
    problems += [f"phone page scrolls sideways: {o}" for o in overflow]
    problems += outcome.chart_problems
    assert outcome.charts >= 20, f"only {outcome.charts} charts seen: the pages did not draw them"
    assert not problems, "\n".join(problems)


def test_answer_page_declares_the_questionnaire_language(site: Site) -> None:
    """WCAG 3.1.1: `<html lang>` follows the language the respondent picks, so a screen reader
    reads the questions with the right voice."""
    with chromium_browser() as browser:
        page = browser.new_page()
        page.goto(f"{site.base}/?r={site.respondent}&lang=en-us")
        page.get_by_text("Before you start").first.wait_for(timeout=30_000)
        page.wait_for_function("document.documentElement.lang === 'en-US'", timeout=15_000)
        choose(page, "Language", "English (UK)")
        page.wait_for_function("document.documentElement.lang === 'en-GB'", timeout=15_000)
        assert "lang=en-GB" in page.url
