"""A funder's portfolio: one row per partnership, sorted by risk, filtered, exported.

Rows come from three places, all ending in the same `PortfolioRow`:
- a response table holding many partnerships (`Portfolio.add_table`): ONE `ScoreTable` over the
  whole table, then per partnership only `table.facts(code)` and the engine; framework means
  and bands come straight from the score array (no per-partnership `PartnershipScores`);
- `healthcheck score` JSON documents (`Portfolio.add_documents`);
- the store, for a funder: the latest round each partnership shared with it, and the change
  since the previous shared round (`store_portfolio`). Nothing unshared is ever read.

Rows hold aggregates only (scores, bands, counts of findings); the drill-down
(`Portfolio.assessment`) scores one partnership with its anonymity threshold, so small groups
stay hidden there too. Exports (CSV and XLSX) neutralise every text cell against formula
injection and keep numbers as numbers.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from healthcheck.core.assess import Assessment
from healthcheck.core.csvsafe import neutralise
from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSION_BY_ID, DIMENSIONS, FRAMEWORKS, dimensions_of
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.rules import Action, Group, Rule, RulePack
from healthcheck.core.rules.engine import Evidence, Finding, get_engine
from healthcheck.core.scoring import MIN_THRESHOLD, DimensionScore, PartnershipScores, ScoreTable
from healthcheck.core.vocabulary import SEVERITIES, SEVERITY_RANK

Progress = Callable[[int, int], None]

FRAMEWORK_IDS: tuple[str, ...] = tuple(FRAMEWORKS)
BANDS: tuple[str, ...] = ("strength", "borderline", "concern", "no data")
SORT_KEYS: dict[str, str] = {
    "risk": "Most at risk first",
    "tasks": "Tasks score (lowest first)",
    "prerequisites": "Prerequisites score (lowest first)",
    "factors": "Conditions score (lowest first)",
    "change": "Change since the previous round (biggest fall first)",
    "respondents": "Respondents (fewest first)",
    "partnership": "Name",
}


# ----------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class RiskRef:
    """What a portfolio needs of a finding: which rule, how severe, and what to do about it."""

    rule: str
    severity: str
    title: str
    tasks: tuple[str, ...] = ()
    actions: tuple[tuple[str, str], ...] = ()  # (task id, text)


@dataclass(frozen=True)
class PortfolioRow:
    partnership: str
    respondents: int
    means: dict[str, float | None]  # framework id -> mean of its dimension scores
    risks: tuple[RiskRef, ...]  # findings, most severe first
    scores: dict[str, float | None]  # dimension id -> score (None: nobody answered)
    bands: dict[str, str]  # dimension id -> band
    round: str | None = None
    change: float | None = None  # tasks mean now minus at the previous round
    key: Any = None  # where the row came from (the store: (partnership id, round id))

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.severity for r in self.risks)
        return {s: c.get(s, 0) for s in SEVERITIES}

    @property
    def top_risk(self) -> str | None:
        return self.risks[0].title if self.risks else None

    @property
    def rule_ids(self) -> set[str]:
        return {r.rule for r in self.risks}

    def as_dict(self) -> dict[str, Any]:
        """The row for `healthcheck portfolio --format json`."""
        return {
            "partnership": self.partnership,
            "round": self.round,
            "respondents": self.respondents,
            "scores": {f: _r(self.means.get(f)) for f in FRAMEWORK_IDS},
            "findings": self.counts,
            "top_risk": self.top_risk,
            "risks": [r.rule for r in self.risks],
            "change": _r(self.change),
            "dimensions": {d: {"score": _r(self.scores.get(d)), "band": self.bands.get(d, "no data")}
                           for d in self.scores},
        }


def _r(v: float | None, digits: int = 1) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), digits)


def _none(v: float) -> float | None:
    return None if v != v else float(v)


def _risk_of_rule(rule: Rule) -> RiskRef:
    return RiskRef(rule.id, rule.severity, rule.title, tuple(rule.tasks),
                   tuple((a.task, a.text) for a in rule.actions))


def framework_means(table: ScoreTable) -> dict[str, np.ndarray]:
    """Partnerships x 1 per framework: the mean of each partnership's dimension scores."""
    scores = table.score.to_numpy()
    out = {}
    for fw in FRAMEWORK_IDS:
        cols = [j for j, d in enumerate(table.dims) if DIMENSION_BY_ID[d].framework == fw]
        if not cols:
            out[fw] = np.full(len(table), np.nan)
            continue
        block = scores[:, cols]
        n = (~np.isnan(block)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[fw] = np.where(n > 0, np.nansum(block, axis=1) / n, np.nan)
    return out


def _band_array(scores: np.ndarray, questionnaire: Questionnaire) -> np.ndarray:
    b = questionnaire.bands
    return np.select([np.isnan(scores), scores >= b.strength, scores >= b.borderline],
                     ["no data", "strength", "borderline"], "concern")


# ----------------------------------------------------------------------------- the portfolio


class Portfolio:
    """Rows of many partnerships, and how to drill into each (an assessment on demand)."""

    def __init__(self) -> None:
        self.rows: list[PortfolioRow] = []
        self._tables: list[tuple[Questionnaire, ScoreTable, RulePack]] = []
        self._where: dict[str, tuple[Any, ...]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def names(self) -> list[str]:
        return [r.partnership for r in self.rows]

    def row(self, partnership: str) -> PortfolioRow | None:
        return next((r for r in self.rows if r.partnership == partnership), None)

    def add_table(self, questionnaire: Questionnaire, responses: pd.DataFrame, pack: RulePack,
                  threshold: int = MIN_THRESHOLD, *, rounds: Mapping[str, str] | None = None,
                  previous: Mapping[str, float | None] | None = None, keys: Mapping[str, Any] | None = None,
                  progress: Progress | None = None) -> list[PortfolioRow]:
        """Rows for every partnership of a canonical response table (one vectorised scoring pass).

        `rounds`: partnership -> round label; `previous`: partnership -> the tasks mean of the
        previous round (gives `change`); `keys`: partnership -> an opaque key kept on the row.
        """
        if len(responses) == 0:
            return []
        table = ScoreTable(questionnaire, responses, threshold)
        names = table.names()
        self._check_new(names)
        engine = get_engine(pack)
        refs = {r.id: _risk_of_rule(r) for r in pack.rules}
        means = framework_means(table)
        score_arr = table.score.to_numpy()
        bands = _band_array(score_arr, questionnaire)
        dims = table.dims
        respondents = table.respondents.to_numpy()
        index = len(self._tables)
        self._tables.append((questionnaire, table, pack))
        rows: list[PortfolioRow] = []
        total = len(names)
        step = max(1, total // 100)
        for code, name in enumerate(names):
            # Rows need which rules fired, not their evidence: `fired` skips the evidence pass
            # (a third of `evaluate`); the drill-down evaluates fully.
            fired = sorted((refs[rule_id] for rule_id in engine.fired(table.facts(code))),
                           key=lambda x: (SEVERITY_RANK[x.severity], x.rule))
            tasks = _none(means["tasks"][code])
            before = previous.get(name) if previous else None
            rows.append(PortfolioRow(
                partnership=name, respondents=int(respondents[code]),
                means={fw: _none(means[fw][code]) for fw in FRAMEWORK_IDS},
                risks=tuple(fired),
                scores=dict(zip(dims, map(_none, score_arr[code].tolist()), strict=True)),
                bands=dict(zip(dims, bands[code].tolist(), strict=True)),
                round=rounds.get(name) if rounds else None,
                change=None if tasks is None or before is None else tasks - before,
                key=keys.get(name) if keys else None))
            self._where[name] = ("table", index, code)
            if progress is not None and ((code + 1) % step == 0 or code + 1 == total):
                progress(code + 1, total)
        self.rows.extend(rows)
        return rows

    def add_documents(self, documents: Sequence[Mapping[str, Any]], questionnaire: Questionnaire,
                      pack: RulePack | None = None, progress: Progress | None = None) -> list[PortfolioRow]:
        """Rows from `healthcheck score --format json` documents (already scored elsewhere)."""
        names = [str(d.get("partnership") or "") for d in documents]
        self._check_new(names)
        rows = []
        for k, doc in enumerate(documents):
            row = row_from_document(doc)
            rows.append(row)
            self._where[row.partnership] = ("doc", doc, questionnaire, pack)
            if progress is not None:
                progress(k + 1, len(documents))
        self.rows.extend(rows)
        return rows

    def _check_new(self, names: Iterable[str]) -> None:
        seen = set(self._where)
        dup = sorted({n for n in names if n in seen})
        if dup:
            raise InputError([Problem("portfolio", f"partnership '{n}' appears more than once (in two "
                                                   "files, or twice in one folder): keep one") for n in dup])

    def assessment(self, partnership: str) -> Assessment:
        """The full (read-only) assessment of one partnership, for the drill-down."""
        where = self._where.get(partnership)
        if where is None:
            raise KeyError(partnership)
        if where[0] == "table":
            q, table, pack = self._tables[where[1]]
            scores = table.partnership(where[2])
            return Assessment(q, scores, get_engine(pack).evaluate(table.facts(where[2])))
        _, doc, q, pack = where
        return Assessment(q, scores_from_document(doc), findings_from_document(doc, pack))


# ----------------------------------------------------------------------------- JSON documents


def row_from_document(doc: Mapping[str, Any]) -> PortfolioRow:
    dims = [d for d in doc.get("dimensions") or [] if d.get("id") in DIMENSION_BY_ID]
    scores = {d["id"]: _float(d.get("score")) for d in dims}
    bands = {d["id"]: str(d.get("band") or "no data") for d in dims}
    means: dict[str, float | None] = {}
    for fw in FRAMEWORK_IDS:
        vals = [s for d, s in scores.items() if DIMENSION_BY_ID[d].framework == fw and s is not None]
        means[fw] = sum(vals) / len(vals) if vals else None
    risks = []
    for f in doc.get("findings") or []:
        risks.append(RiskRef(str(f.get("rule")), str(f.get("severity")), str(f.get("title") or f.get("rule")),
                             tuple(f.get("tasks") or ()),
                             tuple((str(a.get("task")), str(a.get("text"))) for a in f.get("actions") or ())))
    risks.sort(key=lambda r: (SEVERITY_RANK.get(r.severity, 99), r.rule))
    return PortfolioRow(partnership=str(doc.get("partnership") or ""),
                        respondents=int(doc.get("respondents") or 0), means=means, risks=tuple(risks),
                        scores=scores, bands=bands)


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


def scores_from_document(doc: Mapping[str, Any]) -> PartnershipScores:
    """`PartnershipScores` rebuilt from a score document (what the drill-down views read)."""
    threshold = int(doc.get("threshold") or MIN_THRESHOLD)
    dims = []
    levels: dict[str, int] = {}
    for d in doc.get("dimensions") or []:
        if d.get("id") not in DIMENSION_BY_ID:
            continue
        meta = DIMENSION_BY_ID[d["id"]]
        by_org = {str(k): _float(v) for k, v in (d.get("by_organisation") or {}).items()}
        by_level = {str(k): _float(v) for k, v in (d.get("by_level") or {}).items()}
        for lv in by_level:
            levels.setdefault(lv, threshold)
        dims.append(DimensionScore(
            id=meta.id, framework=meta.framework, label=meta.label, score=_float(d.get("score")),
            band=str(d.get("band") or "no data"), answered=int(d.get("answered") or 0),
            unknown=_float(d.get("unknown")), spread=_float(d.get("spread")), by_organisation=by_org,
            by_level=by_level, suppressed=[str(s) for s in d.get("suppressed") or []]))
    # Counts below the threshold are null in the document: keep them below the threshold here.
    orgs = {str(k): (int(v) if v is not None else 0) for k, v in (doc.get("organisations") or {}).items()}
    return PartnershipScores(partnership=str(doc.get("partnership") or ""),
                             respondents=int(doc.get("respondents") or 0), threshold=threshold,
                             dimensions=dims, answers=dict(doc.get("answers") or {}), items={},
                             organisations=orgs, levels=levels)


def findings_from_document(doc: Mapping[str, Any], pack: RulePack | None = None) -> list[Finding]:
    known = pack.by_id if pack is not None else {}
    out = []
    for f in doc.get("findings") or []:
        rule = known.get(str(f.get("rule")))
        if rule is None:
            actions = []
            for a in f.get("actions") or []:
                try:
                    actions.append(Action(task=str(a.get("task")), text=str(a.get("text"))))
                except ValueError:
                    continue
            rule = Rule(str(f.get("rule")), str(f.get("title") or f.get("rule")), str(f.get("severity")),
                        tuple(f.get("tasks") or ()), str(f.get("explanation") or ""), Group("all", ()),
                        tuple(actions), (), "")
        evidence = tuple(Evidence(str(e.get("condition")), str(e.get("subject")), _float(e.get("value")),
                                  str(e.get("op")), float(e.get("threshold") or 0.0),
                                  tuple(e.get("choices") or ()))
                         for e in f.get("evidence") or [])
        out.append(Finding(rule, evidence))
    out.sort(key=lambda f: (SEVERITY_RANK.get(f.rule.severity, 99), f.rule.id))
    return out


# ----------------------------------------------------------------------------- loading files


def load_path(path: str | Path, questionnaire: Questionnaire, pack: RulePack, threshold: int = MIN_THRESHOLD,
              *, read_progress: Progress | None = None, assess_progress: Progress | None = None) -> Portfolio:
    """A portfolio from a responses CSV, a Forms export, a score JSON, or a folder of them.

    All or nothing: every problem of every file is collected, then raised together.
    """
    from healthcheck.core.responses.forms import read_any

    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".json"))
        if not files:
            raise InputError([Problem(str(root), "no .csv or .json files in this folder")])
    elif root.exists():
        files = [root]
    else:
        raise InputError([Problem(str(root), "no such file or folder")])
    problems: list[Problem] = []
    tables: list[pd.DataFrame] = []
    documents: list[dict[str, Any]] = []
    origin: dict[str, str] = {}
    for k, file in enumerate(files):
        try:
            kind, value = read_any(file, questionnaire, partnership=file.stem,
                                   progress=read_progress if len(files) == 1 else None)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        names = ([str(d.get("partnership") or "") for d in value] if kind == "json"
                 else list(dict.fromkeys(value["partnership"].tolist())))
        for n in names:
            if n in origin:
                problems.append(Problem(str(file), f"partnership '{n}' is also in {origin[n]}: each "
                                                   "partnership may appear in one file only"))
            origin[n] = str(file)
        (documents.extend if kind == "json" else tables.append)(value)
        if read_progress is not None and len(files) > 1:
            read_progress(k + 1, len(files))
    if problems:
        raise InputError(problems)
    portfolio = Portfolio()
    if tables:
        df = tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)
        portfolio.add_table(questionnaire, df, pack, threshold, progress=assess_progress)
    if documents:
        portfolio.add_documents(documents, questionnaire, pack)
    return portfolio


# ----------------------------------------------------------------------------- the store (funders)


@dataclass(frozen=True)
class StoreEntry:
    partnership_id: int
    round_id: int
    include_comments: bool
    threshold: int
    questionnaire_id: str


def store_portfolio(store: Any, funder_id: int, pack: RulePack,
                    questionnaire_of: Callable[[str], Questionnaire],
                    progress: Progress | None = None) -> tuple[Portfolio, dict[str, StoreEntry]]:
    """The funder's portfolio: per partnership, the latest shared round with answers.

    `change` compares with the previous round the partnership also shared with this funder.
    Returns the portfolio and, per row name, where it came from (for the drill-down).
    """
    from healthcheck.core.responses import frame_from_records
    from healthcheck.store.sharing import shared_round_records, shared_rounds

    by_partnership: dict[int, list[Any]] = {}
    for sr in shared_rounds(store, funder_id):
        by_partnership.setdefault(sr.partnership.id, []).append(sr)
    names = Counter(srs[0].partnership.name for srs in by_partnership.values())
    groups: dict[tuple[str, int], dict[str, list[Any]]] = {}
    entries: dict[str, StoreEntry] = {}
    total = len(by_partnership)
    for k, srs in enumerate(by_partnership.values()):
        p = srs[0].partnership
        name = p.name if names[p.name] == 1 else f"{p.name} (#{p.id})"
        with_answers = []
        for sr in reversed(srs):  # newest first
            records = shared_round_records(store, funder_id, sr.round.id) or []
            if records:
                with_answers.append((sr, records))
            if len(with_answers) == 2:
                break
        if not with_answers:
            continue
        latest, records = with_answers[0]
        group = groups.setdefault((latest.round.questionnaire_id, p.threshold),
                                  {"now": [], "before": [], "labels": {}, "keys": {}})
        q = questionnaire_of(latest.round.questionnaire_id)
        group["now"].append(frame_from_records(records, q, partnership=name))
        group["labels"][name] = latest.round.label
        group["keys"][name] = (p.id, latest.round.id)
        if len(with_answers) == 2:
            prev, prev_records = with_answers[1]
            prev_q = questionnaire_of(prev.round.questionnaire_id)
            with contextlib.suppress(InputError):  # an old round that no longer reads: no change shown
                frame = frame_from_records(prev_records, prev_q, partnership=name)
                group["before"].append((prev_q.id, frame))
        entries[name] = StoreEntry(p.id, latest.round.id, latest.include_comments, p.threshold,
                                   latest.round.questionnaire_id)
        if progress is not None:
            progress(k + 1, total)
    portfolio = Portfolio()
    for (qid, threshold), group in groups.items():
        q = questionnaire_of(qid)
        previous: dict[str, float | None] = {}
        by_q: dict[str, list[pd.DataFrame]] = {}
        for prev_qid, frame in group["before"]:
            by_q.setdefault(prev_qid, []).append(frame)
        for prev_qid, frames in by_q.items():
            table = ScoreTable(questionnaire_of(prev_qid), pd.concat(frames, ignore_index=True), threshold)
            tasks = framework_means(table)["tasks"]
            previous.update({n: _none(v) for n, v in zip(table.names(), tasks.tolist(), strict=True)})
        portfolio.add_table(q, pd.concat(group["now"], ignore_index=True), pack, threshold,
                            rounds=group["labels"], previous=previous, keys=group["keys"])
    portfolio.rows = sort_rows(portfolio.rows, "risk")
    return portfolio, entries


# ----------------------------------------------------------------------------- sort and filter


def _risk_key(row: PortfolioRow) -> tuple[Any, ...]:
    c = row.counts
    tasks = row.means.get("tasks")
    return (*(-c[s] for s in SEVERITIES), math.inf if tasks is None else tasks, row.partnership.lower())


def sort_rows(rows: Sequence[PortfolioRow], by: str = "risk", descending: bool = False) -> list[PortfolioRow]:
    """Rows in order: "risk" (most at risk first), a framework or dimension id (lowest score
    first), "change" (biggest fall first), "respondents", "partnership". Missing values go last."""
    if by == "risk":
        out = sorted(rows, key=_risk_key)
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
                mean = r.means.get(dimension)
                got = _framework_band(mean)
                has = mean is not None
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


def _framework_band(mean: float | None) -> str:
    from healthcheck.core.questionnaire import Bands

    return Bands().band(mean)


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
                        "score": math.nan if s is None else s, "band": r.bands.get(d.id, "no data")})
    frame = pd.DataFrame(out, columns=["partnership", "dimension", "label", "number", "score", "band"])
    frame["score"] = frame["score"].astype(float)
    return frame


# ----------------------------------------------------------------------------- tables and exports


def _columns(rows: Sequence[PortfolioRow]) -> list[str]:
    dims = [d.id for d in DIMENSIONS if any(d.id in r.scores for r in rows)]
    return ["partnership", "round", "respondents", *FRAMEWORK_IDS, "change", *SEVERITIES, "top_risk", "risks",
            *dims]


def table(rows: Sequence[PortfolioRow]) -> pd.DataFrame:
    """The portfolio as a frame (numbers as numbers, None where missing), one row per partnership."""
    cols = _columns(rows)
    data = []
    for r in rows:
        c = r.counts
        rec: dict[str, Any] = {"partnership": r.partnership, "round": r.round, "respondents": r.respondents,
                               "change": _r(r.change), "top_risk": r.top_risk,
                               "risks": ", ".join(x.rule for x in r.risks)}
        rec.update({fw: _r(r.means.get(fw)) for fw in FRAMEWORK_IDS})
        rec.update(c)
        rec.update({d: _r(r.scores.get(d)) for d in cols[cols.index("risks") + 1:]})
        data.append(rec)
    return pd.DataFrame(data, columns=cols)


def _export_rows(rows: Sequence[PortfolioRow]) -> tuple[list[str], list[list[Any]]]:
    frame = table(rows)
    header = list(frame.columns)
    values = [[None if (isinstance(v, float) and math.isnan(v)) else v for v in rec]
              for rec in frame.itertuples(index=False, name=None)]
    return header, values


def to_csv(rows: Sequence[PortfolioRow]) -> str:
    """The portfolio as CSV; every cell through `csvsafe.neutralise`."""
    import csv

    header, values = _export_rows(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([neutralise(h) for h in header])
    for rec in values:
        w.writerow([neutralise(v) for v in rec])
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
                    int(x["partnerships"]), round(float(x["share"]), 3), _xlsx_value(actions)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_json(rows: Sequence[PortfolioRow]) -> str:
    return json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False) + "\n"


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
