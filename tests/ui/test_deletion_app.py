"""The admin's Data page and the funder's account deletion, with AppTest: nothing is deleted until
the name is typed exactly; then it is gone from the store."""

from __future__ import annotations

from healthcheck.store import Store, audit, sharing

from ..apptest import app
from ..governance_data import counts, populate
from .test_app import ok, open_page, texts


def _admin(store: Store) -> tuple[int, str, int]:
    a = populate(store)
    token = store.rotate_admin_token(a.partnership_id)
    return a.partnership_id, token, a.spring


def test_delete_a_round_only_after_typing_its_label(db: Store) -> None:
    pid, token, spring = _admin(db)
    at = open_page(app(admin=token).run(), "data")
    ok(at)
    at.selectbox(key="data_round").set_value(spring).run()
    button = at.button(key=f"data_round_{spring}_delete")
    assert button.disabled  # nothing typed
    at.text_input(key=f"data_round_{spring}_confirm").input("spring").run()  # wrong case
    assert at.button(key=f"data_round_{spring}_delete").disabled
    before = counts(db)
    at.text_input(key=f"data_round_{spring}_confirm").input("Spring").run()
    assert not at.button(key=f"data_round_{spring}_delete").disabled
    at.button(key=f"data_round_{spring}_delete").click().run()
    ok(at)
    assert "Deleted the round 'Spring'" in texts(at)
    assert [r.label for r in db.rounds(pid)] == ["Autumn", "Away day", "Paced session"]
    assert counts(db)["responses"] == before["responses"] - 11
    line = audit.events(db, pid, limit=1)[0]  # recorded, by the admin link
    assert (line.actor, line.action) == ("admin", "data.deleted") and "'Spring'" in line.description


def test_delete_the_partnership_and_the_link_stops_working(db: Store) -> None:
    pid, token, _ = _admin(db)
    at = open_page(app(admin=token).run(), "data")
    at.text_input(key="data_partnership_confirm").input("Harbour + City").run()
    at.button(key="data_partnership_delete").click().run()
    ok(at)
    assert "Deleted the partnership 'Harbour + City'" in texts(at)
    assert db.get_partnership(pid) is None
    assert {t: n for t, n in counts(db).items() if n} == {"funders": 1, "join_failures": 1}
    at.run()
    assert any("admin link does not work" in e.value for e in at.error)


def test_retention_setting_is_saved(db: Store) -> None:
    pid, token, _ = _admin(db)
    at = open_page(app(admin=token).run(), "data")
    assert at.number_input(key="data_retention").value == 24
    at.number_input(key="data_retention").set_value(12).run()
    at.button(key="data_retention_save").click().run()
    ok(at)
    assert db.get_partnership(pid).retention_months == 12
    assert "kept for 12 months" in texts(at)


def test_funder_deletes_its_account(db: Store) -> None:
    a = populate(db)
    token = sharing.rotate_funder_token(db, a.funder_id)
    at = app(funder=token).run()
    ok(at)
    at.text_input(key="pf_delete_confirm").input("Northern Arts Fun").run()
    assert at.button(key="pf_delete_delete").disabled
    at.text_input(key="pf_delete_confirm").input("Northern Arts Fund").run()
    at.button(key="pf_delete_delete").click().run()
    ok(at)
    assert "Deleted the funder account 'Northern Arts Fund'" in texts(at)
    assert sharing.get_funder(db, a.funder_id) is None
    assert counts(db)["shares"] == 0 and counts(db)["responses"] == 26  # the partnership's data stay
    assert sharing.funder_by_token(db, token) is None
    line = audit.events(db, a.partnership_id, limit=1)[0]  # the partnership learns of it in its log
    assert (line.actor, line.action) == ("funder", "data.deleted")


def test_a_purged_round_still_shows_its_results_and_says_why_answers_are_gone(db: Store) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from healthcheck.services import retention
    from healthcheck.store import Round

    pid, token, spring = _admin(db)
    with db.writing() as s:
        s.execute(update(Round).where(Round.id == spring).values(closed_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert [p.round_id for p in retention.purge(db)] == [spring]
    at = app(admin=token).run()
    at.selectbox(key="dash_round").set_value(spring).run()
    ok(at)
    page = texts(at)
    assert "were deleted at the end of the partnership's retention period" in page
    # the results as they were: Foster Co's 2 answers (below the threshold) are left out of the
    # figures by default now (pooled, issue 13), so the figures are of 2 organisations and say why
    assert "11 people from 2 organisations answered" in page
    assert "2 responses from groups too small to show are not in these figures" in page
    for name, key in (("rounds", None), ("exports", "export_round")):
        open_page(at, name)
        if key:
            at.selectbox(key=key).set_value(spring).run()
        ok(at)
        assert "retention period" in texts(at), name
