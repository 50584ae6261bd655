"""The scores of `healthcheck score` as text: JSON (the contract), CSV, or a table to read."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from healthcheck.core.anonymity import shown_score
from healthcheck.core.assess import Assessment
from healthcheck.core.csvsafe import neutralise


def render_scores(assessments: Sequence[Assessment], fmt: str) -> str:
    """All the assessments as "json", "csv" or (anything else) "table"."""
    if fmt == "json":
        return scores_json(assessments)
    if fmt == "csv":
        return scores_csv(assessments)
    return "".join(score_table(a) for a in assessments)


def scores_json(assessments: Sequence[Assessment]) -> str:
    """One object per partnership; a JSON array when there are several."""
    docs = [a.as_dict() for a in assessments]
    return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False) + "\n"


def scores_csv(assessments: Sequence[Assessment]) -> str:
    """One row per partnership and dimension, cells made safe for spreadsheets."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["partnership", "dimension", "framework", "label", "score", "band", "answered",
                "unknown", "spread", "suppressed"])
    for a in assessments:
        for d in a.scores.dimensions:
            row = d.as_dict()
            w.writerow([neutralise(v) for v in (a.partnership, d.id, d.framework, d.label, row["score"],
                                                d.band, d.answered, row["unknown"], row["spread"],
                                                ";".join(d.suppressed))])
    return buf.getvalue()


def score_table(a: Assessment) -> str:
    """One partnership's scores and findings as a plain-text table."""
    s = a.scores
    lines = [f"{s.partnership or 'Partnership'}: {s.respondents} respondents "
             f"(anonymity threshold {s.threshold})", ""]
    lines.append(f"{'dimension':<34} {'score':>6}  {'band':<11} {'spread':>6}  note")
    for d in s.dimensions:
        score = "-" if d.score is None else str(shown_score(d.score))
        spread = "-" if d.spread is None else str(shown_score(d.spread))
        note = f"{len(d.suppressed)} group(s) suppressed" if d.suppressed else ""
        lines.append(f"{d.label:<34} {score:>6}  {d.band:<11} {spread:>6}  {note}")
    lines.append("")
    if not a.findings:
        lines.append("No risks flagged.")
    for f in a.findings:
        covers = f"; also covers {', '.join(f.covers)}" if f.covers else ""
        lines.append(f"[{f.rule.severity.upper()}] {f.rule.title} ({f.rule.id}{covers})")
        for e in f.evidence:
            lines.append(f"    because {e.describe()}")
            clear = e.to_clear(a.questionnaire)
            if clear:
                lines.append(f"      {clear}")
        for act in f.actions:
            lines.append(f"    - {act.text}")
    lines.append("")
    return "\n".join(lines) + "\n"
