"""Markdown from users and files in a real browser (issue 14): names, comments and a Forms export's
headers and file name written as Markdown images, links, directives and bidi controls.

Every request the browser makes to the beacon host is recorded (and refused): there must be
none, and no link or image on any page may come from the payload. The AppTest walk over every
page is in tests/ui/test_injection.py; this is the browser's view of the same promise.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest

from healthcheck.store import Store, sharing

from ..browser import click_and_wait, launch_chromium, streamlit_server, unavailable, wait_idle

pytestmark = pytest.mark.browser

HOST = "beacon.invalid"
IMAGE = f"![beacon](http://{HOST}/x.png)"
PAYLOAD = f"{IMAGE} :red[HDR] **B** http://{HOST}/a www.{HOST} me@{HOST} \u202eevil"
NAME = f"Harbour {PAYLOAD}"
ORGS = ((f'=HYPERLINK("http://{HOST}/x","click") {IMAGE}', "music"), ("City CYPS", "childrens_services"))
COMMENT = f"Comment {PAYLOAD}"


def _world(store: Store) -> dict[str, str]:
    p, admin = store.create_partnership(NAME, "core", 3, list(ORGS))
    r, _ = store.open_round(p.id, f"Round {PAYLOAD}", "core", "1")
    records = [{"organisation": org, "level": "operational", "role": None,
                "answers": {"q.clear_problem": 1, "fact.named_lead": "no"},
                "comments": {"q.clear_problem": COMMENT}} for org, _ in ORGS for _ in range(3)]
    store.import_records(r.id, records)
    orgs = store.organisations(p.id)
    store.set_team_note(p.id, orgs[0].id, "team.challenges", f"Note {PAYLOAD}")
    store.add_action(p.id, r.id, f"Action {PAYLOAD}", owner=f"Owner {IMAGE}")
    funder, funder_token = sharing.create_funder(store, f"Fund {PAYLOAD}")
    sharing.share_round(store, r.id, funder.id, include_comments=True)
    return {"admin": admin, "funder": funder_token}


def _forms_export() -> bytes:
    rows = [["Organisation", "Level", PAYLOAD, f"Another {IMAGE}"],
            ["City CYPS", "Operational", "Agree", "x"]]
    out = io.StringIO()
    for row in rows:
        out.write(",".join('"' + c.replace('"', '""') + '"' for c in row) + "\n")
    return out.getvalue().encode()


def _no_live_payload(page: Any, where: str) -> None:
    found = page.evaluate(f"""() => {{
        const bad = [];
        for (const a of document.querySelectorAll("a")) {{
            if ((a.href || "").includes("{HOST}") || (a.textContent || "").includes("{HOST}"))
                bad.push("a: " + a.outerHTML.slice(0, 200));
        }}
        for (const img of document.querySelectorAll("img")) {{
            if ((img.src || "").includes("{HOST}") || (img.alt || "") === "beacon")
                bad.push("img: " + img.outerHTML.slice(0, 200));
        }}
        const text = document.body.innerText;
        if (/[\\u202a-\\u202e\\u2066-\\u2069]/.test(text)) bad.push("bidi control in the page text");
        return bad;
    }}""")
    assert found == [], (where, found)
    assert page.locator("[data-testid='stException']").count() == 0, where


def test_payloads_make_no_request_and_no_link_in_the_browser(tmp_path: Path) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright is not installed")
    started = time.monotonic()
    db_url = f"sqlite:///{(tmp_path / 'inject.db').as_posix()}"
    with Store(db_url) as store:
        tokens = _world(store)
    upload = tmp_path / f"{IMAGE.replace('/', '_')} :red[F].csv"
    upload.write_bytes(_forms_export())
    requested: list[str] = []

    with streamlit_server(db_url, tmp_path / "streamlit.log") as base, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def refuse(route: Any) -> None:
                requested.append(route.request.url)
                route.abort()

            context.route(f"**/*{HOST}*/**", refuse)
            context.on("request", lambda r: requested.append(r.url) if HOST in r.url else None)
            page = context.new_page()
            admin = tokens["admin"]
            for path in ("dashboard", "rounds", "teams", "actions"):
                page.goto(f"{base}/{path}?admin={admin}")
                wait_idle(page, timeout=45_000)
                page.locator("[data-testid='stMain']").get_by_text("evil").first.wait_for(timeout=30_000)
                _no_live_payload(page, path)

            page.goto(f"{base}/?funder={tokens['funder']}")
            wait_idle(page, timeout=45_000)
            page.get_by_text("1 of 1 partnerships", exact=True).wait_for(timeout=30_000)
            _no_live_payload(page, "portfolio")
            click_and_wait(page, page.get_by_text("Imported files", exact=True))
            page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(upload))
            page.get_by_text("questions matched to the questionnaire").first.wait_for(timeout=30_000)
            wait_idle(page)
            page.get_by_text("Column C", exact=False).first.wait_for(timeout=30_000)
            _no_live_payload(page, "forms import")
        finally:
            browser.close()
    assert requested == [], requested
    assert time.monotonic() - started < 240
