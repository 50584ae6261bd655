"""Funders and sharing: a funder sees only what a partnership shared (SQLite and PostgreSQL)."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select, text, update

from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.rules import load_rules
from healthcheck.services.demo import load_demo
from healthcheck.services.demo_stories import STORY_BY_KEY
from healthcheck.services.portfolio import store_portfolio
from healthcheck.store import Store, hash_token, now, sharing

MONEY = STORY_BY_KEY["money"].partnership
STRONG = STORY_BY_KEY["strong"].partnership


@pytest.fixture(scope="module")
def pack() -> Any:
    return load_rules()


@functools.cache
def _questionnaire(qid: str) -> Any:
    return load_questionnaire(find_questionnaire(qid))


@pytest.fixture
def demo(store: Store, pack: Any) -> dict[str, list[Any]]:
    """The demo partnerships (two rounds each, the latest open): name -> rounds, oldest first."""
    load_demo(store, _questionnaire("core"), pack)
    return {p.name: store.rounds(p.id) for p in store.list_partnerships()}


def test_funder_sees_only_shared_rounds(store: Store, demo: dict[str, list[Any]], pack: Any) -> None:
    funder, _ = sharing.create_funder(store, "Bright Futures Fund")
    other, _ = sharing.create_funder(store, "Another Trust")
    latest = demo[MONEY][-1]
    sharing.share_round(store, latest.id, funder.id)

    seen = sharing.shared_rounds(store, funder.id)
    assert [(s.partnership.name, s.round.id) for s in seen] == [(MONEY, latest.id)]
    assert sharing.shared_rounds(store, other.id) == []

    portfolio, entries = store_portfolio(store, funder.id, pack, _questionnaire)
    assert portfolio.names() == [MONEY]
    assert portfolio.rows[0].round == latest.label
    assert portfolio.rows[0].change is None  # the earlier round was not shared
    empty, _ = store_portfolio(store, other.id, pack, _questionnaire)
    assert len(empty) == 0

    # an unshared round of a shared partnership, and another partnership's round, stay closed
    assert sharing.shared_round_records(store, funder.id, demo[MONEY][0].id) is None
    assert sharing.shared_round_records(store, funder.id, demo[STRONG][-1].id) is None
    assert sharing.shared_round_records(store, other.id, latest.id) is None
    assert sharing.shared_round_records(store, funder.id, latest.id)


def test_funder_token_opens_only_its_own_funder(store: Store) -> None:
    a, token_a = sharing.create_funder(store, "Fund A")
    b, token_b = sharing.create_funder(store, "Fund B")
    assert sharing.funder_by_token(store, token_a) == a
    assert sharing.funder_by_token(store, token_b) == b
    for bad in (None, "", "   ", token_a + "x", token_a[:-1], "x" * 10_000, hash_token(token_a)):
        assert sharing.funder_by_token(store, bad) is None
    new = sharing.rotate_funder_token(store, a.id)
    assert sharing.funder_by_token(store, token_a) is None
    assert sharing.funder_by_token(store, new) == a


def test_change_since_previous_shared_round(store: Store, demo: dict[str, list[Any]], pack: Any) -> None:
    funder, _ = sharing.create_funder(store, "Bright Futures Fund")
    for r in demo[MONEY]:
        sharing.share_round(store, r.id, funder.id)
    sharing.share_round(store, demo[STRONG][-1].id, funder.id)
    portfolio, entries = store_portfolio(store, funder.id, pack, _questionnaire)
    assert portfolio.names() == [MONEY, STRONG]  # the risky one first
    money = portfolio.row(MONEY)
    assert money is not None and money.round == demo[MONEY][-1].label
    assert money.change is not None and money.change > 0  # the demo story improves in round 2
    assert entries[MONEY].round_id == demo[MONEY][-1].id
    assert portfolio.row(STRONG).change is None  # type: ignore[union-attr]
    # the drill-down scores with the partnership's own threshold
    assert portfolio.assessment(MONEY).scores.threshold == 3


def _all_text(store: Store) -> str:
    """Every value of every table, as one text: what a copy of the database would give away."""
    parts = []
    with store.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def test_share_codes_and_tokens_are_hashed_at_rest(store: Store, demo: dict[str, list[Any]]) -> None:
    funder, token = sharing.create_funder(store, "Bright Futures Fund")
    code = sharing.create_share_code(store, demo[MONEY][-1].id)
    dump = _all_text(store)
    raw = code.replace("-", "")
    assert code not in dump and raw not in dump and raw.lower() not in dump
    assert token not in dump
    assert hash_token(code) in dump and hash_token(token) in dump
    with store.reading() as s:
        assert s.scalars(select(sharing.ShareCode.code_hash)).all() == [hash_token(code)]


def test_share_code_is_single_use(store: Store, demo: dict[str, list[Any]]) -> None:
    a, _ = sharing.create_funder(store, "Fund A")
    b, _ = sharing.create_funder(store, "Fund B")
    r = demo[MONEY][-1]
    code = sharing.create_share_code(store, r.id)
    # typed loosely: lower case, spaces instead of dashes
    shared = sharing.redeem_share_code(store, a.id, " " + code.lower().replace("-", " ") + " ")
    assert shared.round.id == r.id and shared.partnership.name == MONEY
    with pytest.raises(InputError):
        sharing.redeem_share_code(store, a.id, code)
    with pytest.raises(InputError):
        sharing.redeem_share_code(store, b.id, code)
    assert sharing.shared_rounds(store, b.id) == []
    for bad in ("", "nonsense", "ABCD-EFGH-JKMN", code + "A"):
        with pytest.raises(InputError):
            sharing.redeem_share_code(store, b.id, bad)


def test_share_code_expires(store: Store, demo: dict[str, list[Any]]) -> None:
    funder, _ = sharing.create_funder(store, "Fund A")
    code = sharing.create_share_code(store, demo[MONEY][-1].id, valid_for=timedelta(seconds=-1))
    with pytest.raises(InputError, match="expired"):
        sharing.redeem_share_code(store, funder.id, code)
    code = sharing.create_share_code(store, demo[MONEY][-1].id)
    with store.writing() as s:  # age the code by two weeks and a day
        s.execute(update(sharing.ShareCode).values(
            expires_at=now() - timedelta(days=1)))
    with pytest.raises(InputError):
        sharing.redeem_share_code(store, funder.id, code)
    assert sharing.shared_rounds(store, funder.id) == []


def test_comments_hidden_unless_shared(store: Store, demo: dict[str, list[Any]]) -> None:
    funder, _ = sharing.create_funder(store, "Fund A")
    r = demo[MONEY][-1]
    own = store.response_records(r.id)
    assert any(rec["comments"] for rec in own), "the demo round should hold comments"
    sharing.share_round(store, r.id, funder.id)
    records = sharing.shared_round_records(store, funder.id, r.id)
    assert records is not None and len(records) == len(own)
    assert all(rec["comments"] == {} for rec in records)
    # a code that includes comments widens the share
    code = sharing.create_share_code(store, r.id, include_comments=True)
    assert sharing.redeem_share_code(store, funder.id, code).include_comments
    records = sharing.shared_round_records(store, funder.id, r.id)
    assert records is not None and any(rec["comments"] for rec in records)
    # sharing directly again without comments narrows it
    sharing.share_round(store, r.id, funder.id, include_comments=False)
    records = sharing.shared_round_records(store, funder.id, r.id)
    assert records is not None and all(rec["comments"] == {} for rec in records)
    # (the demo funder has its own share of this round)
    assert [s for s in sharing.shares_of_round(store, r.id) if s[0].id == funder.id] == [(funder, False)]


def test_revoke_and_cascade(store: Store, demo: dict[str, list[Any]]) -> None:
    funder, _ = sharing.create_funder(store, "Fund A")
    r = demo[MONEY][-1]
    sharing.share_round(store, r.id, funder.id)
    sharing.share_round(store, r.id, funder.id)  # sharing twice keeps one share
    assert len(sharing.shared_rounds(store, funder.id)) == 1
    assert sharing.revoke(store, funder.id, r.id)
    assert not sharing.revoke(store, funder.id, r.id)
    assert sharing.shared_rounds(store, funder.id) == []
    strong = demo[STRONG][-1]
    sharing.share_round(store, strong.id, funder.id)
    sharing.create_share_code(store, strong.id)
    assert store.delete_partnership(strong.partnership_id)
    assert sharing.shared_rounds(store, funder.id) == []
    with store.reading() as s:
        assert s.scalars(select(sharing.ShareCode)).all() == []


def test_unknown_ids_and_names(store: Store) -> None:
    with pytest.raises(InputError):
        sharing.create_funder(store, "  ")
    funder, _ = sharing.create_funder(store, "Fund A")
    with pytest.raises(InputError):
        sharing.share_round(store, 999_999, funder.id)
    with pytest.raises(InputError):
        sharing.create_share_code(store, 999_999)


def _funder_page(url: str, token: str) -> None:
    from healthcheck.store import Store
    from healthcheck.ui.pages import portfolio

    store = Store(url)
    try:
        portfolio.render(store, token)
    finally:
        store.close()


def test_funder_page_shows_only_shared_partnerships(store: Store, db_url: str,
                                                    demo: dict[str, list[Any]]) -> None:
    from streamlit.testing.v1 import AppTest

    funder, token = sharing.create_funder(store, "Bright Futures Fund")
    _, other_token = sharing.create_funder(store, "Another Trust")
    for r in demo[MONEY]:
        sharing.share_round(store, r.id, funder.id)
    sharing.share_round(store, demo[STRONG][-1].id, funder.id)

    at = AppTest.from_function(_funder_page, args=(db_url, token), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = at.dataframe[0].value
    assert shown["Partnership"].tolist() == [MONEY, STRONG]
    assert shown["Change (tasks)"].notna().tolist() == [True, False]
    page = "\n".join(str(e.value) for e in [*at.markdown, *at.caption])
    unshared = [name for name in demo if name not in (MONEY, STRONG)]
    assert not any(name in page for name in unshared)
    # filter by a risk: the strong partnership drops out
    at.selectbox(key="pf_risk").set_value("resource-led-drift").run()
    assert at.dataframe[0].value["Partnership"].tolist() == [MONEY]

    other = AppTest.from_function(_funder_page, args=(db_url, other_token), default_timeout=120).run()
    assert not other.exception
    assert not other.dataframe
    assert any("No partnership has shared" in str(i.value) for i in other.info)
    bad = AppTest.from_function(_funder_page, args=(db_url, token + "x"), default_timeout=60).run()
    assert any("does not work" in str(e.value) for e in bad.error)


# ----------------------------------------------------------------------------- invitations


def test_invitation_names_its_funder_until_replaced(store: Store) -> None:
    a, _ = sharing.create_funder(store, "Fund A")
    b, _ = sharing.create_funder(store, "Fund B")
    assert sharing.funder_by_invitation(store, "") is None  # no funder has an invitation yet
    first = sharing.new_invitation(store, a.id)
    assert sharing.funder_by_invitation(store, first) == a
    link = f"https://health.example.org/?invite={first}&utm_source=email"
    assert sharing.funder_by_invitation(store, f"  {link}  ") == a  # the whole link, pasted loosely
    assert sharing.funder_by_invitation(store, f"invite={first}") == a
    second = sharing.new_invitation(store, a.id)
    assert sharing.funder_by_invitation(store, first) is None  # the old link stops working
    assert sharing.funder_by_invitation(store, second) == a
    other = sharing.new_invitation(store, b.id)
    assert sharing.funder_by_invitation(store, other) == b != a
    for bad in (None, "", "   ", "https://health.example.org/?invite=", "https://x/?admin=" + second,
                second[:-1], "A" * 5000, "' OR 1=1 --"):
        assert sharing.funder_by_invitation(store, bad) is None, bad
    with store.reading() as s:  # only the hash is kept
        stored = s.scalars(select(sharing.Funder.invite_hash)).all()
    assert hash_token(second) in stored and second not in stored
    with pytest.raises(InputError):
        sharing.new_invitation(store, 999_999)


def test_invitation_token_reads_links_and_bare_tokens() -> None:
    assert sharing.invitation_token("abc") == "abc"
    assert sharing.invitation_token(" https://h/?lang=cy&invite=abc#top ") == "abc"
    assert sharing.invitation_token("https://h/?invite=%20abc") == "abc"
    for nothing in (None, "", "  ", "https://h/?invite=", 42):
        assert sharing.invitation_token(nothing) is None
