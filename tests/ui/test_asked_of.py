"""Who is asked (issue 15, item 4) and pulse honesty (item 5).

- An item may say which kinds of organisation it is for (`asked_of`). Others do not see it (answer
  page, workshop), and an answer they give anyway is treated as not asked: dropped by the store,
  set aside (with a note) when a responses file says each row's kind, never "don't know".
- `core/rules/reach` decides which rules can fire on a questionnaire: `validate` lists the ones
  that cannot, and a pulse round's assessment, report and portfolio row say which checks need
  the full health check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from healthcheck.cli import main
from healthcheck.core.assess import assess
from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import Item, find_questionnaire, load_questionnaire
from healthcheck.core.responses import frame_from_records, read_responses, reading_notes
from healthcheck.core.rules import RulePack, load_rules, parse_condition
from healthcheck.core.rules.reach import missing_for, runnable, unreachable
from healthcheck.core.scoring import score
from healthcheck.present.report import build_report
from healthcheck.services.portfolio import Portfolio
from healthcheck.store import Store

from ..apptest import app

CORE = load_questionnaire(find_questionnaire("core"))
PULSE = load_questionnaire(find_questionnaire("pulse"))
PACK = load_rules()
MUSIC_ONLY = ("q.know_care_system", "q.know_local_picture", "q.use_evidence", "q.know_partner_systems")


# ----------------------------------------------------------------------------- the item model


def test_an_item_says_whom_it_is_for() -> None:
    item = Item(id="q.x", text="We know.", type="likert", dimensions=["task.doing_research"],
                asked_of=("music",))
    assert item.is_asked_of("music")
    assert not item.is_asked_of("childrens_services")
    assert item.is_asked_of(None), "a respondent of unknown kind is asked everything"
    everyone = Item(id="q.y", text="We know.", type="likert", dimensions=["task.doing_research"])
    assert everyone.is_asked_of("funder")


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown organisation kind 'musician'"):
        Item(id="q.x", text="We know.", type="likert", dimensions=["task.doing_research"],
             asked_of=("musician",))


def test_a_broken_asked_of_names_file_and_line(tmp_path: Path) -> None:
    text = (find_questionnaire("core")).read_text(encoding="utf-8")
    bad = text.replace("asked_of: [music]", "asked_of: [musik]", 1)
    path = tmp_path / "core.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_questionnaire(path)
    [problem] = info.value.problems
    assert "unknown organisation kind 'musik'" in problem.message
    assert problem.line == bad.splitlines().index("        asked_of: [musik]  # about the music "
                                                  "organisation's own knowledge") + 1


def test_the_one_sided_items_of_tasks_1_to_3_are_for_the_music_organisation() -> None:
    for item_id in MUSIC_ONLY:
        assert CORE.item_by_id[item_id].asked_of == ("music",), item_id
    partner_side = CORE.item_by_id["q.they_know_our_service"]
    assert "music" not in partner_side.asked_of and "childrens_services" in partner_side.asked_of
    asked_of_council = {i.id for i in CORE.items_for("childrens_services")}
    assert not asked_of_council & set(MUSIC_ONLY)
    assert len(CORE.items_for(None)) == len(CORE.items)
    kept = CORE.only_asked("fostering", {"q.know_care_system": 5, "q.clear_problem": 4})
    assert kept == {"q.clear_problem": 4}


# ----------------------------------------------------------------------------- scoring


def _records(council_answer: Any) -> list[dict[str, Any]]:
    out = []
    for _ in range(3):
        out.append({"organisation": "Harbour Music", "level": "operational", "role": None,
                    "answers": {"q.know_care_system": 2, "fact.time_costed": "no"}, "comments": {}})
        out.append({"organisation": "City CYPS", "level": "strategic", "role": None,
                    "answers": {"q.know_care_system": council_answer, "fact.time_costed": "no"},
                    "comments": {}})
    return out


def test_not_asked_is_neither_an_answer_nor_dont_know() -> None:
    not_asked = CORE.only_asked  # what the store and the reader do with the council's answers
    records = _records(5)
    for r in records:
        if r["organisation"] == "City CYPS":
            r["answers"] = not_asked("childrens_services", r["answers"])
    s = score(CORE, frame_from_records(records, CORE, partnership="P"))
    research = s.by_id["task.doing_research"]
    assert research.answered == 3, "only the music organisation's respondents answered it"
    assert research.unknown == 0.0
    assert s.items["q.know_care_system"] == pytest.approx(25.0), "the council's 5s do not lift it"
    # answered as "don't know" instead, the same answers would count as uncertainty
    dk = score(CORE, frame_from_records(_records("dk"), CORE, partnership="P")).by_id["task.doing_research"]
    assert dk.unknown == pytest.approx(0.5)


# ----------------------------------------------------------------------------- responses files


def _csv(kind_b: str, extra: str = "") -> bytes:
    rows = ["respondent,organisation,level,organisation_kind,q.know_care_system,q.clear_problem,"
            "q.know_care_system_comment",
            "a,Harbour Music,operational,music,2,4,",
            f"b,City CYPS,strategic,{kind_b},5,4,we run it",
            "c,City CYPS,strategic,,5,4,", extra]
    return "\n".join(r for r in rows if r).encode()


def test_a_file_with_kinds_sets_aside_answers_not_asked_and_says_so() -> None:
    df = read_responses(_csv("childrens_services"), CORE, name="answers.csv")
    assert np.isnan(df["q.know_care_system"][1]), "a council answer to a music-only item: not asked"
    assert df["q.know_care_system"][0] == 2.0 and df["q.know_care_system"][2] == 5.0, \
        "a blank kind is not known: asked everything"
    assert df["q.know_care_system_comment"][1] is None
    assert df["q.clear_problem"].tolist() == [4.0, 4.0, 4.0]
    assert reading_notes(df) == [
        "answers.csv: column q.know_care_system: this item is asked only of music organisations; the "
        "answers in row(s) 3 (from childrens_services) were set aside as not asked"]


def test_a_file_without_kinds_is_read_as_before() -> None:
    text = b"respondent,organisation,level,q.know_care_system\na,City CYPS,strategic,5\n"
    df = read_responses(text, CORE, name="answers.csv")
    assert df["q.know_care_system"][0] == 5.0 and reading_notes(df) == []


def test_an_unknown_kind_in_a_file_names_row_and_column() -> None:
    with pytest.raises(InputError) as info:
        read_responses(_csv("council"), CORE, name="answers.csv")
    [problem] = info.value.problems
    assert problem.row == 3 and problem.column == "organisation_kind"
    assert "'council' is not a kind of organisation" in problem.message


def test_score_command_prints_the_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "answers.csv"
    path.write_bytes(_csv("fostering"))
    assert main(["score", str(path), "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert "note: " in err and "row(s) 3 (from fostering) were set aside as not asked" in err


# ----------------------------------------------------------------------------- the store


def test_the_store_drops_answers_not_asked_of_the_organisation(store: Store) -> None:
    p, _ = store.create_partnership("Harbour + City", "core", 3,
                                    [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    orgs = {o.name: o for o in store.organisations(p.id)}
    r, _ = store.open_round(p.id, "Away day", "core", "1")
    answers = {"q.know_care_system": 5, "q.clear_problem": 4}
    comments = {"q.know_care_system": "we run it"}
    store.submit_response(r.id, orgs["City CYPS"].id, "strategic", None, answers, comments, "k1")
    store.submit_response(r.id, orgs["Harbour Music"].id, "operational", None, answers, {}, "k2")
    store.import_records(r.id, [{"organisation": "City CYPS", "level": "operational", "answers": answers,
                                 "comments": {}}])
    council, music, imported = store.response_records(r.id)
    assert council["answers"] == {"q.clear_problem": 4} and council["comments"] == {}
    assert music["answers"] == answers
    assert imported["answers"] == {"q.clear_problem": 4}


def test_the_answer_page_hides_items_not_asked(db: Store) -> None:
    p, _ = db.create_partnership("Harbour + City", "core", 3,
                                 [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    orgs = {o.name: o for o in db.organisations(p.id)}
    r, token = db.open_round(p.id, "Away day", "core", "1")
    seen: dict[str, set[str]] = {}
    for name in orgs:
        at = app(r=token).run()
        at.selectbox(key=f"ans{r.id}_about:organisation").set_value(orgs[name].id)
        at.radio(key=f"ans{r.id}_about:level").set_value("operational")
        at.run()
        at.button(key=f"ans{r.id}_nav:start").click().run()
        keys: set[str] = set()
        for _ in range(len(CORE.sections)):
            keys |= {str(w.key) for w in at.radio}
            nxt = [b for b in at.button if str(b.key).startswith(f"ans{r.id}_nav:next")]
            if not nxt:
                break
            nxt[0].click().run()
        seen[name] = {k.split("_a:", 1)[1] for k in keys if "_a:" in k}
    assert set(MUSIC_ONLY) <= seen["Harbour Music"]
    assert not set(MUSIC_ONLY) & seen["City CYPS"]
    assert "q.they_know_our_service" in seen["City CYPS"] and "q.clear_problem" in seen["City CYPS"]


# ----------------------------------------------------------------------------- pulse honesty


def test_which_rules_can_run_is_decided_from_what_the_questionnaire_asks() -> None:
    assert unreachable(PACK, CORE) == []
    blocked = {u.rule.id: u.needs for u in unreachable(PACK, PULSE)}
    assert blocked["capacity-overreach"] == ("fact.capacity",)
    assert "promised-not-delivered" in blocked and "resource-led-drift" in blocked
    assert "no-plan-after-grant" not in blocked, "the pulse asks about life after the grant"
    assert {r.id for r in runnable(PACK, PULSE)} == {r.id for r in PACK.rules} - set(blocked)


def _cond(raw: dict[str, Any]) -> Any:
    problems: list[Any] = []
    cond = parse_condition(raw, (), problems)
    assert cond is not None and not problems
    return cond


def test_groups_need_all_or_any_of_their_parts() -> None:
    every = _cond({"all": [{"score": "task.communicating", "below": 50},
                           {"answer": "fact.capacity", "share_of": ["overstretched"], "above": 0.2}]})
    assert missing_for(every, PULSE) == ("fact.capacity",)
    either = _cond({"any": [{"item": "q.outcomes_locked", "below": 40},
                            {"score": "factor.initial_ignorance", "below": 40}]})
    assert missing_for(either, PULSE) == ()
    neither = _cond({"none": [{"answer": "fact.capacity", "share_of": ["enough"], "above": 0.5}]})
    assert missing_for(neither, PULSE) == (), "a `none` of a value never given holds"


def test_validate_lists_per_questionnaire_the_rules_that_cannot_fire(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"core: all {len(PACK.rules)} rule(s) can fire on it" in out
    n = len(unreachable(PACK, PULSE))
    assert (f"pulse: {n} of {len(PACK.rules)} rule(s) cannot fire on it, because it does not ask what "
            "they need:") in out
    assert "  capacity-overreach: needs fact.capacity" in out


def _pulse_records() -> list[dict[str, Any]]:
    likert = {i.id: 4 for i in PULSE.likert_items}
    return [{"organisation": org, "level": "operational", "role": None,
             "answers": {**likert, "fact.time_costed": "yes", "fact.named_lead": "yes"}, "comments": {}}
            for org in ("Harbour Music", "City CYPS", "Fostering") for _ in range(3)]


def test_a_pulse_round_says_which_checks_need_the_full_health_check() -> None:
    frame = frame_from_records(_pulse_records(), PULSE, partnership="P")
    a = assess(PULSE, frame, PACK, 3)
    assert {r.id for r in a.not_checked} == {u.rule.id for u in unreachable(PACK, PULSE)}
    note = a.full_check_note
    assert note is not None and "partnership pulse check" in note and "full health check" in note
    assert PACK.by_id["capacity-overreach"].title in note
    report = build_report(a, with_charts=False)
    paras = ["".join(text for text, _ in b.runs) for b in report.blocks if hasattr(b, "runs")]
    assert note in paras, "the report's findings say which checks this round could not run"
    portfolio = Portfolio()
    [row] = portfolio.add_table(PULSE, frame, PACK, 3)
    assert {r.rule for r in row.not_checked} == {r.id for r in a.not_checked}
    assert row.as_dict()["needs_full_check"] == [r.rule for r in row.not_checked]


def test_a_full_round_has_nothing_to_add() -> None:
    records = [{"organisation": org, "level": "operational", "role": None,
                "answers": {i.id: 4 for i in CORE.likert_items}, "comments": {}}
               for org in ("A", "B", "C") for _ in range(3)]
    a = assess(CORE, frame_from_records(records, CORE, partnership="P"), PACK, 3)
    assert a.not_checked == () and a.full_check_note is None


def test_a_rule_pack_without_blocked_rules_on_pulse() -> None:
    only = RulePack(tuple(r for r in PACK.rules if r.id not in {u.rule.id for u in unreachable(PACK, PULSE)}))
    assert unreachable(only, PULSE) == []


def test_the_dashboard_of_a_pulse_round_says_which_checks_need_the_full_health_check(db: Store) -> None:
    p, admin = db.create_partnership("Harbour + City", "pulse", 3,
                                     [("Harbour Music", "music"), ("City CYPS", "childrens_services"),
                                      ("Fostering", "fostering")])
    r, _ = db.open_round(p.id, "Pulse in May", "pulse", PULSE.version)
    db.import_records(r.id, _pulse_records())
    db.close_round(r.id)
    at = app(admin=admin).run()
    assert not at.exception
    notes = [i.value for i in at.info if "full health check" in i.value]
    assert notes, "a pulse round's findings say which checks it could not run"
    assert "partnership pulse check" in notes[0]
    assert PACK.by_id["capacity-overreach"].title in notes[0]
