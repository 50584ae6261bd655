"""Portfolio: a funder's view of the partnerships it supports (opened by `?funder=TOKEN`).

Sharing, not surveillance: the page shows only rounds a partnership shared with this funder,
as aggregates with the partnership's anonymity threshold, and comments only when the
partnership shared them too. Imported files (the funder's own Forms exports, CSVs or score
JSON) live in this browser session only and are never written to the store.

Thin over `healthcheck.portfolio` (rows, sort, filter, exports), `healthcheck.formsimport`
(mapping) and `healthcheck.views` / `healthcheck.charts` (the read-only drill-down).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from healthcheck.core.anonymity import low_score_comments, shown_score
from healthcheck.core.errors import InputError, Problem
from healthcheck.core.frameworks import DIMENSIONS, FRAMEWORKS
from healthcheck.core.responses import read_responses
from healthcheck.core.responses.csvfile import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
)
from healthcheck.core.responses.forms import apply_mapping, is_canonical_header, read_score_json
from healthcheck.core.vocabulary import SEVERITIES, SEVERITY_LABEL
from healthcheck.present import charts, summaries, views
from healthcheck.services import deletion
from healthcheck.services import portfolio as pf
from healthcheck.services.results import shared_results
from healthcheck.store import FunderInfo, Store, sharing
from healthcheck.ui.common import (
    QUESTIONNAIRE_CHOICES,
    chart_with_table,
    get_questionnaire,
    get_rules,
    invitation_link,
    plain,
    recorded,
)
from healthcheck.ui.widgets.confirm_delete import confirm_delete
from healthcheck.ui.widgets.start_here import start_here
from healthcheck.ui.widgets.uploads import confirm_mapping, forget_removed, read_upload

_IMPORT_KEY = "hc_pf_import"
# Stated beside the uploader; a bigger file is refused by the uploader itself (server.maxUploadSize).
UPLOAD_LIMITS = (f"Up to {MAX_FILE_BYTES // 1_000_000} MB a file, {MAX_ROWS:,} rows of responses and "
                 f"{MAX_COLUMNS:,} columns; a workbook may hold up to {MAX_CELLS:,} cells and unpack to "
                 f"{MAX_UNPACKED_BYTES // 1_000_000} MB.")
_ANY = "(any)"
HEATMAP_ROWS = 40
# Risk first (the page is for spotting who needs support); a narrow window scrolls to the rest.
SHOWN_COLUMNS = {"partnership": "Partnership", "top_risk": "Top risk", "high": "High", "medium": "Medium",
                 "low": "Low", "tasks": "Tasks", "change": "Change (tasks)", "factors": "Conditions",
                 "prerequisites": "Prerequisites", "info": "Info", "respondents": "Respondents",
                 "round": "Round", "needs_full_check": "Needs the full check"}

_SCORE_HELP = "Average score of the areas (0-100), for the whole partnership"
_COLUMN_CONFIG: dict[str, Any] = {
    **{SHOWN_COLUMNS[fw]: st.column_config.NumberColumn(format="%.0f", help=_SCORE_HELP)
       for fw in ("factors", "prerequisites", "tasks")},
    "Change (tasks)": st.column_config.NumberColumn(
        format="%+.0f", help="Change in the tasks score since the previous round shared with you"),
    **{SHOWN_COLUMNS[sev]: st.column_config.NumberColumn(
        help=f"Number of findings: {SEVERITY_LABEL[sev].lower()}", width="small")
       for sev in SEVERITIES},
    "Top risk": st.column_config.TextColumn(help="The most serious finding"),
    "Needs the full check": st.column_config.TextColumn(
        help="Checks this round could not run: its questionnaire (the pulse) does not ask what they need"),
}


def render(store: Store, funder_token: str | None) -> None:
    """The whole funder page; the router calls it for `?funder=TOKEN`."""
    funder = sharing.funder_by_token(store, funder_token)
    if funder is None:
        st.title("Portfolio")
        st.error("This funder link does not work. It may have been mistyped or replaced by a newer link.")
        return
    st.title("Portfolio")
    st.caption(plain(funder.name))
    st.markdown("You see only the health-check rounds that partnerships chose to share with you: scores "
                "for the whole partnership and for groups large enough to stay anonymous, and comments "
                "only where a partnership shared them as well.")
    _redeem(store, funder.id)
    _invite(store, funder.id)
    _delete_account(store, funder)
    source = st.segmented_control("Partnerships", ["Shared with you", "Imported files"],
                                  default="Shared with you", key="pf_source", required=True)
    if source == "Imported files":
        _import_widget()
        imported = st.session_state.get(_IMPORT_KEY)
        if imported is None:
            return
        _portfolio_view(imported, {}, store, funder.id)
        return
    portfolio, entries = pf.store_portfolio(store, funder.id, get_rules(), get_questionnaire)
    if not len(portfolio):
        st.info("No partnership has shared a round with answers yet. A partnership can give you a share "
                "code (enter it above), or share a round with you from its own pages after you send it "
                "your invitation link.")
        return
    _portfolio_view(portfolio, entries, store, funder.id)


def _delete_account(store: Store, funder: FunderInfo) -> None:
    with st.expander("Delete this funder account"):
        done = confirm_delete(funder.name, "pf_delete",
                              "This funder account, its link and invitation link, and every round "
                              "partnerships shared with it (their own data stay with them).",
                              lambda typed: deletion.delete_funder(store, funder.id, typed))
    if done is not None:
        st.session_state.pop("hc_funder_token", None)
        st.success(f"Deleted the funder account '{done.name}' and every share to it ({done.describe()}).")
        st.stop()


# ----------------------------------------------------------------------------- share codes


_INVITE_KEY = "pf_invitation"  # the invitation link made in this session (shown only here)


def _invite(store: Store, funder_id: int) -> None:
    with st.expander("Invite partnerships to share with you"):
        st.markdown("Send this link to the partnerships you fund. It names you and explains what you "
                    "would see; each partnership then chooses which rounds to share, from its own "
                    "Rounds page. Opening the link shares nothing by itself.")
        if st.button("Make an invitation link", key="pf_invite",
                     help="Making a new link stops the previous one from working."):
            st.session_state[_INVITE_KEY] = invitation_link(sharing.new_invitation(store, funder_id))
        link = st.session_state.get(_INVITE_KEY)
        if link:
            st.code(link, language=None, wrap_lines=True)
            st.caption("For safety the link is shown only now. If it is lost, or reaches people it "
                       "should not, make a new one: the old one then stops working. Rounds already "
                       "shared stay shared.")


def _redeem(store: Store, funder_id: int) -> None:
    with st.expander("Add a partnership with a share code"), st.form("pf_redeem", clear_on_submit=True):
        code = st.text_input("Share code", placeholder="ABCD-EFGH-JKMN")
        if st.form_submit_button("Add"):
            try:
                shared = sharing.redeem_share_code(store, funder_id, code)
            except InputError as exc:
                st.error(plain(exc.problems[0].message))
            else:
                st.success(f"Added {plain(shared.partnership.name)}: {plain(shared.round.label)}.")


# ----------------------------------------------------------------------------- the portfolio


def _filters(rows: list[pf.PortfolioRow]) -> pf.FilterSpec:
    risks = {r.rule: r.title for row in rows for r in row.risks}
    areas = {**{fw: f"{label} (average)" for fw, label in FRAMEWORKS.items()},
             **{d.id: f"{d.number} {d.label}" for d in DIMENSIONS}}
    c1, c2, c3, c4, c5 = st.columns(5)
    risk = c1.selectbox("Risk", [_ANY, *sorted(risks, key=risks.__getitem__)],
                        format_func=lambda r: r if r == _ANY else risks[r], key="pf_risk")
    severity = c2.selectbox("Severity", [_ANY, *SEVERITIES],
                            format_func=lambda s: s if s == _ANY else SEVERITY_LABEL.get(s, s), key="pf_sev")
    dimension = c3.selectbox("Area", [_ANY, *areas], format_func=lambda d: d if d == _ANY else areas[d],
                             key="pf_dim")
    band = c4.selectbox("Band", [_ANY, *pf.BANDS], key="pf_band")
    sort = c5.selectbox("Sort", list(pf.SORT_KEYS), format_func=pf.SORT_KEYS.__getitem__, key="pf_sort")
    text = st.text_input("Name contains", key="pf_text")
    def chosen(v: str) -> str | None:
        return None if v == _ANY else v

    return pf.FilterSpec(risk=chosen(risk), severity=chosen(severity), band=chosen(band),
                         dimension=chosen(dimension), text=text or None, sort=sort)


def _portfolio_view(portfolio: pf.Portfolio, entries: dict[str, pf.StoreEntry], store: Store,
                    funder_id: int) -> None:
    start_here(pf.portfolio_start_here(portfolio.rows),
               intro="The findings to take up first across all these partnerships: the most serious, "
                     "and of those the ones furthest past their line, each with one action to begin with.")
    spec = _filters(portfolio.rows)
    rows = spec.apply(portfolio.rows)
    st.caption(f"{len(rows)} of {len(portfolio.rows)} partnerships")
    frame = pf.table(rows)
    shown = frame[[c for c in SHOWN_COLUMNS if c in frame]].rename(columns=SHOWN_COLUMNS)
    for text_column in ("Partnership", "Round"):  # names people chose: no bidirectional controls
        if text_column in shown:
            shown[text_column] = shown[text_column].map(lambda n: plain(n, markdown=False) if n else n)
    if "Top risk" in shown:
        shown["Top risk"] = shown["Top risk"].fillna("No risk flagged")
    st.dataframe(shown, hide_index=True, key="pf_table", column_config=_COLUMN_CONFIG)
    left, right = st.columns(2)
    # a download from the store is recorded in each partnership's log (an imported file is the funder's own)
    shared = [entries[r.partnership].partnership_id for r in rows if r.partnership in entries]
    left.download_button("Download (CSV)", file_name="portfolio.csv",
                         data=recorded(pf.to_csv(rows).encode("utf-8"), shared, "funder",
                                       "the funder's portfolio (CSV), with this partnership's shared round"),
                         mime="text/csv", key="pf_csv", on_click="ignore")
    right.download_button("Download (Excel)", file_name="portfolio.xlsx",
                          data=recorded(pf.to_xlsx(rows), shared, "funder",
                                        "the funder's portfolio (Excel), with this partnership's "
                                        "shared round"),
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key="pf_xlsx", on_click="ignore")
    if not rows:
        st.info("No partnership matches these filters.")
        return

    st.subheader("The 13 tasks across the portfolio")
    heat = pf.heatmap_frame(rows[:HEATMAP_ROWS], "tasks")
    heat["partnership"] = heat["partnership"].map(lambda n: plain(n, markdown=False))  # chart and table
    if len(heat):
        # Natural size (labels are not cut) and every task named (slanted labels do not overlap).
        chart_with_table(charts.heatmap(heat).configure_axisX(labelOverlap=False), heatmap_table(heat),
                         key="pf_heatmap", summary=summaries.heatmap_summary(heat))
        if len(rows) > HEATMAP_ROWS:
            st.caption(f"The first {HEATMAP_ROWS} partnerships in the current order.")

    st.subheader("Most common risks")
    common = pf.common_risks(rows, top=5)
    if not common:
        st.success("The rules flag no risks in these partnerships.")
    for risk in common:
        label = f"{risk['title']}: {risk['partnerships']} of {len(rows)} partnerships"
        with st.expander(plain(label)):
            st.caption(f"Severity: {SEVERITY_LABEL.get(risk['severity'], risk['severity'])}. What you could "
                       "support:")
            st.markdown("\n".join(f"- {plain(a['text'])} *({plain(a['task'])})*" for a in risk["actions"]))

    st.subheader("One partnership")
    names = [r.partnership for r in rows]
    chosen = st.selectbox("Partnership", names, key="pf_detail",
                          format_func=lambda n: plain(n, markdown=False))
    if chosen:
        _detail(portfolio, entries.get(chosen), portfolio.row(chosen), store, funder_id)


def heatmap_table(heat: pd.DataFrame) -> pd.DataFrame:
    """The heatmap's numbers: one row per partnership, one column per task, "score (band)"."""
    cells = heat.assign(
        area=[f"{int(n)} {lab}" for n, lab in zip(heat["number"], heat["label"], strict=True)],
        value=[f"{shown_score(s)} ({b})" if pd.notna(s) else "no data"
               for s, b in zip(heat["score"], heat["band"], strict=True)])
    table = cells.pivot(index="partnership", columns="area", values="value")
    table = table.reindex(index=list(dict.fromkeys(cells["partnership"])),
                          columns=list(dict.fromkeys(cells["area"])))
    return table.rename_axis(index="Partnership", columns=None).reset_index()


def _detail(portfolio: pf.Portfolio, entry: pf.StoreEntry | None, row: pf.PortfolioRow | None, store: Store,
            funder_id: int) -> None:
    """A read-only dashboard of one partnership: summary, radar, findings (no editing)."""
    assessment = portfolio.assessment(row.partnership) if row else None
    released = None
    if entry is not None:  # a shared round: its last release (or its summary, once purged)
        released = shared_results(store, funder_id, entry.round_id, get_questionnaire(entry.questionnaire_id),
                                  get_rules(), entry.threshold, row.partnership if row else "")
        assessment = released.assessment if released is not None else None
    if assessment is None or row is None:
        return
    scores = assessment.scores
    st.markdown(plain(views.summary_sentence(scores, assessment.findings)))
    for line in views.anonymity_notes(scores):  # left out of the figures, or hidden (core.anonymity)
        st.caption(plain(line))
    if row.round:
        st.caption(f"Round: {plain(row.round)}")
    if row.change is not None:
        tasks = row.means.get("tasks")
        st.metric("Tasks score", "-" if tasks is None else str(shown_score(tasks)),
                  f"{shown_score(row.change):+d} since the previous round")
    start_here(pf.start_here(assessment.findings, assessment.questionnaire))
    frame = views.radar_frame(scores, "tasks", by="organisation")
    chart_with_table(charts.radar(frame, FRAMEWORKS["tasks"], size=420),
                     views.radar_table(frame, scores.threshold),
                     key="pf_radar", summary=summaries.radar_summary(frame, scores.threshold, "tasks"))
    st.markdown("**Findings**")
    finding_rows = views.finding_rows(assessment.findings, assessment.questionnaire)
    if not finding_rows:
        st.caption("The rules flag no risks.")
    for f in finding_rows:
        with st.expander(plain(f"{SEVERITY_LABEL.get(f['severity'], f['severity'])}: {f['title']}")):
            st.markdown(plain(f["explanation"]))
            if f["covers"]:
                st.caption("This finding also covers: " + plain("; ".join(f["covers"])) + ".")
            st.markdown("\n".join(f"- {plain(w)}" + (f"  \n  *{plain(c)}*" if c else "")
                                   for w, c in zip(f["why"], f["to_clear"], strict=True)) or "-")
            st.markdown("**Recommended actions**")
            st.markdown("\n".join(f"- {plain(a['text'])} *({plain(a['task'])})*" for a in f["actions"]))
    if entry is not None and entry.include_comments:
        q = assessment.questionnaire
        comments = (low_score_comments(released.figures_frame, q, entry.threshold)
                    if released is not None else {})
        if comments:
            st.markdown("**Comments on low scores** (shared by the partnership, without names)")
            for item_text, texts in comments.items():  # no count: "(1)" would say one person wrote it
                with st.expander(plain(item_text)):
                    for text in texts:
                        st.text(plain(text, markdown=False))


# ----------------------------------------------------------------------------- import


def _import_widget() -> None:
    st.subheader("Import files")
    st.caption("Responses CSVs (with a `partnership` column), Microsoft Forms or Google Forms exports, or "
               "`healthcheck score` JSON files. Timestamps, e-mail addresses and names in a Forms export "
               "are dropped and never kept. Imports stay in this browser session.")
    qid = st.selectbox("Questionnaire", list(QUESTIONNAIRE_CHOICES), format_func=QUESTIONNAIRE_CHOICES.get,
                       key="pf_import_q")
    q = get_questionnaire(qid)
    uploads = st.file_uploader("Files", type=["csv", "xlsx", "json"], accept_multiple_files=True,
                               key="pf_upload") or []
    st.caption(UPLOAD_LIMITS)
    plans: list[dict[str, Any]] = []
    problems: list[Problem] = []
    files = [(up.getvalue(), up.name) for up in uploads]
    forget_removed(files)
    for k, (data, name) in enumerate(files):
        stem = Path(name).stem
        if name.lower().endswith(".json"):
            plans.append({"kind": "json", "name": name, "data": data})
            continue
        upload = read_upload(data, name)  # read once per upload, not on every rerun
        if upload.forms is None:
            problems.extend(upload.problems)
            continue
        forms = upload.forms
        if not name.lower().endswith(".xlsx") and is_canonical_header(forms.header):
            plans.append({"kind": "csv", "name": name, "data": data, "partnership": stem})
            continue
        mapping = confirm_mapping(k, name, upload, q)
        partnership = stem
        if "partnership" not in mapping.targets:
            partnership = st.text_input(plain(f"Partnership name for {name}"), value=stem,
                                        key=f"pf_pname_{k}")
        plans.append({"kind": "forms", "name": name, "forms": forms, "mapping": mapping,
                      "partnership": partnership})
    if problems:
        _show_all(problems)
    if not plans or not st.button("Import", type="primary", key="pf_import_go"):
        return
    bar = st.progress(0.0, text="Reading files")
    tables: list[pd.DataFrame] = []
    docs: list[dict[str, Any]] = []
    for k, plan in enumerate(plans):
        def step(done: int, total: int, k: int = k, name: str = plan["name"]) -> None:
            bar.progress(min(1.0, (k + done / max(total, 1)) / len(plans)), text=f"Reading {name}")

        try:
            if plan["kind"] == "json":
                docs.extend(read_score_json(plan["data"], plan["name"]))
            elif plan["kind"] == "csv":
                tables.append(read_responses(plan["data"], q, name=plan["name"],
                                             partnership=plan["partnership"], progress=step))
            else:
                tables.append(apply_mapping(plan["forms"], plan["mapping"], q,
                                            partnership=plan["partnership"], progress=step))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        bar.empty()
        st.error("Nothing was imported: please correct these problems and try again.")
        _show_all(problems)
        return
    portfolio = pf.Portfolio()
    try:
        if tables:
            bar.progress(0.9, text="Scoring")
            portfolio.add_table(q, pd.concat(tables, ignore_index=True), get_rules())
        if docs:
            portfolio.add_documents(docs, q, get_rules())
    except InputError as exc:
        bar.empty()
        st.error("Nothing was imported: please correct these problems and try again.")
        _show_all(exc.problems)
        return
    portfolio.rows = pf.sort_rows(portfolio.rows, "risk")
    bar.progress(1.0, text="Done")
    st.session_state[_IMPORT_KEY] = portfolio
    st.success(f"Imported {len(portfolio)} partnerships.")


def _show_all(problems: list[Problem]) -> None:
    st.error("\n\n".join(plain(str(p)) for p in problems))

