"""Questionnaire files (questionnaires/*.yaml): pydantic models and a loader with file:line errors."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSION_BY_ID, DIMENSION_IDS
from healthcheck.core.vocabulary import ORGANISATION_KINDS
from healthcheck.core.yamlsource import line_of, load_model

QUESTIONNAIRE_DIR = Path(__file__).resolve().parents[2] / "questionnaires"
ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
# A well-formed BCP 47 language tag (language, optional script, region, variants, private use):
# en, en-US, pt-BR, zh-Hant-TW, es-419, en-x-test.
LANGUAGE_PATTERN = (r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?"
                    r"(-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(-x(-[A-Za-z0-9]{1,8})+)?$")
# Translation files sit beside their questionnaire as `<questionnaire id>.<language tag>.yaml`.
TRANSLATION_NAME = re.compile(r"^(?P<questionnaire>[a-z][a-z0-9_-]*)\.(?P<language>[A-Za-z0-9-]+)\.yaml$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(Strict):
    labels: Annotated[list[str], Field(min_length=5, max_length=5)]
    dont_know: str = "Don't know"


class DimensionRef(Strict):
    id: str
    weight: Annotated[float, Field(gt=0)] = 1.0

    @field_validator("id")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in DIMENSION_BY_ID:
            raise ValueError(f"unknown dimension '{v}' (known: {', '.join(DIMENSION_IDS)})")
        return v


class Choice(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    label: Annotated[str, Field(min_length=1)]


class Item(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    text: Annotated[str, Field(min_length=1)]
    type: Literal["likert", "choice", "text"]
    help: str | None = None
    # What a facilitator asks the room once a live workshop has seen this question's spread.
    prompt: str | None = None
    dimensions: list[DimensionRef] = []
    reverse: bool = False
    choices: list[Choice] = []
    # Ask for a comment when the keyed answer (turned round for reverse items) is below this.
    comment_prompt_below: Annotated[int, Field(ge=2, le=5)] | None = None
    # The kinds of organisation this item is for (core/vocabulary.ORGANISATION_KINDS); empty: everyone.
    # Respondents of other kinds are not asked it: they do not see it, and any answer they give
    # is treated as not given (see `is_asked_of`).
    asked_of: tuple[str, ...] = ()

    @field_validator("asked_of")
    @classmethod
    def _known_kinds(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for kind in v:
            if kind not in ORGANISATION_KINDS:
                known = ', '.join(ORGANISATION_KINDS)
                raise ValueError(f"unknown organisation kind '{kind}' (known: {known})")
        if len(set(v)) != len(v):
            raise ValueError("asked_of names a kind twice")
        return v

    def is_asked_of(self, kind: str | None) -> bool:
        """True when a respondent from an organisation of this kind is asked this item. The one
        place that decides it: an item without `asked_of` is for everyone, and a respondent whose
        organisation's kind is not known (a responses file without kinds) is asked everything."""
        return not self.asked_of or kind is None or kind in self.asked_of

    @field_validator("dimensions", mode="before")
    @classmethod
    def _short_form(cls, v: Any) -> Any:
        # `dimensions: [task.communicating]` is the common case; a weight needs the long form.
        if isinstance(v, list):
            return [{"id": d} if isinstance(d, str) else d for d in v]
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if self.type == "likert":
            if not self.dimensions:
                raise ValueError(f"likert item '{self.id}' must name at least one dimension")
            if self.choices:
                raise ValueError(f"likert item '{self.id}' cannot have choices (they are the scale)")
            dup = [d for d, n in Counter(d.id for d in self.dimensions).items() if n > 1]
            if dup:
                raise ValueError(f"item '{self.id}' names dimension '{dup[0]}' twice")
        else:
            if self.type == "choice" and len(self.choices) < 2:
                raise ValueError(f"choice item '{self.id}' needs at least two choices")
            if self.type == "text" and self.choices:
                raise ValueError(f"text item '{self.id}' cannot have choices")
            if self.dimensions or self.reverse:
                raise ValueError(f"only likert items measure dimensions ('{self.id}' is {self.type})")
            dup = [c for c, n in Counter(c.id for c in self.choices).items() if n > 1]
            if dup:
                raise ValueError(f"item '{self.id}' has choice '{dup[0]}' twice")
        return self


class Section(Strict):
    title: Annotated[str, Field(min_length=1)]
    intro: str | None = None
    items: Annotated[list[Item], Field(min_length=1)]


# What each band asks of a partnership, in the words the dashboard and the report use.
BAND_MEANING = {"strength": "keep it going", "borderline": "discuss at the next meeting",
                "concern": "act now", "no data": "nobody answered"}
# The bands a score falls in, best first; "no data" when nobody answered.
BANDS: tuple[str, ...] = ("strength", "borderline", "concern", "no data")


class Bands(Strict):
    """Cut points on the 0-100 scale; defaults follow the Wilder inventory's 4.0 and 3.0."""

    strength: Annotated[float, Field(gt=0, le=100)] = 75.0
    borderline: Annotated[float, Field(gt=0, le=100)] = 50.0

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.borderline >= self.strength:
            raise ValueError("the borderline cut point must be below the strength cut point")
        return self

    def band(self, score: float | None) -> str:
        """The band of a score as it is shown (whole points, `anonymity.shown_score`): a score
        shown as 30 is never "concern" beside a caption saying borderline starts at 30, and a band
        never tells which side of a cut a decimal nobody is shown fell on."""
        if score is None or score != score:  # NaN: nobody answered
            return "no data"
        score = round(score)  # as anonymity.shown_score rounds (half to even)
        if score >= self.strength:
            return "strength"
        return "borderline" if score >= self.borderline else "concern"

    @property
    def cuts(self) -> tuple[float, float]:
        """The two cut points, low to high, as charts draw them."""
        return (self.borderline, self.strength)

    def describe(self) -> str:
        """The bands in words, with what each asks of the partnership (dashboard and report)."""
        return (f"strength at {self.strength:g} and above ({BAND_MEANING['strength']}); borderline from "
                f"{self.borderline:g} to under {self.strength:g} ({BAND_MEANING['borderline']}); concern "
                f"below {self.borderline:g} ({BAND_MEANING['concern']})")
    def band_array(self, scores: np.ndarray) -> np.ndarray:
        """`band` of every score in an array at once (a portfolio has thousands)."""
        scores = np.round(scores)  # as shown, like `band` (numpy rounds half to even too)
        return np.select([np.isnan(scores), scores >= self.strength, scores >= self.borderline],
                         ["no data", "strength", "borderline"], "concern")


class Questionnaire(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    version: str
    title: Annotated[str, Field(min_length=1)]
    description: str = ""
    minutes: int | None = None
    # How many likert items every dimension needs: 3 for the full check, 1 for a pulse.
    coverage: Annotated[int, Field(ge=1)] = 1
    scale: Scale
    bands: Bands = Bands()
    sections: Annotated[list[Section], Field(min_length=1)]
    # The language the text is written in, and that language's own name (for the language
    # picker when translations exist; see healthcheck/core/translations/).
    language: Annotated[str, Field(pattern=LANGUAGE_PATTERN)] = "en-GB"
    language_name: Annotated[str, Field(min_length=1)] = "English (UK)"

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for s in self.sections for i in s.items)

    @cached_property
    def item_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @cached_property
    def likert_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.type == "likert")

    @cached_property
    def choice_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.type == "choice")

    @cached_property
    def text_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.type == "text")

    def items_for(self, kind: str | None) -> tuple[Item, ...]:
        """The items a respondent from an organisation of this kind is asked, in order."""
        return tuple(i for i in self.items if i.is_asked_of(kind))

    @cached_property
    def limited_items(self) -> tuple[Item, ...]:
        """Items asked only of some kinds of organisation (`asked_of`)."""
        return tuple(i for i in self.items if i.asked_of)

    def not_asked(self, kind: str | None, answers: Mapping[str, Any]) -> list[str]:
        """Ids of the items answered here that are not asked of this kind, in questionnaire order."""
        return [i.id for i in self.limited_items if i.id in answers and not i.is_asked_of(kind)]

    def only_asked(self, kind: str | None, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers without those to items not asked of this kind (treated as never given)."""
        dropped = self.not_asked(kind, answers)
        return {k: v for k, v in answers.items() if k not in dropped} if dropped else dict(answers)

    @cached_property
    def dimensions(self) -> tuple[str, ...]:
        """Dimensions this questionnaire measures, in framework order."""
        used = {d.id for i in self.likert_items for d in i.dimensions}
        return tuple(d for d in DIMENSION_IDS if d in used)


def _coverage_problems(path: Path, data: Any, q: Questionnaire) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, tuple[int, int]] = {}
    for s_i, section in enumerate(q.sections):
        for i_i, item in enumerate(section.items):
            if item.id in seen:
                problems.append(Problem(str(path), f"item id '{item.id}' is used twice",
                                        line_of(data, ("sections", s_i, "items", i_i, "id"))))
            seen[item.id] = (s_i, i_i)
            for suffix in ("_comment",):
                if item.id.endswith(suffix):
                    problems.append(Problem(str(path), f"item id '{item.id}' may not end in "
                                            f"'{suffix}' (that is reserved for comments)",
                                            line_of(data, ("sections", s_i, "items", i_i, "id"))))
    counts = Counter(d.id for i in q.likert_items for d in i.dimensions)
    for dim in DIMENSION_IDS:
        if counts[dim] < q.coverage:
            problems.append(Problem(
                str(path),
                f"dimension '{dim}' is measured by {counts[dim]} likert item(s); "
                f"this questionnaire promises at least {q.coverage} for every dimension",
                line_of(data, ("sections",))))
    return problems


def load_questionnaire(path: str | Path, text: str | None = None) -> Questionnaire:
    """Load and check one questionnaire file; raises InputError listing every problem."""
    path = Path(path)
    if is_translation_file(path):  # `core.en-US.yaml` holds only text; its questionnaire is core.yaml
        base = TRANSLATION_NAME.match(path.name)["questionnaire"]  # type: ignore[index]
        raise InputError([Problem(str(path), f"this is a translation of {base}.yaml, not a questionnaire: "
                                             f"use {base}.yaml (its translations are found beside it)")])
    q, data = load_model(path, Questionnaire, text)
    problems = _coverage_problems(path, data, q)
    if problems:
        raise InputError(problems)
    return q


def find_questionnaire(name: str) -> Path:
    """A questionnaire by id (`core`) from the shipped folder, or by path."""
    if re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        candidate = QUESTIONNAIRE_DIR / f"{name}.yaml"
        if candidate.exists():
            return candidate
    path = Path(name)
    if path.exists():
        return path
    shipped = ", ".join(p.stem for p in shipped_questionnaires())
    raise InputError([Problem(name, f"no such questionnaire (shipped ones: {shipped})")])


def is_translation_file(path: Path) -> bool:
    """True for `core.en-US.yaml`: a translation of a questionnaire, not a questionnaire."""
    m = TRANSLATION_NAME.match(path.name)
    return m is not None and re.match(LANGUAGE_PATTERN, m["language"]) is not None


def shipped_questionnaires() -> list[Path]:
    return sorted(p for p in QUESTIONNAIRE_DIR.glob("*.yaml") if not is_translation_file(p))
