"""The `healthcheck score --format json` document: one partnership's scores and findings.

The models below are the contract, used both ways: scoring and the pipeline write the document
through them (`ScoreDocument.of(...).model_dump()`), and the portfolio reads score files through
them (`read_documents`), so a key that is misspelt, missing or of the wrong kind is refused with
a problem naming the file and the field. Numbers are written as every screen shows them
(`anonymity.shown_score`, `anonymity.shown_share`): points whole, shares to 0.01.

A document, keys in this order (null where there is no value):
`partnership`, `questionnaire` {id, version}, `respondents` (everyone who answered, including
people left out of the figures), `threshold`, `organisations` {name: count, null below the
threshold; a pool of small organisations under its label}, `anonymity` {organisation, level: each
{pooled {label: [names]}, left_out [names], hidden [names]}: small groups pooled under a label;
groups whose people are in no figure (neither the whole nor any group); groups in the figures but
not shown on at least one area}, `dimensions` [{id, framework, label, score (whole), band,
answered, unknown (0.01), spread (whole), by_organisation {name: score (whole)}, by_level {level:
score (whole)}, suppressed [group]}], `answers` {item: {choice: share (0.01)}}, `findings` [{rule,
severity, title, tasks, explanation, margin (whole), covers [rule], evidence [{condition, subject,
value (points whole, shares 0.01, counts whole), op, threshold, choices (only when the condition
names choices), margin (whole), to_clear}], actions [{task, text}]}]. Files written with decimals
(older versions) still read.

Findings are in ranked order (`core.rules.rank`): most severe first, then the furthest past its
threshold (`margin`: points for a score, percentage points for a share), then by rule id. A
finding that groups others (its rule `supersedes` them, and they fired too) lists them in
`covers`; its tasks, evidence and actions include theirs. `to_clear` is one sentence saying what
would clear that piece of evidence (`core.rules.clearing`); null for a count of respondents.
`margin`, `covers` and `anonymity` may be left out of files written before they existed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from healthcheck.core.errors import InputError, Problem


# Every number is finite (JSON's 1e400 reads as infinity) and in its range: a score 0-100, a
# share 0-1, a count not negative. A file over a range is refused naming the document and field.
def _whole_as_int(value: float) -> int | float:
    """A whole number of points is written as one (62, not 62.0); older files had decimals."""
    return int(value) if float(value).is_integer() else value


Score = Annotated[float, Field(ge=0, le=100), PlainSerializer(_whole_as_int)]
Share = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0)]
MAX_DEPTH = 32  # a score document nests 5 levels; anything far deeper is not one


class _Doc(BaseModel):
    # strict: a number written as text, or true for a count, is refused rather than converted;
    # no infinity or NaN anywhere
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class QuestionnaireRef(_Doc):
    id: str
    version: str


class EvidenceDoc(_Doc):
    condition: str
    subject: str
    # a score, a share or a count, depending on the condition: finite
    value: Annotated[float, PlainSerializer(_whole_as_int)] | None
    op: str
    threshold: float
    choices: list[str] = []  # written only when the condition names choices
    margin: float | None = None  # how far past the threshold (points, or percentage points for shares)
    to_clear: str | None = None  # what would clear it, in words

    @model_serializer(mode="wrap")
    def _choices_when_named(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        if not self.choices:
            out.pop("choices", None)
        return out


class ActionDoc(_Doc):
    task: str
    text: str


class FindingDoc(_Doc):
    rule: str
    severity: str
    title: str
    tasks: list[str]
    explanation: str
    margin: float | None = None  # the largest margin of its evidence that points at a problem
    covers: list[str] = []  # rules this finding groups (they fired on the same evidence)
    evidence: list[EvidenceDoc]
    actions: list[ActionDoc]


class DimensionDoc(_Doc):
    id: str
    framework: str
    label: str
    score: Score | None
    band: str
    answered: Count
    unknown: Share | None
    spread: Score | None
    by_organisation: dict[str, Score | None]
    by_level: dict[str, Score | None]
    suppressed: list[str]


class GroupAnonymityDoc(_Doc):
    pooled: dict[str, list[str]] = {}  # a pool's label -> the small groups in it
    left_out: list[str] = []  # groups whose people are in no figure (the whole's included)
    hidden: list[str] = []  # groups in the figures, not shown on at least one area


class AnonymityDoc(_Doc):
    organisation: GroupAnonymityDoc = GroupAnonymityDoc()
    level: GroupAnonymityDoc = GroupAnonymityDoc()


class ScoreDocument(_Doc):
    partnership: str
    questionnaire: QuestionnaireRef
    respondents: Count
    threshold: Annotated[int, Field(ge=1)]
    organisations: dict[str, Count | None]  # None: fewer respondents than the threshold
    anonymity: AnonymityDoc = AnonymityDoc()  # files written before it existed read as "nothing pooled"
    dimensions: list[DimensionDoc]
    answers: dict[str, dict[str, Share]]
    findings: list[FindingDoc]


# ----------------------------------------------------------------------------- reading

# Strings (whose brackets do not count) and brackets: enough to measure nesting without parsing.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def check_depth(text: str, path: str) -> None:
    """Refuse, before parsing, JSON nested deeper than `MAX_DEPTH` (Python's parser would fail
    with a recursion error on very deep input), naming the line where the limit is passed."""
    depth = 0
    for m in _TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, m.start()) + 1
                raise InputError([Problem(path, f"the data are nested more than {MAX_DEPTH} levels deep here "
                                                "(a `healthcheck score` document nests 5): this is not a "
                                                "score file", line=line)])
        elif c in "]}":
            depth -= 1



def read_documents(loaded: Any, path: str) -> list[ScoreDocument]:
    """The documents of a parsed score file (one object, or an array of them); raises InputError
    listing every problem of every document, each naming the file, the document and the field."""
    docs = loaded if isinstance(loaded, list) else [loaded]
    if not docs:
        raise InputError([Problem(path, "the file holds no assessments")])
    return check_documents(docs, lambda k: f"{path}: document {k}" if len(docs) > 1 else path)


def check_documents(docs: Sequence[Any], where: Callable[[int], str]) -> list[ScoreDocument]:
    """Every document checked against the contract, every problem of every one reported at once
    (`where(k)` names the k-th, counting from 1)."""
    out: list[ScoreDocument] = []
    problems: list[Problem] = []
    for k, doc in enumerate(docs, start=1):
        try:
            out.append(document(doc, where(k)))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return out


def document(doc: Mapping[str, Any] | ScoreDocument, where: str) -> ScoreDocument:
    """One document checked against the contract; `where` names it in problems."""
    if isinstance(doc, ScoreDocument):
        return doc
    if not isinstance(doc, Mapping):
        raise InputError([Problem(where, "expected an object from `healthcheck score --format json`")])
    try:
        return ScoreDocument.model_validate(dict(doc))
    except ValidationError as exc:
        errors = exc.errors()
    # a misspelt key is both unknown and missing: name the missing one it probably is
    missing: dict[tuple[Any, ...], list[str]] = {}
    for e in errors:
        if e["type"] == "missing":
            missing.setdefault(tuple(e["loc"][:-1]), []).append(str(e["loc"][-1]))
    problems = []
    for e in errors:
        loc = tuple(e["loc"])
        close = difflib.get_close_matches(str(loc[-1]), missing.get(loc[:-1], []), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close and e["type"] == "extra_forbidden" else ""
        problems.append(Problem(where, _message(loc, e["type"], e["msg"], doc) + hint))
    raise InputError(problems)


# Lists whose entries problems name by number (from 1) and by their id.
_ENTRIES = {"dimensions": ("dimension", "id"), "findings": ("finding", "rule"), "evidence": ("evidence", ""),
            "actions": ("action", "")}
_MAPPINGS = {"organisations", "answers", "by_organisation", "by_level", "pooled"}


def _message(loc: tuple[Any, ...], kind: str, text: str, doc: Any) -> str:
    """A validation error in words: where in the document (dimension 3 (task.x)), which key, what."""
    context: list[str] = []
    node = doc
    k = 0
    while k + 1 < len(loc) and isinstance(loc[k], str) and loc[k] in _ENTRIES and isinstance(loc[k + 1], int):
        noun, id_key = _ENTRIES[loc[k]]
        node = _child(_child(node, loc[k]), loc[k + 1])
        name = node.get(id_key) if id_key and isinstance(node, Mapping) else None
        context.append(f"{noun} {loc[k + 1] + 1}" + (f" ({name})" if isinstance(name, str) else ""))
        k += 2
    field = ""
    inside_mapping = False  # keys of by_organisation, answers...: names chosen by people, in brackets
    for p in loc[k:]:
        if isinstance(p, int) or inside_mapping:
            field += f"[{json.dumps(p, ensure_ascii=False)}]" if isinstance(p, str) else f"[{p}]"
        else:
            field += f".{p}" if field else str(p)
            inside_mapping = p in _MAPPINGS
    prefix = ", ".join(context) + ": " if context else ""
    if kind == "missing":
        return f"{prefix}'{field}' is missing: is this a `healthcheck score` file?"
    if kind == "extra_forbidden":
        return f"{prefix}unknown key '{field}': a `healthcheck score` document has no such key"
    if not field:
        return f"{prefix}{text.replace('Input should', 'should')}"
    return f"{prefix}'{field}' {text.replace('Input should', 'should')}"


def _child(node: Any, key: Any) -> Any:
    if isinstance(key, int):
        return node[key] if isinstance(node, list) and 0 <= key < len(node) else None
    return node.get(key) if isinstance(node, Mapping) else None
