"""Live workshops, core and store: codes, tokens, reveal, close, throttle, concurrent submissions.

Everything touching the store runs on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text

from healthcheck.core.errors import InputError
from healthcheck.core.workshop import answer_distribution, asked_dimensions, items_for
from healthcheck.present.qr import join_url, qr_png, qr_svg
from healthcheck.store import Store, hash_token
from healthcheck.store import workshops as ws


def _partnership(store: Store) -> tuple[int, dict[str, int]]:
    p, _ = store.create_partnership("Harbour partnership", "pulse", 3,
                                    [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    return p.id, {o.name: o.id for o in store.organisations(p.id)}


def _answers(pulse, value: int = 4) -> dict[str, int | str]:  # type: ignore[no-untyped-def]
    return {i.id: value for i in pulse.likert_items}


# ----------------------------------------------------------------------------- pure logic


def test_join_code_alphabet_and_normalising() -> None:
    assert len(ws.CODE_ALPHABET) == len(set(ws.CODE_ALPHABET)) == 31
    for ch in "0O1IL":
        assert ch not in ws.CODE_ALPHABET
    codes = {ws.new_join_code() for _ in range(2000)}
    assert len(codes) > 1990
    assert all(len(c) == 6 and set(c) <= set(ws.CODE_ALPHABET) for c in codes)
    assert ws.normalise_join_code("abc-234") == "ABC234"
    assert ws.normalise_join_code(" ab c 2 3 4 ") == "ABC234"
    for bad in ("ABC23", "ABC2345", "ABC0O1", "", None, 123456, "A" * 100, "ABC 23!"):
        assert ws.normalise_join_code(bad) is None
    assert ws.format_join_code("ABC234") == "ABC 234"


def test_items_for_subset(pulse) -> None:  # type: ignore[no-untyped-def]
    assert items_for(None, pulse) == list(pulse.items)
    items = items_for(["task.communicating", "factor.risk_taking"], pulse)
    assert [i.id for i in items] == ["q.left_out", "q.try_new_things"]
    assert asked_dimensions(["task.communicating", "factor.risk_taking"], pulse) == (
        "factor.risk_taking", "task.communicating")


def test_answer_distribution(pulse) -> None:  # type: ignore[no-untyped-def]
    items = items_for(None, pulse)
    records = [{"answers": {"q.clear_problem": 5, "fact.named_lead": "yes"}},
               {"answers": {"q.clear_problem": "dk"}}, {"answers": {"q.clear_problem": 5}}]
    dist = answer_distribution(records, items, pulse)
    row = dist[(dist["item"] == "q.clear_problem")].set_index("option")["count"]
    assert row["Strongly agree"] == 2 and row["Don't know"] == 1 and row.sum() == 3
    lead = dist[dist["item"] == "fact.named_lead"].set_index("order")["count"]
    assert lead.sum() == 1


def test_qr_code_and_url() -> None:
    url = join_url("https://hc.example.org/", "ABC234")
    assert url == "https://hc.example.org/?join=ABC234"
    svg = qr_svg(url)
    assert svg.startswith("<svg") and "</svg>" in svg
    assert qr_png(url).startswith(b"\x89PNG")


# ----------------------------------------------------------------------------- store


def test_create_workshop_is_a_round_with_hashed_token(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    pid, _ = _partnership(store)
    info, token = ws.create_workshop(store, pid, "  Away day   workshop ")
    assert info.title == "Away day workshop" and info.is_open and not info.revealed
    assert len(token) >= 22  # 128 bits and more of URL-safe text
    assert set(info.join_code) <= set(ws.CODE_ALPHABET) and len(info.join_code) == 6
    r = store.get_round(info.round_id)
    assert r is not None and r.kind == "workshop" and r.partnership_id == pid
    assert r.questionnaire_id == "pulse" and r.questionnaire_version == pulse.version
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT facilitator_token_hash FROM workshops")).scalar_one()
    assert stored == hash_token(token) and token not in stored
    assert ws.workshop_by_facilitator_token(store, token) == info
    for bad in (None, "", "x" * 5000, info.join_code, token + "x"):
        assert ws.workshop_by_facilitator_token(store, bad) is None
    assert ws.workshop_by_join_code(store, info.join_code.lower()) == info
    assert ws.workshop_by_join_code(store, f"{info.join_code[:3]}-{info.join_code[3:]}") == info
    assert ws.workshops_of(store, pid) == [info]


def test_join_codes_are_unique(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    pid, _ = _partnership(store)
    first, _ = ws.create_workshop(store, pid, "One")
    drawn = iter([first.join_code, first.join_code, "ZZZ999"])
    monkeypatch.setattr(ws, "new_join_code", lambda: next(drawn))
    second, _ = ws.create_workshop(store, pid, "Two")  # two collisions, then a free code
    assert second.join_code == "ZZZ999"
    assert len(store.rounds(pid)) == 2  # the failed attempts left no orphan rounds


def test_subset_is_validated(store: Store) -> None:
    pid, _ = _partnership(store)
    info, _ = ws.create_workshop(store, pid, "Trust", dimensions=["task.integrity_trust", "factor.debate"])
    assert info.dimensions == ("factor.debate", "task.integrity_trust")
    with pytest.raises(InputError):
        ws.create_workshop(store, pid, "Bad", dimensions=["task.nonsense"])
    with pytest.raises(InputError):
        ws.create_workshop(store, pid, "   ")
    with pytest.raises(InputError):
        ws.create_workshop(store, 999_999, "No such partnership")


def test_submit_reveal_close(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    pid, orgs = _partnership(store)
    info, _ = ws.create_workshop(store, pid, "Workshop")
    assert ws.register_participant(store, info.id, "p1")
    assert not ws.register_participant(store, info.id, "p1")
    assert ws.submit(store, info, orgs["Harbour Music"], "operational", _answers(pulse), "k1", pulse)
    assert not ws.submit(store, info, orgs["Harbour Music"], "operational", _answers(pulse, 2), "k1", pulse)
    assert ws.has_submitted(store, info, "k1") and not ws.has_submitted(store, info, "k2")
    with pytest.raises(InputError):  # a question the workshop does not ask
        ws.submit(store, info, orgs["Harbour Music"], "operational", {"t.nothing": 3}, "k3", pulse)
    status = ws.live_status(store, info.id)
    assert status is not None
    assert (status.participants, status.submissions) == (1, 1)
    assert status.by_organisation == {"Harbour Music": 1, "City CYPS": 0}
    assert not status.revealed and status.is_open
    assert ws.reveal(store, info.id).revealed
    assert ws.live_status(store, info.id).revealed  # type: ignore[union-attr]
    closed = ws.close(store, info.id)
    assert not closed.is_open and ws.close(store, info.id).closed_at == closed.closed_at
    assert not store.get_round(info.round_id).is_open  # type: ignore[union-attr]
    assert ws.workshop_by_join_code(store, info.join_code) is None  # closed: join refused
    assert ws.lookup_join_code(store, info.join_code) is not None  # ... but recognised as ended
    with pytest.raises(InputError, match="ended"):
        ws.submit(store, info, orgs["City CYPS"], "strategic", _answers(pulse), "k9", pulse)
    assert len(store.response_records(info.round_id)) == 1


def test_closing_the_round_closes_the_workshop(store: Store) -> None:
    pid, _ = _partnership(store)
    info, _ = ws.create_workshop(store, pid, "Workshop")
    store.close_round(info.round_id)
    assert ws.workshop_by_join_code(store, info.join_code) is None
    assert not ws.get_workshop(store, info.id).is_open  # type: ignore[union-attr]


def test_deleting_the_partnership_removes_workshops(store: Store) -> None:
    pid, _ = _partnership(store)
    info, token = ws.create_workshop(store, pid, "Workshop")
    ws.register_participant(store, info.id, "p1")
    store.delete_partnership(pid)
    assert ws.workshop_by_facilitator_token(store, token) is None
    with store.reading() as s:
        assert s.execute(select(ws.WorkshopParticipant)).first() is None


def test_200_concurrent_submissions(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    """200 phones at once, each also re-sending once (a double tap): none lost, none doubled."""
    pid, orgs = _partnership(store)
    info, _ = ws.create_workshop(store, pid, "Big room")
    keys = [uuid.uuid4().hex for _ in range(200)]
    org_ids = list(orgs.values())
    start = threading.Barrier(20)

    def phone(i: int) -> tuple[bool, bool]:
        if i < 20:
            start.wait(timeout=30)
        args = (info, org_ids[i % 2], "operational", _answers(pulse, 1 + i % 5), keys[i], pulse)
        first = ws.submit(store, *args)
        again = ws.submit(store, *args)
        return first, again

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(phone, range(200)))
    assert all(first for first, _ in results)
    assert not any(again for _, again in results)
    status = ws.live_status(store, info.id)
    assert status is not None and status.submissions == 200
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT submission_key FROM responses WHERE round_id = :r"),
                              {"r": info.round_id}).scalars().all()
    assert sorted(stored) == sorted(f"ws:{k}" for k in keys)
