"""Sharing a round with a funder from the Rounds page, seen from both sides (AppTest, no browser).

The partnership makes a share code in the round's panel, the funder enters it on its portfolio
page and sees the partnership; "Stop sharing" takes it away again; comments reach the funder
only when the partnership ticked "Also share comments".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from healthcheck.store import Store, sharing

from .test_app import app, ok, open_page, partnership, record, texts

COMMENT = "Nobody told us the sessions moved to Thursdays"
NAME = "Harbour + City"  # tests.test_app.partnership's name


@pytest.fixture
def answered(db: Store) -> tuple[Any, str, Any]:
    """A partnership with one answered round (six responses, one low score with a comment)."""
    p, token = partnership(db)
    r, _ = db.open_round(p.id, "Away day, March", "core", "1")
    recs = [record("Harbour Music", **{"q.clear_problem": 1}) for _ in range(3)]
    recs += [record("City CYPS", **{"q.clear_problem": 2}) for _ in range(3)]
    recs[0]["comments"] = {"q.clear_problem": COMMENT}
    db.import_records(r.id, recs)
    return p, token, r


def _share_code(admin_token: str, round_id: int, comments: bool = False) -> tuple[AppTest, str]:
    """Make a share code on the Rounds page, as the partnership admin would."""
    at = open_page(app(admin=admin_token).run(), "rounds")
    ok(at)
    if comments:
        at.checkbox(key=f"share_comments_{round_id}").check().run()
    at.button(key=f"share_code_{round_id}").click().run()
    ok(at)
    codes = [c.value for c in at.code if sharing.normalise_code(c.value)]
    assert len(codes) == 1, [c.value for c in at.code]
    return at, codes[0]


def _redeem(funder_token: str, code: str) -> AppTest:
    """Enter a share code on the funder's portfolio page."""
    at = app(funder=funder_token).run()
    ok(at)
    next(t for t in at.text_input if t.label == "Share code").input(code)
    next(b for b in at.button if b.label == "Add").click().run()
    ok(at)
    return at


def _listed(at: AppTest) -> list[str]:
    """The partnerships in the portfolio table (AppTest does not expose dataframe keys)."""
    tables = [d.value for d in at.dataframe if {"Partnership", "Top risk"} <= set(d.value.columns)]
    return list(tables[0]["Partnership"]) if tables else []


def test_panel_explains_before_sharing(db: Store, answered: tuple[Any, str, Any]) -> None:
    p, token, r = answered
    at = open_page(app(admin=token).run(), "rounds")
    ok(at)
    page = texts(at)
    assert "Share with a funder" in page
    assert "smaller groups stay hidden" in page and "never sees individual answers" in page
    assert "This round is not shared with any funder" in page
    assert not at.checkbox(key=f"share_comments_{r.id}").value  # comments are off by default
    assert sharing.shares_of_round(db, r.id) == []  # opening the page shares nothing


def test_share_code_redeem_and_stop_sharing(db: Store, answered: tuple[Any, str, Any]) -> None:
    p, token, r = answered
    funder, funder_token = sharing.create_funder(db, "Bright Futures Fund")
    before = _redeem(funder_token, "ABCD-EFGH-JKMN")  # not a code anyone made
    assert "does not work" in texts(before)
    assert _listed(before) == []

    admin_at, code = _share_code(token, r.id)
    assert "Works once, until" in texts(admin_at)
    assert sharing.shares_of_round(db, r.id) == []  # a code alone shares nothing yet

    at = _redeem(funder_token, code)
    assert f"Added {NAME}" in "\n".join(s.value for s in at.success).replace("\\", "")
    assert _listed(at) == [NAME]
    assert [f.id for f, _ in sharing.shares_of_round(db, r.id)] == [funder.id]
    # the code is used up
    again = _redeem(funder_token, code)
    assert "does not work" in texts(again)

    admin_at.run()  # the admin's Rounds page now lists the funder
    ok(admin_at)
    assert "Bright Futures Fund: scores and findings, no comments" in texts(admin_at)
    admin_at.button(key=f"unshare_{r.id}_{funder.id}").click().run()
    ok(admin_at)
    assert "no longer shared with Bright Futures Fund" in texts(admin_at)
    assert "This round is not shared with any funder" in texts(admin_at)
    assert sharing.shares_of_round(db, r.id) == []
    after = app(funder=funder_token).run()
    ok(after)
    assert _listed(after) == []
    assert NAME not in texts(after).replace("\\", "")


def test_comments_reach_the_funder_only_when_shared(db: Store, answered: tuple[Any, str, Any]) -> None:
    p, token, r = answered
    funder, funder_token = sharing.create_funder(db, "Bright Futures Fund")

    _, code = _share_code(token, r.id)
    at = _redeem(funder_token, code)
    assert _listed(at) == [NAME]
    page = texts(at)
    assert "Findings" in page  # the drill-down is there...
    assert COMMENT not in page and "Comments on low scores" not in page  # ...without the comments

    admin_at, code = _share_code(token, r.id, comments=True)
    assert "Comments are shared with it" in texts(admin_at)
    at = _redeem(funder_token, code)
    assert sharing.shares_of_round(db, r.id) == [(funder, True)]
    assert COMMENT in texts(at)


def test_wrong_funder_token_shows_plain_message(db: Store) -> None:
    at = app(funder="not-a-real-token").run()
    ok(at)
    assert any("This funder link does not work" in e.value for e in at.error)
    assert not at.dataframe


def test_demo_funder_sees_three_partnerships_and_reruns_rotate_its_link(
        db: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import func, select

    from healthcheck.cli import main
    from healthcheck.services.demo import DEMO_FUNDER, DEMO_NAMES, DEMO_SHARED, load_demo_links

    links = load_demo_links(db)
    funder = sharing.funder_by_token(db, links.funder_token)
    assert funder is not None and funder.name == DEMO_FUNDER
    shared = sharing.shared_rounds(db, funder.id)
    assert sorted({s.partnership.name for s in shared}) == sorted(DEMO_SHARED)
    assert len(DEMO_SHARED) == 3 and len(set(DEMO_NAMES) - set(DEMO_SHARED)) == 1

    again = load_demo_links(db)  # nothing twice; a new funder link, the old one stops working
    assert sharing.funder_by_token(db, links.funder_token) is None
    assert sharing.funder_by_token(db, again.funder_token) == funder
    assert sharing.shared_rounds(db, funder.id) == shared
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(sharing.Funder)) == 1

    url = f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"
    assert main(["demo", "--database-url", url]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if "?funder=" in line]
    with Store(url) as store:
        assert sharing.funder_by_token(store, line.split("?funder=")[1]) is not None


# ----------------------------------------------------------------------------- invitations


def _invitation_link(funder_token: str) -> str:
    """Make an invitation link on the funder's portfolio page, as the funder would."""
    at = app(funder=funder_token).run()
    ok(at)
    at.button(key="pf_invite").click().run()
    ok(at)
    links = [c.value for c in at.code if "?invite=" in c.value]
    assert len(links) == 1, [c.value for c in at.code]
    return links[0]


def _paste(admin_token: str, round_id: int, pasted: str) -> AppTest:
    at = open_page(app(admin=admin_token).run(), "rounds")
    at.text_input(key=f"invite_{round_id}").input(pasted)
    at.button(key=f"invite_look_{round_id}").click().run()
    ok(at)
    return at


def test_invitation_link_lets_a_partnership_share(db: Store, answered: tuple[Any, str, Any]) -> None:
    p, token, r = answered
    funder, funder_token = sharing.create_funder(db, "Bright Futures Fund")
    link = _invitation_link(funder_token)
    # The partnership opens the link: who invites, what it would see, how to share. Nothing shared.
    landing = app(invite=link.split("invite=", 1)[1]).run()
    ok(landing)
    page = texts(landing).replace("\\", "")
    assert "**Bright Futures Fund** asks your partnership to share" in page
    assert "never sees individual answers" in page and "paste this invitation link" in page
    assert NAME not in page and COMMENT not in page
    assert sharing.shares_of_round(db, r.id) == []

    at = _paste(token, r.id, link)
    assert "The invitation is from **Bright Futures Fund**" in texts(at).replace("\\", "")
    assert sharing.shares_of_round(db, r.id) == []  # looking it up shares nothing
    at.button(key=f"invite_share_{r.id}").click().run()
    ok(at)
    assert "now shared with Bright Futures Fund" in texts(at)
    assert "Bright Futures Fund: scores and findings, no comments" in texts(at)
    assert [(f.id, c) for f, c in sharing.shares_of_round(db, r.id)] == [(funder.id, False)]
    portfolio = app(funder=funder_token).run()
    ok(portfolio)
    assert _listed(portfolio) == [NAME]
    assert COMMENT not in texts(portfolio)
    # Pasted again for a round already shared: said so, and sharing again can add comments.
    again = _paste(token, r.id, link)
    assert "already shared with it" in texts(again)
    again.checkbox(key=f"share_comments_{r.id}").check().run()
    assert "as scores, findings and comments?" in texts(again)
    again.button(key=f"invite_share_{r.id}").click().run()
    ok(again)
    assert [(f.id, c) for f, c in sharing.shares_of_round(db, r.id)] == [(funder.id, True)]


def test_replaced_or_wrong_invitation_is_refused(db: Store, answered: tuple[Any, str, Any]) -> None:
    p, token, r = answered
    _, funder_token = sharing.create_funder(db, "Bright Futures Fund")
    old = _invitation_link(funder_token)
    wrong = _paste(token, r.id, "https://example.org/?invite=not-a-real-invitation")
    assert any("invitation link does not work" in e.value for e in wrong.error)
    assert not [b for b in wrong.button if b.key == f"invite_share_{r.id}"]
    # Looked up, then the funder makes a new link before the admin presses Share: refused.
    at = _paste(token, r.id, old)
    _invitation_link(funder_token)
    at.button(key=f"invite_share_{r.id}").click().run()
    ok(at)
    assert any("no longer works" in e.value for e in at.error)
    assert sharing.shares_of_round(db, r.id) == []
    landing = app(invite=old.split("invite=", 1)[1]).run()
    ok(landing)
    assert any("invitation link does not work" in e.value for e in landing.error)
