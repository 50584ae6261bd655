"""Loading a translation (every problem with its file and line), applying it to a questionnaire,
and finding the translations beside a questionnaire file."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.pagetext import PAGE_TEXT, PageText, placeholders
from healthcheck.core.questionnaire import (
    TRANSLATION_NAME,
    Questionnaire,
    is_translation_file,
    load_questionnaire,
)
from healthcheck.core.translations.model import (
    Entry,
    Language,
    Translation,
    TranslationFile,
    count_texts,
    fingerprint,
    item_texts,
    scale_texts,
    section_texts,
)
from healthcheck.core.yamlsource import line_of, read_yaml, to_plain, validation_problems


def _section_keys_as_text(path: Path, data: Any) -> None:
    """`1:` is read as a number; errors name keys as text, so re-key `sections` (keeping lines)."""
    sections = data.get("sections") if isinstance(data, CommentedMap) else None
    if not isinstance(sections, CommentedMap) or all(isinstance(k, str) for k in sections):
        return
    fixed = CommentedMap()
    fixed._yaml_set_line_col(sections.lc.line, sections.lc.col)  # noqa: SLF001 - ruamel's own setter
    for key, value in sections.items():
        text = str(key)
        if text in fixed:
            raise InputError([Problem(str(path), f"section {text} is given twice",
                                      line=sections.lc.key(key)[0] + 1)])
        fixed[text] = value
        if key in sections.lc.data:
            fixed.lc.add_kv_line_col(text, sections.lc.data[key])
    data["sections"] = fixed


def load_translation(path: str | Path, q: Questionnaire, text: str | None = None) -> Translation:
    """Load and check a translation of `q`; raises InputError listing every problem (file:line)."""
    path = Path(path)
    data = read_yaml(path, text)
    _section_keys_as_text(path, data)
    try:
        tf = TranslationFile.model_validate(to_plain(data))
    except ValidationError as exc:
        raise InputError(validation_problems(path, data, exc)) from None
    problems: list[Problem] = []
    warnings: list[Problem] = []

    def at(*loc: str) -> int | None:
        return line_of(data, loc)

    def check_source(entry: Entry, texts: list[str], what: str, *loc: str) -> None:
        current = fingerprint(*texts)
        if entry.source != current:
            warnings.append(Problem(str(path), f"warning: {what} was translated from older {q.language_name} "
                                    f"text: check the translation against the current text, then set its "
                                    f'source to "{current}"', at(*loc, "source")))

    named = TRANSLATION_NAME.match(path.name)
    if named and is_translation_file(path) and named["language"].lower() != tf.language.lower():
        problems.append(Problem(str(path), f"the language is '{tf.language}' but the file name says "
                                f"'{named['language']}': make them the same", at("language")))
    if tf.language.lower() == q.language.lower():
        problems.append(Problem(str(path), f"the questionnaire itself is written in {q.language}: a "
                                "translation must be in another language", at("language")))

    covered = 0
    if tf.title:
        covered += 1
        check_source(tf.title, [q.title], "the title", "title")
    if tf.description:
        if not q.description:
            problems.append(Problem(str(path), "the questionnaire has no description to translate",
                                    at("description")))
        else:
            covered += 1
            check_source(tf.description, [q.description], "the description", "description")
    if tf.scale:
        covered += (5 if tf.scale.labels else 0) + (1 if tf.scale.dont_know else 0)
        check_source(tf.scale, scale_texts(q), "the answer scale", "scale")

    n = len(q.sections)
    for key, entry in tf.sections.items():
        if not key.isdigit() or not 1 <= int(key) <= n:
            problems.append(Problem(str(path), f"there is no section {key}: sections are numbered 1 to {n}, "
                                    "in the order of the questionnaire", at("sections", key)))
            continue
        section = q.sections[int(key) - 1]
        if entry.intro and not section.intro:
            problems.append(Problem(str(path), f"section {key} ({section.title}) has no intro to translate",
                                    at("sections", key, "intro")))
        covered += bool(entry.title) + bool(entry.intro and section.intro)
        check_source(entry, section_texts(section), f"section {key}", "sections", key)

    for item_id, entry in tf.items.items():
        item = q.item_by_id.get(item_id)
        if item is None:
            close = difflib.get_close_matches(item_id, list(q.item_by_id), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(Problem(str(path), f"there is no item '{item_id}' in this questionnaire{hint}",
                                    at("items", item_id)))
            continue
        if entry.help and not item.help:
            problems.append(Problem(str(path), f"item '{item_id}' has no help text to translate",
                                    at("items", item_id, "help")))
        if entry.choices and item.type != "choice":
            problems.append(Problem(str(path), f"item '{item_id}' is a {item.type} question, so it has no "
                                    "choices to translate", at("items", item_id, "choices")))
        known = {c.id for c in item.choices}
        for choice_id in entry.choices:
            if item.type == "choice" and choice_id not in known:
                problems.append(Problem(str(path), f"item '{item_id}' has no choice '{choice_id}' (its "
                                        f"choices are {', '.join(c.id for c in item.choices)})",
                                        at("items", item_id, "choices", choice_id)))
        covered += (bool(entry.text) + bool(entry.help and item.help)
                    + sum(1 for c in entry.choices if c in known))
        check_source(entry, item_texts(item), f"item '{item_id}'", "items", item_id)

    for key, entry in tf.page.items():
        english = PAGE_TEXT.get(key)
        if english is None:
            close = difflib.get_close_matches(key, list(PAGE_TEXT), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(Problem(str(path), f"there is no page text '{key}'{hint}", at("page", key)))
            continue
        try:
            kept = placeholders(entry.text)
        except ValueError:
            kept = None
        if kept != placeholders(english):
            wanted = ", ".join(f"{{{n}}}" for n in sorted(placeholders(english))) or "none"
            problems.append(Problem(str(path), f"page text '{key}' must keep the same placeholders as "
                                    f"the original ({wanted}); write a brace that is not a placeholder "
                                    "twice, {{ or }}", at("page", key, "text")))
            continue
        check_source(entry, [english], f"page text '{key}'", "page", key)

    if problems:
        raise InputError(problems)
    return Translation(path, tf, covered, count_texts(q), tuple(warnings))


def localise(q: Questionnaire, t: Translation) -> Questionnaire:
    """A copy of `q` showing `t`'s text where it has some; ids and everything scored are unchanged."""
    f = t.file
    data = q.model_dump()  # a fresh model: no cached item lists of the original carried over
    if f.title:
        data["title"] = f.title.text
    if f.description and q.description:
        data["description"] = f.description.text
    if f.scale and f.scale.labels:
        data["scale"]["labels"] = list(f.scale.labels)
    if f.scale and f.scale.dont_know:
        data["scale"]["dont_know"] = f.scale.dont_know
    for key, entry in f.sections.items():
        section = data["sections"][int(key) - 1]
        section["title"] = entry.title or section["title"]
        if section["intro"]:
            section["intro"] = entry.intro or section["intro"]
    for section in data["sections"]:
        for item in section["items"]:
            entry = f.items.get(item["id"])
            if entry is None:
                continue
            item["text"] = entry.text or item["text"]
            if item["help"]:
                item["help"] = entry.help or item["help"]
            for choice in item["choices"]:
                choice["label"] = entry.choices.get(choice["id"], choice["label"])
    data["language"], data["language_name"] = f.language, f.name
    return Questionnaire.model_validate(data)


# --- finding translations --------------------------------------------------------------------

def translation_paths(questionnaire_path: Path) -> list[Path]:
    """The translation files beside a questionnaire: `core.yaml` -> `core.<tag>.yaml`."""
    stem = questionnaire_path.stem
    found = []
    for p in questionnaire_path.parent.glob("*.*.yaml"):
        m = TRANSLATION_NAME.match(p.name)
        if m and m["questionnaire"] == stem and is_translation_file(p):
            found.append(p)
    return sorted(found)


def base_path(translation_path: Path) -> Path:
    """The questionnaire a translation file belongs to (`core.en-US.yaml` -> `core.yaml` beside it)."""
    m = TRANSLATION_NAME.match(translation_path.name)
    if m is None:
        raise InputError([Problem(str(translation_path), "a translation file is named "
                                  "<questionnaire id>.<language tag>.yaml, e.g. core.en-US.yaml")])
    return translation_path.with_name(f"{m['questionnaire']}.yaml")


def translations_of(questionnaire_path: Path, q: Questionnaire) -> list[Translation]:
    """Every translation of `q` that loads without problems (broken ones are left out here and
    reported by `healthcheck validate`), one per language."""
    found: list[Translation] = []
    seen = {q.language.lower()}
    for p in translation_paths(questionnaire_path):
        try:
            t = load_translation(p, q)
        except InputError:
            continue
        if t.language.lower() not in seen:
            seen.add(t.language.lower())
            found.append(t)
    return found


def available_languages(questionnaire_path: Path) -> list[Language]:
    """The questionnaire's own language first, then each translation's, by their own names."""
    q = load_questionnaire(questionnaire_path)
    return [Language(q.language, q.language_name),
            *(Language(t.language, t.name) for t in translations_of(questionnaire_path, q))]


def page_text(questionnaire_path: Path, language: str) -> PageText:
    """The page wording in `language` from that translation of the questionnaire; English where
    it has none (and for the questionnaire's own language)."""
    q = load_questionnaire(questionnaire_path)
    for t in translations_of(questionnaire_path, q):
        if t.language.lower() == language.lower():
            return t.page_text
    return PageText()


def localised(questionnaire_path: Path, language: str) -> Questionnaire:
    """The questionnaire in `language` (a tag; any letter case), or in its own language."""
    q = load_questionnaire(questionnaire_path)
    if language.lower() == q.language.lower():
        return q
    translations = translations_of(questionnaire_path, q)
    for t in translations:
        if t.language.lower() == language.lower():
            return localise(q, t)
    have = ", ".join([q.language, *(t.language for t in translations)])
    raise InputError([Problem(str(questionnaire_path),
                              f"no translation into '{language}' (available: {have})")])

