"""A funder's portfolio built: one row per partnership, and the assessment behind each row.

Rows come from three places, all ending in the same `PortfolioRow` (`core.portfolio_rows`):
- a response table holding many partnerships (`Portfolio.add_table`): ONE `ScoreTable` over the
  whole table, then per partnership only `table.facts(code)` and the engine; framework means
  and bands come straight from the score array (no per-partnership `PartnershipScores`);
- `healthcheck score` JSON documents (`Portfolio.add_documents`), read through their contract
  (`core.contract.ScoreDocument`);
- the store, for a funder: the latest round each partnership shared with it, and the change
  since the previous shared round (`store_portfolio`). Nothing unshared is ever read.

Rows hold aggregates only (scores, bands, counts of findings); the drill-down
(`Portfolio.assessment`) scores one partnership with its anonymity threshold, so small groups
stay hidden there too. Sorting, filtering and exports are `present.portfolio`.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from healthcheck.core.anonymity import GroupPlan
from healthcheck.core.assess import Assessment
from healthcheck.core.contract import ScoreDocument, check_documents, document
from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSION_BY_ID
from healthcheck.core.portfolio_rows import FRAMEWORK_IDS, PortfolioRow, RiskRef, by_risk, risk_order
from healthcheck.core.questionnaire import BANDS, Questionnaire
from healthcheck.core.responses.forms import read_any
from healthcheck.core.rules import Action, Group, Rule, RulePack
from healthcheck.core.rules.engine import Evidence, Finding, get_engine
from healthcheck.core.rules.reach import unreachable
from healthcheck.core.scoring import MIN_THRESHOLD, DimensionScore, PartnershipScores, ScoreTable

# Compatibility: the UI page, tests and benchmarks reach the row views through this module.
from healthcheck.present.portfolio import (
    SORT_KEYS,
    FilterSpec,
    common_risks,
    filter_rows,
    heatmap_frame,
    sort_rows,
    table,
    to_csv,
    to_json,
    to_xlsx,
)
from healthcheck.present.start import portfolio_start_here, start_here

__all__ = [
    "BANDS", "FRAMEWORK_IDS", "SORT_KEYS", "FilterSpec", "Portfolio", "PortfolioRow", "Progress", "RiskRef",
    "StoreEntry", "common_risks", "filter_rows", "findings_from_document", "framework_means", "heatmap_frame",
    "load_path", "portfolio_start_here", "row_from_document", "scores_from_document", "sort_rows",
    "start_here", "store_portfolio", "table",
    "to_csv", "to_json", "to_xlsx",
]

Progress = Callable[[int, int], None]


def _none(v: float) -> float | None:
    return None if v != v else float(v)


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
        not_checked = tuple(RiskRef.of_rule(u.rule) for u in unreachable(pack, questionnaire))
        means = framework_means(table)
        cut = questionnaire.bands
        mean_bands = {fw: cut.band_array(means[fw]) for fw in FRAMEWORK_IDS}
        score_arr = table.score.to_numpy()
        bands = cut.band_array(score_arr)
        dims = table.dims
        respondents = table.respondents.to_numpy()
        index = len(self._tables)
        self._tables.append((questionnaire, table, pack))
        rows: list[PortfolioRow] = []
        total = len(names)
        step = max(1, total // 100)
        for code, name in enumerate(names):
            # Rows rank their findings, which needs the evidence (how far past its threshold).
            fired = risk_order(RiskRef.of(f) for f in engine.evaluate(table.facts(code)))
            tasks = _none(means["tasks"][code])
            before = previous.get(name) if previous else None
            rows.append(PortfolioRow(
                partnership=name, respondents=int(respondents[code]),
                means={fw: _none(means[fw][code]) for fw in FRAMEWORK_IDS},
                risks=tuple(fired),
                scores=dict(zip(dims, map(_none, score_arr[code].tolist()), strict=True)),
                bands=dict(zip(dims, bands[code].tolist(), strict=True)),
                framework_bands={fw: str(mean_bands[fw][code]) for fw in FRAMEWORK_IDS},
                round=rounds.get(name) if rounds else None,
                change=None if tasks is None or before is None else tasks - before,
                key=keys.get(name) if keys else None, not_checked=not_checked))
            self._where[name] = ("table", index, code)
            if progress is not None and ((code + 1) % step == 0 or code + 1 == total):
                progress(code + 1, total)
        self.rows.extend(rows)
        return rows

    def add_documents(self, documents: Sequence[Mapping[str, Any] | ScoreDocument],
                      questionnaire: Questionnaire, pack: RulePack | None = None,
                      progress: Progress | None = None) -> list[PortfolioRow]:
        """Rows from `healthcheck score --format json` documents (already scored elsewhere), each
        checked against the contract; framework bands use the questionnaire's cut points."""
        docs = _documents(documents)
        self._check_new(d.partnership for d in docs)
        rows = []
        for k, doc in enumerate(docs):
            row = row_from_document(doc, questionnaire)
            rows.append(row)
            self._where[row.partnership] = ("doc", doc, questionnaire, pack)
            if progress is not None:
                progress(k + 1, len(docs))
        self.rows.extend(rows)
        return rows

    def add_kept(self, row: PortfolioRow, assessment: Assessment) -> None:
        """A row kept from a purged round (`services.portfolio_kept`), with its drill-down."""
        self._check_new([row.partnership])
        self.rows.append(row)
        self._where[row.partnership] = ("kept", assessment)

    def add_assessment(self, assessment: Assessment, *, round_label: str | None = None,
                       previous: float | None = None, key: Any = None) -> PortfolioRow:
        """The row of one partnership already assessed (a store round, as its dashboard sees it)."""
        self._check_new([assessment.partnership])
        row = row_from_document(assessment.document(), assessment.questionnaire)
        tasks = row.means.get("tasks")
        row = replace(row, round=round_label, key=key,
                      change=None if tasks is None or previous is None else tasks - previous)
        self.rows.append(row)
        self._where[row.partnership] = ("assessment", assessment)
        return row

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
        if where[0] in ("kept", "assessment"):
            return where[1]  # type: ignore[no-any-return]
        _, doc, q, pack = where
        return Assessment(q, scores_from_document(doc), findings_from_document(doc, pack))



# ----------------------------------------------------------------------------- JSON documents


def _documents(documents: Sequence[Mapping[str, Any] | ScoreDocument]) -> list[ScoreDocument]:
    """Score documents checked against the contract; every problem of every document at once."""
    return check_documents(documents, lambda k: f"document {k}")


def row_from_document(doc: Mapping[str, Any] | ScoreDocument, questionnaire: Questionnaire) -> PortfolioRow:
    """The portfolio row of a score document; framework bands use `questionnaire`'s cut points."""
    doc = document(doc, "document")
    dims = [d for d in doc.dimensions if d.id in DIMENSION_BY_ID]
    scores = {d.id: d.score for d in dims}
    bands = {d.id: d.band or "no data" for d in dims}
    means: dict[str, float | None] = {}
    for fw in FRAMEWORK_IDS:
        vals = [s for d, s in scores.items() if DIMENSION_BY_ID[d].framework == fw and s is not None]
        means[fw] = sum(vals) / len(vals) if vals else None
    risks = risk_order(RiskRef(f.rule, f.severity, f.title or f.rule, tuple(f.tasks),
                               tuple((a.task, a.text) for a in f.actions), f.margin, tuple(f.covers))
                       for f in doc.findings)
    return PortfolioRow(partnership=doc.partnership, respondents=doc.respondents, means=means,
                        risks=tuple(risks), scores=scores, bands=bands,
                        framework_bands={fw: questionnaire.bands.band(m) for fw, m in means.items()})


def scores_from_document(doc: Mapping[str, Any] | ScoreDocument) -> PartnershipScores:
    """`PartnershipScores` rebuilt from a score document (what the drill-down views read)."""
    doc = document(doc, "document")
    threshold = doc.threshold or MIN_THRESHOLD
    dims = []
    levels: dict[str, int] = {}
    for d in doc.dimensions:
        if d.id not in DIMENSION_BY_ID:
            continue
        meta = DIMENSION_BY_ID[d.id]
        for lv in d.by_level:
            levels.setdefault(lv, threshold)
        dims.append(DimensionScore(
            id=meta.id, framework=meta.framework, label=meta.label, score=d.score, band=d.band or "no data",
            answered=d.answered, unknown=d.unknown, spread=d.spread, by_organisation=dict(d.by_organisation),
            by_level=dict(d.by_level), suppressed=list(d.suppressed)))
    # Counts below the threshold are null in the document: keep them below the threshold here.
    orgs = {k: (v if v is not None else 0) for k, v in doc.organisations.items()}
    anonymity = {g: GroupPlan({k: list(v) for k, v in plan.pooled.items()}, list(plan.left_out),
                              list(plan.hidden))
                 for g, plan in (("organisation", doc.anonymity.organisation),
                                 ("level", doc.anonymity.level))}
    return PartnershipScores(partnership=doc.partnership, respondents=doc.respondents, threshold=threshold,
                             dimensions=dims, answers=dict(doc.answers), items={}, organisations=orgs,
                             levels=levels, anonymity=anonymity)


def findings_from_document(doc: Mapping[str, Any] | ScoreDocument, pack: RulePack | None = None
                           ) -> list[Finding]:
    """The findings of a score document, in its order (the ranking): the pack's own rule where it
    has one, else a rule rebuilt from what the document says of it. A finding that covers others
    keeps them (`covers`); its tasks and actions are already the grouped ones in the document."""
    doc = document(doc, "document")
    known = pack.by_id if pack is not None else {}
    out = []
    for f in doc.findings:
        rule = known.get(f.rule)
        covered = tuple(known[c] for c in f.covers if c in known)
        if rule is None or len(covered) < len(f.covers):
            actions = []
            for a in f.actions:
                try:
                    actions.append(Action(task=a.task, text=a.text))
                except ValueError:
                    continue
            rule = Rule(f.rule, f.title or f.rule, f.severity, tuple(f.tasks), f.explanation,
                        Group("all", ()), tuple(actions), (), "")
            # the covered rules as the document names them (their tasks and actions are in `rule`)
            covered = tuple(Rule(c, c, f.severity, (), "", Group("all", ()), (), (), "") for c in f.covers)
        evidence = tuple(Evidence(e.condition, e.subject, e.value, e.op, e.threshold or 0.0, tuple(e.choices))
                         for e in f.evidence)
        out.append(Finding(rule, evidence, covered))
    return out


# ----------------------------------------------------------------------------- loading files


def load_path(path: str | Path, questionnaire: Questionnaire, pack: RulePack, threshold: int = MIN_THRESHOLD,
              *, read_progress: Progress | None = None, assess_progress: Progress | None = None) -> Portfolio:
    """A portfolio from a responses CSV, a Forms export, a score JSON, or a folder of them.

    All or nothing: every problem of every file is collected, then raised together.
    """
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

    Each round is scored as its dashboard scores it (`services.results.release_results`: its
    last step, checked against the earlier ones, with the round's treatment of small groups), so
    a row, the drill-down and the partnership's own dashboard show the same people.
    """
    # imported here: reading files and scoring tables need no database driver
    from healthcheck.services.portfolio_kept import kept_row, tasks_mean
    from healthcheck.services.results import current_steps, records_for_figures, release_results
    from healthcheck.store.retention import summaries
    from healthcheck.store.sharing import shared_round_records, shared_rounds

    by_partnership: dict[int, list[Any]] = {}
    for sr in shared_rounds(store, funder_id):
        by_partnership.setdefault(sr.partnership.id, []).append(sr)
    names = Counter(srs[0].partnership.name for srs in by_partnership.values())
    entries: dict[str, StoreEntry] = {}
    portfolio = Portfolio()
    total = len(by_partnership)
    for k, srs in enumerate(by_partnership.values()):
        p = srs[0].partnership
        name = p.name if names[p.name] == 1 else f"{p.name} (#{p.id})"
        with_answers: list[tuple[Any, Any]] = []
        kept = summaries(store, [sr.round.id for sr in srs])  # purged rounds: their kept results
        for sr in reversed(srs):  # newest first
            if sr.round.id in kept:
                if kept[sr.round.id].get("portfolio"):
                    with_answers.append((sr, kept[sr.round.id]))
                if len(with_answers) == 2:
                    break
                continue
            # a paced workshop's round: the whole room only, as on its dashboard
            shared = shared_round_records(store, funder_id, sr.round.id) or []
            records = records_for_figures(store, sr.round.id, shared)
            q = questionnaire_of(sr.round.questionnaire_id)
            # a funder sees a round only as far as its figures have moved (services.results)
            steps = current_steps(store, sr.round.id, records, q, p.threshold) if records else []
            if not steps:
                continue
            with contextlib.suppress(InputError):  # an old round that no longer reads: no change shown
                released = release_results(records, steps, q, pack, p.threshold, name,
                                           small_groups=sr.round.small_groups)
                if released.assessment is not None:
                    with_answers.append((sr, released.assessment))
            if len(with_answers) == 2:
                break
        if with_answers:
            latest, now = with_answers[0]
            q_now = questionnaire_of(latest.round.questionnaire_id)
            before_tasks = None
            if len(with_answers) == 2:
                prev, then = with_answers[1]
                q_then = questionnaire_of(prev.round.questionnaire_id)
                before_tasks = (tasks_mean(then, q_then, p.threshold, name) if isinstance(then, dict) else
                                row_from_document(then.document(), then.questionnaire).means.get("tasks"))
            if isinstance(now, dict):  # a purged round: the results kept when its answers went
                row, kept_assessment = kept_row(now, name, latest.round, (p.id, latest.round.id),
                                                before_tasks, q_now, pack)
                portfolio.add_kept(row, kept_assessment)
            else:
                portfolio.add_assessment(now, round_label=latest.round.label, previous=before_tasks,
                                         key=(p.id, latest.round.id))
            entries[name] = StoreEntry(p.id, latest.round.id, latest.include_comments, p.threshold,
                                       latest.round.questionnaire_id)
        if progress is not None:
            progress(k + 1, total)
    portfolio.rows = by_risk(portfolio.rows)
    return portfolio, entries
