"""Tell people: the privacy notice before the first question (answer and workshop pages), edited
per partnership and translated like the page wording; the contact given at Start; and
docs/privacy.md listing every stored field for a data protection impact assessment."""

from __future__ import annotations

from pathlib import Path

from healthcheck.core.fielddocs import BEGIN, END, FIELD_DOCS, markdown
from healthcheck.core.pagetext import PAGE_TEXT
from healthcheck.core.vocabulary import DEFAULT_RETENTION_MONTHS
from healthcheck.store import Base, Store, audit
from healthcheck.store import workshops as ws
from healthcheck.ui.common import plain

from ..apptest import app
from .test_app import ok, open_page, texts

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "privacy.md"
ORGS = [("Harbour Music", "music"), ("City CYPS", "childrens_services")]


# --------------------------------------------------------------------------------------------
# docs/privacy.md


def test_every_stored_field_is_described() -> None:
    """Walks the models: a new table or column fails here until it is described (and the doc
    regenerated with `python -m healthcheck.core.fielddocs`)."""
    for name, table in Base.metadata.tables.items():
        assert name in FIELD_DOCS, f"describe the table {name} in healthcheck/core/fielddocs.py"
        doc = FIELD_DOCS[name]
        assert set(doc.fields) == {c.name for c in table.columns}, name
        assert doc.purpose and doc.retention and all(doc.fields.values()), name
    assert set(FIELD_DOCS) == set(Base.metadata.tables)


def test_docs_privacy_lists_every_column_of_the_models() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert markdown() in text, ("docs/privacy.md is out of date: replace its fields section with the "
                                "output of `python -m healthcheck.core.fielddocs`")
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    tables = {part.split("`", 1)[0]: part for part in section.split("### `")[1:]}
    for name, table in Base.metadata.tables.items():
        assert name in tables, f"docs/privacy.md does not list the table {name}"
        assert "**Kept:**" in tables[name]
        for column in table.columns:
            assert f"| `{column.name}` |" in tables[name], f"docs/privacy.md misses {name}.{column.name}"


# --------------------------------------------------------------------------------------------
# The notice on the answer and workshop pages


def test_answer_page_shows_the_default_notice_before_the_first_question(db: Store) -> None:
    p, _ = db.create_partnership("Harbour + City", "core", 4, ORGS, contact="Data protection officer, "
                                 "dpo@harbour.example")
    r, token = db.open_round(p.id, "Spring", "core", "1")
    at = app(r=token).run()
    ok(at)
    notice = next(e for e in at.expander if e.label == PAGE_TEXT["privacy.title"])
    shown = "\n".join(str(m.value) for m in notice.markdown)
    assert PAGE_TEXT["privacy.default"].format(threshold=4, months=DEFAULT_RETENTION_MONTHS) in shown
    assert f"deleted {DEFAULT_RETENTION_MONTHS} months after this round closes" in shown
    assert PAGE_TEXT["privacy.contact"] in shown
    assert [t.value for t in notice.text] == ["Data protection officer, dpo@harbour.example"]  # copyable
    # before the first question: above "Your organisation", on the page before any item is drawn
    order = [str(getattr(c, "label", "")) for c in at.main.children.values()]
    assert order.index(PAGE_TEXT["privacy.title"]) < order.index("Your organisation")
    assert not any(str(e.key).startswith(f"ans{r.id}_a:") for e in at.radio)  # no questionnaire item yet


def test_the_partnerships_own_notice_is_shown_as_typed(db: Store) -> None:
    p, _ = db.create_partnership("Harbour + City", "core", 3, ORGS)
    own = "We keep **everything** <script>alert(1)</script>\n[click](http://evil.example)"
    db.update_partnership(p.id, privacy_notice=own)
    r, token = db.open_round(p.id, "Spring", "core", "1")
    at = app(r=token).run()
    ok(at)
    notice = next(e for e in at.expander if e.label == PAGE_TEXT["privacy.title"])
    shown = [str(m.value) for m in notice.markdown]
    assert plain(own) in shown  # escaped: no bold, no HTML, no link
    assert not any("What we keep" in s for s in shown)
    assert PAGE_TEXT["privacy.no_contact"] in shown  # no contact given at Start


def test_the_default_notice_is_translated_with_the_page(db: Store) -> None:
    p, _ = db.create_partnership("Harbour + City", "core", 3, ORGS)
    _, token = db.open_round(p.id, "Spring", "core", "1")
    at = app(r=token, lang="en-US").run()
    ok(at)
    assert "the organization and level you choose" in texts(at)
    at.selectbox(key="hc_lang").set_value("en-GB").run()
    ok(at)
    assert "the organisation and level you choose" in texts(at)


def test_workshop_page_shows_the_notice_before_the_questions(db: Store) -> None:
    p, _ = db.create_partnership("Harbour + City", "pulse", 3, ORGS, contact="Ana, 0161 000 0000")
    info, _ = ws.create_workshop(db, p.id, "Away day workshop")
    at = app(join=info.join_code).run()
    ok(at)
    notice = next(e for e in at.expander if e.label == PAGE_TEXT["privacy.title"])
    assert notice.proto.expanded
    assert [t.value for t in notice.text] == ["Ana, 0161 000 0000"]
    assert "Nobody sees one person's answers" in "\n".join(str(m.value) for m in notice.markdown)


# --------------------------------------------------------------------------------------------
# Setting it: Start and the Privacy page


def test_start_stores_the_privacy_contact(db: Store) -> None:
    at = app().run()
    ok(at)
    at.text_input(key="start_name").set_value("Harbour + City")
    at.text_input(key="start_org_0").set_value("Harbour Music")
    at.text_input(key="start_org_1").set_value("City CYPS")
    at.text_input(key="start_contact").set_value("  Data protection officer,   dpo@city.example ")
    at.button(key="start_create").click().run()
    ok(at)
    [p] = db.list_partnerships()
    assert p.privacy_contact == "Data protection officer, dpo@city.example"


def test_admin_edits_the_notice_and_contact(db: Store) -> None:
    p, token = db.create_partnership("Harbour + City", "core", 3, ORGS, contact="Old contact")
    at = open_page(app(admin=token).run(), "privacy")
    ok(at)
    assert "What we keep" in texts(at)  # the default wording, as respondents see it
    at.text_input(key="privacy_contact").set_value("Jo Bloggs, DPO")
    at.text_area(key="privacy_notice").set_value("Our own words about your data.")
    next(b for b in at.button if b.label == "Save").click().run()
    ok(at)
    saved = db.get_partnership(p.id)
    assert saved is not None
    assert saved.privacy_contact == "Jo Bloggs, DPO"
    assert saved.privacy_notice == "Our own words about your data."
    assert "Our own words about your data" in texts(at)
    last = audit.events(db, p.id, limit=1)[0]
    assert (last.actor, last.action) == ("admin", "settings.changed")
    assert last.description == "Privacy contact changed to 'Jo Bloggs, DPO'. Privacy notice changed."
    # emptying the box goes back to the default wording
    at.text_area(key="privacy_notice").set_value("   ")
    next(b for b in at.button if b.label == "Save").click().run()
    ok(at)
    saved = db.get_partnership(p.id)
    assert saved is not None and saved.privacy_notice is None
    assert audit.events(db, p.id, limit=1)[0].description == "Privacy notice reset to the default wording."
