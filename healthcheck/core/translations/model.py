"""What a translation file holds (pydantic models), the checked `Translation`, and which texts of
a questionnaire each entry translates (with their fingerprints)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from healthcheck.core.errors import Problem
from healthcheck.core.pagetext import PAGE_TEXT, PageText
from healthcheck.core.questionnaire import LANGUAGE_PATTERN, Item, Questionnaire, Section

_FINGERPRINT = re.compile(r"^[0-9a-f]{8}$")
_LANGUAGE = re.compile(LANGUAGE_PATTERN)


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


class Entry(_Strict):
    """An entry of a translation file: `source` is the fingerprint of the text it translates."""

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


class TextEntry(Entry):
    text: Text


class ScaleEntry(Entry):
    labels: Annotated[list[Text], Field(min_length=5, max_length=5)] | None = None
    dont_know: Text | None = None


class SectionEntry(Entry):
    title: Text | None = None
    intro: Text | None = None


class ItemEntry(Entry):
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

def section_texts(section: Section) -> list[str]:
    return [section.title, *([section.intro] if section.intro else [])]


def item_texts(item: Item) -> list[str]:
    return [item.text, *([item.help] if item.help else []), *(c.label for c in item.choices)]


def scale_texts(q: Questionnaire) -> list[str]:
    return [*q.scale.labels, q.scale.dont_know]


def count_texts(q: Questionnaire) -> int:
    """How many texts of `q` a translation can translate."""
    return (1 + bool(q.description) + len(scale_texts(q))
            + sum(len(section_texts(s)) for s in q.sections) + sum(len(item_texts(i)) for i in q.items))

