"""The "everything we hold" zip: every table of a partnership as CSV and JSON, and a README.txt
saying what each file and field is (from `healthcheck.core.fielddocs`).

The answers are the exception: they are never written as stored. Each round's answers are one
file pair, `answers_round_<id>.csv` / `.json`, de-identified exactly as the Exports page's
responses CSV (`present.exports`, `core.anonymity.deidentify_rows`): no role, no respondent id,
key or time, hidden organisations renamed, every organisation x level combination at least the
threshold (else coarsened or left out), rows in an order that is not the order of sending, and
comments and written answers only for organisations whose results are shown. Nobody's own
answers can be worked out from the file, whoever ends up holding it. A facilitator-paced
workshop's round has no answers file at all: the README lists it among the rounds without one,
with the reason `core.anonymity.rows_note` gives (the room saw who answered which questions).

CSV cells go through `core.csvsafe` (no cell runs as a spreadsheet formula); structured values
(the workshop's areas, a round summary) are JSON text in the CSV and JSON in the .json file.
Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from healthcheck.core.anonymity import LEVEL_NOT_SHOWN, SUPPRESSED_ORG
from healthcheck.core.csvsafe import csv_cell
from healthcheck.core.fielddocs import FIELD_DOCS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import COMMENT_SUFFIX
from healthcheck.present.exports import anonymised_csv, anonymised_table

__all__ = ["README", "RoundAnswers", "answers_file", "everything_zip", "json_value", "readme",
           "round_answers"]

README = "README.txt"


@dataclass(frozen=True)
class RoundAnswers:
    """One round's answers, de-identified as the Exports page's responses CSV."""

    round_id: int
    label: str
    csv_text: str  # exactly the Exports page's file
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    hidden: tuple[str, ...]  # organisations whose name the file does not show
    questions: dict[str, str]  # question id -> its wording


def answers_file(round_id: int) -> str:
    """The name (without .csv / .json) of a round's answers in the zip."""
    return f"answers_round_{round_id}"


def round_answers(round_id: int, label: str, frame: pd.DataFrame, questionnaire: Questionnaire,
                  threshold: int) -> RoundAnswers:
    """A round's released answers as the zip holds them (`frame`: the round's canonical table)."""
    csv_text, hidden = anonymised_csv(frame, questionnaire, threshold)
    table, _ = anonymised_table(frame, questionnaire, threshold)
    columns = tuple(str(c) for c in table.columns)
    rows = [{c: _cell(v) for c, v in zip(columns, values, strict=True)}
            for values in table.itertuples(index=False, name=None)]
    questions = {i.id: i.text for i in questionnaire.items}
    return RoundAnswers(round_id, label, csv_text, columns, rows, tuple(sorted(hidden)), questions)


def _cell(value: Any) -> Any:
    """A table cell as JSON: empty and missing as null, numpy numbers as Python ones."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list | dict):
        return value
    if value is None or bool(pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _answer_field(column: str, questions: Mapping[str, str]) -> str:
    fixed = {
        "respondent": "R1, R2... numbered in this file only, in an order that is not the order of "
                      "sending; not linked to anything else.",
        "partnership": "The partnership.",
        "organisation": f"The organisation chosen, or \"{SUPPRESSED_ORG}\" where its group is too small "
                        "to show (or would let a small group be worked out).",
        "level": f"Funder, strategic or operational, or \"{LEVEL_NOT_SHOWN}\" where the combination "
                 "with the organisation would be rarer than the anonymity threshold.",
        "role": "Always empty: a role could point to a person, so it is never handed out.",
    }
    if column in fixed:
        return fixed[column]
    if column.endswith(COMMENT_SUFFIX):
        item = column[: -len(COMMENT_SUFFIX)]
        return (f"Comment on '{questions.get(item, item)}' (only for organisations whose results are "
                "shown; else empty).")
    return f"Answer to '{questions.get(column, column)}' (1 to 5, dk for don't know, or the choice/text)."


def _answers_readme(answers: Sequence[RoundAnswers], left_out: Mapping[int, str]) -> list[str]:
    lines = [
        "Answers: answers_round_<id>.csv / .json, one pair per round",
        "  The answers are NOT here as stored. Each round's file is de-identified exactly as the",
        "  Exports page's responses CSV: no role, no respondent id or key, no time; organisations",
        "  smaller than the anonymity threshold (and any that would let them be worked out) are",
        f"  named \"{SUPPRESSED_ORG}\"; every organisation and level combination appears at least the",
        "  threshold number of times (else its level, then its organisation is left out, and a row",
        "  still alone is left out); rows are in an order that is not the order of sending; comments",
        "  and written answers are kept only for organisations whose results are shown. Nobody's own",
        "  answers can be worked out from this download. Answers sent since the round's figures last",
        "  moved are not in it yet (see round_releases).",
        "",
    ]
    for a in answers:
        lines.append(f"{answers_file(a.round_id)}.csv / .json: round '{a.label}' ({len(a.rows)} rows)")
        if a.hidden:
            lines.append(f"  Organisations not named in it: {', '.join(a.hidden)}.")
        lines += [f"  - {c}: {_answer_field(c, a.questions)}" for c in a.columns]
        lines.append("")
    if left_out:
        lines.append("Rounds without an answers file:")
        lines += [f"  - round {rid}: {why}" for rid, why in sorted(left_out.items())]
        lines.append("")
    return lines


def json_value(value: Any) -> Any:
    """A stored value as JSON: times and dates as ISO text, the rest as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return csv_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return csv_cell(json_value(value))


def _csv(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row[c]) for c in columns])
    return out.getvalue()


def readme(partnership: str, made_at: datetime, tables: Mapping[str, Sequence[str]],
           counts: Mapping[str, int], not_held: Mapping[str, str],
           answers: Sequence[RoundAnswers] = (), left_out: Mapping[int, str] | None = None,
           withheld: Mapping[str, str] | None = None) -> str:
    """README.txt: what the download is, then each file with its fields."""
    lines = [
        f"Everything the Partnership Health Check holds about: {partnership}",
        f"Made {made_at.isoformat(timespec='seconds')} (UTC).",
        "",
        "Each table is here twice: as CSV (for a spreadsheet) and as JSON. Times are in UTC.",
        "The secret links (admin, respondent, facilitator, funder) and codes are stored only as",
        "hashes, and the hashes are left out of this download.",
        "",
        "The answers are de-identified as on the Exports page (see 'Answers' below), so nobody's",
        "own answers can be worked out from this download, by anyone. The rest (the partnership,",
        "its organisations, rounds, action plan, partner team notes, shares, workshops, release",
        "steps, round summaries and the audit log) is here as stored. Action owners and notes are",
        "free text and may name people: keep the file safe and delete it when no longer needed.",
        "",
    ]
    for name, columns in tables.items():
        doc = FIELD_DOCS.get(name)
        lines += [f"{name}.csv / {name}.json ({counts.get(name, 0)} rows)"]
        if doc is not None:
            lines += [f"  {doc.purpose}", f"  Kept: {doc.retention}"]
        for column in columns:
            text = doc.fields.get(column, "") if doc is not None else ""
            lines.append(f"  - {column}: {text}")
        lines.append("")
    lines += _answers_readme(answers, left_out or {})
    if withheld:
        lines.append("Left out of this download:")
        lines += [f"  - {name}: {why}" for name, why in withheld.items()]
        lines.append("")
    if not_held:
        lines.append("Not in this download (not tied to any partnership):")
        lines += [f"  - {name}: {why}" for name, why in not_held.items()]
        lines.append("")
    return "\n".join(lines)


def everything_zip(partnership: str, made_at: datetime, tables: Mapping[str, tuple[Sequence[str],
                   Sequence[Mapping[str, Any]]]], not_held: Mapping[str, str],
                   answers: Sequence[RoundAnswers] = (), left_out: Mapping[int, str] | None = None,
                   withheld: Mapping[str, str] | None = None) -> bytes:
    """The zip: README.txt, <table>.csv and <table>.json for every table (empty ones too), and
    each round's de-identified answers (`answers`; `left_out`: rounds without a file, and why;
    `withheld`: what the tables leave out, and why)."""
    buffer = io.BytesIO()
    columns = {name: cols for name, (cols, _) in tables.items()}
    counts = {name: len(rows) for name, (_, rows) in tables.items()}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(README, readme(partnership, made_at, columns, counts, not_held, answers, left_out,
                                   withheld))
        for a in answers:
            zf.writestr(f"{answers_file(a.round_id)}.csv", a.csv_text)
            zf.writestr(f"{answers_file(a.round_id)}.json",
                        json.dumps([dict(r) for r in a.rows], ensure_ascii=False, indent=2) + "\n")
        for name, (cols, rows) in tables.items():
            zf.writestr(f"{name}.csv", _csv(cols, rows))
            payload = [{c: json_value(row[c]) for c in cols} for row in rows]
            zf.writestr(f"{name}.json", json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return buffer.getvalue()
