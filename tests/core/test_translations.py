"""Questionnaire translations: loading, located errors, fallback, fingerprints, the template, the
CLI, scoring unchanged, and the language picker on the answer and participant pages.

The bad files live in tests/data/bad_translations/; each is a translation of tests/data/mini.yaml
with one defect, named on its first line. Expected lines were read off the files by hand.
"""

from __future__ import annotations

import ast
import hashlib
import random
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from streamlit.testing.v1 import AppTest

from healthcheck.cli import main
from healthcheck.core.assess import assess
from healthcheck.core.errors import InputError
from healthcheck.core.frameworks import LEVELS
from healthcheck.core.pagetext import PAGE_TEXT, PageText, placeholders
from healthcheck.core.questionnaire import (
    QUESTIONNAIRE_DIR,
    Questionnaire,
    find_questionnaire,
    is_translation_file,
    load_questionnaire,
    shipped_questionnaires,
)
from healthcheck.core.responses import frame_from_records
from healthcheck.core.rules import load_rules
from healthcheck.core.translations import (
    available_languages,
    count_texts,
    fingerprint,
    load_translation,
    localise,
    localised,
    template,
    translation_paths,
)
from healthcheck.core.workshop import items_for
from healthcheck.store import Store
from healthcheck.store import workshops as ws
from healthcheck.ui.common import plain

from ..apptest import app

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini.yaml"
BAD = ROOT / "tests" / "data" / "bad_translations"
JARGON = ("pydantic", "Traceback", "dict_type", "ValidationError", "model_type", "input_value",
          "errors.pydantic.dev", "<class", "ruamel")
TEXT_FIELDS = {"title", "description", "labels", "dont_know", "intro", "text", "help", "label",
               "language", "language_name"}


@pytest.fixture(scope="module")
def mini() -> Questionnaire:
    return load_questionnaire(MINI)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.width = 4096
    return y


def pseudo_translation(q: Questionnaire, language: str = "en-x-test", name: str = "Test English",
                       mark: str = "~") -> str:
    """The template with every text marked (`~ text ~`): a stand-in language that is obviously not
    the original, so tests can see which text is shown. Not a translation of anything."""
    import io

    y = _yaml()
    doc = y.load(template(q, language, name))

    def marked(v: Any) -> Any:
        return f"{mark} {v} {mark}" if isinstance(v, str) else v

    for key in ("title", "description"):
        if key in doc:
            doc[key]["text"] = marked(doc[key]["text"])
    doc["scale"]["labels"] = [marked(v) for v in doc["scale"]["labels"]]
    doc["scale"]["dont_know"] = marked(doc["scale"]["dont_know"])
    for entry in doc["sections"].values():
        for key in ("title", "intro"):
            if key in entry:
                entry[key] = marked(entry[key])
    for entry in doc["items"].values():
        for key in ("text", "help"):
            if key in entry:
                entry[key] = marked(entry[key])
        for cid in list(entry.get("choices", {})):
            entry["choices"][cid] = marked(entry["choices"][cid])
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def without_text(q: Questionnaire) -> Any:
    """Everything about a questionnaire except what a person reads: ids, types, scoring."""
    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in TEXT_FIELDS}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return strip(q.model_dump())


# ----------------------------------------------------------------------------- loading


def test_fingerprint_is_the_start_of_sha1() -> None:
    text = "Partnership health check"
    assert fingerprint(text) == hashlib.sha1(text.encode()).hexdigest()[:8]
    assert fingerprint("a", "b") == hashlib.sha1(b"a\nb").hexdigest()[:8]


@pytest.mark.parametrize("name", ["core", "pulse"])
def test_template_round_trip_changes_nothing(name: str, tmp_path: Path) -> None:
    q = load_questionnaire(find_questionnaire(name))
    path = tmp_path / f"{name}.fr.yaml"
    path.write_text(template(q, "fr", "Français"), encoding="utf-8")
    t = load_translation(path, q)
    assert t.warnings == () and t.covered == t.total == count_texts(q)
    same = localise(q, t)
    expected = q.model_dump() | {"language": "fr", "language_name": "Français"}
    assert same.model_dump() == expected


def test_template_holds_every_text_with_its_fingerprint(mini: Questionnaire) -> None:
    doc = _yaml().load(template(mini, "en-US", "English (US)"))
    assert doc["language"] == "en-US" and doc["name"] == "English (US)"
    assert doc["title"] == {"source": fingerprint(mini.title), "text": mini.title}
    assert list(doc["items"]) == [i.id for i in mini.items]
    fact = doc["items"]["fact.time_costed"]
    assert dict(fact["choices"]) == {"yes": "Yes", "partly": "Partly", "no": "No", "dont_know": "Don't know"}
    assert fact["source"] == fingerprint(mini.item_by_id["fact.time_costed"].text, "Yes", "Partly", "No",
                                         "Don't know")
    assert doc["sections"][1]["intro"] == mini.sections[0].intro


def test_partial_translation_falls_back_to_the_original(mini: Questionnaire, tmp_path: Path) -> None:
    fact = mini.item_by_id["fact.time_costed"]
    path = tmp_path / "mini.en-US.yaml"
    path.write_text(f"""\
language: en-US
name: English (US)
items:
  meetings.useful:
    source: "{fingerprint(mini.item_by_id['meetings.useful'].text)}"
    text: Our meetings have the right people and end with agreed action items that get done.
  fact.time_costed:
    source: "{fingerprint(fact.text, *(c.label for c in fact.choices))}"
    choices:
      partly: Partially
""", encoding="utf-8")
    t = load_translation(path, mini)
    assert (t.covered, t.total) == (2, count_texts(mini)) and t.warnings == ()
    us = localise(mini, t)
    assert us.item_by_id["meetings.useful"].text.endswith("agreed action items that get done.")
    assert [c.label for c in us.item_by_id["fact.time_costed"].choices] == ["Yes", "Partially", "No",
                                                                            "Don't know"]
    assert us.item_by_id["fact.time_costed"].text == fact.text  # no text given: the original
    assert us.title == mini.title and us.scale == mini.scale
    assert [s.title for s in us.sections] == [s.title for s in mini.sections]
    assert us.language == "en-US" and us.language_name == "English (US)"
    assert without_text(us) == without_text(mini)


# (file, line, fragment); lines read off the files by hand
BAD_CASES = [
    ("missing_language.yaml", 2, "language: this field is required but missing"),
    ("bad_language_tag.yaml", 2, "'en_US' is not a language tag"),
    ("unknown_item.yaml", 8, "there is no item 'culture.open_debat' in this questionnaire (did you mean "
                             "'culture.open_debate'?)"),
    ("unknown_choice.yaml", 10, "item 'fact.time_costed' has no choice 'maybe'"),
    ("choices_on_likert.yaml", 8, "'meetings.useful' is a likert question, so it has no choices"),
    ("duplicate_key.yaml", 8, "a key appears twice in the same mapping"),
    ("text_is_a_list.yaml", 7, "text: this should be text"),
    ("tries_to_change_scoring.yaml", 8, "reverse: this field is not known here"),
    ("tries_to_change_scoring.yaml", 9, "dimensions: this field is not known here"),
    ("scale_four_labels.yaml", 6, "scale.labels: this needs at least 5 items"),
    ("no_such_section.yaml", 8, "there is no section 3: sections are numbered 1 to 2"),
    ("unquoted_fingerprint.yaml", 5, "write the fingerprint in quotes"),
    ("missing_source.yaml", 5, "source: this field is required but missing"),
    ("intro_without_base_intro.yaml", 8, "section 2 (Facts) has no intro to translate"),
    ("same_language_as_base.yaml", 2, "the questionnaire itself is written in en-GB"),
    ("items_is_a_list.yaml", 4, "items: this should be a mapping of keys to values"),
    ("syntax_tab_indent.yaml", 6, "YAML syntax error"),
    ("empty.yaml", 1, "the file is empty"),
    ("page_unknown_id.yaml", 5, "there is no page text 'answer.nxt' (did you mean 'answer.next'?)"),
    ("page_placeholder_dropped.yaml", 7, "page text 'answer.section' must keep the same placeholders as "
                                         "the original ({number}, {sections}, {title})"),
    ("page_lone_brace.yaml", 7, "write a brace that is not a placeholder twice"),
    ("page_empty_braces.yaml", 7, "page text 'send' must keep the same placeholders as the original (none)"),
]


@pytest.mark.parametrize(("name", "line", "fragment"), BAD_CASES, ids=[f"{c[0]}:{c[1]}" for c in BAD_CASES])
def test_bad_translation_is_located_and_plain(mini: Questionnaire, name: str, line: int,
                                             fragment: str) -> None:
    path = BAD / name
    with pytest.raises(InputError) as info:
        load_translation(path, mini)
    shown = [str(p) for p in info.value.problems]
    assert any(s.startswith(f"{path}:{line}: ") and fragment in s for s in shown), shown
    for s in shown:
        assert not any(word in s for word in JARGON), s


def test_every_bad_file_is_a_case_and_says_what_is_wrong() -> None:
    assert {p.name for p in BAD.glob("*.yaml")} == {c[0] for c in BAD_CASES}
    for p in BAD.glob("*.yaml"):
        assert p.read_text(encoding="utf-8").startswith("# Defect: "), p.name


def test_file_name_and_language_must_agree(mini: Questionnaire, tmp_path: Path) -> None:
    path = tmp_path / "mini.fr.yaml"
    path.write_text("language: en-US\nname: English (US)\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_translation(path, mini)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:1: the language is 'en-US' but the file name says 'fr': make them the same"]


# ----------------------------------------------------------------------------- fingerprints


def test_changed_original_text_is_a_warning_not_an_error(mini: Questionnaire, tmp_path: Path) -> None:
    path = tmp_path / "mini.en-US.yaml"
    path.write_text(template(mini, "en-US", "English (US)"), encoding="utf-8")
    newer = MINI.read_text(encoding="utf-8").replace(
        "Our meetings have the right people", "Our meetings bring the right people together")
    (tmp_path / "mini.yaml").write_text(newer, encoding="utf-8")
    changed = load_questionnaire(tmp_path / "mini.yaml")
    t = load_translation(path, changed)
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                if text.strip() == f'source: "{fingerprint(mini.item_by_id["meetings.useful"].text)}"')
    current = fingerprint(changed.item_by_id["meetings.useful"].text)
    assert [str(w) for w in t.warnings] == [
        f"{path}:{line}: warning: item 'meetings.useful' was translated from older English (UK) text: check "
        f'the translation against the current text, then set its source to "{current}"']
    # still usable: it shows the (older) translation until someone updates it
    assert localise(changed, t).item_by_id["meetings.useful"].text == mini.item_by_id["meetings.useful"].text


def test_a_new_choice_makes_the_item_out_of_date(mini: Questionnaire, tmp_path: Path) -> None:
    path = tmp_path / "mini.en-US.yaml"
    path.write_text(template(mini, "en-US", "English (US)"), encoding="utf-8")
    newer = MINI.read_text(encoding="utf-8").replace(
        '          - {id: partly, label: Partly}\n',
        '          - {id: partly, label: Partly}\n          - {id: planned, label: Planned}\n')
    changed = load_questionnaire(MINI, newer)
    t = load_translation(path, changed)
    assert [w.message.split(" was ")[0] for w in t.warnings] == ["warning: item 'fact.time_costed'"]
    assert t.covered == t.total - 1  # the new choice is not translated yet


# ----------------------------------------------------------------------------- discovery


def _beside(tmp_path: Path, *translations: tuple[str, str]) -> Path:
    base = tmp_path / "mini.yaml"
    shutil.copy(MINI, base)
    for name, text in translations:
        (tmp_path / name).write_text(text, encoding="utf-8")
    return base


def test_translations_are_found_beside_the_questionnaire(mini: Questionnaire, tmp_path: Path) -> None:
    base = _beside(tmp_path, ("mini.en-US.yaml", template(mini, "en-US", "English (US)")),
                   ("mini.cy.yaml", pseudo_translation(mini, "cy", "Test Welsh")),
                   ("mini.de.yaml", "language: de\nname: Deutsch\nitems: {nope: 1}\n"),  # broken: left out
                   ("other.fr.yaml", "language: fr\nname: Français\n"))  # another questionnaire's
    assert [p.name for p in translation_paths(base)] == ["mini.cy.yaml", "mini.de.yaml", "mini.en-US.yaml"]
    assert [(lang.tag, lang.name) for lang in available_languages(base)] == [
        ("en-GB", "English (UK)"), ("cy", "Test Welsh"), ("en-US", "English (US)")]
    assert localised(base, "CY").item_by_id["team.challenges"].text.startswith("~ ")
    assert localised(base, "en-gb") == mini
    with pytest.raises(InputError, match="no translation into 'fr'"):
        localised(base, "fr")


def test_translation_files_are_not_questionnaires(tmp_path: Path) -> None:
    assert is_translation_file(Path("core.en-US.yaml")) and is_translation_file(Path("pulse.zh-Hant-TW.yaml"))
    assert not is_translation_file(Path("core.yaml")) and not is_translation_file(Path("core.v2.yaml"))
    assert all(not is_translation_file(p) for p in shipped_questionnaires())
    assert [p.stem for p in shipped_questionnaires()] == ["core", "pulse"]
    path = tmp_path / "core.en-US.yaml"
    path.write_text("language: en-US\nname: English (US)\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"this is a translation of core\.yaml, not a questionnaire"):
        load_questionnaire(path)


def test_shipped_translations_load_completely_and_are_current() -> None:
    found = [p for q in shipped_questionnaires() for p in translation_paths(q)]
    assert {p.name for p in found} >= {"core.en-US.yaml", "pulse.en-US.yaml"}
    for path in found:
        q = load_questionnaire(QUESTIONNAIRE_DIR / f"{path.name.split('.')[0]}.yaml")
        t = load_translation(path, q)
        assert t.covered == t.total, t.summary()
        # out of date after the original changed: run `healthcheck validate` and refresh these entries
        assert t.warnings == (), [str(w) for w in t.warnings]


# ----------------------------------------------------------------------------- scoring


def test_scoring_is_identical_in_every_language() -> None:
    core = load_questionnaire(find_questionnaire("core"))
    path = QUESTIONNAIRE_DIR / "core.en-US.yaml"
    pseudo = load_translation(Path("core.en-x-test.yaml"), core, text=pseudo_translation(core))
    variants = [localise(core, load_translation(path, core)), localise(core, pseudo)]
    rng = random.Random(8)
    orgs = ["Harbour Music", "City CYPS", "Fostering Team"]
    records = []
    for n in range(24):
        answers: dict[str, Any] = {}
        for item in core.items:
            if item.type == "likert":
                answers[item.id] = rng.choice([1, 2, 3, 4, 5, 5, "dk"])
            elif item.type == "choice":
                answers[item.id] = rng.choice(item.choices).id
        records.append({"organisation": orgs[n % 3], "level": list(LEVELS)[n % 3], "role": None,
                        "answers": answers, "comments": {}})
    pack = load_rules()
    def numbers(doc: dict[str, Any]) -> dict[str, Any]:
        """The document without `to_clear`: a sentence quoting items in the language they were asked in."""
        for f in doc["findings"]:
            for e in f["evidence"]:
                e.pop("to_clear")
        return doc

    base = numbers(assess(core, frame_from_records(records, core, partnership="P"), pack, 3).as_dict())
    assert base["findings"] or base["dimensions"]
    for q in variants:
        assert any(q.item_by_id[i.id].text != i.text for i in core.items)
        assert without_text(q) == without_text(core)
        assert numbers(assess(q, frame_from_records(records, q, partnership="P"), pack, 3).as_dict()) == base


# ----------------------------------------------------------------------------- CLI


def test_cli_validate_reports_completeness_and_out_of_date_entries(
        mini: Questionnaire, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = template(mini, "en-US", "English (US)").replace(
        f'source: "{fingerprint(mini.title)}"', 'source: "00000000"')
    partial = "language: cy\nname: Test Welsh\n"
    _beside(tmp_path, ("mini.en-US.yaml", text), ("mini.cy.yaml", partial))
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok: 1 questionnaire(s)")
    total = count_texts(mini)
    n = len(PAGE_TEXT)
    page = f"of {n} texts of the page wording"
    cy = tmp_path / "mini.cy.yaml"
    assert f"{cy}: Test Welsh (cy) translates 0 of {total} texts (0%), and 0 {page}" in out
    us = tmp_path / "mini.en-US.yaml"
    # the template carries every text, page wording included
    assert f"{us}: English (US) (en-US) translates {total} of {total} texts (100%), and {n} {page}" in out
    # line 10: the template's first line names the schema (`healthcheck schema`)
    assert (f"{tmp_path / 'mini.en-US.yaml'}:10: warning: the title was translated from older English (UK) "
            f"text: check the translation against the current text, then set its source to "
            f'"{fingerprint(mini.title)}"') in out


def test_cli_validate_names_file_and_line_of_a_bad_translation(
        mini: Questionnaire, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _beside(tmp_path, ("mini.en-US.yaml", (BAD / "unknown_choice.yaml").read_text(encoding="utf-8")))
    assert main(["validate", str(base)]) == 1  # found beside the questionnaire named
    out = capsys.readouterr().out
    assert f"{tmp_path / 'mini.en-US.yaml'}:10: item 'fact.time_costed' has no choice 'maybe'" in out
    assert main(["validate", str(tmp_path / "mini.en-US.yaml")]) == 1  # named on its own
    assert f"{tmp_path / 'mini.en-US.yaml'}:10: " in capsys.readouterr().out
    orphan = tmp_path / "gone.en-US.yaml"
    orphan.write_text("language: en-US\nname: English (US)\n", encoding="utf-8")
    assert main(["validate", str(orphan)]) == 1
    out = capsys.readouterr().out
    assert f"{orphan}: there is no questionnaire gone.yaml beside this translation file" in out


def test_cli_translation_template(mini: Questionnaire, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translation-template", str(MINI), "en-US", "--name", "English (US)"]) == 0
    printed = capsys.readouterr().out
    out = tmp_path / "mini.en-US.yaml"
    assert main(["translation-template", str(MINI), "en-US", "--name", "English (US)", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == printed
    assert load_translation(out, mini).covered == count_texts(mini)
    out.write_text("a translator's work", encoding="utf-8")
    assert main(["translation-template", str(MINI), "en-US", "-o", str(out)]) == 1
    assert "this file already exists" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "a translator's work"
    assert main(["translation-template", "core", "en_US"]) == 1
    assert "'en_US' is not a language tag" in capsys.readouterr().err
    assert main(["translation-template", "core", "en-GB"]) == 1
    assert "already written in en-GB" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the app


def texts(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "error", "success"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert "Something went wrong on our side" not in texts(at)


def _round(db: Store, questionnaire_id: str, version: str = "1") -> tuple[Any, str, list[Any]]:
    p, _ = db.create_partnership("Harbour + City", questionnaire_id, 3,
                                 [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    r, token = db.open_round(p.id, "Away day", questionnaire_id, version)
    return r, token, db.organisations(p.id)


@pytest.fixture
def pseudo_mini(tmp_path: Path, mini: Questionnaire) -> Path:
    """mini.yaml with a marked stand-in language beside it (every text and label differs)."""
    folder = tmp_path / uuid.uuid4().hex[:8]  # its own path: the app caches questionnaires by path
    folder.mkdir()
    return _beside(folder, ("mini.en-x-test.yaml", pseudo_translation(mini)))


def _answer_mini(at: AppTest, rid: int, org_id: int, switch_to: str | None = None) -> AppTest:
    at.selectbox(key=f"ans{rid}_about:organisation").set_value(org_id)
    at.radio(key=f"ans{rid}_about:level").set_value("strategic")
    at.run()
    at.button(key=f"ans{rid}_nav:start").click().run()
    at.radio(key=f"ans{rid}_a:culture.open_debate").set_value(2).run()  # a low answer: a comment box
    at.text_area(key=f"ans{rid}_c:culture.open_debate").input("We rarely argue in meetings").run()
    at.radio(key=f"ans{rid}_a:purpose.provider_led").set_value("dk").run()
    if switch_to:  # change language halfway: the answers given so far stay
        at.selectbox(key="hc_lang").set_value(switch_to).run()
        ok(at)
        assert at.radio(key=f"ans{rid}_a:culture.open_debate").value == 2
        assert at.radio(key=f"ans{rid}_a:purpose.provider_led").value == "dk"
    at.radio(key=f"ans{rid}_a:meetings.useful").set_value(4).run()
    at.button(key=f"ans{rid}_nav:next1").click().run()
    at.radio(key=f"ans{rid}_a:fact.time_costed").set_value("partly")
    at.text_area(key=f"ans{rid}_a:team.challenges").input("Placement moves")
    at.run()
    at.button(key=f"ans{rid}_nav:send").click().run()
    ok(at)
    assert any("Thank you" in s.value for s in at.success)
    return at


def test_answer_page_language_picker(db: Store, pseudo_mini: Path, mini: Questionnaire) -> None:
    r, token, orgs = _round(db, str(pseudo_mini))
    at = app(r=token).run()
    ok(at)
    picker = at.selectbox(key="hc_lang")
    assert picker.label == "Language" and picker.options == ["English (UK)", "Test English"]
    assert picker.value == "en-GB" and "lang" not in at.query_params
    assert plain(mini.description) in texts(at)
    picker.set_value("en-x-test").run()
    ok(at)
    assert plain(f"~ {mini.description} ~") in texts(at)
    assert at.query_params["lang"] in ("en-x-test", ["en-x-test"])  # a link in this language
    at.selectbox(key=f"ans{r.id}_about:organisation").set_value(orgs[0].id)
    at.radio(key=f"ans{r.id}_about:level").set_value("operational")
    at.run()
    at.button(key=f"ans{r.id}_nav:start").click().run()
    ok(at)
    item = mini.item_by_id["culture.open_debate"]
    radio = at.radio(key=f"ans{r.id}_a:{item.id}")
    assert radio.label == f"~ {item.text} ~" and radio.options[0] == f"~ {mini.scale.labels[0]} ~"
    assert at.selectbox(key="hc_lang").value == "en-x-test"  # kept from page to page
    at.selectbox(key="hc_lang").set_value("en-GB").run()
    assert at.radio(key=f"ans{r.id}_a:{item.id}").label == item.text


def test_answer_page_lang_in_the_link_preselects(db: Store, pseudo_mini: Path, mini: Questionnaire) -> None:
    _, token, _ = _round(db, str(pseudo_mini))
    at = app(r=token, lang="EN-X-TEST").run()
    ok(at)
    assert at.selectbox(key="hc_lang").value == "en-x-test"
    assert plain(f"~ {mini.description} ~") in texts(at)
    unknown = app(r=token, lang="xx").run()  # a language it does not have: the original
    ok(unknown)
    assert unknown.selectbox(key="hc_lang").value == "en-GB"


def test_answer_page_without_translations_has_no_picker(db: Store, tmp_path: Path) -> None:
    _, token, _ = _round(db, str(_beside(tmp_path)))
    at = app(r=token).run()
    ok(at)
    assert not [s for s in at.selectbox if s.key == "hc_lang"]


def test_answers_stored_are_the_same_in_every_language(db: Store, pseudo_mini: Path) -> None:
    r, token, orgs = _round(db, str(pseudo_mini))
    _answer_mini(app(r=token).run(), r.id, orgs[0].id)
    _answer_mini(app(r=token, lang="en-x-test").run(), r.id, orgs[0].id)
    _answer_mini(app(r=token).run(), r.id, orgs[0].id, switch_to="en-x-test")
    first, *others = db.response_records(r.id)
    assert first["answers"] == {"culture.open_debate": 2, "purpose.provider_led": "dk", "meetings.useful": 4,
                                "fact.time_costed": "partly", "team.challenges": "Placement moves"}
    assert first["comments"] == {"culture.open_debate": "We rarely argue in meetings"}
    assert len(others) == 2
    for other in others:  # only the respondent's number differs (R1, R2, R3)
        assert {**other, "respondent": first["respondent"]} == first


def test_participant_page_language_picker(db: Store, pulse: Questionnaire) -> None:
    p, _ = db.create_partnership("Harbour + City", "pulse", 3,
                                 [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    info, _ = ws.create_workshop(db, p.id, "Away day workshop")
    us = localised(find_questionnaire("pulse"), "en-US")
    asked = [i for i in items_for(info.dimensions, pulse) if i.type in ("likert", "choice")]
    differs = [i for i in asked if us.item_by_id[i.id].text != i.text]
    assert differs, "the en-US pulse should differ somewhere (organization, program, ...)"
    item = differs[0]
    at = app(join=info.join_code).run()
    ok(at)
    picker = at.selectbox(key="hc_lang")
    assert picker.label == "Language" and picker.options == ["English (UK)", "English (US)"]
    key = f"ws{info.id}_a:{item.id}"
    assert plain(item.text) in at.radio(key=key).label
    first = asked[0]
    at.radio(key=f"ws{info.id}_a:{first.id}").set_value(first.choices[0].id if first.choices else 4).run()
    picker.set_value("en-US").run()
    ok(at)
    assert plain(us.item_by_id[item.id].text) in at.radio(key=key).label
    assert at.radio(key=f"ws{info.id}_a:{first.id}").value == (first.choices[0].id if first.choices else 4)
    again = app(join=info.join_code, lang="en-US").run()  # the link in a given language
    ok(again)
    assert again.selectbox(key="hc_lang").value == "en-US"
    assert plain(us.item_by_id[item.id].text) in again.radio(key=key).label


# ----------------------------------------------------------------------------- page wording


def test_page_text_falls_back_to_english_and_fills_placeholders() -> None:
    tr = PageText({"answer.next": "Nesaf", "answer.section": "Adran {number} o {sections}: {title}"})
    assert tr("answer.next") == "Nesaf"
    assert tr("answer.back") == PAGE_TEXT["answer.back"] == "Back"  # not translated: the English
    assert tr("answer.section", number=2, sections=9, title="Pwrpas") == "Adran 2 o 9: Pwrpas"
    assert PageText()("workshop.progress", answered=3, questions=7) == "3 of 7 answered"
    assert PageText().levels() == dict(LEVELS)
    # a text that slipped past the checks falls back to English rather than failing the page
    assert PageText({"send": "Send {}", "answer.about_then": "{oops}"})("send") == "Send my answers"
    assert PageText({"answer.about_then": "{oops}"})("answer.about_then", sections=3) == (
        "About you, then 3 short sections")


def test_page_texts_and_the_pages_agree() -> None:
    """Every text the pages ask for exists, and every text in the catalogue is asked for: a
    translator never translates a text nobody sees."""
    asked: set[str] = set()
    for path in (ROOT / "healthcheck" / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("tr", "before") and node.args):
                first = node.args[0]
                options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
                for option in options:
                    if isinstance(option, ast.JoinedStr):  # f"level_help.{lv}": one per level, below
                        assert ast.unparse(option).startswith(("f'level.", "f'level_help.")), node.lineno
                        continue
                    assert isinstance(option, ast.Constant), f"{path.name}:{node.lineno}: name the text's id"
                    asked.add(option.value)
    unknown = asked - set(PAGE_TEXT)
    assert not unknown, unknown
    built = {f"level.{lv}" for lv in LEVELS} | {f"level_help.{lv}" for lv in LEVELS}  # level_question
    assert set(PAGE_TEXT) - asked - built == set()
    for key, text in PAGE_TEXT.items():  # the catalogue itself is well formed
        placeholders(text)
        assert text.strip() == text and text, key


def test_us_english_page_wording_on_the_answer_page(db: Store) -> None:
    r, token, _ = _round(db, "core")
    at = app(r=token).run()
    ok(at)
    assert at.selectbox(key=f"ans{r.id}_about:organisation").label == "Your organisation"
    at.selectbox(key="hc_lang").set_value("en-US").run()
    ok(at)
    assert at.selectbox(key=f"ans{r.id}_about:organisation").label == "Your organization"
    assert "people from your organization have answered" in texts(at)
    assert at.radio(key=f"ans{r.id}_about:level").label == "Where do you work in the partnership?"
    at.selectbox(key="hc_lang").set_value("en-GB").run()
    assert at.selectbox(key=f"ans{r.id}_about:organisation").label == "Your organisation"


def test_us_english_page_wording_on_the_participant_page(db: Store) -> None:
    p, _ = db.create_partnership("Harbour + City", "pulse", 3,
                                 [("Harbour Music", "music"), ("City CYPS", "childrens_services")])
    info, _ = ws.create_workshop(db, p.id, "Away day workshop")
    at = app(join=info.join_code, lang="en-US").run()
    ok(at)
    assert at.selectbox(key=f"ws{info.id}_org").label == "Your organization"
    at.button(key=f"ws{info.id}_send").click().run()  # nothing chosen yet: asked in US English too
    ok(at)
    assert [e.value for e in at.error] == [plain("Please choose your organization and where you work, at "
                                                 "the top of the page.")]


def test_readme_example_is_a_valid_translation() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Translations", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    pulse = load_questionnaire(find_questionnaire("pulse"))
    t = load_translation(Path("pulse.en-US.yaml"), pulse, text=example)  # warnings only if pulse changed
    assert t.language == "en-US" and t.covered == 1 + 6 + 1 + 2
