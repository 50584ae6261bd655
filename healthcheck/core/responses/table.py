"""The canonical response table: built from answer records and back, split, written as CSV.

The table's columns are described in `columns`; reading a responses CSV is `csvreader`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from healthcheck.core.csvsafe import neutralise_frame
from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.core.responses.columns import (
    DONT_KNOW,
    META_COLUMNS,
    columns_of,
    comment_column,
    comment_items,
)
from healthcheck.core.responses.records import is_blank, record_problems


def frame_from_records(records: list[dict[str, Any]], questionnaire: Questionnaire,
                       partnership: str = "") -> pd.DataFrame:
    """The canonical table from answer records (the app's and the store's shape).

    A record: `{"respondent", "organisation", "level", "role", "answers": {item: 1-5 | "dk" |
    choice id | text}, "comments": {item: text}}`, optionally `"partnership"` (else the
    argument). Missing answers become NaN / None. An answer of the wrong kind raises InputError.
    """
    problems = record_problems(records, questionnaire)
    if problems:
        raise InputError(problems)
    out: dict[str, list[Any]] = {c: [] for c in columns_of(questionnaire)}
    commented = [i.id for i in comment_items(questionnaire)]
    for record in records:
        out["respondent"].append(str(record.get("respondent") or ""))
        out["organisation"].append(str(record.get("organisation") or ""))
        out["level"].append(str(record.get("level") or ""))
        role = record.get("role")
        out["role"].append(str(role) if role not in (None, "") else None)
        part = record.get("partnership")
        out["partnership"].append(str(part) if part not in (None, "") else partnership)
        answers = record.get("answers") or {}
        comments = record.get("comments") or {}
        for item in questionnaire.items:
            out[item.id].append(_record_value(item, answers.get(item.id)))
        for item_id in commented:
            text = comments.get(item_id)
            out[comment_column(item_id)].append(str(text) if text not in (None, "") else None)
    frame: dict[str, Any] = {}
    for col, values in out.items():
        item = questionnaire.item_by_id.get(col)
        if item is not None and item.type == "likert":
            frame[col] = np.asarray(values, dtype=np.float64)
        else:
            frame[col] = pd.Series(values, dtype=object)
    return pd.DataFrame(frame, columns=columns_of(questionnaire))


def _record_value(item: Item, value: Any) -> Any:
    """A checked answer (see `record_problems`) as the table holds it."""
    if is_blank(value):
        return np.nan if item.type == "likert" else None
    if item.type == "likert":
        return DONT_KNOW if isinstance(value, str) else float(value)
    return value if item.type == "choice" else str(value)


def records_from_frame(df: pd.DataFrame, questionnaire: Questionnaire) -> list[dict[str, Any]]:
    """The answer records of a canonical table (inverse of `frame_from_records`).

    Likert answers come back as int 1-5 or "dk"; unanswered items and empty comments are left
    out. Each record also carries its `partnership`.
    """
    records: list[dict[str, Any]] = []
    likert = [i.id for i in questionnaire.likert_items]
    other = [i.id for i in questionnaire.items if i.type != "likert"]
    commented = [i.id for i in comment_items(questionnaire)]
    for row in df.to_dict("records"):
        answers: dict[str, Any] = {}
        for item_id in likert:
            v = row.get(item_id)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            answers[item_id] = "dk" if v == DONT_KNOW else int(v)
        for item_id in other:
            v = row.get(item_id)
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                answers[item_id] = v
        comments = {}
        for item_id in commented:
            v = row.get(comment_column(item_id))
            if isinstance(v, str) and v:
                comments[item_id] = v
        role = row.get("role")
        records.append({
            "respondent": row["respondent"],
            "organisation": row["organisation"],
            "level": row["level"],
            "role": role if isinstance(role, str) and role else None,
            "partnership": row.get("partnership") or "",
            "answers": answers,
            "comments": comments,
        })
    return records


def split_partnerships(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One table per partnership, in order of first appearance, each indexed from 0."""
    if df.empty:
        return {}
    out: dict[str, pd.DataFrame] = {}
    for name, group in df.groupby("partnership", sort=False, dropna=False):
        out[str(name)] = group.reset_index(drop=True)
    return out


# ----------------------------------------------------------------------------- CSV


def template_csv(questionnaire: Questionnaire) -> str:
    """The header row of an empty responses file for `questionnaire`, with a newline."""
    return _write_csv([columns_of(questionnaire)])


def _write_csv(rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def export_table(df: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """The rows of an anonymised responses file, in the file's column order.

    Respondent ids are replaced by R1..Rn, numbered in a stable order that is not the order
    of submission (organisation, level, then a hash of the row's content). "Don't know" is
    written as `dk`; Likert answers as the words "1".."5". Cells are not yet made spreadsheet-safe
    (`export_csv` does that; a JSON file needs no such thing).
    """
    columns = columns_of(questionnaire)
    table = df.reindex(columns=columns).reset_index(drop=True)
    for col in META_COLUMNS:
        table[col] = table[col].astype(object).where(table[col].notna(), "")
    # Content first, then the id: knowing the ids alone does not give their R-numbers.
    content = pd.util.hash_pandas_object(table.drop(columns=["respondent"]).astype(object),
                                         index=False).to_numpy()
    who = pd.util.hash_pandas_object(table["respondent"].astype(str), index=False).to_numpy()
    order = (pd.DataFrame({"o": table["organisation"].astype(str), "l": table["level"].astype(str),
                           "c": content, "w": who})
             .sort_values(["o", "l", "c", "w"], kind="stable").index)
    table = table.loc[order].reset_index(drop=True)
    table["respondent"] = [f"R{k}" for k in range(1, len(table) + 1)]
    table["role"] = table["role"].where(table["role"] != "", None)
    words = {float(v): str(v) for v in range(1, 6)}
    words[DONT_KNOW] = "dk"
    for item in questionnaire.likert_items:
        table[item.id] = pd.Series(table[item.id], dtype=np.float64).map(words).astype(object)
    return table


def export_csv(df: pd.DataFrame, questionnaire: Questionnaire) -> str:
    """An anonymised responses CSV for download, safe to open in a spreadsheet: the rows of
    `export_table`, every cell through `csvsafe.neutralise`."""
    table = export_table(df, questionnaire)
    safe = neutralise_frame(table)
    return _write_csv([list(table.columns), *safe.itertuples(index=False, name=None)])
