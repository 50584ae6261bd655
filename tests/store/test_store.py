"""The persistent store, on SQLite and on a real PostgreSQL (see conftest.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from healthcheck import store as store_mod
from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.store import (
    Base,
    Store,
    default_url,
    describe_location,
    hash_token,
    new_token,
    normalise_url,
)

# Real core items: the store refuses answers its reader could not read back.
# items asked of every kind of organisation (answers to the others are dropped for some kinds:
# tests/ui/test_asked_of.py)
LIKERT = [i.id for i in load_questionnaire(find_questionnaire("core")).items
          if i.type == "likert" and not i.asked_of]
Q1, Q2 = LIKERT[0], LIKERT[1]

TABLES = {"partnerships", "organisations", "rounds", "responses", "action_items", "partner_team_notes"}
ORGS = [("Harbour Music", "music"), ("City CYPS", "childrens_services"), ("Foster Care Co", "fostering")]


def _engine(url: str) -> Any:
    return create_engine(normalise_url(url))


def _count(url: str, table: str, where: str = "") -> int:
    eng = _engine(url)
    try:
        with eng.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table} {where}")).scalar_one())
    finally:
        eng.dispose()


def _table_names(url: str) -> set[str]:
    eng = _engine(url)
    try:
        return set(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def _setup(
    store: Store, name: str = "Harbour Music + City CYPS"
) -> tuple[Any, str, Any, str, dict[str, int]]:
    p, admin = store.create_partnership(name, "core", 3, ORGS)
    r, resp_token = store.open_round(p.id, "Away day, March 2026", "core", "1")
    orgs = {o.name: o.id for o in store.organisations(p.id)}
    return p, admin, r, resp_token, orgs


def _record(org: str = "Harbour Music", i: int = 0) -> dict[str, Any]:
    return {
        "respondent": f"X{i}",
        "organisation": org,
        "level": ["funder", "strategic", "operational"][i % 3],
        "role": "musician" if i % 2 else None,
        "answers": {LIKERT[k]: (i + k) % 5 + 1 for k in range(40)}
        | {"fact.time_costed": "no", LIKERT[40]: "dk", "team.challenges": "some text"},
        "comments": {Q1: f"comment {i}"} if i % 4 == 0 else {},
    }


# --------------------------------------------------------------------------------------------
# Location, URLs, tokens (no database needed)


def test_default_url_env_and_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HEALTHCHECK_DATABASE_URL", raising=False)
    monkeypatch.setenv("HEALTHCHECK_DATA_DIR", str(tmp_path / "nested" / "dir"))
    url = default_url()
    assert url == f"sqlite:///{(tmp_path / 'nested' / 'dir' / 'healthcheck.db').as_posix()}"
    assert "SQLite file" in describe_location()
    with Store() as s:  # creates the folder and the file
        assert (tmp_path / "nested" / "dir" / "healthcheck.db").exists()
        assert s.backend == "sqlite"
    monkeypatch.setenv("HEALTHCHECK_DATABASE_URL", "postgresql://u:secret@db.example:5433/hc")
    assert default_url() == "postgresql://u:secret@db.example:5433/hc"
    described = describe_location()
    assert "secret" not in described and "db.example:5433" in described and "'hc'" in described


def test_default_url_without_env_uses_cwd_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HEALTHCHECK_DATABASE_URL", raising=False)
    monkeypatch.delenv("HEALTHCHECK_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_url() == f"sqlite:///{(tmp_path / 'data' / 'healthcheck.db').resolve().as_posix()}"


def test_postgresql_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://a@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://a@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://a@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"


def test_tokens_are_random_and_hashed() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for t in tokens:
        assert len(t) >= 32  # 24 random bytes = 192 bits, URL-safe base64
        assert set(t) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    t = next(iter(tokens))
    assert hash_token(t) == hashlib.sha256(t.encode()).hexdigest()
    assert len(hash_token(t)) == 64


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'x.db'}") as s, s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


# --------------------------------------------------------------------------------------------
# Migrations


def test_migrations_create_tables_and_rerun_is_noop(db_url: str) -> None:
    with Store(db_url) as s:
        p, _, _, _, _ = _setup(s)
    assert TABLES | {"alembic_version"} <= _table_names(db_url)
    assert _count(db_url, "alembic_version") == 1
    for _ in range(2):  # restarting changes nothing and keeps the data
        with Store(db_url) as s:
            assert [x.id for x in s.list_partnerships()] == [p.id]
    assert _count(db_url, "alembic_version") == 1
    eng = _engine(db_url)
    with eng.connect() as conn:
        heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    eng.dispose()
    from alembic.script import ScriptDirectory

    assert heads == [ScriptDirectory.from_config(store_mod.alembic_config()).get_current_head()]


def test_invitation_migration_goes_down_and_up_keeping_shares(db_url: str) -> None:
    from alembic import command

    from healthcheck.store import sharing

    with Store(db_url) as s:
        p, _ = s.create_partnership("P", "core", 3, [("Harbour Music", "music")])
        r, _ = s.open_round(p.id, "Spring", "core", "1")
        funder, _ = sharing.create_funder(s, "Fund A")
        sharing.share_round(s, r.id, funder.id)
        sharing.new_invitation(s, funder.id)
        for step, target in ((command.downgrade, "0004"), (command.upgrade, "head")):
            with s._write_engine.begin() as conn:  # noqa: SLF001 - as Store.migrate runs it
                step(store_mod.alembic_config(conn), target)
            assert _count(db_url, "shares") == 1 and _count(db_url, "funders") == 1, target
        assert [x.round.id for x in sharing.shared_rounds(s, funder.id)] == [r.id]


def test_migrations_match_models(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_concurrent_startup_of_several_processes(db_url: str, tmp_path: Path) -> None:
    n = 3
    ready = tmp_path / "ready"
    ready.mkdir()
    code = (  # each process imports, then waits until all are ready, then all migrate at once
        "import os, sys, time\n"
        "from healthcheck.store import Store\n"
        "ready = sys.argv[2]\n"
        "open(os.path.join(ready, str(os.getpid())), 'w').close()\n"
        "deadline = time.time() + 30\n"
        f"while len(os.listdir(ready)) < {n} and time.time() < deadline:\n"
        "    time.sleep(0.005)\n"
        "Store(sys.argv[1]).close()\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_url, str(ready)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(n)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    assert _count(db_url, "alembic_version") == 1
    assert _table_names(db_url) >= TABLES


# --------------------------------------------------------------------------------------------
# Partnerships, organisations and capability tokens


def test_create_partnership_and_lookup_by_token(store: Store) -> None:
    p, admin = store.create_partnership("  Harbour   Music + City CYPS ", "core", 4, ORGS)
    assert p.name == "Harbour Music + City CYPS"
    assert p.threshold == 4 and p.questionnaire_id == "core"
    assert p.created_at.tzinfo is not None
    assert store.partnership_by_admin_token(admin) == p
    assert store.partnership_by_admin_token(f"  {admin}\n") == p  # pasted with whitespace
    assert store.get_partnership(p.id) == p
    assert store.get_partnership(p.id + 999) is None
    assert store.list_partnerships() == [p]
    orgs = store.organisations(p.id)
    assert [(o.name, o.kind) for o in orgs] == ORGS
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "x"  # type: ignore[misc]


GARBAGE_TOKENS: list[Any] = [
    "", "   ", None, "x", "a" * 10_000, "\x00", "\ud800", "é✓🎵", "' OR 1=1 --", 12345, b"bytes", ["list"],
]


def test_wrong_or_garbage_tokens_give_none(store: Store) -> None:
    _setup(store)
    for garbage in GARBAGE_TOKENS:
        assert store.partnership_by_admin_token(garbage) is None, garbage
        assert store.round_by_respondent_token(garbage) is None, garbage
    assert store.partnership_by_admin_token(new_token()) is None


def test_tokens_do_not_cross_over(store: Store) -> None:
    p, admin, r, resp_token, _ = _setup(store)
    assert store.round_by_respondent_token(resp_token) == r
    assert store.round_by_respondent_token(admin) is None
    assert store.partnership_by_admin_token(resp_token) is None
    # a stolen hash is not a token
    assert store.partnership_by_admin_token(hash_token(admin)) is None
    assert store.round_by_respondent_token(hash_token(resp_token)) is None
    # a one-character change fails
    flipped = admin[:-1] + ("A" if admin[-1] != "A" else "B")
    assert store.partnership_by_admin_token(flipped) is None
    # rotating makes the old link useless
    new_admin = store.rotate_admin_token(p.id)
    assert store.partnership_by_admin_token(admin) is None
    assert store.partnership_by_admin_token(new_admin) == p
    new_resp = store.rotate_respondent_token(r.id)
    assert store.round_by_respondent_token(resp_token) is None
    assert store.round_by_respondent_token(new_resp) == r


def test_plain_tokens_never_stored(store: Store, db_url: str) -> None:
    p, admin, r, resp_token, orgs = _setup(store)
    admin2 = store.rotate_admin_token(p.id)
    _, resp2 = store.open_round(p.id, "Second", "core", "1", kind="workshop")
    store.submit_response(r.id, orgs["City CYPS"], "strategic", "manager", {Q1: 3}, {}, "k")
    secrets_ = [admin, resp_token, admin2, resp2]
    found_hashes = set()
    eng = _engine(db_url)
    with eng.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f"SELECT * FROM {table}")).mappings():
                for value in row.values():
                    as_text = str(value)
                    for secret in secrets_:
                        assert secret not in as_text, f"plain token in {table}"
                    found_hashes.add(as_text)
    eng.dispose()
    assert {hash_token(admin2), hash_token(resp_token), hash_token(resp2)} <= found_hashes
    if store.backend == "sqlite":  # the raw files too, including the write-ahead log
        db_file = Path(make_url(db_url).database or "")
        for path in db_file.parent.glob(db_file.name + "*"):
            raw = path.read_bytes()
            for secret in secrets_:
                assert secret.encode() not in raw


def test_create_partnership_validation_lists_every_problem(store: Store) -> None:
    with pytest.raises(InputError) as err:
        store.create_partnership(
            " ", "core", 2,
            [("Harbour Music", "music"), ("harbour music", "music"), ("", "fostering"), ("X", "circus")],
        )
    messages = [p.message for p in err.value.problems]
    text_all = " ".join(messages)
    assert "name for the partnership" in text_all
    assert "at least 3" in text_all
    assert "listed twice" in text_all
    assert "name for the organisation" in text_all
    assert "circus" in text_all
    assert len(messages) >= 5
    for bad in (True, 3.5, "3"):
        with pytest.raises(InputError):
            store.create_partnership("P", "core", bad, ORGS)  # type: ignore[arg-type]
    assert store.list_partnerships() == []


def test_add_organisation(store: Store) -> None:
    p, _ = store.create_partnership("P", "core", 3, ORGS[:1])
    o = store.add_organisation(p.id, "Virtual School North", "virtual_school")
    assert o.partnership_id == p.id and o.kind == "virtual_school"
    assert [x.name for x in store.organisations(p.id)] == ["Harbour Music", "Virtual School North"]
    with pytest.raises(InputError, match="already a partner"):
        store.add_organisation(p.id, "HARBOUR MUSIC", "music")
    with pytest.raises(InputError):
        store.add_organisation(p.id, "Y", "zoo")
    with pytest.raises(InputError):
        store.add_organisation(p.id + 100, "Z", "music")
    # the same name may exist in another partnership
    q, _ = store.create_partnership("Q", "core", 3, ORGS[:1])
    assert store.organisations(q.id)[0].name == "Harbour Music"


# --------------------------------------------------------------------------------------------
# Rounds


def test_rounds_order_previous_and_close(store: Store) -> None:
    p, *_ = _setup(store)
    first = store.rounds(p.id)[0]
    second, _ = store.open_round(p.id, "Workshop", "pulse", "2", kind="workshop")
    third, _ = store.open_round(p.id, "Autumn", "core", "1")
    other, _, _, _, _ = _setup(store, "Other partnership")
    assert [r.id for r in store.rounds(p.id)] == [first.id, second.id, third.id]
    assert store.previous_round(first.id) is None
    assert store.previous_round(second.id) == first
    assert store.previous_round(third.id) == second
    assert store.previous_round(third.id, same_questionnaire=True) == first
    assert store.previous_round(999_999) is None
    assert second.kind == "workshop" and second.questionnaire_version == "2"
    assert first.is_open and first.closed_at is None
    closed = store.close_round(first.id)
    assert not closed.is_open and closed.closed_at is not None
    assert closed.closed_at.tzinfo is not None
    assert store.close_round(first.id) == closed  # closing twice changes nothing
    assert store.get_round(first.id) == closed
    with pytest.raises(InputError):
        store.open_round(p.id, "Bad", "core", "1", kind="party")
    with pytest.raises(InputError):
        store.open_round(p.id, "", "core", "1")
    with pytest.raises(InputError):
        store.close_round(999_999)


# --------------------------------------------------------------------------------------------
# Responses


def test_submit_twice_with_same_key_stores_once(store: Store) -> None:
    _, _, r, _, orgs = _setup(store)
    args = (r.id, orgs["Harbour Music"], "operational", "musician", {Q1: 4, Q2: "dk"}, {Q1: "ok"})
    assert store.submit_response(*args, "key-1") is True
    assert store.submit_response(*args, "key-1") is False
    assert store.submit_response(*args, "key-2") is True
    assert len(store.response_records(r.id)) == 2
    # the same key in another round is a different submission
    r2, _ = store.open_round(r.partnership_id, "Next", "core", "1")
    assert store.submit_response(r2.id, *args[1:], "key-1") is True


def test_closed_round_refuses_responses(store: Store) -> None:
    _, _, r, _, orgs = _setup(store)
    store.close_round(r.id)
    with pytest.raises(InputError, match="closed"):
        store.submit_response(r.id, orgs["City CYPS"], "strategic", None, {Q1: 3}, {}, "k")
    assert store.response_records(r.id) == []


def test_submit_validation(store: Store) -> None:
    _, _, r, _, orgs = _setup(store)
    _, _, _, _, other_orgs = _setup(store, "Other")
    org = orgs["Harbour Music"]
    bad_calls = [
        (r.id, other_orgs["Harbour Music"], "strategic", None, {Q1: 3}, {}, "k"),  # other partnership
        (r.id, org, "boss", None, {Q1: 3}, {}, "k"),
        (r.id, org, "strategic", None, {Q1: 6}, {}, "k"),
        (r.id, org, "strategic", None, {Q1: 0}, {}, "k"),
        (r.id, org, "strategic", None, {Q1: True}, {}, "k"),
        (r.id, org, "strategic", None, {Q1: None}, {}, "k"),
        (r.id, org, "strategic", None, [Q1], {}, "k"),
        (r.id, org, "strategic", None, {Q1: 3}, {Q1: 5}, "k"),
        (r.id, org, "strategic", None, {Q1: 3}, {}, ""),
        (999_999, org, "strategic", None, {Q1: 3}, {}, "k"),
    ]
    for call in bad_calls:
        with pytest.raises(InputError):
            store.submit_response(*call)  # type: ignore[arg-type]
    assert store.response_records(r.id) == []


def test_response_records_and_counts(store: Store) -> None:
    _, _, r, _, orgs = _setup(store)
    store.submit_response(r.id, orgs["City CYPS"], "strategic", "  head of service ",
                          {Q1: 5, "fact.origin": "funding_call", "team.challenges": "We meet monthly"},
                          {Q1: " Good ", Q2: "  "}, "a")
    store.submit_response(r.id, orgs["Harbour Music"], "operational", "", {Q1: "dk"}, {}, "b")
    store.submit_response(r.id, orgs["City CYPS"], "funder", None, {}, {}, "c")
    records = store.response_records(r.id)
    assert [x["organisation"] for x in records] == ["City CYPS", "Harbour Music", "City CYPS"]
    assert records[0] == {
        "respondent": records[0]["respondent"], "organisation": "City CYPS", "level": "strategic",
        "role": "head of service",
        "answers": {Q1: 5, "fact.origin": "funding_call", "team.challenges": "We meet monthly"},
        "comments": {Q1: "Good"},
    }
    assert records[1]["role"] is None
    labels = [x["respondent"] for x in records]
    assert all(label.startswith("R") and label[1:].isdigit() for label in labels)
    assert len(set(labels)) == 3
    assert store.response_counts(r.id) == {"Harbour Music": 1, "City CYPS": 2, "Foster Care Co": 0}
    assert store.response_counts(999_999) == {}


# --------------------------------------------------------------------------------------------
# Bulk import


def test_import_round_trips_and_reports_progress(store: Store) -> None:
    _, _, r, _, _ = _setup(store)
    records = [_record(["Harbour Music", "City CYPS", "Foster Care Co"][i % 3], i) for i in range(2500)]
    calls: list[tuple[int, int]] = []
    assert store.import_records(r.id, records, progress=lambda d, t: calls.append((d, t))) == 2500
    assert calls[0] == (0, 2500) and calls[-1] == (2500, 2500)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    stored = store.response_records(r.id)
    assert len(stored) == 2500
    for got, want in zip(stored[:10], records[:10], strict=True):
        assert {k: got[k] for k in ("organisation", "level", "role", "answers", "comments")} == {
            k: want[k] for k in ("organisation", "level", "role", "answers", "comments")
        }
    # importing the exported records again works (respondent labels are ignored)
    assert store.import_records(r.id, stored[:5]) == 5
    assert store.import_records(r.id, []) == 0


def test_import_is_all_or_nothing(store: Store, db_url: str) -> None:
    _, _, r, _, _ = _setup(store)
    records = [_record("Harbour Music", i) for i in range(3000)]
    records.append(_record("Nowhere Trust", 3000))
    with pytest.raises(InputError) as err:
        store.import_records(r.id, records)
    [problem] = err.value.problems
    assert "Nowhere Trust" in problem.message and problem.row == 3001 and problem.column == "organisation"
    assert _count(db_url, "responses") == 0
    bad_values = [
        {**_record(), "level": "chief"},
        {**_record(), "answers": {Q1: 9}},
        {**_record(), "surname": "Smith"},  # no names, ever
        "not a record",
    ]
    for bad in bad_values:
        with pytest.raises(InputError):
            store.import_records(r.id, [_record(), bad])  # type: ignore[list-item]
    assert _count(db_url, "responses") == 0


def test_answers_the_round_could_not_read_back_are_refused(store: Store, db_url: str) -> None:
    """Unknown items, comments on items that ask for none and off-scale choices are refused when
    written: stored, they would make the whole round unreadable on every page."""
    p, _, r, _, orgs = _setup(store)
    pulse_round, _ = store.open_round(p.id, "Pulse", "pulse", "1")  # pulse asks for no comments
    with pytest.raises(InputError) as err:
        store.import_records(pulse_round.id, [{**_record(), "answers": {Q1: 3}, "comments": {}},
                                              {**_record(), "answers": {Q1: 3}, "comments": {Q1: "x"}}])
    [problem] = err.value.problems
    assert problem.row == 2 and "does not ask for a comment" in problem.message
    with pytest.raises(InputError, match="not an item of questionnaire core"):
        store.submit_response(r.id, orgs["City CYPS"], "strategic", None, {"q.invented": 3}, {}, "k1")
    with pytest.raises(InputError, match="not a choice"):
        store.submit_response(r.id, orgs["City CYPS"], "strategic", None, {"fact.origin": "magic"}, {}, "k2")
    assert _count(db_url, "responses") == 0
    store.import_records(pulse_round.id, [{**_record(), "answers": {Q1: 3}, "comments": {}}])
    assert len(store.response_records(pulse_round.id)) == 1


def test_import_duplicate_keys_roll_back(store: Store, db_url: str) -> None:
    _, _, r, _, orgs = _setup(store)
    store.submit_response(r.id, orgs["Harbour Music"], "strategic", None, {Q1: 1}, {}, "dup")
    records = [{**_record(i=i), "submission_key": f"k{i}"} for i in range(1500)] + [
        {**_record(), "submission_key": "dup"}
    ]
    with pytest.raises(InputError, match="imported before"):
        store.import_records(r.id, records)
    assert _count(db_url, "responses") == 1
    with pytest.raises(InputError, match="twice"):
        store.import_records(r.id, [{**_record(), "submission_key": "x"}] * 2)
    assert _count(db_url, "responses") == 1


def test_crash_mid_import_leaves_nothing(store: Store, db_url: str) -> None:
    _, _, r, _, _ = _setup(store)
    records = [_record("City CYPS", i) for i in range(5000)]

    def progress(done: int, total: int) -> None:
        if done >= 3000:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        store.import_records(r.id, records, progress=progress)
    assert _count(db_url, "responses") == 0
    assert store.response_records(r.id) == []
    # the store still works afterwards
    assert store.import_records(r.id, records[:10]) == 10


def test_import_12000_rows_is_fast(store: Store) -> None:
    _, _, r, _, _ = _setup(store)
    records = [_record(["Harbour Music", "City CYPS", "Foster Care Co"][i % 3], i) for i in range(12_000)]
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        assert store.import_records(r.id, records) == 12_000
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    # Bulk inserts, not one statement per row (speed itself is measured in benchmarks/).
    assert len(statements) < 200, len(statements)
    assert sum(store.response_counts(r.id).values()) == 12_000


# --------------------------------------------------------------------------------------------
# Concurrency


def _hammer(n: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [x for x in results if isinstance(x, Exception)]
    assert not errors, errors[:3]
    return results


def test_concurrent_distinct_submissions_all_stored(store: Store, db_url: str) -> None:
    _, _, r, _, orgs = _setup(store)
    org = orgs["Harbour Music"]
    results = _hammer(
        50, lambda i: store.submit_response(r.id, org, "operational", None, {Q1: i % 5 + 1}, {}, f"key-{i}")
    )
    assert results == [True] * 50
    assert _count(db_url, "responses") == 50
    assert store.response_counts(r.id)["Harbour Music"] == 50


def test_concurrent_same_key_stored_once(store: Store, db_url: str) -> None:
    _, _, r, _, orgs = _setup(store)
    org = orgs["City CYPS"]
    results = _hammer(
        20, lambda i: store.submit_response(r.id, org, "strategic", None, {Q1: 3}, {}, "same")
    )
    assert sorted(results) == [False] * 19 + [True]
    assert _count(db_url, "responses") == 1


def test_concurrent_stores_in_separate_engines(db_url: str) -> None:
    """Two Store objects (as two app processes would have) writing at once."""
    with Store(db_url) as a, Store(db_url) as b:
        _, _, r, _, orgs = _setup(a)
        org = orgs["Foster Care Co"]
        def submit(i: int) -> bool:
            return (a if i % 2 else b).submit_response(r.id, org, "operational", None, {}, {}, f"k{i % 10}")

        results = _hammer(20, submit)
        assert sum(results) == 10
        assert _count(db_url, "responses") == 10


# --------------------------------------------------------------------------------------------
# Action items and partner team notes


def test_action_items_round_trip(store: Store) -> None:
    p, _, r, _, _ = _setup(store)
    a = store.add_action(p.id, r.id, "  Cost partnership time in the next bid ", owner="Hub lead",
                         task="task.investing_resources", rule_id="unfunded-partnership-time",
                         due_date=date(2026, 6, 30))
    assert (a.text, a.owner, a.task, a.rule_id, a.due_date, a.status) == (
        "Cost partnership time in the next bid", "Hub lead", "task.investing_resources",
        "unfunded-partnership-time", date(2026, 6, 30), "open",
    )
    b = store.add_action(p.id, r.id, "Agree a communications policy")
    assert b.owner == "" and b.task is None and b.due_date is None
    assert store.actions(p.id) == [a, b]
    moved = store.update_action(a.id, status="in_progress", owner="CYPS manager")
    assert moved.status == "in_progress" and moved.owner == "CYPS manager"
    assert moved.due_date == date(2026, 6, 30)  # untouched
    assert moved.updated_at >= a.updated_at and moved.created_at == a.created_at
    done = store.update_action(b.id, status="done", due_date=date(2026, 1, 1))
    assert done.due_date == date(2026, 1, 1)
    assert store.update_action(b.id, clear_due_date=True).due_date is None
    assert [x.id for x in store.actions(p.id, open_only=True)] == [a.id]
    assert [x.id for x in store.actions(p.id)] == [a.id, b.id]
    assert store.actions(p.id)[0] == moved
    for bad in ({"status": "finished"}, {"text": "  "}):
        with pytest.raises(InputError):
            store.update_action(a.id, **bad)
    with pytest.raises(InputError):
        store.update_action(999_999, status="done")
    with pytest.raises(InputError):
        store.add_action(p.id, r.id, "x", task="task.nonsense")
    with pytest.raises(InputError):
        store.add_action(p.id, r.id, "")
    other, _, other_round, _, _ = _setup(store, "Other")
    with pytest.raises(InputError):  # round from another partnership
        store.add_action(p.id, other_round.id, "x")
    assert store.actions(other.id) == []


def test_team_notes(store: Store) -> None:
    p, _, _, _, orgs = _setup(store)
    store.set_team_note(p.id, orgs["City CYPS"], "team.outcomes", "Placement stability")
    store.set_team_note(p.id, orgs["City CYPS"], "team.challenges", "Staff turnover")
    store.set_team_note(p.id, orgs["City CYPS"], "team.challenges", " Staff turnover; budgets ")
    store.set_team_note(p.id, orgs["Foster Care Co"], "team.engagement", "Carers' evenings")
    notes = store.team_notes(p.id)
    assert notes == {
        "City CYPS": {"team.challenges": "Staff turnover; budgets", "team.outcomes": "Placement stability"},
        "Foster Care Co": {"team.engagement": "Carers' evenings"},
    }
    assert list(notes["City CYPS"]) == ["team.challenges", "team.outcomes"]  # questions in order
    store.set_team_note(p.id, orgs["Foster Care Co"], "team.engagement", "")
    assert "Foster Care Co" not in store.team_notes(p.id)
    with pytest.raises(InputError):
        store.set_team_note(p.id, orgs["City CYPS"], "team.favourite_colour", "x")
    other, _, _, _, other_orgs = _setup(store, "Other")
    with pytest.raises(InputError):
        store.set_team_note(p.id, other_orgs["City CYPS"], "team.outcomes", "x")
    assert store.team_notes(other.id) == {}


# --------------------------------------------------------------------------------------------
# Deleting


def test_delete_partnership_cascades(store: Store, db_url: str) -> None:
    p, admin, r, resp_token, orgs = _setup(store)
    keep, keep_admin, keep_round, _, keep_orgs = _setup(store, "Keep me")
    for pid, rid, o in ((p.id, r.id, orgs), (keep.id, keep_round.id, keep_orgs)):
        store.import_records(rid, [_record(i=i) for i in range(5)])
        store.add_action(pid, rid, "Do something", task="task.communicating")
        store.set_team_note(pid, o["City CYPS"], "team.barriers", "Transport")
    store.open_round(p.id, "Second", "core", "1")
    assert store.delete_partnership(p.id) is True
    assert store.delete_partnership(p.id) is False
    assert store.get_partnership(p.id) is None
    assert store.partnership_by_admin_token(admin) is None
    assert store.round_by_respondent_token(resp_token) is None
    assert store.rounds(p.id) == [] and store.organisations(p.id) == [] and store.actions(p.id) == []
    for table in TABLES:
        column = "id" if table == "partnerships" else "partnership_id"
        if table == "responses":
            assert _count(db_url, table) == 5
            continue
        assert _count(db_url, table, f"WHERE {column} = {p.id}") == 0
    # the other partnership is untouched
    assert store.partnership_by_admin_token(keep_admin) == keep
    assert len(store.response_records(keep_round.id)) == 5
    assert len(store.actions(keep.id)) == 1 and store.team_notes(keep.id)


def test_results_are_plain_values(store: Store) -> None:
    p, _, r, _, _ = _setup(store)
    for value in (p, r, store.organisations(p.id)[0], store.add_action(p.id, r.id, "x")):
        assert dataclasses.is_dataclass(value)
        assert not isinstance(value, Base)
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.id = 0  # type: ignore[misc]
    assert isinstance(r.opened_at, datetime) and r.opened_at.tzinfo == UTC
    with store.engine.connect() as conn:  # the schema keeps no identity of respondents
        columns = {c["name"] for c in inspect(conn).get_columns("responses")}
    assert not columns & {"name", "email", "respondent_name", "user", "ip"}


def test_names_are_stored_without_bidirectional_controls(store: Store) -> None:
    """U+202E would make "\u202eevil" read "live" in every table and chart that shows the name."""
    p, _ = store.create_partnership("Harbour \u202eevil", "pulse", 3,
                                    [("City \u2066Services\u2069", "music")])
    assert store.get_partnership(p.id).name == "Harbour evil"
    assert [o.name for o in store.organisations(p.id)] == ["City Services"]
