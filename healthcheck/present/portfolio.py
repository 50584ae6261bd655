"""A funder's portfolio on screen and in files: rows sorted, filtered, summarised and exported.

Pure functions of `PortfolioRow`s (built by `services.portfolio`). Exports (CSV and XLSX)
neutralise every text cell against formula injection and keep numbers as numbers.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from healthcheck.core.anonymity import shown_score, shown_scores, shown_share
from healthcheck.core.csvsafe import csv_cell, neutralise
from healthcheck.core.frameworks import DIMENSION_BY_ID, DIMENSIONS, FRAMEWORKS, dimensions_of
from healthcheck.core.portfolio_rows import FRAMEWORK_IDS, PortfolioRow, RiskRef, by_risk
from healthcheck.core.questionnaire import BANDS
from healthcheck.core.rules import SEVERITIES, SEVERITY_RANK

SORT_KEYS: dict[str, str] = {
    "risk": "Most at risk first",
    "tasks": "Tasks score (lowest first)",
    "prerequisites": "Prerequisites score (lowest first)",
    "factors": "Conditions score (lowest first)",
    "change": "Change since the previous round (biggest fall first)",
    "respondents": "Respondents (fewest first)",
    "partnership": "Name",
}


# ----------------------------------------------------------------------------- sort and filter


def sort_rows(rows: Sequence[PortfolioRow], by: str = "risk", descending: bool = False) -> list[PortfolioRow]:
    """Rows in order: "risk" (most at risk first), a framework or dimension id (lowest score
    first), "change" (biggest fall first), "respondents", "partnership". Missing values go last."""
    if by == "risk":
        out = by_risk(rows)
        return out[::-1] if descending else out
    if by == "partnership":
        return sorted(rows, key=lambda r: r.partnership.lower(), reverse=descending)

    def value(r: PortfolioRow) -> float | None:
        if by in FRAMEWORKS:
            return r.means.get(by)
        if by == "change":
            return r.change
        if by == "respondents":
            return float(r.respondents)
        if by in DIMENSION_BY_ID:
            return r.scores.get(by)
        raise ValueError(f"cannot sort by {by!r}: use one of {', '.join(SORT_KEYS)} or a dimension id")

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: (value(r), r.partnership.lower()), reverse=descending)
    return present + missing


def filter_rows(rows: Iterable[PortfolioRow], *, risk: str | None = None, severity: str | None = None,
                band: str | None = None, dimension: str | None = None, text: str | None = None
                ) -> list[PortfolioRow]:
    """Rows that match every filter given.

    risk: a rule id that fired; severity: at least one finding of that severity; band with
    dimension: that dimension (or framework mean) is in the band; band alone: any dimension is;
    dimension alone: that dimension has a score; text: part of the partnership name.
    """
    if severity is not None and severity not in SEVERITY_RANK:
        raise ValueError(f"unknown severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    if band is not None and band not in BANDS:
        raise ValueError(f"unknown band {band!r}: use one of {', '.join(BANDS)}")
    if dimension is not None and dimension not in DIMENSION_BY_ID and dimension not in FRAMEWORKS:
        raise ValueError(f"unknown dimension {dimension!r}")
    needle = text.strip().lower() if text else ""
    out = []
    for r in rows:
        if risk and risk not in r.rule_ids:
            continue
        if severity and not any(x.severity == severity for x in r.risks):
            continue
        if needle and needle not in r.partnership.lower():
            continue
        if dimension is not None:
            if dimension in FRAMEWORKS:
                got = r.framework_bands.get(dimension, "no data")
                has = r.means.get(dimension) is not None
            else:
                got = r.bands.get(dimension, "no data")
                has = r.scores.get(dimension) is not None
            if band is not None and got != band:
                continue
            if band is None and not has:
                continue
        elif band is not None and band not in r.bands.values():
            continue
        out.append(r)
    return out



@dataclass
class FilterSpec:
    """A filter and sort, as the UI and the benchmarks hold them."""

    risk: str | None = None
    severity: str | None = None
    band: str | None = None
    dimension: str | None = None
    text: str | None = None
    sort: str = "risk"
    descending: bool = False

    def apply(self, rows: Sequence[PortfolioRow]) -> list[PortfolioRow]:
        return sort_rows(filter_rows(rows, risk=self.risk, severity=self.severity, band=self.band,
                                     dimension=self.dimension, text=self.text), self.sort, self.descending)


# ----------------------------------------------------------------------------- summaries


def common_risks(rows: Sequence[PortfolioRow], top: int | None = None) -> list[dict[str, Any]]:
    """Risks across the portfolio, most widespread first, with their recommended actions."""
    counts: Counter[str] = Counter()
    ref: dict[str, RiskRef] = {}
    for r in rows:
        for x in r.risks:
            counts[x.rule] += 1
            ref.setdefault(x.rule, x)
    total = len(rows)
    out = []
    for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], SEVERITY_RANK.get(ref[kv[0]].severity, 99),
                                                            kv[0])):
        x = ref[rule]
        out.append({"rule": rule, "title": x.title, "severity": x.severity, "partnerships": n,
                    "share": n / total if total else 0.0,
                    "tasks": [_label(t) for t in x.tasks],
                    "actions": [{"task": _label(t), "text": text} for t, text in x.actions]})
    return out[:top] if top is not None else out


def _label(dim: str) -> str:
    return DIMENSION_BY_ID[dim].label if dim in DIMENSION_BY_ID else dim


def heatmap_frame(rows: Iterable[PortfolioRow], framework: str = "tasks") -> pd.DataFrame:
    """Long frame (partnership, dimension, label, number, score, band) for `charts.heatmap`."""
    out = []
    dims = dimensions_of(framework)
    for r in rows:
        for d in dims:
            if d.id not in r.scores:
                continue
            s = r.scores[d.id]
            out.append({"partnership": r.partnership, "dimension": d.id, "label": d.label, "number": d.number,
                        "score": math.nan if s is None else shown_score(s),
                        "band": r.bands.get(d.id, "no data")})
    frame = pd.DataFrame(out, columns=["partnership", "dimension", "label", "number", "score", "band"])
    frame["score"] = frame["score"].astype(float)
    return frame


# ----------------------------------------------------------------------------- tables and exports


def _columns(rows: Sequence[PortfolioRow]) -> list[str]:
    dims = [d.id for d in DIMENSIONS if any(d.id in r.scores for r in rows)]
    return ["partnership", "round", "respondents", *FRAMEWORK_IDS, "change", *SEVERITIES, "top_risk", "risks",
            "needs_full_check", *dims]


def table(rows: Sequence[PortfolioRow]) -> pd.DataFrame:
    """The portfolio as a frame (numbers as numbers, None where missing), one row per partnership."""
    cols = _columns(rows)
    data = []
    for r in rows:
        c = r.counts
        rec: dict[str, Any] = {"partnership": r.partnership, "round": r.round, "respondents": r.respondents,
                               "change": shown_score(r.change), "top_risk": r.top_risk,
                               "risks": ", ".join(x.rule for x in r.risks),
                               # checks this round's questionnaire could not run (a pulse round)
                               "needs_full_check": ", ".join(x.rule for x in r.not_checked)}
        rec.update({fw: shown_score(r.means.get(fw)) for fw in FRAMEWORK_IDS})
        rec.update(c)
        rec.update({d: shown_score(r.scores.get(d)) for d in cols[cols.index("needs_full_check") + 1:]})
        data.append(rec)
    return shown_scores(pd.DataFrame(data, columns=cols),
                        [*FRAMEWORK_IDS, "change", *cols[cols.index("needs_full_check") + 1:]])


def _export_rows(rows: Sequence[PortfolioRow]) -> tuple[list[str], list[list[Any]]]:
    frame = table(rows)
    header = list(frame.columns)
    values = [[None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
               else int(v) if isinstance(v, np.integer) else v for v in rec]
              for rec in frame.itertuples(index=False, name=None)]
    return header, values


def to_csv(rows: Sequence[PortfolioRow]) -> str:
    """The portfolio as CSV: numbers as numbers, every text cell through `csvsafe.neutralise`."""
    header, values = _export_rows(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([neutralise(h) for h in header])
    for rec in values:
        w.writerow([csv_cell(v) for v in rec])
    return buf.getvalue()


def _xlsx_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float | np.integer | np.floating):
        f = float(v)
        return None if math.isnan(f) else (int(v) if isinstance(v, int | np.integer) else f)
    return neutralise(v)


def _xlsx_cell(ws: Any, v: Any) -> Any:
    value = _xlsx_value(v)
    if isinstance(value, str) and value.startswith("="):  # cannot happen after neutralise; stay sure
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def to_xlsx(rows: Sequence[PortfolioRow], risks: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """The portfolio as an Excel workbook: numbers as numbers, every text cell neutralised (so no
    text starts with a formula character and openpyxl stores every one as a string)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Portfolio")
    header, values = _export_rows(rows)
    ws.append([_xlsx_value(h) for h in header])
    for rec in values:
        ws.append([_xlsx_cell(ws, v) for v in rec])
    risk_rows = risks if risks is not None else common_risks(rows)
    ws2 = wb.create_sheet("Common risks")
    ws2.append(["rule", "title", "severity", "partnerships", "share", "recommended actions"])
    for x in risk_rows:
        actions = "\n".join(f"{a['task']}: {a['text']}" for a in x["actions"])
        ws2.append([_xlsx_value(x["rule"]), _xlsx_value(x["title"]), _xlsx_value(x["severity"]),
                    int(x["partnerships"]), shown_share(x["share"]), _xlsx_value(actions)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_json(rows: Sequence[PortfolioRow]) -> str:
    """The portfolio for `healthcheck portfolio --format json` (`PortfolioRow.as_dict` per row)."""
    return json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False) + "\n"
