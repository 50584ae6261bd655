""""Start here" on the dashboard, the funder's portfolio and its drill-down (AppTest, no browser),
and evidence saying what would clear it on screen."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from healthcheck.services.demo import load_demo_links
from healthcheck.store import Store

from ..apptest import app


def _texts(at: AppTest) -> list[str]:
    """Visible texts in page order (iterating a block yields every element under it, in order)."""
    kinds = ("subheader", "markdown", "caption", "header", "title")
    return [str(node.value) for node in at.main if getattr(node, "type", "") in kinds and node.value]


def test_the_dashboard_opens_with_start_here(db: Store) -> None:
    links = load_demo_links(db)
    token = dict(links.partnerships)["Harbour Music + City Children's Services"]
    at = app(admin=token).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = _texts(at)
    heads = [t for t in texts if t in ("Start here", "Who answered", "Findings")]
    assert heads == ["Start here", "Who answered", "Findings"]
    start = texts.index("Start here")
    block = texts[start:texts.index("Who answered")]
    assert sum(t.startswith("**First step:**") for t in block) == 3
    assert any("to clear this" in t for t in block)
    # findings list what would clear each piece of evidence, and what they cover
    page = "\n".join(texts)
    assert "what would clear it" in page and "also covers" in page


def test_the_portfolio_opens_with_start_here(db: Store) -> None:
    links = load_demo_links(db)
    at = app(funder=links.funder_token).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = _texts(at)
    # across the portfolio, before its table and heatmap; then again for the partnership opened below
    assert texts.count("Start here") == 2
    block = texts[texts.index("Start here"):texts.index("The 13 tasks across the portfolio")]
    firsts = [t for t in block if t.startswith("**First step:**")]
    assert len(firsts) == 3
    # each names its partnership
    assert sum("Harbour Music" in t or "Northgate" in t or "Riverside" in t or "Westshire" in t
               for t in block if t.startswith("**") and not t.startswith("**First step")) == 3
