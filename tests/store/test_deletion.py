"""Deleting for good (issue 16): a round, an organisation's answers, a partnership, a funder.

Every test counts every table of the models' metadata before and after, on SQLite and
PostgreSQL: what goes is exactly what hangs off the thing deleted, nothing is left pointing at
it, and another partnership is untouched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from healthcheck.cli import main
from healthcheck.core.errors import InputError
from healthcheck.services import deletion
from healthcheck.store import Store, audit, sharing

from ..governance_data import counts, populate


def _orphans(store: Store) -> int:
    """Rows whose parent row is gone (foreign keys are on, so this must stay 0)."""
    checks = [
        "SELECT count(*) FROM organisations o LEFT JOIN partnerships p ON p.id = o.partnership_id "
        "WHERE p.id IS NULL",
        "SELECT count(*) FROM rounds r LEFT JOIN partnerships p ON p.id = r.partnership_id "
        "WHERE p.id IS NULL",
        "SELECT count(*) FROM responses x LEFT JOIN rounds r ON r.id = x.round_id WHERE r.id IS NULL",
        "SELECT count(*) FROM responses x LEFT JOIN organisations o ON o.id = x.organisation_id "
        "WHERE o.id IS NULL",
        "SELECT count(*) FROM shares x LEFT JOIN rounds r ON r.id = x.round_id WHERE r.id IS NULL",
        "SELECT count(*) FROM shares x LEFT JOIN funders f ON f.id = x.funder_id WHERE f.id IS NULL",
        "SELECT count(*) FROM share_codes x LEFT JOIN rounds r ON r.id = x.round_id WHERE r.id IS NULL",
        "SELECT count(*) FROM workshops x LEFT JOIN rounds r ON r.id = x.round_id WHERE r.id IS NULL",
        "SELECT count(*) FROM workshop_participants x LEFT JOIN workshops w ON w.id = x.workshop_id "
        "WHERE w.id IS NULL",
        "SELECT count(*) FROM action_items x LEFT JOIN rounds r ON r.id = x.round_id WHERE r.id IS NULL",
        "SELECT count(*) FROM partner_team_notes x LEFT JOIN organisations o ON o.id = x.organisation_id "
        "WHERE o.id IS NULL",
        "SELECT count(*) FROM round_releases x LEFT JOIN rounds r ON r.id = x.round_id WHERE r.id IS NULL",
        "SELECT count(*) FROM round_summaries x LEFT JOIN rounds r ON r.id = x.round_id WHERE r.id IS NULL",
    ]
    with store.reading() as s:
        return sum(int(s.execute(text(q)).scalar_one()) for q in checks)


def _diff(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: before[t] - after[t] for t in before if before[t] != after[t]}


def test_delete_partnership_removes_everything_it_holds_and_nothing_else(store: Store) -> None:
    a = populate(store, "Harbour + City", seed=1)
    b = populate(store, "Riverside + Westshire", seed=2, funder_id=a.funder_id)
    only_b = counts(store)
    logged = len(audit.events(store, a.partnership_id))
    b_log = audit.events(store, b.partnership_id)
    with pytest.raises(InputError, match="type its name exactly"):
        deletion.delete_partnership(store, a.partnership_id, "harbour + city")  # case counts
    assert counts(store) == only_b  # a wrong name deletes nothing
    done = deletion.delete_partnership(store, a.partnership_id, " Harbour + City ")
    after = counts(store)
    # exactly A's rows went: its 26 answers, 4 rounds, shares, workshops (the paced one's answers and
    # vote too), notes... and no more
    assert _diff(only_b, after) == {"partnerships": 1, "organisations": 3, "rounds": 4, "responses": 26,
                                    "action_items": 1, "partner_team_notes": 1, "shares": 2,
                                    "share_codes": 1, "workshops": 2, "workshop_participants": 7,
                                    "workshop_answers": 3, "workshop_votes": 1,
                                    "round_releases": 2, "audit_events": logged}
    assert done.removed == _diff(only_b, after)
    # its audit log went with it (nothing recorded: a line would be deleted too); B's log is as it was
    assert audit.events(store, a.partnership_id) == [] and audit.events(store, b.partnership_id) == b_log
    assert after["funders"] == 1 and after["join_failures"] == 2  # the funder is not the partnership's
    assert _orphans(store) == 0
    assert store.get_partnership(a.partnership_id) is None
    assert [r.round.id for r in sharing.shared_rounds(store, a.funder_id)] == [b.spring, b.autumn]
    with pytest.raises(InputError, match="no such partnership"):
        deletion.delete_partnership(store, a.partnership_id, "Harbour + City")


def test_delete_round_takes_what_hangs_off_it(store: Store) -> None:
    a = populate(store)
    before = counts(store)
    done = deletion.delete_round(store, a.spring, "Spring")
    assert _diff(before, counts(store)) == {"rounds": 1, "responses": 11, "shares": 1, "action_items": 1,
                                            "round_releases": 1, "audit_events": -1}
    assert done.kind == "round" and done.rows == 15
    line = audit.events(store, a.partnership_id, limit=1)[0]
    assert (line.actor, line.action) == ("admin", "data.deleted")
    assert line.description == ("Deleted the round 'Spring' and everything hanging off it (1 action items, "
                                "11 responses, 1 round releases, 1 rounds, 1 shares).")
    before = counts(store)
    deletion.delete_round(store, a.workshop_round, "Away day")
    assert _diff(before, counts(store)) == {"rounds": 1, "responses": 4, "workshops": 1,
                                            "workshop_participants": 4, "audit_events": -1}
    assert _orphans(store) == 0
    assert [r.label for r in store.rounds(a.partnership_id)] == ["Autumn", "Paced session"]


def test_delete_an_organisations_answers_everywhere_or_in_one_round(store: Store) -> None:
    a = populate(store)
    foster = a.orgs["Foster Co"]
    before = counts(store)
    deletion.delete_organisation_answers(store, foster, "Foster Co", round_id=a.spring)
    # its 2 spring answers, and spring's figures start afresh (its step counted them)
    assert _diff(before, counts(store)) == {"responses": 2, "round_releases": 1, "audit_events": -1}
    line = audit.events(store, a.partnership_id, limit=1)[0]
    assert (line.actor, line.action) == ("admin", "data.deleted")
    assert "'Foster Co' in the round 'Spring'" in line.description
    assert not any(c.isdigit() for c in line.description)  # no count of one organisation's answers
    assert all(r["organisation"] != "Foster Co" for r in store.response_records(a.spring))
    assert any(r["organisation"] == "Foster Co" for r in store.response_records(a.autumn))
    before = counts(store)
    done = deletion.delete_organisation_answers(store, foster, "Foster Co")
    # and its people's answers and votes in the open paced workshop, kept per participant till it closes
    paced_rows = {"workshop_answers": 3, "workshop_votes": 1, "workshop_participants": 3}
    assert _diff(before, counts(store)) == {"responses": 3, "round_releases": 1, **paced_rows,
                                            "audit_events": -1}
    assert done.removed == {"responses": 3, "round_releases": 1, **paced_rows}
    assert "'Foster Co' in every round" in audit.events(store, a.partnership_id, limit=1)[0].description
    assert store.get_organisation(foster) is not None  # still a partner; its team note stays
    assert counts(store)["partner_team_notes"] == 1
    assert _orphans(store) == 0


def test_funder_deletes_its_account_and_every_share_to_it(store: Store) -> None:
    a = populate(store)
    b = populate(store, "Riverside + Westshire", seed=2, funder_id=a.funder_id)
    lone, _ = store.create_partnership("Not shared", "core", 3, [("Solo", "music")])
    other, _ = sharing.create_funder(store, "Other Fund")
    sharing.share_round(store, a.spring, other.id)
    before = counts(store)
    lone_log = audit.events(store, lone.id)
    done = deletion.delete_funder(store, a.funder_id, "Northern Arts Fund")
    assert _diff(before, counts(store)) == {"funders": 1, "shares": 4, "join_failures": 2, "audit_events": -2}
    assert done.removed == {"funders": 1, "shares": 4, "join_failures": 2}
    # one line in the log of each partnership that had shared a round with it, in the same transaction
    for pid in (a.partnership_id, b.partnership_id):
        line = audit.events(store, pid, limit=1)[0]
        assert (line.actor, line.action) == ("funder", "data.deleted")
        assert line.description == ("The account of the funder 'Northern Arts Fund' was deleted: the "
                                    "round(s) 'Spring', 'Autumn' are no longer shared with it.")
    assert audit.events(store, lone.id) == lone_log
    assert [r.round.id for r in sharing.shared_rounds(store, other.id)] == [a.spring]
    assert store.response_records(a.spring)  # the partnership's data stay
    assert _orphans(store) == 0


def test_a_failed_deletion_changes_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from healthcheck.store import deletion as store_deletion
    from healthcheck.store.models import Partnership

    a = populate(store)
    before = counts(store)
    real = store_deletion._delete  # noqa: SLF001 - fail on the very last statement

    def failing(s, removed, table, *where):  # type: ignore[no-untyped-def]
        if table is Partnership:
            raise RuntimeError("power cut")
        return real(s, removed, table, *where)

    monkeypatch.setattr(store_deletion, "_delete", failing)
    with pytest.raises(RuntimeError):
        deletion.delete_partnership(store, a.partnership_id, "Harbour + City")
    assert counts(store) == before  # all or nothing


def test_secure_delete_is_on_and_deleted_text_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hc.db"
    with Store(f"sqlite:///{path}") as store:
        with store.reading() as s:
            assert s.execute(text("PRAGMA secure_delete")).scalar_one() == 1
        a = populate(store)
        store.set_team_note(a.partnership_id, a.orgs["Harbour Music"], "team.barriers",
                            "UNIQUE-SECRET-MARKER " * 20)
        deletion.delete_partnership(store, a.partnership_id, "Harbour + City")
    conn = sqlite3.connect(path)  # the write-ahead log folded into the file, as on the last close
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = path.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("hc.db-*"))
    assert b"UNIQUE-SECRET-MARKER" not in data
    assert b"Harbour + City" not in data
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_cli_delete_needs_the_name(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with Store(db_url) as store:
        a = populate(store)
    assert main(["delete", "list", "--database-url", db_url]) == 0
    listed = capsys.readouterr().out
    assert f"round {a.spring}: Spring (closed)" in listed
    assert f"funder {a.funder_id}: Northern Arts Fund" in listed
    assert main(["delete", "round", str(a.spring), "--database-url", db_url]) == 1  # no --confirm
    assert "--confirm NAME" in capsys.readouterr().err
    assert main(["delete", "round", str(a.spring), "--confirm", "Autumn", "--database-url", db_url]) == 1
    assert "type its name exactly: Spring" in capsys.readouterr().err
    assert main(["delete", "answers", str(a.orgs["Foster Co"]), "--confirm", "Foster Co",
                 "--database-url", db_url]) == 0
    assert "Deleted answers 'Foster Co': " in capsys.readouterr().out
    with Store(db_url) as store:
        assert audit.events(store, a.partnership_id, limit=1)[0].actor == "command_line"
    assert main(["delete", "partnership", str(a.partnership_id), "--confirm", "Harbour + City",
                 "--database-url", db_url]) == 0
    out = capsys.readouterr().out
    assert "Deleted partnership 'Harbour + City'" in out and "21 responses" in out
    assert main(["delete", "funder", str(a.funder_id), "--confirm", "Northern Arts Fund",
                 "--database-url", db_url]) == 0
    with Store(db_url) as store:
        assert not any(counts(store).values())
