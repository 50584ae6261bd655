"""The dashboard's report button delivers a real PDF in a real browser (issue 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthcheck.services.demo import load_demo
from healthcheck.store import Store

from ..browser import launch_chromium, streamlit_server, unavailable, wait_idle

pytestmark = pytest.mark.browser


def test_dashboard_downloads_the_board_report(tmp_path: Path) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("playwright is not installed")
    from pypdf import PdfReader

    db_url = f"sqlite:///{(tmp_path / 'report.db').as_posix()}"
    name = "Northgate Strings + County Virtual School"
    with Store(db_url) as store:
        token = dict(load_demo(store))[name]
    with streamlit_server(db_url, tmp_path / "streamlit.log") as base, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            page.goto(f"{base}/?admin={token}")
            wait_idle(page, timeout=60_000)
            button = page.get_by_role("button", name="Download the report (PDF)")
            button.scroll_into_view_if_needed(timeout=30_000)
            with page.expect_download(timeout=60_000) as download:
                button.click()
            pdf = Path(download.value.path()).read_bytes()
        finally:
            browser.close()
    assert pdf.startswith(b"%PDF-")
    out = tmp_path / "report.pdf"
    out.write_bytes(pdf)
    text = " ".join(page.extract_text() or "" for page in PdfReader(out).pages)
    assert name in text and "Nobody is leading" in text
