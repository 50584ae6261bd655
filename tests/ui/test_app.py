"""The Streamlit app, page by page, with AppTest (no browser): flows, bad links, empty states."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from healthcheck.core.anonymity import SUPPRESSED_ORG
from healthcheck.core.anonymity import hidden_groups as groups_to_suppress
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import frame_from_records
from healthcheck.core.rules import load_rules
from healthcheck.present.exports import anonymised_csv
from healthcheck.services.demo import load_demo
from healthcheck.store import Store
from healthcheck.ui.common import plain

from ..apptest import app


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Go to an st.navigation page registered with a callable (AppTest.switch_page needs files)."""
    for page_hash, info in at._registered_pages.items():  # noqa: SLF001 - no public API for callables
        if info.get("url_pathname") == url_path:
            at._page_hash = page_hash  # noqa: SLF001
            return at.run()
    raise AssertionError(f"no page {url_path!r}: {[i.get('url_pathname') for i in at._registered_pages.values()]}")  # noqa: SLF001,E501


def texts(at: AppTest) -> str:
    """Every piece of visible text on the page, for 'does it say X' checks."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning",
                 "error", "success", "code"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    for e in at.expander:
        parts.append(str(e.label))
    for df in [*at.dataframe, *at.table]:
        parts.append(df.value.to_csv())
    return "\n".join(parts)


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert "Something went wrong on our side" not in texts(at)


TWO_ORGS = (("Harbour Music", "music"), ("City CYPS", "childrens_services"))


def partnership(store: Store, threshold: int = 3, questionnaire: str = "core",
                orgs: tuple[tuple[str, str], ...] = TWO_ORGS) -> tuple[Any, str]:
    return store.create_partnership("Harbour + City", questionnaire, threshold, list(orgs))


def record(org: str, level: str = "operational", **answers: Any) -> dict[str, Any]:
    return {"organisation": org, "level": level, "role": None, "answers": answers, "comments": {}}


# ----------------------------------------------------------------------------- helpers


def test_plain_escapes_markdown_and_html() -> None:
    text = plain("**bold** [link](http://x) <script>alert(1)</script> $x$ :red[x] # h")
    assert "**" not in text.replace("\\*", "")
    assert "<script>" not in text
    assert "\\[link\\]" in text and "\\$x\\$" in text and "\\:red" in text


def test_groups_to_suppress_hides_enough() -> None:
    assert groups_to_suppress({"A": 5, "B": 4}, 3) == set()
    # one small group alone would be named by elimination: the next smallest goes too
    assert groups_to_suppress({"A": 5, "B": 4, "C": 1}, 3) == {"B", "C"}
    assert groups_to_suppress({"A": 5, "B": 2, "C": 2}, 3) == {"B", "C"}
    assert groups_to_suppress({"A": 5, "B": 1, "C": 1}, 3) == {"A", "B", "C"}
    assert groups_to_suppress({"A": 5, "B": 0}, 3) == set()


# ----------------------------------------------------------------------------- public pages


def test_start_creates_partnership_and_shows_admin_link(db: Store) -> None:
    at = app().run()
    ok(at)
    at.text_input(key="start_name").input("Harbour Music + City CYPS")
    at.text_input(key="start_org_0").input("Harbour Music")
    at.text_input(key="start_org_1").input("City CYPS")
    at.selectbox(key="start_kind_1").set_value("childrens_services")
    at.number_input(key="start_threshold").set_value(4)
    at.button(key="start_create").click().run()
    ok(at)
    links = [c.value for c in at.code if "?admin=" in c.value]
    assert len(links) == 1 and links[0].startswith("https://hc.example.org/?admin=")
    assert any("Keep this admin link safe" in w.value for w in at.warning)
    (p,) = db.list_partnerships()
    assert p.name == "Harbour Music + City CYPS" and p.threshold == 4
    assert [(o.name, o.kind) for o in db.organisations(p.id)] == [("Harbour Music", "music"),
                                                                  ("City CYPS", "childrens_services")]
    token = links[0].split("?admin=")[1]
    assert db.partnership_by_admin_token(token) == p


def test_start_reports_missing_name_plainly(db: Store) -> None:
    at = app().run()
    at.text_input(key="start_org_0").input("Harbour Music")
    at.button(key="start_create").click().run()
    ok(at)
    assert any("name for the partnership" in e.value for e in at.error)
    assert db.list_partnerships() == []


def test_start_hints_at_demo(db: Store) -> None:
    load_demo(db)
    at = app().run()
    ok(at)
    assert "healthcheck demo" in texts(at)


def test_rules_page_lists_every_rule(db: Store) -> None:
    at = app().run()
    at = open_page(at, "rules")
    ok(at)
    pack = load_rules()
    labels = [e.label for e in at.expander]
    assert len(labels) == len(pack.rules)
    for rule in pack.rules:
        assert any(plain(rule.title) in label for label in labels), rule.id
    page = texts(at)
    assert "What it looks at" in page and "Recommended actions" in page
    assert len(at.dataframe) == sum(1 for r in pack.rules if r.examples)


# ----------------------------------------------------------------------------- links


def test_bad_admin_token_shows_plain_message(db: Store) -> None:
    at = app(admin="not-a-real-token").run()
    ok(at)
    assert any("admin link does not work" in e.value for e in at.error)


def test_bad_respondent_token_shows_plain_message(db: Store) -> None:
    at = app(r="not-a-real-token").run()
    ok(at)
    assert any("link does not work" in e.value for e in at.error)
    assert not at.radio


def test_closed_round_takes_no_answers(db: Store) -> None:
    p, _ = partnership(db)
    r, token = db.open_round(p.id, "Away day", "core", "1")
    db.close_round(r.id)
    at = app(r=token).run()
    ok(at)
    assert any("closed" in i.value for i in at.info)
    assert not at.radio and not at.button


# ----------------------------------------------------------------------------- answering


def _fill_about(at: AppTest, rid: int, org_id: int, level: str = "operational") -> AppTest:
    text = texts(at)
    assert "Before you start" in text and "fewer than 3" in text
    at.selectbox(key=f"ans{rid}_about:organisation").set_value(org_id)
    at.radio(key=f"ans{rid}_about:level").set_value(level)
    at.run()
    at.button(key=f"ans{rid}_nav:start").click().run()
    return at


def _answer_all(at: AppTest, q: Any, rid: int, value: int = 2) -> AppTest:
    for n, section in enumerate(q.sections, start=1):
        assert at.get("progress"), "a progress bar on every section"
        for item in section.items:
            key = f"ans{rid}_a:{item.id}"
            if item.type == "likert":
                at.radio(key=key).set_value(value)
            elif item.type == "choice":
                at.radio(key=key).set_value(item.choices[-1].id)
            else:
                at.text_area(key=key).input("Weekly sessions at the family centre")
        at.run()
        if n < len(q.sections):
            at.button(key=f"ans{rid}_nav:next{n}").click().run()
        ok(at)
    return at


def test_answer_flow_submits_once(db: Store, pulse: Any) -> None:
    p, _ = partnership(db, questionnaire="pulse")
    orgs = db.organisations(p.id)
    r, token = db.open_round(p.id, "Away day", "pulse", pulse.version)
    at = app(r=token).run()
    ok(at)
    at = _fill_about(at, r.id, orgs[0].id)
    # likert questions have no default answer and offer "Don't know"
    first = pulse.sections[0].items[0]
    radio = at.radio(key=f"ans{r.id}_a:{first.id}")
    assert radio.value is None
    assert "Don't know" in radio.options
    at = _answer_all(at, pulse, r.id, value=2)
    send = at.button(key=f"ans{r.id}_nav:send")
    send.click().run()
    ok(at)
    assert any("Thank you" in s.value for s in at.success)
    assert db.response_counts(r.id)[orgs[0].name] == 1
    assert not at.radio, "no questions (and no results) after sending"
    # the same session again (a double click reruns the page): still one response
    at.run()
    ok(at)
    assert sum(db.response_counts(r.id).values()) == 1
    (rec,) = db.response_records(r.id)
    assert rec["answers"][first.id] == 2 and rec["level"] == "operational"


def test_forwarded_link_with_a_used_key_still_stores_the_answers(db: Store, pulse: Any) -> None:
    """Issue 14. This test used to assert that a new session opening `?r=TOKEN&k=<used key>` stored
    nothing ("already been sent"): anyone sent a link copied from an address bar lost their
    answers. The key is now the page session's own, never read from the address."""
    p, _ = partnership(db, questionnaire="pulse")
    orgs = db.organisations(p.id)
    r, token = db.open_round(p.id, "Away day", "pulse", pulse.version)
    at = app(r=token).run()
    used = at.session_state[f"ans{r.id}_key"]
    at = _answer_all(_fill_about(at, r.id, orgs[0].id), pulse, r.id)
    at.button(key=f"ans{r.id}_nav:send").click().run()
    assert sum(db.response_counts(r.id).values()) == 1
    # the same session again (a double click reruns the page): still one
    at.run()
    assert sum(db.response_counts(r.id).values()) == 1
    # the link forwarded to a colleague with the used key in it: a form, and their answers stored
    again = app(r=token, k=used).run()
    ok(again)
    assert again.session_state[f"ans{r.id}_key"] != used
    assert not any("Thank you" in s.value for s in again.success)
    again = _answer_all(_fill_about(again, r.id, orgs[1].id), pulse, r.id, value=4)
    again.button(key=f"ans{r.id}_nav:send").click().run()
    ok(again)
    assert any("Thank you" in s.value for s in again.success)
    assert not any("already been sent" in i.value for i in again.info)
    assert db.response_counts(r.id) == {orgs[0].name: 1, orgs[1].name: 1}
    assert "k" not in at.query_params and "k" not in again.query_params  # never (or no longer) in the address


def test_half_filled_form_survives_moving_between_sections(db: Store, pulse: Any) -> None:
    p, _ = partnership(db, questionnaire="pulse")
    orgs = db.organisations(p.id)
    r, token = db.open_round(p.id, "Away day", "pulse", pulse.version)
    at = _fill_about(app(r=token).run(), r.id, orgs[1].id, "strategic")
    item = pulse.sections[0].items[0]
    at.radio(key=f"ans{r.id}_a:{item.id}").set_value(4).run()
    at.button(key=f"ans{r.id}_nav:next1").click().run()
    at.button(key=f"ans{r.id}_nav:back2").click().run()
    ok(at)
    assert at.radio(key=f"ans{r.id}_a:{item.id}").value == 4
    at.button(key=f"ans{r.id}_nav:back1").click().run()
    assert at.selectbox(key=f"ans{r.id}_about:organisation").value == orgs[1].id
    assert at.radio(key=f"ans{r.id}_about:level").value == "strategic"


def test_low_answer_asks_for_a_comment(db: Store) -> None:
    q = load_questionnaire(find_questionnaire("core"))
    p, _ = partnership(db)
    orgs = db.organisations(p.id)
    r, token = db.open_round(p.id, "Away day", "core", q.version)
    at = _fill_about(app(r=token).run(), r.id, orgs[0].id)
    section = q.sections[0]
    prompted = next(i for i in section.items if i.comment_prompt_below and not i.reverse)
    assert not any(t.key == f"ans{r.id}_c:{prompted.id}" for t in at.text_area)
    at.radio(key=f"ans{r.id}_a:{prompted.id}").set_value(prompted.comment_prompt_below - 1).run()
    assert any(t.key == f"ans{r.id}_c:{prompted.id}" for t in at.text_area)
    at.radio(key=f"ans{r.id}_a:{prompted.id}").set_value(5).run()
    assert not any(t.key == f"ans{r.id}_c:{prompted.id}" for t in at.text_area)


# ----------------------------------------------------------------------------- admin pages


@pytest.fixture
def demo(db: Store) -> dict[str, str]:
    return dict(load_demo(db))


def test_dashboard_with_demo_data(db: Store, demo: dict[str, str]) -> None:
    name = "Northgate Strings + County Virtual School"
    at = app(admin=demo[name]).run()
    ok(at)
    page = texts(at)
    assert "Dashboard" in page and "Nobody is leading" in page
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")
    assert any("Show as table" in e.label for e in at.expander)
    # every finding has actions with an "Add to action plan" button
    assert any(b.label == "Add to action plan" for b in at.button)
    assert "Change since the previous round" in page
    # the radar toggles to levels and to the whole partnership
    for view in ("By level", "Whole partnership"):
        at.segmented_control(key="dash_radar_view").set_value(view).run()
        ok(at)
    at.segmented_control(key="dash_factor_style").set_value("Radar").run()
    ok(at)


def test_dashboard_offers_the_board_report(db: Store, demo: dict[str, str]) -> None:
    at = app(admin=demo["Northgate Strings + County Virtual School"]).run()
    ok(at)
    assert "Report for the board" in texts(at)
    buttons = [e for e in at.get("download_button") if "report" in str(e.proto.label).lower()]
    assert len(buttons) == 2  # PDF and Markdown


def test_dashboard_small_level_reads_fewer_than(db: Store, demo: dict[str, str]) -> None:
    # Harbour's strategic level has two respondents: "fewer than 3", never the number
    at = app(admin=demo["Harbour Music + City Children's Services"]).run()
    ok(at)
    levels = next(t.value for t in at.table if "Level" in t.value.columns)
    strategic = levels[levels["Level"] == "Strategic"].iloc[0]
    assert strategic["responses"] == "fewer than 3"
    assert strategic["shown on the charts"] == "fewer than 3 responses"


def test_dashboard_marks_small_groups_and_hides_their_comments(db: Store) -> None:
    p, token = partnership(db, orgs=(("Harbour Music", "music"), ("City CYPS", "childrens_services"),
                                     ("Tiny Team", "fostering")))
    r, _ = db.open_round(p.id, "Away day", "core", "1")
    recs = [record("Harbour Music", **{"q.clear_problem": 1}) for _ in range(3)]
    recs += [record("City CYPS", **{"q.clear_problem": 5}) for _ in range(3)]
    recs += [record("Tiny Team", **{"q.clear_problem": 1})]
    recs[0]["comments"] = {"q.clear_problem": "Shared comment from a big group"}
    recs[-1]["comments"] = {"q.clear_problem": "Secret comment from the tiny team"}
    db.import_records(r.id, recs)
    at = app(admin=token).run()
    ok(at)
    page = texts(at)
    assert "fewer than 3 responses" in page
    assert "Shared comment from a big group" in page
    assert "Secret comment from the tiny team" not in page
    assert "Tiny Team,1" not in page


def test_dashboard_add_to_action_plan(db: Store, demo: dict[str, str]) -> None:
    name = "Northgate Strings + County Virtual School"
    at = app(admin=demo[name]).run()
    (p,) = [x for x in db.list_partnerships() if x.name == name]
    before = len(db.actions(p.id))
    next(b for b in at.button if b.label == "Add to action plan").click().run()
    ok(at)
    assert len(db.actions(p.id)) == before + 1


def test_empty_states(db: Store) -> None:
    p, token = partnership(db)
    at = app(admin=token).run()
    ok(at)
    assert any("No rounds yet" in i.value for i in at.info)
    for page in ("rounds", "teams", "actions", "exports"):
        open_page(at, page)
        ok(at)
    db.open_round(p.id, "Away day", "core", "1")
    at = app(admin=token).run()
    ok(at)
    assert any("Nobody has answered" in i.value for i in at.info)
    for page in ("rounds", "teams", "actions", "exports"):
        open_page(at, page)
        ok(at)


def test_rounds_open_share_and_close(db: Store) -> None:
    p, token = partnership(db, threshold=3)
    at = open_page(app(admin=token).run(), "rounds")
    ok(at)
    at.text_input(key="round_label").input("Away day, March")
    next(b for b in at.button if b.label == "Open the round").click().run()
    ok(at)
    (r,) = db.rounds(p.id)
    assert r.label == "Away day, March" and r.is_open
    links = [c.value for c in at.code if "?r=" in c.value]
    assert len(links) == 1
    assert db.round_by_respondent_token(links[0].split("?r=")[1]) == r
    orgs = db.organisations(p.id)
    db.submit_response(r.id, orgs[0].id, "operational", None, {"q.clear_problem": 4}, {}, "k1")
    at.run()
    page = texts(at)
    assert "fewer than 3" in page and "Harbour Music,1" not in page
    at.button(key=f"close_{r.id}").click().run()
    ok(at)
    assert not db.rounds(p.id)[0].is_open


def test_partner_teams_save_and_shared_priorities(db: Store) -> None:
    p, token = partnership(db)
    orgs = db.organisations(p.id)
    at = open_page(app(admin=token).run(), "teams")
    ok(at)
    at.text_area(key=f"team_{orgs[0].id}_team.challenges").input("Placement moves disrupt school attendance")
    save = next(b for b in at.button if b.label == "Save notes" and b.form_id.endswith(str(orgs[0].id)))
    save.click().run()
    ok(at)
    assert db.team_notes(p.id)[orgs[0].name]["team.challenges"] == "Placement moves disrupt school attendance"
    db.set_team_note(p.id, orgs[1].id, "team.outcomes", "School attendance and wellbeing, each term")
    at.run()
    ok(at)
    shared = at.dataframe[-1].value
    assert "attendance" in set(shared["theme"])


def test_action_plan_add_and_edit(db: Store, demo: dict[str, str]) -> None:
    name = "Harbour Music + City Children's Services"
    (p,) = [x for x in db.list_partnerships() if x.name == name]
    at = open_page(app(admin=demo[name]).run(), "actions")
    ok(at)
    earlier = db.actions(p.id)
    assert len(earlier) == 2
    assert "Open items from earlier rounds" in texts(at)
    # earlier open items show beside the new findings
    assert any(t.key == f"plan_item_owner_{earlier[0].id}" for t in at.text_input)
    at.text_input(key="plan_owner").input("Jo, Harbour Music")
    next(b for b in at.button if b.label == "Add to the action plan").click().run()
    ok(at)
    items = db.actions(p.id)
    assert len(items) == 3 and items[-1].owner == "Jo, Harbour Music" and items[-1].rule_id
    at.selectbox(key=f"plan_item_status_{items[-1].id}").set_value("done").run()
    ok(at)
    assert db.actions(p.id)[-1].status == "done"


def test_exports_page_and_files(db: Store) -> None:
    q = load_questionnaire(find_questionnaire("core"))
    p, token = partnership(db, orgs=(("Harbour Music", "music"), ("City CYPS", "childrens_services"),
                                     ("Tiny Team", "fostering")))
    first, _ = db.open_round(p.id, "Earlier", "core", "1")
    db.import_records(first.id, [record("Harbour Music") for _ in range(10)])
    r, _ = db.open_round(p.id, "Away day", "core", "1")  # its responses are stored as R11...
    recs = [record("Harbour Music", **{"q.clear_problem": 2}) for _ in range(4)]
    recs += [record("City CYPS", **{"q.clear_problem": 4}) for _ in range(3)]
    recs += [record("Tiny Team", **{"q.clear_problem": 1})]
    recs[0]["comments"] = {"q.clear_problem": "=HYPERLINK(\"http://evil\")"}
    db.import_records(r.id, recs)
    at = open_page(app(admin=token).run(), "exports")
    ok(at)
    assert len(at.get("download_button")) == 2
    # by default the round leaves Tiny Team's one person out of its figures, and so of the file
    assert any("1 response from a group too small to show is not in these figures" in c.value
               and "leaves their rows out too" in c.value for c in at.caption)
    assert not any(SUPPRESSED_ORG in w.value for w in at.warning)

    records = db.response_records(r.id)
    text, hidden = anonymised_csv(frame_from_records(records, q, "Harbour + City"), q, p.threshold)
    assert hidden == {"Tiny Team", "City CYPS"}
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["organisation"] for row in rows} == {"Harbour Music", SUPPRESSED_ORG}
    stored_ids = {rec["respondent"] for rec in records}
    assert not stored_ids & {row["respondent"] for row in rows}
    assert sorted(row["respondent"] for row in rows) == sorted(f"R{k}" for k in range(1, 9))
    comment = next(row["q.clear_problem_comment"] for row in rows if row["q.clear_problem_comment"])
    assert comment.startswith("'=")


def test_a_failing_page_shows_a_friendly_message(db: Store, demo: dict[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from healthcheck.present import views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal detail that must not reach the browser")

    monkeypatch.setattr(views, "finding_rows", broken)
    at = app(admin=demo["Harbour Music + City Children's Services"]).run()
    assert not at.exception
    assert any("Something went wrong on our side" in e.value for e in at.error)
    assert "internal detail" not in texts(at)


def test_cli_demo_prints_admin_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from healthcheck.cli import main

    url = f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"
    assert main(["demo", "--database-url", url]) == 0
    out = capsys.readouterr().out
    tokens = [line.split("?admin=")[1] for line in out.splitlines() if "?admin=" in line]
    assert len(tokens) == 4
    with Store(url) as store:
        assert all(store.partnership_by_admin_token(t) for t in tokens)
        assert all(len(store.rounds(p.id)) == 2 for p in store.list_partnerships())
    # a second run loads nothing twice and issues new links
    assert main(["demo", "--database-url", url]) == 0
    with Store(url) as store:
        assert len(store.list_partnerships()) == 4
        assert not any(store.partnership_by_admin_token(t) for t in tokens)
