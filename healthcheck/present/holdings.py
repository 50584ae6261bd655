"""The "everything we hold" zip: every table of a partnership as CSV and JSON, and a README.txt
saying what each file and field is (from `healthcheck.core.fielddocs`).

CSV cells go through `core.csvsafe` (no cell runs as a spreadsheet formula); structured values
(answers, comments, the workshop's areas) are JSON text in the CSV and JSON in the .json file.
Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from healthcheck.core.csvsafe import csv_cell
from healthcheck.core.fielddocs import FIELD_DOCS

__all__ = ["README", "everything_zip", "json_value", "readme"]

README = "README.txt"


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
           counts: Mapping[str, int], not_held: Mapping[str, str]) -> str:
    """README.txt: what the download is, then each file with its fields."""
    lines = [
        f"Everything the Partnership Health Check holds about: {partnership}",
        f"Made {made_at.isoformat(timespec='seconds')} (UTC).",
        "",
        "Each table is here twice: as CSV (for a spreadsheet) and as JSON. Times are in UTC.",
        "The secret links (admin, respondent, facilitator, funder) and codes are stored only as",
        "hashes, and the hashes are left out of this download.",
        "",
        "This file holds every answer as stored, including those of groups smaller than the",
        "anonymity threshold that the app never shows. Nobody's name or e-mail address is stored,",
        "but a role, a comment or a small group can still point to a person: keep it safe, share it",
        "only with whoever made the request, and delete it when it is no longer needed.",
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
    if not_held:
        lines.append("Not in this download (not tied to any partnership):")
        lines += [f"  - {name}: {why}" for name, why in not_held.items()]
        lines.append("")
    return "\n".join(lines)


def everything_zip(partnership: str, made_at: datetime, tables: Mapping[str, tuple[Sequence[str],
                   Sequence[Mapping[str, Any]]]], not_held: Mapping[str, str]) -> bytes:
    """The zip: README.txt, and <table>.csv and <table>.json for every table (empty ones too)."""
    buffer = io.BytesIO()
    columns = {name: cols for name, (cols, _) in tables.items()}
    counts = {name: len(rows) for name, (_, rows) in tables.items()}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(README, readme(partnership, made_at, columns, counts, not_held))
        for name, (cols, rows) in tables.items():
            zf.writestr(f"{name}.csv", _csv(cols, rows))
            payload = [{c: json_value(row[c]) for c in cols} for row in rows]
            zf.writestr(f"{name}.json", json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return buffer.getvalue()
