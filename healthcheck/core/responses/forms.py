"""Imports for funders whose grantees use their own forms.

- Microsoft Forms / Google Forms exports (CSV, or Microsoft's XLSX): the headers are the question
  texts. `propose_mapping` matches each header to a questionnaire item: exact text first (after
  tidying case, spaces and quote marks), then the closest match (difflib), which is flagged for
  the user to confirm. Answer labels ("Strongly agree", "Don't know", choice labels) become
  values. Columns that identify people (timestamps, e-mail addresses, names, response ids) are
  dropped on sight: they are never copied into the response table, so they cannot be stored.
- `apply_mapping` rebuilds the file in the canonical layout and hands it to
  `responses.read_responses`: the same validation, all-or-nothing, every bad cell listed by row
  and column (named by the form's own header).
- `read_score_json` reads `healthcheck score --format json` files.
- `read_any` picks the right reader for a file (used by `healthcheck portfolio` and the app).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from healthcheck.core.contract import check_depth, read_documents
from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses.columns import (
    META_COLUMNS,
    REQUIRED_COLUMNS,
    column_letters,
    comment_column,
    comment_items,
)
from healthcheck.core.responses.csvfile import decode_text, parse_records, read_bytes
from healthcheck.core.responses.csvreader import read_responses
from healthcheck.core.responses.workbook import xlsx_records

Progress = Callable[[int, int], None]
How = Literal["exact", "meta", "close", "confirmed", "personal", "unmatched", "ignored"]

CLOSE_CUTOFF = 0.75  # below this a header is not matched at all (only suggestions are offered)
SUGGEST_CUTOFF = 0.45

# Labels some forms use for the agreement scale beyond the questionnaire's own wording.
EXTRA_LIKERT_LABELS: dict[str, str] = {
    "neutral": "3",
    "neither agree or disagree": "3",
    "neither": "3",
    "agree strongly": "5",
    "disagree strongly": "1",
    "not sure": "dk",
    "unsure": "dk",
    "don't know / not sure": "dk",
    "i don't know": "dk",
}

_PERSONAL_EXACT = {
    "timestamp", "time stamp", "start time", "completion time", "last modified time", "submission time",
    "submitted at", "submitted", "date", "time", "created", "id", "response id", "submission id",
    "ip", "ip address", "user", "username", "user name", "login",
}
_PERSONAL_WORDS = re.compile(r"\b(e ?-?mail|name|surname|phone|telephone|mobile|postcode|post code|"
                             r"zip|address|signature|date of birth|dob)\b")
_NOT_PERSONAL = re.compile(r"\b(organi[sz]ation|partnership|team|service|school|project)\b")
_META_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("partnership", re.compile(r"\bpartnership\b")),
    ("organisation", re.compile(r"\borgani[sz]ation\b|^org$|^employer$")),
    ("level", re.compile(r"\blevel\b")),
    ("role", re.compile(r"\b(role|job title|position)\b")),
)


def _norm(text: str) -> str:
    s = str(text).replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    s = s.replace("\xa0", " ").strip().lower()
    s = re.sub(r"^\s*(q\s*)?\d{1,3}\s*[.):]\s*", "", s)  # "3. We can name..." numbering
    s = re.sub(r"\s+", " ", s)
    return s.strip(" .?:!*")


# ----------------------------------------------------------------------------- reading a forms file


@dataclass(frozen=True)
class FormsFile:
    """A raw export: its header and data rows as text (row k is spreadsheet row k + 2)."""

    path: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def read_forms_file(source: str | Path | bytes, name: str | None = None) -> FormsFile:
    """Read a CSV or XLSX export as text cells (no interpretation yet)."""
    path, data = read_bytes(source, name)
    if data.startswith(b"PK\x03\x04"):
        records = xlsx_records(data, path)
    else:
        text = decode_text(data, path)
        if not text.strip():
            raise InputError([Problem(path, "the file is empty")])
        records = parse_records(text, path)
    if not records or not any(h.strip() for h in records[0]):
        raise InputError([Problem(path, "the first row is empty: it must hold the questions", row=1)])
    header = tuple(records[0])
    width = len(header)
    rows = tuple(tuple((list(r) + [""] * width)[:max(width, len(r))]) for r in records[1:])
    return FormsFile(path, header, rows)


def is_canonical_header(header: tuple[str, ...] | list[str]) -> bool:
    """True when the header is the responses CSV contract (respondent, organisation, level...)."""
    names = {h.strip().lower() for h in header}
    return set(REQUIRED_COLUMNS) <= names


# ----------------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class ColumnMatch:
    position: int
    header: str
    target: str | None  # item id, meta column or comment column; None: not imported
    how: How
    similarity: float = 1.0
    suggestions: tuple[str, ...] = ()

    @property
    def letter(self) -> str:
        return column_letters(self.position)

    @property
    def needs_confirmation(self) -> bool:
        return self.how in ("close", "unmatched")


@dataclass(frozen=True)
class FormsMapping:
    questionnaire_id: str
    columns: tuple[ColumnMatch, ...]

    @property
    def pending(self) -> list[ColumnMatch]:
        """Columns the user must confirm (closest matches) or decide on (no match)."""
        return [c for c in self.columns if c.needs_confirmation]

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.pending)

    @property
    def dropped(self) -> list[ColumnMatch]:
        """Columns that identify people: never imported."""
        return [c for c in self.columns if c.how == "personal"]

    @property
    def targets(self) -> dict[str, int]:
        return {c.target: c.position for c in self.columns if c.target is not None}

    def choose(self, position: int, target: str | None) -> FormsMapping:
        """The user's decision for one column: a target, or None to leave it out."""
        cols = []
        for c in self.columns:
            if c.position == position:
                if c.how == "personal":
                    raise ValueError("a column that identifies people cannot be imported")
                c = replace(c, target=target, how="confirmed" if target else "ignored")
            cols.append(c)
        return FormsMapping(self.questionnaire_id, tuple(cols))

    def confirm_all(self) -> FormsMapping:
        """Accept every closest match as proposed and leave unmatched columns out."""
        cols = tuple(replace(c, how="confirmed") if c.how == "close" else
                     replace(c, how="ignored", target=None) if c.how == "unmatched" else c
                     for c in self.columns)
        return FormsMapping(self.questionnaire_id, cols)

    def missing_items(self, questionnaire: Questionnaire) -> list[str]:
        mapped = self.targets
        return [i.id for i in questionnaire.items if i.id not in mapped]

    def describe(self, questionnaire: Questionnaire) -> list[dict[str, Any]]:
        """One plain row per column, for a confirmation table."""
        out = []
        for c in self.columns:
            how = _HOW_WORDS[c.how] + (f" ({c.similarity:.0%})" if c.how == "close" else "")
            out.append({"column": c.letter, "header": c.header,
                        "imported as": target_label(c.target, questionnaire), "match": how,
                        "confirm": c.needs_confirmation})
        return out


_HOW_WORDS: dict[str, str] = {
    "exact": "exact", "meta": "about the respondent", "close": "closest match: please confirm",
    "confirmed": "confirmed", "personal": "identifies people: dropped, never stored",
    "unmatched": "no match: choose an item or leave it out", "ignored": "left out",
}


def targets_of(questionnaire: Questionnaire) -> dict[str, str]:
    """Every column a forms header may become, with a label: meta columns, items, comments."""
    out = {m: f"({m})" for m in META_COLUMNS if m != "respondent"}
    for item in questionnaire.items:
        out[item.id] = item.text
    for item in comment_items(questionnaire):
        out[comment_column(item.id)] = f"Comment on: {item.text}"
    return out


def target_label(target: str | None, questionnaire: Questionnaire) -> str:
    if target is None:
        return "(not imported)"
    label = targets_of(questionnaire).get(target, target)
    return label if label.startswith("(") else f"{target}: {label}"


def is_personal(header: str) -> bool:
    h = _norm(header)
    if not h:
        return False
    if h in _PERSONAL_EXACT or re.search(r"(^|\s)(timestamp|time|date)$", h):
        return True
    return bool(_PERSONAL_WORDS.search(h)) and not _NOT_PERSONAL.search(h)


def propose_mapping(header: tuple[str, ...] | list[str], questionnaire: Questionnaire) -> FormsMapping:
    """Match each header to a target: exact first, then closest match (flagged for confirmation)."""
    q = questionnaire
    exact_names = {t.lower(): t for t in [*META_COLUMNS, *q.item_by_id,
                                          *(comment_column(i.id) for i in comment_items(q))]}
    by_text: dict[str, str] = {}
    for item in q.items:
        by_text.setdefault(_norm(item.text), item.id)
    taken: set[str] = set()
    result: dict[int, ColumnMatch] = {}
    rest: list[int] = []
    for j, raw in enumerate(header):
        h = _norm(raw)
        target = exact_names.get(raw.strip().lower()) or by_text.get(h)
        if target and target not in taken:
            taken.add(target)
            result[j] = ColumnMatch(j, raw, target, "exact")
        elif h and is_personal(raw):
            result[j] = ColumnMatch(j, raw, None, "personal")
        else:
            meta = _meta_target(h) if h and len(h.split()) <= 8 else None
            if meta and meta not in taken:
                taken.add(meta)
                result[j] = ColumnMatch(j, raw, meta, "meta")
            else:
                rest.append(j)
    # closest matches, best pairs first, each item used once
    texts = {item_id: text for text, item_id in by_text.items()}
    scored: list[tuple[float, int, str]] = []
    suggestions: dict[int, list[tuple[float, str]]] = {}
    for j in rest:
        h = _norm(header[j])
        if not h:
            continue
        matcher = difflib.SequenceMatcher(None, "", h, autojunk=False)
        for item_id, text in texts.items():
            if item_id in taken:
                continue
            matcher.set_seq1(text)  # seq2, the header, is analysed once
            if matcher.real_quick_ratio() < SUGGEST_CUTOFF or matcher.quick_ratio() < SUGGEST_CUTOFF:
                continue
            ratio = matcher.ratio()
            if ratio >= SUGGEST_CUTOFF:
                suggestions.setdefault(j, []).append((ratio, item_id))
                if ratio >= CLOSE_CUTOFF:
                    scored.append((ratio, j, item_id))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    for ratio, j, item_id in scored:
        if j in result or item_id in taken:
            continue
        taken.add(item_id)
        result[j] = ColumnMatch(j, header[j], item_id, "close", round(ratio, 3))
    for j in rest:
        if j not in result:
            best = tuple(i for _, i in sorted(suggestions.get(j, []), key=lambda t: (-t[0], t[1]))[:3]
                         if i not in taken)
            result[j] = ColumnMatch(j, header[j], None, "unmatched", 0.0, best)
    return FormsMapping(q.id, tuple(result[j] for j in range(len(header))))


def _meta_target(h: str) -> str | None:
    for target, pattern in _META_PATTERNS:
        if pattern.search(h):
            return target
    return None


def _pending_problems(path: str, mapping: FormsMapping, questionnaire: Questionnaire) -> list[Problem]:
    out = []
    for c in mapping.pending:
        if c.how == "close":
            msg = (f"header '{_short(c.header)}' is only a close match ({c.similarity:.0%}) for item "
                   f"{c.target} ('{_short(targets_of(questionnaire)[c.target or ''])}'): confirm it, or "
                   f"rename the header to '{c.target}'")
        else:
            hint = f" (closest: {', '.join(c.suggestions)})" if c.suggestions else ""
            msg = (f"header '{_short(c.header)}' matches no question of questionnaire {questionnaire.id}"
                   f"{hint}: rename it to an item id, or delete the column")
        out.append(Problem(path, msg, row=1, column=f"{c.letter}"))
    return out


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ----------------------------------------------------------------------------- applying a mapping


def apply_mapping(forms: FormsFile, mapping: FormsMapping, questionnaire: Questionnaire, *,
                  partnership: str = "", progress: Progress | None = None) -> pd.DataFrame:
    """The canonical response table of a forms export, or InputError listing every problem.

    Every pending column must have been decided first (`choose` / `confirm_all`). Columns that
    identify people are never read past this point.
    """
    q = questionnaire
    if mapping.questionnaire_id != q.id:
        raise ValueError("the mapping was made for another questionnaire")
    pending = _pending_problems(forms.path, mapping, q)
    if pending:
        raise InputError(pending)
    used = [c for c in mapping.columns if c.target is not None and c.how != "personal"]
    targets = [c.target for c in used]
    generate = "respondent" not in targets
    likert = {i.id for i in q.likert_items}
    labels = _likert_labels(q)
    header = (["respondent"] if generate else []) + [str(t) for t in targets]
    out_rows: list[list[str]] = [header]
    for k, row in enumerate(forms.rows):
        cells = []
        for c in used:
            v = row[c.position] if c.position < len(row) else ""
            if c.target in likert:
                v = labels.get(_clean(v), v)
            cells.append(v)
        if generate:
            cells.insert(0, f"F{k + 2}" if "".join(cells).strip() else "")
        out_rows.append(cells)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(out_rows)
    del out_rows
    by_target = {str(c.target): c for c in used}
    try:
        return read_responses(buf.getvalue().encode("utf-8"), q, name=forms.path, partnership=partnership,
                              progress=progress)
    except InputError as exc:
        raise InputError([_relocate(p, by_target) for p in exc.problems]) from None


def _clean(cell: str) -> str:
    return " ".join(cell.replace("\u2019", "'").strip().lower().split())


def _likert_labels(q: Questionnaire) -> dict[str, str]:
    labels = {_clean(k): v for k, v in EXTRA_LIKERT_LABELS.items()}
    for n, label in enumerate(q.scale.labels, start=1):
        labels[_clean(label)] = str(n)
    labels[_clean(q.scale.dont_know)] = "dk"
    return labels


def _relocate(p: Problem, by_target: Mapping[str, ColumnMatch]) -> Problem:
    """A problem about our rebuilt file, pointed at the column of the user's own file."""
    c = by_target.get(p.column or "")
    if c is None:
        if p.column == "respondent" and "respondent" not in by_target:
            return replace(p, column=None)
        return p
    return replace(p, column=f"{c.letter} ('{_short(c.header, 40)}')")


# ----------------------------------------------------------------------------- score JSON


def read_score_json(source: str | Path | bytes, name: str | None = None) -> list[dict[str, Any]]:
    """The documents of a `healthcheck score --format json` file (one object or an array), each
    checked against the contract (`contract.ScoreDocument`): every problem of every document is
    raised together, naming the file, the document and the field."""
    path, data = read_bytes(source, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(path, "the file is not UTF-8 text")]) from None
    check_depth(text, path)
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(path, f"not valid JSON: {exc.msg}", line=exc.lineno)]) from None
    except RecursionError:  # check_depth stops far sooner; kept so no parser limit shows as a crash
        raise InputError([Problem(path, "the data are nested too deeply: this is not a score file")]
                         ) from None
    read_documents(loaded, path)
    return loaded if isinstance(loaded, list) else [loaded]


# ----------------------------------------------------------------------------- any file


def read_any(source: str | Path, questionnaire: Questionnaire, *, partnership: str = "",
             progress: Progress | None = None) -> tuple[str, Any]:
    """("json", documents) or ("table", canonical frame) for a file given on the command line.

    A forms export must map without doubt here (no one is there to confirm a closest match):
    otherwise every doubtful header is reported, with the item it probably is.
    """
    path = Path(source)
    if path.suffix.lower() == ".json":
        return "json", read_score_json(path)
    forms = read_forms_file(path)
    if path.suffix.lower() != ".xlsx" and is_canonical_header(forms.header):
        return "table", read_responses(path, questionnaire, partnership=partnership, progress=progress)
    mapping = propose_mapping(forms.header, questionnaire)
    return "table", apply_mapping(forms, mapping, questionnaire, partnership=partnership, progress=progress)
