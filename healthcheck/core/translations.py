"""Questionnaire translations: `<questionnaire id>.<language tag>.yaml` files beside the questionnaire.

A translation holds text only, keyed by item id (and section number). It can change what a
respondent reads, never ids, scales, values, reverse-keying or dimensions: applying one swaps
strings in a copy of the questionnaire, so scoring is the same whichever language was used.
Entries it leaves out fall back to the questionnaire's own text.

A translation may also carry `page:`, the page wording around the questions (buttons, notices),
keyed by the ids in `healthcheck.pagetext`; placeholders such as `{threshold}` must be kept.

Every entry records `source`, a fingerprint of the text it was translated from (the first 8 hex
digits of the SHA-1 of that text; an entry holding several texts joins them with line breaks).
When the questionnaire's text changes, the fingerprint no longer matches and `healthcheck
validate` warns that the entry was translated from older text.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.pagetext import PAGE_TEXT, PageText, placeholders
from healthcheck.core.questionnaire import (
    LANGUAGE_PATTERN,
    TRANSLATION_NAME,
    Item,
    Questionnaire,
    Section,
    is_translation_file,
    load_questionnaire,
)
from healthcheck.core.yamlsource import line_of, read_yaml, to_plain, validation_problems

_FINGERPRINT = re.compile(r"^[0-9a-f]{8}$")
_LANGUAGE = re.compile(LANGUAGE_PATTERN)
# Choice ids that other YAML readers take for true/false unless quoted.
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n", "true", "false"}


def fingerprint(*texts: str) -> str:
    """First 8 hex digits of the SHA-1 of the text an entry translates (several: one per line)."""
    return hashlib.sha1("\n".join(texts).encode("utf-8")).hexdigest()[:8]


def language_problem(tag: object) -> str | None:
    """Why `tag` is not a usable language tag, or None when it is one."""
    if isinstance(tag, str) and _LANGUAGE.match(tag):
        return None
    return (f"'{tag}' is not a language tag: use a BCP 47 tag such as en-US, cy, fr-CA or pt-BR "
            "(language, then an optional region, joined by a hyphen)")


# --- the file --------------------------------------------------------------------------------

Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Entry(_Strict):
    source: str

    @field_validator("source", mode="before")
    @classmethod
    def _quoted(cls, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            # 12345678 or 1234e567 unquoted is a number to YAML, and its digits cannot be recovered.
            raise ValueError('write the fingerprint in quotes, e.g. source: "0123abcd" '
                             "(without quotes YAML may read it as a number)")
        return v

    @field_validator("source")
    @classmethod
    def _form(cls, v: str) -> str:
        if not _FINGERPRINT.match(v):
            raise ValueError(f"'{v}' is not a fingerprint: copy the 8 letters and digits from "
                             "`healthcheck translation-template`, e.g. \"0123abcd\"")
        return v


class TextEntry(_Entry):
    text: Text


class ScaleEntry(_Entry):
    labels: Annotated[list[Text], Field(min_length=5, max_length=5)] | None = None
    dont_know: Text | None = None


class SectionEntry(_Entry):
    title: Text | None = None
    intro: Text | None = None


class ItemEntry(_Entry):
    text: Text | None = None
    help: Text | None = None
    choices: dict[str, Text] = {}


class TranslationFile(_Strict):
    language: str
    name: Text  # the language's own name, e.g. "English (US)", "Cymraeg"
    title: TextEntry | None = None
    description: TextEntry | None = None
    scale: ScaleEntry | None = None
    sections: dict[str, SectionEntry] = {}  # keyed by section number, 1 = the first
    items: dict[str, ItemEntry] = {}
    page: dict[str, TextEntry] = {}  # the page wording, keyed by healthcheck.pagetext ids

    @field_validator("language")
    @classmethod
    def _tag(cls, v: str) -> str:
        problem = language_problem(v)
        if problem:
            raise ValueError(problem)
        return v


@dataclass(frozen=True)
class Translation:
    """A checked translation of one questionnaire."""

    path: Path
    file: TranslationFile
    covered: int  # how many of the questionnaire's texts it translates
    total: int  # how many texts the questionnaire has
    warnings: tuple[Problem, ...]  # entries translated from older text

    @property
    def page_text(self) -> PageText:
        return PageText({key: entry.text for key, entry in self.file.page.items()})

    @property
    def language(self) -> str:
        return self.file.language

    @property
    def name(self) -> str:
        return self.file.name

    def summary(self) -> str:
        pct = 100 * self.covered // self.total if self.total else 100
        return (f"{self.path}: {self.name} ({self.language}) translates {self.covered} of "
                f"{self.total} texts ({pct}%), and {len(self.file.page)} of {len(PAGE_TEXT)} texts of "
                "the page wording")


@dataclass(frozen=True)
class Language:
    tag: str
    name: str  # in the language itself


# --- what each entry translates ---------------------------------------------------------------

def _section_texts(section: Section) -> list[str]:
    return [section.title, *([section.intro] if section.intro else [])]


def _item_texts(item: Item) -> list[str]:
    return [item.text, *([item.help] if item.help else []), *(c.label for c in item.choices)]


def _scale_texts(q: Questionnaire) -> list[str]:
    return [*q.scale.labels, q.scale.dont_know]


def count_texts(q: Questionnaire) -> int:
    """How many texts of `q` a translation can translate."""
    return (1 + bool(q.description) + len(_scale_texts(q))
            + sum(len(_section_texts(s)) for s in q.sections) + sum(len(_item_texts(i)) for i in q.items))


# --- loading ---------------------------------------------------------------------------------

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

    def check_source(entry: _Entry, texts: list[str], what: str, *loc: str) -> None:
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
        check_source(tf.scale, _scale_texts(q), "the answer scale", "scale")

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
        check_source(entry, _section_texts(section), f"section {key}", "sections", key)

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
        check_source(entry, _item_texts(item), f"item '{item_id}'", "items", item_id)

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


# --- validate --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TranslationCheck:
    problems: list[Problem]
    lines: list[str]  # how complete each translation is, and entries that went out of date
    count: int


def check_translations(loaded: dict[Path, Questionnaire], named: list[Path]) -> TranslationCheck:
    """Check the translations beside each loaded questionnaire and every translation file named
    (whose questionnaire is loaded here when it is not among `loaded`)."""
    by_real = {p.resolve(): (p, q) for p, q in loaded.items()}
    todo: dict[Path, Path] = {}
    for p in loaded:
        for t in translation_paths(p):
            todo.setdefault(t.resolve(), t)
    for t in named:
        todo.setdefault(t.resolve(), t)
    problems: list[Problem] = []
    lines: list[str] = []
    count = 0
    languages: dict[tuple[Path, str], Path] = {}
    for t_path in todo.values():
        try:
            base = base_path(t_path)
            hit = by_real.get(base.resolve())
            if hit is None:
                if not base.exists():
                    raise InputError([Problem(str(t_path), f"there is no questionnaire {base.name} beside "
                                              "this translation file")])
                try:
                    hit = (base, load_questionnaire(base))
                except InputError:
                    raise InputError([Problem(str(t_path), f"cannot check this translation until its "
                                              f"questionnaire {base.name} loads without problems")]) from None
                by_real[base.resolve()] = hit
            t = load_translation(t_path, hit[1])
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        key = (base.resolve(), t.language.lower())
        if key in languages:
            problems.append(Problem(str(t_path), f"{languages[key].name} is already the {t.language} "
                                    f"translation of {base.name}: keep one file per language"))
            continue
        languages[key] = t_path
        count += 1
        lines.append(t.summary())
        lines.extend(str(w) for w in t.warnings)
    return TranslationCheck(problems, lines, count)


# --- the template for a translator -----------------------------------------------------------

def _fp(*texts: str) -> DoubleQuotedScalarString:
    return DoubleQuotedScalarString(fingerprint(*texts))


def template(q: Questionnaire, language: str, name: str | None = None, questionnaire_file: str = "") -> str:
    """A translation file holding every text of `q` with its fingerprint: replace each text with
    its translation. Loaded as it is, it changes nothing."""
    problem = language_problem(language)
    if problem:
        raise InputError([Problem(language, problem)])
    if language.lower() == q.language.lower():
        raise InputError([Problem(language, f"the questionnaire is already written in {q.language}")])
    source_file = questionnaire_file or f"{q.id}.yaml"
    doc = CommentedMap()
    doc["language"] = language
    doc["name"] = name or language
    doc.yaml_add_eol_comment("the language's own name, shown in the language picker", "name")
    doc["title"] = CommentedMap(source=_fp(q.title), text=q.title)
    if q.description:
        doc["description"] = CommentedMap(source=_fp(q.description), text=q.description)
    doc["scale"] = CommentedMap(source=_fp(*_scale_texts(q)), labels=list(q.scale.labels),
                                dont_know=q.scale.dont_know)
    sections = CommentedMap()
    for n, s in enumerate(q.sections, start=1):
        entry = CommentedMap(source=_fp(*_section_texts(s)), title=s.title)
        if s.intro:
            entry["intro"] = s.intro
        sections[n] = entry
    doc["sections"] = sections
    items = CommentedMap()
    for n, s in enumerate(q.sections, start=1):
        for i, item in enumerate(s.items):
            entry = CommentedMap(source=_fp(*_item_texts(item)), text=item.text)
            if item.help:
                entry["help"] = item.help
            if item.choices:
                entry["choices"] = CommentedMap(
                    (DoubleQuotedScalarString(c.id) if c.id in _YAML11_BOOLS else c.id, c.label)
                    for c in item.choices)
            items[item.id] = entry
            if i == 0:
                items.yaml_set_comment_before_after_key(item.id, before=f"section {n}: {s.title}", indent=2)
    doc["items"] = items
    doc["page"] = CommentedMap((key, CommentedMap(source=_fp(text), text=text))
                               for key, text in PAGE_TEXT.items())
    doc.yaml_set_comment_before_after_key(
        "page", before="The page around the questions (buttons, notices). Keep every {placeholder}.")
    doc.yaml_set_start_comment(
        f"{doc['name']} text for {source_file} ({q.title}, version {q.version}).\n"
        f"Save as {Path(source_file).stem}.{language}.yaml beside {source_file}. Replace each text with its\n"
        "translation; keep every key, id and `source`. Delete an entry to show the original text.\n"
        "`source` is a fingerprint of the text an entry was translated from: `healthcheck validate`\n"
        "warns when that text has changed since.")
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # one text per line: easier to translate and to compare
    yaml.allow_unicode = True
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()
