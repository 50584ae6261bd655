"""Account for it: the audit log and "download everything we hold", on SQLite and PostgreSQL, and
the Audit log admin page."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from healthcheck.cli import main
from healthcheck.core.fielddocs import FIELD_DOCS
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import columns_of
from healthcheck.core.vocabulary import AUDIT_ACTORS
from healthcheck.present.exports import anonymised_csv
from healthcheck.services.holdings import WITHHELD, everything_we_hold
from healthcheck.services.results import round_results
from healthcheck.store import Base, Store, audit, hash_token, normalise_url, sharing
from healthcheck.store import workshops as ws
from healthcheck.store.holdings import NOT_HELD, tables_held

from ..apptest import app
from ..ui.test_app import ok, open_page, texts

LIKERT = [i.id for i in load_questionnaire(find_questionnaire("core")).items if i.type == "likert"]
ORGS = [("Harbour Music", "music"), ("City CYPS", "childrens_services")]
FIXED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _record(org: str, i: int, comment: str | None = None) -> dict[str, Any]:
    return {"respondent": f"X{i}", "organisation": org, "level": ["strategic", "operational"][i % 2],
            "role": "music leader" if i == 0 else None,
            "answers": {item: (i + k) % 5 + 1 for k, item in enumerate(LIKERT)},
            "comments": {LIKERT[0]: comment} if comment else {}}


def _rows(db_url: str, sql: str) -> list[Any]:
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def _all_hashes(db_url: str) -> set[str]:
    """Every hash of a link or code in the database."""
    found: set[str] = set()
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith("_hash"):
                found |= {r[0] for r in _rows(db_url, f"SELECT {column.name} FROM {table.name}") if r[0]}
    return found


# --------------------------------------------------------------------------------------------
# The audit log


def test_what_links_do_is_recorded_without_tokens(store: Store, db_url: str) -> None:
    p, admin = store.create_partnership("Harbour + City", "core", 3, ORGS, contact="dpo@example.org")
    org = store.organisations(p.id)[0]
    r, respondent = store.open_round(p.id, "Spring", "core", "1")
    funder, funder_token = sharing.create_funder(store, "Fund A")
    code = sharing.create_share_code(store, r.id)
    sharing.redeem_share_code(store, funder.id, code)
    invite = sharing.new_invitation(store, funder.id)
    sharing.share_round(store, r.id, funder.id, include_comments=True, invitation=True)
    assert sharing.revoke(store, funder.id, r.id) and not sharing.revoke(store, funder.id, r.id)
    w, facilitator = ws.create_workshop(store, p.id, "Away day")
    ws.reveal(store, w.id)
    ws.reveal(store, w.id)  # already shown: nothing changed, nothing recorded
    ws.close(store, w.id)
    ws.close(store, w.id)
    action = store.add_action(p.id, r.id, "Agree a budget", owner="Sam Smith")
    store.update_action(action.id, status="done")
    store.update_action(action.id, status="done")  # no change
    store.set_team_note(p.id, org.id, "team.barriers", "Transport")
    store.set_team_note(p.id, org.id, "team.barriers", "Transport")  # no change
    store.set_team_note(p.id, org.id, "team.barriers", "")
    store.update_partnership(p.id, threshold=5, privacy_notice="Our own notice.")
    store.update_partnership(p.id, threshold=5)  # no change
    secrets = [admin, respondent, funder_token, code, invite, facilitator,
               store.rotate_respondent_token(r.id), store.rotate_admin_token(p.id),
               ws.rotate_facilitator_token(store, w.id)]
    store.add_organisation(p.id, "Foster Care Co", "fostering")
    store.close_round(r.id)
    store.close_round(r.id)

    events = list(reversed(audit.events(store, p.id)))
    assert [(e.actor, e.action) for e in events] == [
        ("admin", "partnership.created"), ("admin", "round.opened"), ("admin", "share_code.made"),
        ("funder", "share.made"), ("admin", "invitation.accepted"), ("admin", "share.revoked"),
        ("admin", "workshop.created"), ("facilitator", "workshop.revealed"),
        ("facilitator", "workshop.closed"), ("admin", "action.added"), ("admin", "action.changed"),
        ("admin", "team_note.changed"), ("admin", "team_note.changed"), ("admin", "settings.changed"),
        ("admin", "respondent_link.replaced"), ("admin", "admin_link.replaced"),
        ("admin", "facilitator_link.replaced"), ("admin", "organisation.added"), ("admin", "round.closed"),
    ]
    said = {e.action: e.description for e in events}
    assert said["share.made"] == ("The funder 'Fund A' entered a share code: the round 'Spring' is now "
                                  "shared with it (scores and findings, no comments).")
    assert said["invitation.accepted"] == ("Accepted the invitation of the funder 'Fund A': shared the "
                                           "round 'Spring' (scores, findings and comments).")
    assert said["settings.changed"] == "Anonymity threshold changed from 3 to 5. Privacy notice changed."
    assert said["action.changed"] == f"Changed the status of action {action.id} (status now done)."
    assert all(e.at.tzinfo is not None and e.partnership_id == p.id for e in events)
    # never a token, a code or a hash; never an action's owner (a person's name)
    stored = " ".join(" ".join(str(v) for v in row)
                      for row in _rows(db_url, "SELECT * FROM audit_events"))
    for secret in secrets:
        assert secret not in stored
        assert hash_token(secret) not in stored
    for digest in _all_hashes(db_url):
        assert digest not in stored
    assert "Sam Smith" not in stored


def test_an_event_is_kept_only_with_its_change(store: Store) -> None:
    p, _ = store.create_partnership("P", "core", 3, ORGS)
    with pytest.raises(RuntimeError), store.writing() as s:
        audit.add(s, p.id, "admin", "round.opened", "Opened a round that never was.")
        raise RuntimeError("the change failed")
    with pytest.raises(Exception):  # noqa: B017, PT011 - a round of another partnership: refused
        store.add_action(p.id, 999_999, "Nothing")
    assert [e.action for e in audit.events(store, p.id)] == ["partnership.created"]


def test_record_for_other_services(store: Store) -> None:
    p, _ = store.create_partnership("P", "core", 3, ORGS)
    audit.record(store, p.id, "system", "data.purged",
                 "Deleted \u202e the answers of 2 rounds\n past  retention. " + "x" * 600)
    entry = audit.events(store, p.id, limit=1)[0]
    assert entry.actor == "system" and entry.action == "data.purged"
    assert entry.description.startswith("Deleted the answers of 2 rounds past retention. xxx")
    assert len(entry.description) == 500 and "\u202e" not in entry.description
    with pytest.raises(ValueError, match="kind of link"):
        audit.record(store, p.id, "someone", "data.deleted", "x")
    with pytest.raises(ValueError, match="audit action"):
        audit.record(store, p.id, "admin", "made.up", "x")
    assert set(AUDIT_ACTORS) >= {"admin", "funder", "facilitator"}


def test_the_log_goes_with_its_partnership(store: Store, db_url: str) -> None:
    p, _ = store.create_partnership("P", "core", 3, ORGS)
    keep, _ = store.create_partnership("Keep", "core", 3, ORGS)
    store.open_round(p.id, "Spring", "core", "1")
    assert store.delete_partnership(p.id)
    assert _rows(db_url, f"SELECT COUNT(*) FROM audit_events WHERE partnership_id = {p.id}")[0][0] == 0
    assert [e.action for e in audit.events(store, keep.id)] == ["partnership.created"]


# --------------------------------------------------------------------------------------------
# Everything we hold


def _partnership_links(table: Any, seen: frozenset[str] = frozenset()) -> bool:
    """True when a chain of foreign keys leads from `table` to partnerships (worked out here on
    its own, not with the module under test)."""
    if table.name == "partnerships":
        return True
    return any(fk.column.table.name not in seen and _partnership_links(fk.column.table, seen | {table.name})
               for fk in table.foreign_keys)


def test_every_table_is_in_the_download_or_says_why_not() -> None:
    """Walks the models: a new table fails here until the download covers it (or NOT_HELD says
    why it cannot), and until its fields are described for the README and docs/privacy.md."""
    held = set(tables_held())
    every = set(Base.metadata.tables)
    assert held | set(NOT_HELD) == every and not held & set(NOT_HELD)
    linked = {name for name, table in Base.metadata.tables.items() if _partnership_links(table)}
    per_person = {"workshop_participants", "workshop_answers", "workshop_votes"}  # kept out on purpose
    assert linked - per_person <= held
    assert "funders" in held - linked  # reached only through the partnership's shares
    for name in set(NOT_HELD) - per_person:
        assert not _partnership_links(Base.metadata.tables[name])
    assert set(FIELD_DOCS) == every


def _rich(store: Store, name: str) -> dict[str, Any]:
    """A partnership with a row in every table a partnership can have."""
    p, admin = store.create_partnership(name, "core", 3, ORGS, contact="dpo@example.org")
    orgs = {o.name: o.id for o in store.organisations(p.id)}
    r, respondent = store.open_round(p.id, f"{name} spring", "core", "1")
    store.import_records(r.id, [_record("Harbour Music", 0, "=HYPERLINK(\"http://evil\")"),
                                *[_record("City CYPS", i) for i in range(1, 4)]])
    store.add_release(r.id, 1, 4)
    funder, funder_token = sharing.create_funder(store, f"{name} fund")
    sharing.share_round(store, r.id, funder.id)
    sharing.create_share_code(store, r.id)
    store.add_action(p.id, r.id, f"{name} action", owner="=cmd|' /C calc'!A0")
    store.set_team_note(p.id, orgs["City CYPS"], "team.barriers", f"{name} note")
    w, facilitator = ws.create_workshop(store, p.id, f"{name} workshop")
    ws.register_participant(store, w.id, "k" * 32)
    return {"p": p, "secrets": [admin, respondent, funder_token, facilitator], "round": r}


def _unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n).decode("utf-8") for n in zf.namelist()}


def test_download_holds_every_row_of_the_partnership_and_no_hash(store: Store, db_url: str) -> None:
    mine = _rich(store, "Harbour + City")
    other = _rich(store, "Northgate + County")
    pid = mine["p"].id
    name, data = everything_we_hold(store, pid, by="admin", clock=lambda: FIXED)
    assert name == "harbour-city-everything-we-hold-2026-11-30.zip"
    files = _unzip(data)
    held = [t for t in tables_held() if t not in WITHHELD]  # the answers come de-identified instead
    answers = f"answers_round_{mine['round'].id}"
    assert set(files) == ({"README.txt", f"{answers}.csv", f"{answers}.json"}
                          | {f"{t}.csv" for t in held} | {f"{t}.json" for t in held})
    counts = {t: len(json.loads(files[f"{t}.json"])) for t in held}
    assert counts == {
        "partnerships": 1, "organisations": 2, "rounds": 2, "action_items": 1,
        "partner_team_notes": 1, "funders": 1, "shares": 1, "share_codes": 1, "workshops": 1,
        "round_releases": 1, "round_summaries": 0,
        "audit_events": len(audit.events(store, pid)) - 1,  # the download itself is recorded after
    }
    for t in held:  # CSV and JSON agree, and the CSV has the JSON's columns
        rows = list(csv.DictReader(io.StringIO(files[f"{t}.csv"])))
        assert len(rows) == counts[t]
        if rows:
            assert list(rows[0]) == list(json.loads(files[f"{t}.json"])[0])
    everything = "\n".join(files.values())
    # nothing of the other partnership, no hash and no secret link
    for word in ("Northgate", other["round"].label):
        assert word not in everything
    for digest in _all_hashes(db_url):
        assert digest not in everything
    for secret in mine["secrets"]:
        assert secret not in everything
    assert "_hash" not in "".join(files[f"{t}.csv"].splitlines()[0] for t in held)
    # the answers de-identified: one organisation of 1 and the other of 3, so neither is named, and
    # the comment (of the group of 1) is left out; a cell that looks like a formula made safe in the CSV
    rows = json.loads(files[f"{answers}.json"])
    assert len(rows) == 4 and {r["organisation"] for r in rows} == {"(suppressed)"}
    assert all(r[LIKERT[0]] in {"1", "2", "3", "4", "5"} and r["role"] is None for r in rows)
    assert "HYPERLINK" not in everything and "music leader" not in everything
    assert "participant_key" not in everything and "workshop_participants.csv" not in files
    assert list(csv.DictReader(io.StringIO(files["action_items.csv"])))[0]["owner"] == "'=cmd|' /C calc'!A0"
    assert json.loads(files["partnerships.json"])[0]["privacy_contact"] == "dpo@example.org"
    # the README describes every file and every field in it
    readme = files["README.txt"]
    assert "Made 2026-11-30T12:00:00+00:00" in readme
    for t in held:
        assert f"{t}.csv / {t}.json ({counts[t]} rows)" in readme
        for column in files[f"{t}.csv"].splitlines()[0].split(","):
            assert f"  - {column}: {FIELD_DOCS[t].fields[column]}" in readme
    assert "join_failures" in readme
    assert f"{answers}.csv / .json: round 'Harbour + City spring' (4 rows)" in readme
    assert "Nobody's own" in readme and "as stored, including" not in readme
    last = audit.events(store, pid, limit=1)[0]
    assert (last.actor, last.action) == ("admin", "export.taken")


def test_the_download_never_lets_anyone_work_out_one_persons_answers(store: Store, db_url: str) -> None:
    """The product rule: nobody's own answers may be worked out from any export. One person alone
    in their organisation, with a telling role and comment: the zip must not tie their answers to
    their organisation, nor hold their comment or role; no row carries a role, a key or a time,
    and every organisation x level combination is at least the threshold. The answers file is
    exactly the Exports page's responses CSV."""
    p, _ = store.create_partnership("Harbour + City", "core", 3,
                                    [*ORGS, ("Foster Co", "fostering")])
    r, _ = store.open_round(p.id, "Spring", "core", "1")

    def person(org: str, i: int, answer: int, role: str | None, comment: str) -> dict[str, Any]:
        return {"respondent": f"X{org[:3]}{i}", "organisation": org, "level": "operational", "role": role,
                "answers": dict.fromkeys(LIKERT, answer), "comments": {LIKERT[0]: comment}}

    store.import_records(r.id, [
        *[person("Harbour Music", i, 4, None, f"Harbour says {i}") for i in range(4)],
        *[person("City CYPS", i, 3, None, f"City says {i}") for i in range(4)],
        person("Foster Co", 0, 1, "head of fostering", "Only the Foster lead would say this"),
    ])
    name, data = everything_we_hold(store, p.id, by="admin", clock=lambda: FIXED)
    files = _unzip(data)
    assert "responses.csv" not in files and "responses.json" not in files  # never the rows as stored
    rows = json.loads(files[f"answers_round_{r.id}.json"])
    everything = "\n".join(files.values())
    # the one Foster answer is there only among others, under no organisation's name
    assert len(rows) == 9
    assert all(r_["organisation"] != "Foster Co" for r_ in rows)
    assert all(r_["organisation"] == "(suppressed)" for r_ in rows if r_[LIKERT[0]] == "1")
    assert "Only the Foster lead would say this" not in everything and "head of fostering" not in everything
    # City is hidden too (else Foster = total - the rest): its comments go; Harbour's group shows
    assert "City CYPS" not in {r_["organisation"] for r_ in rows} and "City says" not in everything
    assert sorted(r_[f"{LIKERT[0]}_comment"] for r_ in rows if r_["organisation"] == "Harbour Music") == [
        f"Harbour says {i}" for i in range(4)]
    # no role, no respondent key or id, no time on any row
    stored = _rows(db_url, f"SELECT submission_key, submitted_at FROM responses WHERE round_id = {r.id}")
    for key, _ in stored:
        assert key not in everything
    assert all(r_["role"] is None for r_ in rows)
    assert [r_["respondent"] for r_ in rows] == [f"R{k}" for k in range(1, 10)]
    assert not any("X" in r_["respondent"] for r_ in rows)
    q = load_questionnaire(find_questionnaire("core"))
    assert list(rows[0]) == columns_of(q)  # the responses file's columns: none for a key or a time
    assert not {"submitted_at", "submission_key", "id", "organisation_id"} & set(rows[0])
    for text_ in (files[f"answers_round_{r.id}.csv"], files[f"answers_round_{r.id}.json"]):
        assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text_)
    combos: dict[tuple[str, str], int] = {}
    for r_ in rows:
        combos[r_["organisation"], r_["level"]] = combos.get((r_["organisation"], r_["level"]), 0) + 1
    assert min(combos.values()) >= 3
    # the same file as the Exports page's responses CSV
    page = round_results(store, r.id, q, None, 3, "Harbour + City")
    assert files[f"answers_round_{r.id}.csv"] == anonymised_csv(page.frame, q, 3)[0]


def test_export_all_command(store: Store, db_url: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    mine = _rich(store, "Harbour + City")
    out = tmp_path / "held" / "harbour.zip"
    assert main(["export-all", "--partnership", "harbour + city", "-o", str(out),
                 "--database-url", db_url]) == 0
    files = _unzip(out.read_bytes())
    assert len(json.loads(files[f"answers_round_{mine['round'].id}.json"])) == 4
    assert [p.name for p in out.parent.iterdir()] == ["harbour.zip"]  # no temporary file left
    last = audit.events(store, mine["p"].id, limit=1)[0]
    assert (last.actor, last.action) == ("command_line", "export.taken")
    assert main(["export-all", "--partnership", str(mine["p"].id), "-o", str(out), "--database-url",
                 db_url]) == 0
    capsys.readouterr()
    assert main(["export-all", "--partnership", "Nobody", "-o", str(out), "--database-url", db_url]) == 1
    assert "There is no partnership 'Nobody'" in capsys.readouterr().err
    assert main(["export-all", "--partnership", "Harbour + City", "-o", str(tmp_path / "x.csv"),
                 "--database-url", db_url]) == 2


# --------------------------------------------------------------------------------------------
# The Audit log page


def test_audit_page_lists_events_as_text(db: Store) -> None:
    p, token = db.create_partnership("Harbour + City", "core", 3, ORGS)
    r, _ = db.open_round(p.id, "Spring *bold* <b>x</b>", "core", "1")
    db.close_round(r.id)
    at = open_page(app(admin=token).run(), "audit")
    ok(at)
    page = texts(at)
    assert "Download everything we hold" in page
    table = at.dataframe[0].value
    assert list(table.columns) == ["When (UTC)", "Link", "What", "Details"]
    assert list(table["What"]) == ["Round closed", "Round opened", "Partnership set up"]
    assert set(table["Link"]) == {"Partnership admin link"}
    assert "Closed the round 'Spring *bold* <b>x</b>'." in list(table["Details"])  # as typed, not rendered
    assert token not in page and hash_token(token) not in page
    buttons = [b for b in at.get("download_button") if "everything" in str(b.proto.label).lower()]
    assert len(buttons) == 1


def test_a_download_taken_from_a_page_is_recorded(db: Store) -> None:
    from healthcheck.ui.common import recorded

    p, _ = db.create_partnership("Harbour + City", "core", 3, ORGS)
    take = recorded(b"file", p.id, "admin", "the responses of the round 'Spring' (CSV)")
    assert [e.action for e in audit.events(db, p.id)] == ["partnership.created"]  # not on drawing
    assert take() == b"file"
    last = audit.events(db, p.id, limit=1)[0]
    assert (last.actor, last.description) == (
        "admin", "Downloaded the responses of the round 'Spring' (CSV).")


def test_the_migration_goes_down_and_up_keeping_partnerships(store: Store, db_url: str) -> None:
    """Dropping the new columns happens in place: a SQLite table rebuild would cascade-delete
    everything the partnerships hold."""
    from alembic import command

    from healthcheck.store import alembic_config

    p, _ = store.create_partnership("P", "core", 3, ORGS, contact="dpo@example.org")
    r, _ = store.open_round(p.id, "Spring", "core", "1")
    store.import_records(r.id, [_record("City CYPS", i) for i in range(3)])
    for step, target in ((command.downgrade, "0009-1"), (command.upgrade, "head")):
        with store._write_engine.begin() as conn:  # noqa: SLF001 - as Store.migrate runs it
            step(alembic_config(conn), target)
        assert _rows(db_url, "SELECT COUNT(*) FROM responses")[0][0] == 3, target
        assert _rows(db_url, "SELECT COUNT(*) FROM organisations")[0][0] == 2, target
    assert store.get_partnership(p.id) is not None
    assert store.get_partnership(p.id).privacy_contact is None  # type: ignore[union-attr]  # dropped
    assert audit.events(store, p.id) == []  # the log was dropped with its table
