"""Anonymity walk: one organisation below the threshold; every page, export and report is searched
for any breakdown of it (a score, a count or a comment) and none may be found (issue 7).

The small organisation has a name nobody else uses ("Zyzzyva Tiny Team"), answers unlike anyone
else's (5 everywhere, so its own score would read 100), a comment, a written answer and a role
that all carry "Zyzzyva". The name may appear only where the page says it is hidden, with no
number beside it other than the threshold itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from healthcheck.cli import main as cli
from healthcheck.core.assess import assess
from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.responses import export_csv, frame_from_records
from healthcheck.core.rules import load_rules
from healthcheck.present import report
from healthcheck.present.exports import anonymised_csv
from healthcheck.services import portfolio as pf
from healthcheck.services.workshop import workshop_assessment
from healthcheck.store import Store, sharing
from healthcheck.store import workshops as ws

from ..apptest import app, app_store
from .test_app import open_page

TINY = "Zyzzyva Tiny Team"
SECRETS = ("Zyzzyva secret comment", "Zyzzyva team text", "Zyzzyva coordinator")
BIG = {"Oak Music": 4, "Oak Council": 3, "Oak Fostering": 5}
THRESHOLD = 3


def _core() -> Questionnaire:
    return load_questionnaire(find_questionnaire("core"))


def _records(q: Questionnaire) -> list[dict[str, Any]]:
    recs: list[dict[str, Any]] = []
    for org, n in BIG.items():
        for i in range(n):
            answers: dict[str, Any] = {item.id: 1 + (i % 2) for item in q.likert_items}
            answers["fact.named_lead"] = "no"
            answers["team.challenges"] = f"{org} workload"
            recs.append({"organisation": org, "level": "operational" if i % 2 else "strategic", "role": None,
                         "answers": answers, "comments": {"q.clear_problem": f"{org} big comment"} if i == 0
                         else {}})
    tiny: dict[str, Any] = {item.id: 5 for item in q.likert_items}
    tiny.update({"q.clear_problem": 1, "fact.named_lead": "yes", "team.challenges": SECRETS[1]})
    recs.append({"organisation": TINY, "level": "funder", "role": SECRETS[2], "answers": tiny,
                 "comments": {"q.clear_problem": SECRETS[0]}})
    return recs


@dataclass
class World:
    store: Store
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with app_store(tmp_path_factory.mktemp("anon")) as store:
        w = World(store)
        kinds = ("music", "childrens_services", "fostering", "other")
        p, w.tokens["admin"] = store.create_partnership("Oak Partnership", "core", THRESHOLD,
                                                        list(zip([*BIG, TINY], kinds, strict=True)))
        # The workshop first, so the survey round is the newest (the pages' default round).
        info, w.tokens["fac"] = ws.create_workshop(store, p.id, "Oak workshop")
        pulse = load_questionnaire(find_questionnaire("pulse"))
        orgs = {o.name: o.id for o in store.organisations(p.id)}
        k = 0
        for org, n in {**BIG, TINY: 1}.items():
            for _ in range(n):
                value = 5 if org == TINY else 1 + k % 2
                ws.submit(store, info, orgs[org], "operational",
                          {i.id: value for i in pulse.likert_items}, f"key{k}", pulse)
                k += 1
        ws.reveal(store, info.id)
        r, _ = store.open_round(p.id, "Oak spring round", "core", "1")
        store.import_records(r.id, _records(_core()))
        funder, w.tokens["funder"] = sharing.create_funder(store, "Oak Fund")
        sharing.share_round(store, r.id, funder.id, include_comments=True)
        w.ids.update(partnership=p.id, round=r.id, funder=funder.id, workshop=info.id)
        yield w


# ----------------------------------------------------------------------------- the check

_ALLOWED = re.compile(rf"fewer than {THRESHOLD}( responses)?|at least {THRESHOLD}|{THRESHOLD} or more"
                      r"|\d+ organisation\(s\) are hidden")  # how many are hidden, not who said what


def no_number(text: str, where: str) -> None:
    """Text naming the small organisation may say it is hidden, nothing more: no clause (the
    stretch between separators) that names it holds a number other than the threshold."""
    for secret in SECRETS:
        assert secret not in text, (where, secret)
    for clause in re.split(r"[;|\n]|\.(?!\d)", _ALLOWED.sub("", text)):
        if "Zyzzyva" in clause:
            assert not re.search(r"\d", clause), (where, clause[:300], text[:300])


def check_units(units: list[str], where: str) -> None:
    for unit in units:
        for secret in SECRETS:
            assert secret not in unit, (where, secret)
        for line in unit.splitlines():
            if "Zyzzyva" in line:
                no_number(line, where)


def _is_key(cell: object) -> bool:
    """A cell that says "this row is the small organisation" (not a list of hidden groups)."""
    return isinstance(cell, str) and cell.strip().startswith(TINY) and len(cell.strip()) <= len(TINY) + 16


def check_frame(frame: pd.DataFrame, where: str) -> None:
    """No column or row about the small organisation holds a number; text cells naming it say
    only that it is hidden."""
    frame = frame.reset_index(drop=True)
    for col in frame.columns:
        if "Zyzzyva" in str(col):
            for v in frame[col]:
                assert not isinstance(v, int | float) or pd.isna(v), (where, col, v)
    for row in frame.itertuples(index=False):
        if any(_is_key(c) for c in row):
            numbers = [c for c in row if isinstance(c, int | float) and not isinstance(c, bool)
                       and not pd.isna(c)]
            assert not numbers, (where, "a number for the small organisation", list(row))
            for c in row:
                if isinstance(c, str) and not _is_key(c):
                    assert not re.search(r"\d", _ALLOWED.sub("", c)), (where, list(row))
        for c in row:
            if isinstance(c, str) and "Zyzzyva" in c:
                no_number(c, where)


def check_page(at: AppTest, where: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    units: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error",
                 "success", "code"):
        units.extend(str(e.value).replace("\\", "") for e in at.get(kind))
    units.extend(str(e.label).replace("\\", "") for e in at.expander)
    units.extend(f"{m.label} {m.value}" for m in at.metric)
    check_units(units, where)
    assert not any("Something went wrong" in u for u in units), where
    for df in [*at.dataframe, *at.table]:
        check_frame(df.value, where)
    for chart in [*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart")]:
        spec = json.loads(chart.proto.spec) if chart.proto.spec else {}
        for values in (spec.get("datasets") or {}).values():
            if isinstance(values, list):
                check_frame(pd.DataFrame(values), where + " chart")
        for ds in chart.proto.datasets:
            data = ds.data.data if ds.HasField("data") else b""
            if data:
                check_frame(pa.ipc.open_stream(data).read_all().to_pandas(), where + " chart")
        check_json(spec, where + " chart spec")


def check_json(obj: Any, where: str) -> None:
    """Every string naming the small organisation says only that it is hidden; no record (a
    mapping) that is about it holds a number."""
    if isinstance(obj, dict):
        if any(_is_key(v) for v in obj.values()):
            numbers = [v for v in obj.values() if isinstance(v, int | float) and not isinstance(v, bool)]
            assert not numbers, (where, obj)
        for v in obj.values():
            check_json(v, where)
    elif isinstance(obj, list):
        for v in obj:
            check_json(v, where)
    elif isinstance(obj, str) and "Zyzzyva" in obj:
        no_number(obj, where)


# ----------------------------------------------------------------------------- pages


def test_admin_pages(world: World) -> None:
    at = app(admin=world.tokens["admin"]).run()
    check_page(at, "dashboard")
    # named as hidden (by default its one person is left out of the figures, and the "Who
    # answered" table names it so): the test looks at the right round
    page = "\n".join([*(str(e.value) for e in at.caption), *(t.value.to_csv() for t in at.table)])
    assert "Zyzzyva" in page.replace("\\", "")
    for view in ("By level", "Whole partnership"):
        at.segmented_control(key="dash_radar_view").set_value(view).run()
        check_page(at, f"dashboard {view}")
    at.segmented_control(key="dash_factor_style").set_value("Radar").run()
    check_page(at, "dashboard radar")
    for name in ("rounds", "teams", "actions", "exports"):
        check_page(open_page(at, name), name)


def test_funder_portfolio_and_drill_down(world: World) -> None:
    at = app(funder=world.tokens["funder"]).run()
    check_page(at, "portfolio")
    assert any("Oak Music big comment" in t.value for t in at.text)  # big groups' shared comments show


def test_workshop_console_and_participant_after_reveal(world: World) -> None:
    check_page(app(facilitate=world.tokens["fac"]).run(), "console")
    info = ws.get_workshop(world.store, world.ids["workshop"])
    assert info is not None and info.revealed
    check_page(app(join=info.join_code).run(), "participant")


# ----------------------------------------------------------------------------- exports and reports


def _frame(world: World) -> pd.DataFrame:
    return frame_from_records(world.store.response_records(world.ids["round"]), _core(),
                              partnership="Oak Partnership")


def test_exports_csv_json_and_workshop_export(world: World) -> None:
    q = _core()
    frame = _frame(world)
    text, hidden = anonymised_csv(frame, q, THRESHOLD)
    assert TINY in hidden
    assert "Zyzzyva" not in text  # neither its name, its role, its comment nor its written answer
    doc = assess(q, frame, load_rules(), THRESHOLD).as_dict()
    # by default its one person cannot be pooled, so is left out of every figure (and says so)
    assert doc["anonymity"]["organisation"]["left_out"] == [TINY]
    for d in doc["dimensions"]:
        assert d["by_organisation"].get(TINY) is None and TINY not in d["by_organisation"]
    assert not any(s in json.dumps(doc) for s in SECRETS)
    info = ws.get_workshop(world.store, world.ids["workshop"])
    assert info is not None
    pulse = load_questionnaire(find_questionnaire("pulse"))
    _, wframe, wa = workshop_assessment(world.store, info, pulse, load_rules())
    assert "Zyzzyva" not in anonymised_csv(wframe, pulse, THRESHOLD)[0]
    assert all(d["by_organisation"].get(TINY) is None for d in wa.as_dict()["dimensions"])
    portfolio, _ = pf.store_portfolio(world.store, world.ids["funder"], load_rules(),
                                      lambda qid: load_questionnaire(find_questionnaire(qid)))
    check_units([pf.to_csv(portfolio.rows), pf.to_json(portfolio.rows)], "portfolio export")
    assert "Zyzzyva" not in pf.to_csv(portfolio.rows)


def test_report_from_the_store(world: World) -> None:
    q = _core()
    frame = _frame(world)
    a = assess(q, frame, load_rules(), THRESHOLD)
    comments = report.low_score_comments(frame, q, THRESHOLD)
    model = report.build_report(a, comments=comments, actions=world.store.actions(world.ids["partnership"]))
    md = report.to_markdown(model)
    check_units([md.replace("\\", "")], "markdown report")
    pdf = report.to_pdf(report.build_report(a, comments=comments, with_charts=False))
    check_units(["\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)], "pdf report")
    assert model.charts
    for key, chart in model.charts.items():  # the PDF's pictures are drawn from these specs
        spec = chart.to_dict(validate=False)
        for values in (spec.get("datasets") or {}).values():
            check_frame(pd.DataFrame(values), f"report chart {key}")


def test_cli_score_and_report(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = _core()
    path = tmp_path / "responses.csv"
    path.write_text(export_csv(_frame(world), q), encoding="utf-8")
    for fmt in ("json", "table", "csv"):
        assert cli(["score", str(path), "--format", fmt]) == 0
        out = capsys.readouterr().out
        if fmt == "json":
            doc = json.loads(out)
            assert all(d["by_organisation"].get(TINY) is None for d in doc["dimensions"])
            assert not any(s in out for s in SECRETS)
        else:
            rows = list(csv.reader(io.StringIO(out))) if fmt == "csv" else [[ln] for ln in out.splitlines()]
            check_frame(pd.DataFrame(rows), f"score --format {fmt}")
    # The CLI's Markdown report (its PDF is the same document model; see test_report_from_the_store).
    target = tmp_path / "report.md"
    assert cli(["report", str(path), "-o", str(target)]) == 0
    check_units([target.read_text(encoding="utf-8").replace("\\", "")], "cli report md")
