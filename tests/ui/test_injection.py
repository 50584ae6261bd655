"""Injection: HTML, Markdown, script and spreadsheet-formula payloads typed by users (partnership,
organisation and funder names, round labels, comments, team notes, action plans, workshop titles)
are shown as text on every page, in the report and in every export (issue 7).

Pages are driven with AppTest: wherever Streamlit renders Markdown (markdown, captions, titles,
alerts, expander and tab labels, widget labels, st.table cells) the payload must arrive escaped
(`plain()`), and once unescaped it must read exactly as typed. Exports are the files the pages
offer (built by the same functions); every text cell must be neutralised, never a formula.
The report's own escaping tests live in tests/present/test_report.py; this file feeds it the store's data.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from healthcheck.core.assess import assess
from healthcheck.core.csvsafe import FORMULA_STARTS
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import frame_from_records
from healthcheck.core.rules import load_rules
from healthcheck.core.text import without_bidi
from healthcheck.present import report
from healthcheck.present.exports import anonymised_csv
from healthcheck.services import portfolio as pf
from healthcheck.services.workshop import workshop_assessment
from healthcheck.store import Store, sharing
from healthcheck.store import workshops as ws

from ..apptest import app, app_store
from .test_app import open_page

RTL = "\u202eevil\u202c"
# Markdown Streamlit would turn into an image, a coloured label, links, an emoji or an icon (issue 14).
BEACON = ("![beacon](http://beacon.invalid/x.png) :red[HDR] **B** www.beacon.invalid me@beacon.invalid "
          ":smile: :material/home:")
NAME = "<script>alert(1)</script> **bold** [link](javascript:alert(1)) " + RTL + " " + BEACON
ORGS = (
    "<img src=x onerror=alert(1)> # heading",
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1) -1+1",
    ("-1+1 " + "very long organisation name " * 6).strip(),
)
ROUND = "# heading <img src=x onerror=alert(1)> =1+1 \u2066http://beacon.invalid/r\u2069"
COMMENTS = ("<script>alert(1)</script> in a comment", "**bold** [link](javascript:alert(1))",
            "\t=1 tab first", "=HYPERLINK(\"http://x\") comment", "+cmd|' /C calc'!A0 " + "long " * 150)
NOTE = "<img src=x onerror=alert(1)> =HYPERLINK(\"http://x\") **note**"
ACTION = "+cmd|' /C calc'!A0 **bold** <script>alert(1)</script>"
OWNER = "@SUM(1) [link](javascript:alert(1))"
WORKSHOP = "<script>alert(1)</script> **ws** # heading"
FUNDER = "Fund <b>x</b> @SUM(1)"
# Raw markup that must never reach anything Streamlit renders as Markdown.
RAW = ("<script", "<img", "<b>", "](javascript:", "**bold**", "**note**", "**ws**")


@dataclass
class World:
    store: Store
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def _records(org: str, n: int, comment: str | None) -> list[dict[str, Any]]:
    return [{"organisation": org, "level": "operational", "role": "=role()",
             "answers": {"q.clear_problem": 1, "fact.named_lead": "no"},
             "comments": {"q.clear_problem": comment} if comment and i == 0 else {}} for i in range(n)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with app_store(tmp_path_factory.mktemp("injection")) as store:
        w = World(store)
        kinds = ("music", "childrens_services", "fostering", "virtual_school", "other")
        p, w.tokens["admin"] = store.create_partnership(NAME, "core", 3, list(zip(ORGS, kinds, strict=True)))
        r, w.tokens["resp"] = store.open_round(p.id, ROUND, "core", "1")
        recs: list[dict[str, Any]] = []
        for org, comment in zip(ORGS, COMMENTS, strict=True):
            recs += _records(org, 3, comment)
        store.import_records(r.id, recs)
        orgs = store.organisations(p.id)
        store.set_team_note(p.id, orgs[0].id, "team.challenges", NOTE)
        store.set_team_note(p.id, orgs[1].id, "team.challenges", "=1+1 " + NOTE)
        store.add_action(p.id, r.id, ACTION, owner=OWNER)
        info, w.tokens["fac"] = ws.create_workshop(store, p.id, WORKSHOP)  # on the pulse check
        q = load_questionnaire(find_questionnaire("pulse"))
        for i in range(6):
            ws.submit(store, info, orgs[i % 2].id, "operational", {"q.clear_problem": 2}, f"key{i}", q)
        ws.reveal(store, info.id)
        w.tokens["join"] = info.join_code
        funder, w.tokens["funder"] = sharing.create_funder(store, FUNDER)
        sharing.share_round(store, r.id, funder.id, include_comments=True)
        w.tokens["invite"] = sharing.new_invitation(store, funder.id)
        w.ids.update(partnership=p.id, round=r.id, workshop=info.id, funder=funder.id)
        yield w


# ----------------------------------------------------------------------------- reading a page

_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~:$=])")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")
# What Streamlit's Markdown makes live in plain text after escapes are read: GFM autolinks, emoji
# shortcodes, material icons; and, before escapes are read, directives such as :red[...].
LIVE_TEXT = re.compile(r"https?://|\bwww\.|[\w.+-]@[-\w]+\.|:[\w/+-]+:", re.IGNORECASE)
LIVE_SOURCE = re.compile(r"(?<!\\):[a-z]+\[")
_RENDER = MarkdownIt("commonmark").enable("table")


def unescape(md: str) -> str:
    """What a reader sees of text escaped by plain(): the backslashes and entities resolved (and
    the invisible word joiners that keep links from forming)."""
    return html.unescape(_MD_ESCAPE.sub(r"\1", md)).replace("\u2060", "")


def shown(typed: str) -> str:
    """How text typed by a user reads on a page: as typed, without bidirectional controls."""
    return BIDI.sub("", typed)


def assert_not_live(md: str) -> None:
    """Nothing in a Markdown string becomes a link, an image, a directive, an emoji or an icon."""
    rendered = _RENDER.render(md)
    assert "<a " not in rendered and "<img" not in rendered, md[:200]
    assert not LIVE_SOURCE.search(md), md[:200]
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert not LIVE_TEXT.search(text), (LIVE_TEXT.search(text), md[:200])


def markdown_strings(at: AppTest) -> list[str]:
    """Every string Streamlit renders as Markdown on this page."""
    out: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info",
                 "success", "toast"):
        out.extend(str(e.value) for e in at.get(kind))
    out.extend(str(e.label) for e in at.expander)
    out.extend(str(t.label) for t in at.tabs)
    out.extend(str(m.label) for m in at.metric)
    for kind in ("selectbox", "radio", "multiselect", "text_input", "text_area", "button", "checkbox",
                 "date_input", "segmented_control", "file_uploader", "download_button", "toggle",
                 "number_input"):
        out.extend(str(w.label) for w in at.get(kind))
    for table in at.table:  # st.table renders Markdown in every cell
        frame = table.value
        out.extend(str(c) for c in frame.columns)
        out.extend(str(v) for v in frame.to_numpy().ravel())
    for radio in at.radio:  # radio options render Markdown too
        out.extend(str(o) for o in radio.options)
    return out


def raw_strings(at: AppTest) -> list[str]:
    """Strings shown as plain text: st.text, st.code, dataframe cells, select options, inputs."""
    out = [str(e.value) for e in [*at.text, *at.code]]
    for df in at.dataframe:
        out.extend(str(v) for v in df.value.to_numpy().ravel())
    for kind in ("selectbox", "multiselect"):
        for w in at.get(kind):
            out.extend(str(o) for o in w.options)
    for kind in ("text_input", "text_area"):
        out.extend(str(w.value) for w in at.get(kind))
    return out


def check_page(at: AppTest, *expected: str) -> None:
    """No exception; no raw markup where Markdown renders; each expected text shown as typed."""
    assert not at.exception, [e.value for e in at.exception]
    md = markdown_strings(at)
    assert not any("Something went wrong" in s for s in md)
    for s in md:
        for bad in RAW:
            assert bad not in s, (bad, s[:200])
        assert not re.search(r"(^|\n)\s{0,3}#{1,6} heading", s), s[:200]  # no heading from user text
        assert_not_live(s)
    raw = raw_strings(at)
    for s in md + raw:
        assert not BIDI.search(s), s[:200]
    seen = "\n".join([unescape(s) for s in md] + raw)
    for text in expected:
        assert " ".join(shown(text).split()) in " ".join(seen.split()), text[:60]


# ----------------------------------------------------------------------------- pages


def test_admin_pages_show_payloads_as_text(world: World) -> None:
    at = app(admin=world.tokens["admin"]).run()
    at.selectbox(key="dash_round").set_value(world.ids["round"]).run()  # not the newer workshop
    check_page(at, NAME, ORGS[0], ORGS[2], COMMENTS[0], COMMENTS[1], ROUND)  # dashboard
    check_page(open_page(at, "rounds"), ROUND, ORGS[1], ORGS[3], WORKSHOP)
    check_page(open_page(at, "teams"), *ORGS[:2], NOTE)
    check_page(open_page(at, "actions"), ACTION, OWNER)
    check_page(open_page(at, "exports"))
    check_page(open_page(at, "rules"))


def test_answer_page_shows_payloads_as_text(world: World) -> None:
    at = app(r=world.tokens["resp"]).run()
    check_page(at, NAME, ROUND, *ORGS)


def test_funder_portfolio_shows_payloads_as_text(world: World) -> None:
    at = app(funder=world.tokens["funder"]).run()
    check_page(at, FUNDER, NAME, COMMENTS[0], COMMENTS[1])


def test_forms_headers_and_file_names_show_as_text(world: World) -> None:
    """A Forms export's headers and its file name are the file's text: shown, never rendered (the
    browser fetched the image of a header written as Markdown)."""
    at = app(funder=world.tokens["funder"]).run()
    at.segmented_control(key="pf_source").set_value("Imported files").run()
    header = ["Organisation", "Level", BEACON, RTL + " " + NOTE]
    rows = [header, [ORGS[0], "Operational", "Agree", "x"]]
    data = "".join(",".join('"' + c.replace('"', '""') + '"' for c in row) + "\n" for row in rows).encode()
    name = BEACON + ".csv"
    at.file_uploader(key="pf_upload").set_value((name, data, "text/csv")).run()  # type: ignore[attr-defined]
    check_page(at, BEACON, NOTE, name)
    labels = [str(s.label) for s in at.selectbox if str(s.label).startswith("Column ")]
    assert len(labels) == 2, labels


def test_funder_invitation_shows_payloads_as_text(world: World) -> None:
    check_page(app(invite=world.tokens["invite"]).run(), FUNDER)  # the partnership's landing page
    at = open_page(app(admin=world.tokens["admin"]).run(), "rounds")  # pasted on a round's panel
    at.text_input(key=f"invite_{world.ids['round']}").input(world.tokens["invite"])
    at.button(key=f"invite_look_{world.ids['round']}").click().run()
    check_page(at, FUNDER, f"Share with {FUNDER}")


def test_workshop_pages_show_payloads_as_text(world: World) -> None:
    check_page(app(facilitate=world.tokens["fac"]).run(), WORKSHOP, NAME)
    check_page(app(join=world.tokens["join"]).run(), WORKSHOP, NAME, *ORGS)


# ----------------------------------------------------------------------------- exports


def _round_frame(world: World) -> tuple[Any, Any]:
    q = load_questionnaire(find_questionnaire("core"))
    records = world.store.response_records(world.ids["round"])
    return q, frame_from_records(records, q, partnership=NAME)


def assert_safe_cells(rows: list[list[Any]], where: str) -> None:
    for row in rows:
        for cell in row:
            if isinstance(cell, str) and cell:
                assert not cell.startswith(FORMULA_STARTS), (where, cell[:40])


def test_responses_csv_and_workshop_export_are_neutralised(world: World) -> None:
    q, frame = _round_frame(world)
    text, hidden = anonymised_csv(frame, q, 3)
    assert not hidden
    rows = list(csv.reader(io.StringIO(text)))
    assert_safe_cells(rows, "responses csv")
    cells = {c for row in rows for c in row}
    assert "'" + ORGS[1] in cells and "'" + ORGS[2] in cells and "'" + ORGS[3] in cells
    assert "'\t=1 tab first" in cells or "'=1 tab first" in cells
    assert ORGS[0] in cells  # no formula start: unchanged
    # the workshop's export goes through the same function with the workshop's own frame
    info = ws.get_workshop(world.store, world.ids["workshop"])
    assert info is not None
    pulse = load_questionnaire(find_questionnaire("pulse"))
    _, wframe, _ = workshop_assessment(world.store, info, pulse, None)
    wrows = list(csv.reader(io.StringIO(anonymised_csv(wframe, pulse, 3)[0])))
    assert_safe_cells(wrows, "workshop csv")
    assert "'" + ORGS[1] in {c for row in wrows for c in row}


def test_portfolio_csv_and_xlsx_are_neutralised(world: World) -> None:
    portfolio, _ = pf.store_portfolio(world.store, world.ids["funder"], load_rules(),
                                      lambda qid: load_questionnaire(find_questionnaire(qid)))
    rows = portfolio.rows
    stored = without_bidi(NAME)  # names are stored without bidirectional controls
    assert [r.partnership for r in rows] == [stored]
    data = list(csv.reader(io.StringIO(pf.to_csv(rows))))
    assert_safe_cells(data, "portfolio csv")
    assert stored in {c for row in data for c in row}
    book = load_workbook(io.BytesIO(pf.to_xlsx(rows)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), (sheet.title, cell.value[:40])
    assert stored in {c.value for c in book["Portfolio"]["A"]}


def test_assessment_json_keeps_text_literal(world: World) -> None:
    q, frame = _round_frame(world)
    doc = json.loads(json.dumps(assess(q, frame, load_rules(), 3).as_dict(), ensure_ascii=False))
    assert doc["partnership"] == NAME
    first = doc["dimensions"][0]["by_organisation"]
    assert set(first) == set(ORGS)


def test_report_from_the_store_is_literal(world: World) -> None:
    q, frame = _round_frame(world)
    a = assess(q, frame, load_rules(), 3)
    kwargs: dict[str, Any] = {"actions": world.store.actions(world.ids["partnership"]), "round_label": ROUND,
                              "comments": report.low_score_comments(frame, q, 3)}
    md = report.report_bytes(a, fmt="md", **kwargs).decode("utf-8")
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    for bad in ("<script", "<img", "<a ", "<strong>bold</strong>", "<h1>heading", "<b>"):
        assert bad not in rendered, bad
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", "", rendered)).split())
    for text in (NAME, ROUND, ACTION, OWNER, *ORGS[:4], COMMENTS[0], COMMENTS[1]):
        assert " ".join(text.split()) in shown, text[:50]
    # The PDF's text path (charts are images and cost seconds: left out here, see test_report.py)
    pdf = report.to_pdf(report.build_report(a, with_charts=False, **kwargs))
    text = " ".join("\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for piece in ("<script>alert(1)</script>", "**bold** [link](javascript:alert(1))", ORGS[1], "@SUM(1)"):
        assert piece in text, piece
