"""A facilitator-paced workshop gives no file of rows, and its vote counts wait for enough voters
(`core.anonymity.room`: `rows_note`, `votes_shown`).

In a paced room everyone saw who came late, who left and whose answers were held back, so the
row blank on the first questions is the late joiner's own answers, whatever the organisation
reads. So the round a paced workshop makes has no row-level file anywhere (the Exports page, the
console, the "everything we hold" zip), while an ordinary round still has one. And the console
shows the votes per action only once the threshold of different people have voted: counts that
move one vote at a time tell a watcher what a colleague chose.

Store tests run on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

import io
import zipfile

from healthcheck.core.anonymity import ROWS_NOTE, rows_note, votes_note, votes_shown
from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.core.rules import load_rules
from healthcheck.core.workshop import paced_items
from healthcheck.services import workshop as sw
from healthcheck.services.holdings import everything_we_hold
from healthcheck.services.results import round_results
from healthcheck.store import Store
from healthcheck.store import paced as pc
from healthcheck.store import workshops as ws
from healthcheck.ui.common import plain

from ..apptest import app
from ..ui.test_app import open_page
from ..ui.test_workshop_app import ok, texts

THRESHOLD = 3


def _everyone(q: Questionnaire) -> list[Item]:
    return [i for i in paced_items(None, q) if i.type == "likert" and not i.asked_of][:4]


def _fresh(store: Store, info: ws.WorkshopInfo) -> ws.WorkshopInfo:
    w = ws.get_workshop(store, info.id)
    assert w is not None
    return w


def _partnership(store: Store) -> tuple[int, str, list[int]]:
    p, admin = store.create_partnership("Harbour + City", "pulse", THRESHOLD,
                                        [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    return p.id, admin, [o.id for o in store.organisations(p.id)]


def _paced_room(store: Store, pid: int, orgs: list[int], q: Questionnaire,
                close: bool = True) -> tuple[ws.WorkshopInfo, str]:
    """Six people answer four questions (the last two join late: blank on the first question)."""
    info, token = ws.create_workshop(store, pid, "Paced away day", paced=True)
    items = _everyone(q)
    for n in range(6):
        key = f"p{n}"
        pc.join(store, info.id, key, orgs[n % 2], "operational")
        for i in items[1:] if n >= 4 else items:
            assert sw.answer(store, info, q, key, i.id, 1 + n % 5)
    for i in items:
        pc.close_question(store, info.id, i.id)
    assert sw.step_figures(store, _fresh(store, info), q) == 1
    if close:
        sw.close_workshop(store, _fresh(store, info), q)
    return _fresh(store, info), token


def _ordinary_round(store: Store, pid: int, orgs: list[int], q: Questionnaire) -> ws.WorkshopInfo:
    info, _ = ws.create_workshop(store, pid, "Self-paced day", paced=False)
    items = _everyone(q)
    for n in range(6):
        answers = {i.id: 1 + n % 5 for i in items}
        assert ws.submit(store, info, orgs[n % 2], "operational", answers, f"s{n}", q)
    return _fresh(store, info)


def test_a_paced_round_has_no_rows_to_export(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    pid, _, orgs = _partnership(store)
    paced, _ = _paced_room(store, pid, orgs, pulse)
    ordinary = _ordinary_round(store, pid, orgs, pulse)
    rules = load_rules()
    room = round_results(store, paced.round_id, pulse, rules, THRESHOLD, paced.partnership_name)
    assert room.assessment is not None and len(room.records) == 6  # the figures are still there
    assert room.rows_note == ROWS_NOTE and room.export_frame.empty
    assert sw.workshop_export_frame(store, paced, pulse, rules).empty
    # the control: an ordinary round's file keeps its rows
    kept = round_results(store, ordinary.round_id, pulse, rules, THRESHOLD, ordinary.partnership_name)
    assert kept.rows_note is None and len(kept.export_frame) == 6
    assert len(sw.workshop_export_frame(store, ordinary, pulse, rules)) == 6
    assert rows_note(True) == ROWS_NOTE and rows_note(False) is None


def test_the_holdings_zip_leaves_the_paced_rounds_rows_out(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    pid, _, orgs = _partnership(store)
    paced, _ = _paced_room(store, pid, orgs, pulse)
    ordinary = _ordinary_round(store, pid, orgs, pulse)
    _, data = everything_we_hold(store, pid, by="admin", questionnaire_of=lambda _: pulse)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        readme = zf.read("README.txt").decode("utf-8")
    assert not {f"answers_round_{paced.round_id}.csv", f"answers_round_{paced.round_id}.json"} & names
    assert {f"answers_round_{ordinary.round_id}.csv", f"answers_round_{ordinary.round_id}.json"} <= names
    assert f"round {paced.round_id}: {ROWS_NOTE}" in readme


def test_exports_page_and_console_offer_no_rows_of_a_paced_round(db: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    pid, admin, orgs = _partnership(db)
    paced, token = _paced_room(db, pid, orgs, pulse)
    page = open_page(app(admin=admin).run(), "exports")
    ok(page)
    shown = texts(page)
    assert "Exports" in shown and (plain(ROWS_NOTE) in shown or ROWS_NOTE in shown)
    keys = {b.key for b in page.get("download_button")}
    assert "export_csv" not in keys and "export_json" in keys  # the assessment stays
    console = app(facilitate=token).run()
    ok(console)
    assert ROWS_NOTE in texts(console) or plain(ROWS_NOTE) in texts(console)
    keys = {b.key for b in console.get("download_button")}
    assert "ws_export_csv" not in keys and "ws_export_json" in keys
    # the control: an ordinary round's page still offers its responses file
    _ordinary_round(db, pid, orgs, pulse)  # the newest round, chosen by default
    page = open_page(app(admin=admin).run(), "exports")
    ok(page)
    assert "export_csv" in {b.key for b in page.get("download_button")}
    assert ROWS_NOTE not in texts(page) and plain(ROWS_NOTE) not in texts(page)


def test_vote_counts_show_from_the_threshold_of_voters(store: Store, pulse) -> None:  # type: ignore[no-untyped-def]
    pid, _, orgs = _partnership(store)
    info, _ = _paced_room(store, pid, orgs, pulse, close=False)
    assert pc.voters(store, info.id) == 0
    pc.vote(store, info.id, "p0", "a1")
    pc.vote(store, info.id, "p0", "a2")
    pc.vote(store, info.id, "p1", "a1")
    assert pc.voters(store, info.id) == 2  # three votes, two people
    assert not votes_shown(pc.voters(store, info.id), THRESHOLD)
    pc.vote(store, info.id, "p2", "a2")
    assert pc.voters(store, info.id) == 3 and votes_shown(3, THRESHOLD)
    assert str(THRESHOLD) in votes_note(THRESHOLD)
