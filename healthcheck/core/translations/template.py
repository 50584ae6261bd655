"""The template a translator fills in: every text of a questionnaire with its fingerprint."""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.pagetext import PAGE_TEXT
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.translations.model import (
    fingerprint,
    item_texts,
    language_problem,
    scale_texts,
    section_texts,
)

# Choice ids that other YAML readers take for true/false unless quoted.
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n", "true", "false"}


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
    doc["scale"] = CommentedMap(source=_fp(*scale_texts(q)), labels=list(q.scale.labels),
                                dont_know=q.scale.dont_know)
    sections = CommentedMap()
    for n, s in enumerate(q.sections, start=1):
        entry = CommentedMap(source=_fp(*section_texts(s)), title=s.title)
        if s.intro:
            entry["intro"] = s.intro
        sections[n] = entry
    doc["sections"] = sections
    items = CommentedMap()
    for n, s in enumerate(q.sections, start=1):
        for i, item in enumerate(s.items):
            entry = CommentedMap(source=_fp(*item_texts(item)), text=item.text)
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
    from healthcheck.core.schemas import modeline  # here: schemas reads this package's models

    doc.yaml_set_start_comment(
        f"{modeline('translation').removeprefix('# ')}\n"
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
