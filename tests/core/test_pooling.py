"""Pool before you hide (issue 13, item 3): small groups are pooled where together they reach the
threshold, else their people are left out of every figure (the whole partnership's included), so
no partner is hidden for someone else's sake; and whatever the group sizes, no person and no
group below the threshold can be worked out from the sums shown, in one look or across the steps
of an open round."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from healthcheck.core.anonymity import left_out_note, linear_leak, plan_view, pooled_label
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import export_csv, frame_from_records
from healthcheck.core.rules import load_rules
from healthcheck.core.scoring import ScoreTable
from healthcheck.present import views
from healthcheck.services.results import RoundData, due_step, release_results, round_results
from healthcheck.store import Store

ROOT = Path(__file__).resolve().parents[2]
MINI = load_questionnaire(Path(__file__).resolve().parents[1] / "data" / "mini.yaml")
CORE = load_questionnaire(find_questionnaire("core"))
PACK = load_rules()
LEVELS = ["funder", "strategic", "operational"]
people_st = st.lists(st.tuples(st.sampled_from("ABCDE"), st.sampled_from(LEVELS)), min_size=0, max_size=24)


# ----------------------------------------------------------------------------- the plan itself


@settings(max_examples=300, deadline=None)
@given(people_st, st.integers(3, 5))
def test_a_plan_shows_every_organisation_whole_or_pooled(people: list[tuple[str, str]], t: int) -> None:
    plan = plan_view(people, t)
    inside = [p for p, k in zip(people, plan.inside, strict=True) if k]
    if len(people) < t:  # too few in all: left to the caller (counts only), nothing changed
        assert plan.inside.all() and not plan.groups[0].pooled
        return
    assert len(inside) == 0 or len(inside) >= t  # the whole is never a small group
    orgs: dict[str, int] = {}
    for org, _ in inside:
        orgs[plan.label(0, org)] = orgs.get(plan.label(0, org), 0) + 1
    assert all(n >= t for n in orgs.values()), orgs  # every organisation, or its pool, is big enough
    for label, members in plan.groups[0].pooled.items():
        assert label == pooled_label(0, orgs[label]) and len(members) >= 2
        assert all(sum(1 for o, _ in people if o == m) < t for m in members)
    for (org, level), k in zip(people, plan.inside, strict=True):
        if not k:  # someone left out is so because of a group the plan names
            assert org in plan.groups[0].left_out or level in plan.groups[1].left_out
    assert plan.left_out == len(people) - len(inside)
    # a level never costs a partner: an organisation of at least t shows under its own name
    for org in {o for o, _ in people}:
        if sum(1 for o, _ in people if o == org) >= t:
            assert orgs.get(org, 0) >= t, org


@given(people_st, st.integers(3, 5))
def test_hide_mode_keeps_everyone(people: list[tuple[str, str]], t: int) -> None:
    plan = plan_view(people, t, "hide")
    assert plan.inside.all() and plan.left_out == 0
    assert all(not g.pooled and not g.left_out for g in plan.groups)


def test_pools_and_leaves_out_as_the_issue_says() -> None:
    # four small partners of one each: together four, so pooled
    people = [("Big", "operational")] * 5 + [(c, "operational") for c in "WXYZ"]
    plan = plan_view(people, 3)
    assert plan.groups[0].pooled == {"Other partners, 4 people": ["W", "X", "Y", "Z"]}
    assert plan.left_out == 0 and plan.label(0, "W") == "Other partners, 4 people"
    # one small partner: it cannot be pooled, so its person is left out
    plan = plan_view([("A", "operational")] * 7 + [("B", "operational")] * 7 + [("F", "funder")], 3)
    assert plan.groups[0].left_out == ["F"] and plan.left_out == 1 and not plan.groups[0].pooled
    assert left_out_note(1) is not None and left_out_note(1).startswith(
        "1 response from a group too small to show is not in these figures")
    assert left_out_note(2).startswith("2 responses from groups too small to show are not in these figures")
    assert left_out_note(0) is None


# ----------------------------------------------------------------------------- no sum gives anyone away


def _person(i: int, org: str, level: str, rng: random.Random, items: list[str]) -> dict[str, Any]:
    return {"respondent": f"P{i}", "organisation": org, "level": level, "role": None,
            "answers": {item: rng.randint(1, 5) for item in items}, "comments": {}}


def _sums(records: list[dict[str, Any]], scores: Any, dim: str) -> list[list[tuple[str]]]:
    """Every set of people whose mean on `dim` the scores show: the whole, and every shown group
    (a pool is the people of its groups); only people in the figures count."""
    inside = scores.in_figures or (True,) * len(records)
    people = [r for r, k in zip(records, inside, strict=True) if k]
    d = scores.by_id[dim]
    sums = [[(r["respondent"],) for r in people]] if d.score is not None else []
    for grouping, shown in (("organisation", d.by_organisation), ("level", d.by_level)):
        pools = scores.anonymity[grouping].pooled
        for group, value in shown.items():
            if value is not None:
                members = set(pools.get(group, [group]))
                sums.append([(r["respondent"],) for r in people if r[grouping] in members])
    return sums


def _group_sizes(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """Everyone, by organisation and by level: any of these groups below the threshold must
    stay hidden too (as must every single person)."""
    out: dict[tuple[str, str], list[str]] = {}
    for r in records:
        out.setdefault(("organisation", r["organisation"]), []).append(r["respondent"])
        out.setdefault(("level", r["level"]), []).append(r["respondent"])
    return out


def _pins(sums: list[list[tuple[str]]], people: list[str]) -> bool:
    """Whether the sums pin down exactly the total of `people` (exact rank test)."""
    atoms = sorted({a for s in sums for a in s})
    if not sums or not atoms:
        return False
    m = np.array([[1.0 if a in set(s) else 0.0 for a in atoms] for s in sums])
    v = np.array([[1.0 if a[0] in people else 0.0 for a in atoms]])
    if not v.any() or v.sum() < len(people):  # someone in no sum at all cannot be pinned
        return False
    return bool(np.linalg.matrix_rank(np.vstack([m, v])) == np.linalg.matrix_rank(m))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCDE"), st.sampled_from(LEVELS)), min_size=3, max_size=20),
       st.integers(3, 4), st.sampled_from(["pool", "hide"]), st.integers(0, 10_000))
def test_one_look_pins_down_nobody(people: list[tuple[str, str]], t: int, mode: str, seed: int) -> None:
    assume(len(people) >= t)  # fewer in all: a round shows counts only (services.results)
    rng = random.Random(seed)
    items = [i.id for i in MINI.likert_items]
    records = [_person(i, o, lv, rng, items) for i, (o, lv) in enumerate(people)]
    scores = ScoreTable(MINI, frame_from_records(records, MINI), t, small_groups=mode).partnership(0)
    everyone = {(r["respondent"],): 1 for r in records}
    for dim in MINI.dimensions:
        sums = _sums(records, scores, dim)
        assert linear_leak(everyone, sums, t) is None, dim  # no set of fewer than t people
        for (grouping, group), members in _group_sizes(records).items():
            if len(members) < t:  # nor any small organisation or level, whatever its size
                assert not _pins(sums, members), (dim, grouping, group)


def _watch(records: list[dict[str, Any]], t: int, mode: str) -> list[RoundData]:
    """An admin who refreshes the dashboard after every single answer."""
    steps: list[int] = []
    looks = []
    for n in range(1, len(records) + 1):
        step = due_step(records[:n], steps, MINI, t)
        if step is not None:
            steps.append(step)
        looks.append(release_results(records[:n], steps, MINI, PACK, t, "P", small_groups=mode))
    return looks


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCD"), st.sampled_from(LEVELS)), min_size=3, max_size=14),
       st.sampled_from(["pool", "hide"]), st.integers(0, 10_000))
def test_every_look_at_an_open_round_together_pins_down_nobody(people: list[tuple[str, str]], mode: str,
                                                                seed: int) -> None:
    """Two moments (or all of them): every sum every look showed, taken together."""
    t = 3
    rng = random.Random(seed)
    items = [i.id for i in MINI.likert_items]
    records = [_person(i, o, lv, rng, items) for i, (o, lv) in enumerate(people)]
    looks = _watch(records, t, mode)
    everyone = {(r["respondent"],): 1 for r in records}
    for dim in MINI.dimensions:
        sums = [s for look in looks if look.assessment is not None
                for s in _sums(look.records, look.assessment.scores, dim)]
        assert linear_leak(everyone, sums, t) is None, dim
        for (_, _), members in _group_sizes(records).items():
            if len(members) < t:
                assert not _pins(sums, members), dim


def test_someone_shown_once_stays_in_later_steps() -> None:
    """C's one person is pooled at the first step; once D alone is big enough, C cannot be
    pooled any more, but is kept in (and hidden) rather than dropped from the whole, which
    would give them away as the difference between two looks."""
    rng = random.Random(1)
    items = [i.id for i in MINI.likert_items]
    order = [("A", "operational")] * 3 + [("C", "operational"), ("D", "operational"), ("D", "operational")]
    order += [("A", "operational")] * 2 + [("D", "operational")]
    records = [_person(i, o, lv, rng, items) for i, (o, lv) in enumerate(order)]
    looks = _watch(records, 3, "pool")
    first = looks[5].assessment
    assert first is not None and first.scores.anonymity["organisation"].pooled == {
        "Other partners, 3 people": ["C", "D"]}
    last = looks[-1].assessment
    assert last is not None and len(looks[-1].records) == 9
    assert last.scores.left_out == 0 and "C" in last.scores.organisations
    assert all(d.by_organisation.get("C") is None for d in last.scores.dimensions)


# ----------------------------------------------------------------------------- the 7 + 7 + 1 round


def _seven_seven_one() -> list[dict[str, Any]]:
    rng = random.Random(7)
    out = []
    for org, level, n in (("Harbour Music", "operational", 4), ("Harbour Music", "strategic", 3),
                          ("City Fostering", "operational", 5), ("City Fostering", "strategic", 2),
                          ("Bright Fund", "funder", 1)):
        for _ in range(n):
            answers: dict[str, Any] = {i.id: rng.randint(1, 5) for i in CORE.likert_items}
            out.append({"respondent": f"R{len(out) + 1}", "organisation": org, "level": level, "role": None,
                        "answers": answers, "comments": {}})
    return out


def _check_seven_seven_one(scores: Any) -> None:
    assert scores.respondents == 15 and scores.left_out == 1
    assert scores.organisations == {"Harbour Music": 7, "City Fostering": 7}
    assert scores.anonymity["organisation"].left_out == ["Bright Fund"]
    for d in scores.dimensions:
        assert None not in (d.by_organisation["Harbour Music"], d.by_organisation["City Fostering"])
        assert "Bright Fund" not in d.by_organisation and d.answered == 14
    notes = views.anonymity_notes(scores)
    assert any(n.startswith("1 response from a group too small to show is not in these figures")
               for n in notes)


def test_seven_seven_one_in_the_store(store: Store) -> None:
    p, _ = store.create_partnership("Harbour + City", "core", 3, [("Harbour Music", "music"),
                                                                  ("City Fostering", "fostering"),
                                                                  ("Bright Fund", "other")])
    orgs = {o.name: o.id for o in store.organisations(p.id)}
    shown: dict[str, RoundData] = {}
    for mode in ("pool", "hide"):
        r, _ = store.open_round(p.id, f"Spring {mode}", "core", CORE.version)
        assert store.get_round(r.id).small_groups == "pool"  # the default
        store.set_small_groups(r.id, mode)
        for k, rec in enumerate(_seven_seven_one()):
            store.submit_response(r.id, orgs[rec["organisation"]], rec["level"], None, rec["answers"], {},
                                  f"{mode}-{k}")
        shown[mode] = round_results(store, r.id, CORE, PACK, 3, p.name)
        # once results have shown, the choice is fixed (a look each way could be compared)
        with pytest.raises(Exception, match="already been shown"):
            store.set_small_groups(r.id, "hide" if mode == "pool" else "pool")
    pooled = shown["pool"].assessment
    assert pooled is not None
    _check_seven_seven_one(pooled.scores)
    assert shown["pool"].left_out == 1 and len(shown["pool"].figures_frame) == 14
    # hiding instead: the funder is hidden, and a partner of seven with it
    hidden = shown["hide"].assessment
    assert hidden is not None and hidden.scores.left_out == 0
    d = hidden.scores.dimensions[0]
    assert sum(v is None for v in d.by_organisation.values()) == 2
    assert any("cannot be worked out" in n for n in views.anonymity_notes(hidden.scores))


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "healthcheck.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def test_seven_seven_one_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "round.csv"
    frame = frame_from_records(_seven_seven_one(), CORE, partnership="Harbour + City")
    path.write_text(export_csv(frame, CORE), encoding="utf-8")
    result = _cli("score", path, "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["respondents"] == 15
    assert doc["anonymity"]["organisation"] == {"pooled": {}, "left_out": ["Bright Fund"], "hidden": []}
    assert set(doc["anonymity"]["level"]) == {"pooled", "left_out", "hidden"}
    for d in doc["dimensions"]:
        assert set(d["by_organisation"]) == {"Harbour Music", "City Fostering"}
        assert None not in d["by_organisation"].values() and d["answered"] == 14
        assert not any(s.startswith("organisation:") for s in d["suppressed"])
    hide = json.loads(_cli("score", path, "--format", "json", "--small-groups", "hide").stdout)
    assert hide["anonymity"]["organisation"]["left_out"] == []
    assert len(hide["anonymity"]["organisation"]["hidden"]) == 2  # the funder, and a partner with it
    for d in hide["dimensions"]:
        assert "organisation:Bright Fund" in d["suppressed"] and d["answered"] == 15
    # the CSV and table formats say the same
    rows = list(csv.DictReader(io.StringIO(_cli("score", path, "--format", "csv").stdout)))
    assert rows and not any(r.get("suppressed", "").count("organisation:") for r in rows)
    report = tmp_path / "report.md"
    result = _cli("report", path, "-o", report)
    assert result.returncode == 0, result.stderr
    text = report.read_text(encoding="utf-8")
    assert "1 response from a group too small to show is not in these figures" in text
    assert "City Fostering" in text and "Harbour Music" in text
    result = _cli("report", path, "-o", tmp_path / "hidden.md", "--small-groups", "hide")
    assert result.returncode == 0, result.stderr
    assert "cannot be worked out" in (tmp_path / "hidden.md").read_text(encoding="utf-8")
    assert _cli("score", path, "--small-groups", "drop").returncode == 2


def test_an_area_too_few_answered_keeps_everyone_in() -> None:
    """Leaving the funder's person out would leave an area with two answers, their mean a pair's
    own: the plan falls back to keeping everyone and hiding small groups instead."""
    rng = random.Random(3)
    items = [i.id for i in MINI.likert_items]
    records = [_person(i, o, "operational", rng, items) for i, o in enumerate("AAAF")]
    only = MINI.likert_items[0].id
    records[2]["answers"].pop(only)  # one of A skips the first question
    scores = ScoreTable(MINI, frame_from_records(records, MINI), 3).partnership(0)
    assert scores.left_out == 0 and scores.organisations == {"A": 3, "F": 1}
    everyone = {(r["respondent"],): 1 for r in records}
    for dim in MINI.dimensions:
        assert linear_leak(everyone, _sums(records, scores, dim), 3) is None, dim


# ----------------------------------------------------------------------------- the app


def test_rounds_page_chooses_and_dashboard_says_what_is_left_out(tmp_path: Path) -> None:
    from ..apptest import app, app_store
    from ..ui.test_app import ok, open_page, texts

    with app_store(tmp_path) as store:
        p, token = store.create_partnership("Harbour + City", "core", 3, [
            ("Harbour Music", "music"), ("City Fostering", "fostering"), ("Bright Fund", "other")])
        r, _ = store.open_round(p.id, "Spring", "core", CORE.version)
        at = open_page(app(admin=token).run(), "rounds")
        ok(at)
        choice = at.radio(key=f"small_groups_{r.id}")
        assert choice.value == "pool"
        choice.set_value("hide").run()
        ok(at)
        assert store.get_round(r.id).small_groups == "hide"
        at.radio(key=f"small_groups_{r.id}").set_value("pool").run()
        assert store.get_round(r.id).small_groups == "pool"
        orgs = {o.name: o.id for o in store.organisations(p.id)}
        for k, rec in enumerate(_seven_seven_one()):
            store.submit_response(r.id, orgs[rec["organisation"]], rec["level"], None, rec["answers"], {},
                                  f"k{k}")
        at = app(admin=token).run()  # the dashboard is the first page
        ok(at)
        page = texts(at)
        assert "1 response from a group too small to show is not in these figures" in page
        assert "Harbour Music" in page and "City Fostering" in page
        at = open_page(at, "rounds")  # results have shown: the choice is now fixed
        ok(at)
        assert not [w for w in at.radio if w.key == f"small_groups_{r.id}"]
        assert "fixed now that results have appeared" in texts(at)


def test_rounds_that_existed_before_the_choice_keep_hiding(db_url: str) -> None:
    """They were shown hiding small groups; showing the same answers pooled would let the two be
    compared. New rounds pool."""
    from alembic import command

    from healthcheck import store as store_mod

    with Store(db_url) as s:
        p, _ = s.create_partnership("P", "core", 3, [("Harbour Music", "music")])
        old, _ = s.open_round(p.id, "Spring", "core", "1")
        assert s.get_round(old.id).small_groups == "pool"
        for step, target in ((command.downgrade, "0006"), (command.upgrade, "head")):
            with s._write_engine.begin() as conn:  # noqa: SLF001 - as Store.migrate runs it
                step(store_mod.alembic_config(conn), target)
        assert s.get_round(old.id).small_groups == "hide"
        new, _ = s.open_round(p.id, "Autumn", "core", "1")
        assert s.get_round(new.id).small_groups == "pool"
        with pytest.raises(Exception, match="pooled"):
            s.set_small_groups(new.id, "drop")
