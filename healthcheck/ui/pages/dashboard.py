"""Dashboard: a round's results for the partnership admin.

Thin over `healthcheck.views` (what to show) and `healthcheck.charts` (how to draw it). Groups
below the anonymity threshold are never given a number: they read "fewer than N responses",
which is kept distinct from "no data".
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from healthcheck.core.anonymity import low_score_comments, shown_scores
from healthcheck.core.errors import InputError
from healthcheck.core.frameworks import FRAMEWORKS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.scoring import PartnershipScores
from healthcheck.core.text import slug
from healthcheck.core.vocabulary import SEVERITY_LABEL
from healthcheck.present import charts, start, summaries, views
from healthcheck.present.report import report_bytes
from healthcheck.store import RoundInfo
from healthcheck.ui.common import (
    PURGED_NOTE,
    AdminContext,
    RoundData,
    chart_spec,
    chart_with_table,
    pick_round,
    plain,
    recorded,
    release_note,
    round_data,
    show_problems,
)
from healthcheck.ui.severity import SEVERITY_ICON
from healthcheck.ui.widgets.start_here import start_here

RADAR_VIEWS = {"By organisation": "organisation", "By level": "level", "Whole partnership": None}
NOUNS = {"factors": "conditions", "prerequisites": "prerequisites", "tasks": "tasks"}


def _respondents(scores: PartnershipScores) -> None:
    st.subheader("Who answered")
    t = scores.threshold
    left, right = st.columns(2)
    for column, grouping, title in ((left, "organisation", "Organisation"), (right, "level", "Level")):
        table = views.group_status(scores, grouping)
        # st.table renders Markdown in its cells: organisation names are shown through plain().
        shown = table.assign(group=[plain(g) for g in table["group"]], status=[
            f"fewer than {t} responses" if s.startswith("fewer than") else s for s in table["status"]])
        column.table(shown[["group", "respondents_text", "status"]].rename(
            columns={"group": title, "respondents_text": "responses", "status": "shown on the charts"}),
            hide_index=True)
    st.caption(f"Anonymity threshold: {t}. A group with fewer than {t} responses is never shown on its "
               "own; \"no data\" means nobody answered.")


def _radar(data: RoundData, scores: PartnershipScores) -> None:
    st.subheader("The 13 tasks in partnership working")
    by: str | None = None
    if not scores.room_only:  # a paced workshop's round has no groups to compare (core.anonymity.room)
        choice = st.segmented_control("Compare", list(RADAR_VIEWS), default="By organisation",
                                      key="dash_radar_view", required=True) or "By organisation"
        by = RADAR_VIEWS[choice]
    frame = views.radar_frame(scores, "tasks", by=by)
    spec = chart_spec((*data.key, "radar", "tasks", by),
                      lambda: charts.radar(frame, FRAMEWORKS["tasks"], size=440))
    chart_with_table(spec, views.radar_table(frame, scores.threshold), key="dash_radar_tasks",
                     summary=summaries.radar_summary(frame, scores.threshold, "tasks"))
    hidden = sorted(set(frame.loc[frame["status"] == views.SUPPRESSED, "series"]))
    if hidden:
        st.caption(f"Not drawn, fewer than {scores.threshold} responses (or hidden so a smaller group "
                   f"cannot be worked out): {plain(', '.join(hidden))}.")


def _factors(data: RoundData, scores: PartnershipScores) -> None:
    st.subheader("Conditions and prerequisites")
    style = st.segmented_control("Show as", ["Bars with bands", "Radar"], default="Bars with bands",
                                 key="dash_factor_style", required=True) or "Bars with bands"
    # One under the other: each chart is wider than half the page once its labels are drawn.
    bands = data.assessment.questionnaire.bands
    for framework in ("factors", "prerequisites"):
        table = views.dimension_table(scores, framework)
        if style == "Radar":
            frame = views.radar_frame(scores, framework, by=None)
            chart = chart_spec((*data.key, "radar", framework),
                               lambda f=frame, fw=framework: charts.radar(f, FRAMEWORKS[fw], size=340))
        else:
            chart = chart_spec((*data.key, "bars", framework),
                               lambda t=table, fw=framework: charts.band_bars(t, FRAMEWORKS[fw],
                                                                              cuts=bands.cuts))
        shown = table[["number", "label", "score", "band", "spread", "answered", "suppressed_groups"]]
        chart_with_table(chart, shown_scores(shown, ["score", "spread"]), key=f"dash_{framework}",
                         summary=summaries.dimension_summary(table, NOUNS[framework]))
    st.caption(f"Bands: {bands.describe()}.")


def _add_action(ctx: AdminContext, r: RoundInfo, rule_id: str, task: str, text: str) -> None:
    try:
        ctx.store.add_action(ctx.partnership.id, r.id, text, task=task, rule_id=rule_id)
    except InputError as exc:
        st.session_state["hc_action_error"] = "; ".join(p.message for p in exc.problems)
        return
    st.toast("Added to the action plan.")


def findings_section(ctx: AdminContext, r: RoundInfo, data: RoundData, q: Questionnaire,
                     key_prefix: str = "dash") -> None:
    """Findings in ranked order, each with its why, what would clear it and actions (with "Add to
    action plan")."""
    assert data.assessment is not None
    rows = views.finding_rows(data.assessment.findings, q)
    error = st.session_state.pop("hc_action_error", None)
    if error:
        st.error(plain(error))
    note = data.assessment.full_check_note  # a pulse round: the checks it could not run
    if note:
        st.info(plain(note))
    if not rows:
        st.success("The rules flag no risks in this round.")
        return
    planned = {(a.rule_id, a.text) for a in ctx.store.actions(ctx.partnership.id)}
    for i, row in enumerate(rows):
        label = f"{SEVERITY_LABEL.get(row['severity'], row['severity'])}: {row['title']}"
        with st.expander(plain(label), icon=SEVERITY_ICON.get(row["severity"]), expanded=i == 0):
            st.markdown(plain(row["explanation"]))
            if row["covers"]:
                st.caption("This finding also covers: " + plain("; ".join(row["covers"])) + " (the same "
                           "evidence raised them).")
            st.markdown("**Why this was raised, and what would clear it**")
            st.markdown("\n".join(f"- {plain(w)}" + (f"  \n  *{plain(c)}*" if c else "")
                                   for w, c in zip(row["why"], row["to_clear"], strict=True)) or "-")
            st.markdown("**Recommended actions**")
            for j, action in enumerate(row["actions"]):
                text_col, button_col = st.columns([3, 1], vertical_alignment="center")
                text_col.markdown(f"{plain(action['text'])}  \n*{plain(action['task'])}*")
                if (row["rule"], action["text"]) in planned:
                    button_col.caption("In the action plan")
                else:
                    button_col.button("Add to action plan", key=f"{key_prefix}_add_{row['rule']}_{j}",
                                      on_click=_add_action,
                                      args=(ctx, r, row["rule"], action["task_id"], action["text"]))


def _gaps(data: RoundData, scores: PartnershipScores) -> None:
    st.subheader("Where partners see things differently")
    gaps = views.largest_gaps(scores, 5)
    if not gaps:
        st.info("No differences to show: at least two organisations (or levels) each need "
                f"{scores.threshold} or more responses before they can be compared.")
        return
    table = shown_scores(pd.DataFrame(gaps)[["label", "grouping", "high_group", "high_score", "low_group",
                                             "low_score", "gap"]], ["high_score", "low_score", "gap"])
    spec = chart_spec((*data.key, "gaps"), lambda: charts.gap_chart(gaps, "Largest perspective gaps"))
    chart_with_table(spec, table, key="dash_gaps", summary=summaries.gap_summary(gaps))


def _change(ctx: AdminContext, r: RoundInfo, data: RoundData, scores: PartnershipScores) -> None:
    st.subheader("Change since the previous round")
    previous = ctx.store.previous_round(r.id)
    prev_data = round_data(ctx, previous) if previous is not None else None
    if previous is None or prev_data is None or prev_data.assessment is None:
        st.info("This is the first round with answers, so there is nothing to compare yet. Run the "
                "health check again in about six months to see the distance travelled.")
        return
    table = views.changes(scores, prev_data.assessment.scores)
    st.caption(f"Compared with {plain(previous.label)}. Changes of less than {views.SAME_WITHIN:g} points "
               "count as the same.")
    framework = st.selectbox("Areas", list(FRAMEWORKS), format_func=FRAMEWORKS.__getitem__,
                             key="dash_trend_framework")
    history: list[tuple[str, PartnershipScores]] = []
    history_keys: list[tuple[object, ...]] = []
    for past in ctx.store.rounds(ctx.partnership.id):
        if past.opened_at > r.opened_at or (past.opened_at == r.opened_at and past.id > r.id):
            continue
        past_data = round_data(ctx, past)
        if past_data.assessment is not None:
            history.append((past.label, past_data.assessment.scores))
            history_keys.append(past_data.key)
    shown = table[table["framework"] == framework][["label", "previous", "current", "change", "direction"]]
    spec = chart_spec((*data.key, "trend", framework, tuple(history_keys)),
                      lambda: charts.trend_chart(views.trend_frame(history, framework),
                                                 FRAMEWORKS[framework],
                                                 cuts=data.assessment.questionnaire.bands.cuts))
    chart_with_table(spec, shown_scores(shown, ["previous", "current", "change"]), key="dash_trend",
                     summary=summaries.change_summary(shown, previous.label))


def _comments(data: RoundData, q: Questionnaire, threshold: int) -> None:
    st.subheader("Comments on low scores")
    comments = low_score_comments(data.figures_frame, q, threshold)  # only people in the figures
    if not comments:
        st.caption(f"No comments to show. Comments are shown only from organisations with at least "
                   f"{threshold} responses, without names.")
        return
    st.caption(f"Shown without names, and only from organisations with at least {threshold} responses; "
               "sorted by their words, not by who wrote them or when.")
    for item_text, texts in comments.items():
        # no count beside a question: "(1)" would say one person wrote it
        with st.expander(plain(item_text)):
            for text in texts:
                st.text(plain(text, markdown=False))


def render(ctx: AdminContext) -> None:
    st.title("Dashboard")
    st.caption(plain(ctx.partnership.name))
    r = pick_round(ctx, "dash_round")
    if r is None:
        st.info("No rounds yet. Go to **Rounds** to open the first round and get the link for respondents.")
        return
    try:
        data = round_data(ctx, r)
    except InputError as exc:
        show_problems(exc)
        return
    note = release_note(data, ctx.partnership.threshold)
    if data.assessment is None:
        state = "It is open: share its link from the **Rounds** page." if r.is_open else "It is closed."
        st.info(note or f"Nobody has answered this round yet. {state}")
        return
    q = data.assessment.questionnaire
    scores = data.assessment.scores
    st.markdown(plain(views.summary_sentence(scores, data.assessment.findings)))
    if data.purged:
        st.caption(PURGED_NOTE)
    if note:
        st.caption(note)
    elif r.is_open:
        st.caption("This round is still open: results change as more people answer.")
    for line in views.anonymity_notes(scores):  # left out of the figures, or hidden (core.anonymity)
        st.caption(plain(line))
    start_here(start.start_here(data.assessment.findings, q))
    if not scores.room_only:  # the whole room only: no organisations or levels (said above)
        _respondents(scores)
    _radar(data, scores)
    _factors(data, scores)
    st.subheader("Findings")
    findings_section(ctx, r, data, q)
    if not scores.room_only:
        _gaps(data, scores)
    _change(ctx, r, data, scores)
    _comments(data, q, ctx.partnership.threshold)
    _report_downloads(ctx, r, data, q)


def _report_downloads(ctx: AdminContext, r: RoundInfo, data: RoundData, q: Questionnaire) -> None:
    """The board report of this round; built only when a button is pressed (charts take ~1 s)."""
    st.subheader("Report for the board")
    st.caption("The same results as this page, with the same anonymity rules, as a document.")
    previous = ctx.store.previous_round(r.id)

    def build(fmt: str) -> Callable[[], bytes]:
        def make() -> bytes:
            prev = round_data(ctx, previous) if previous is not None else None
            assert data.assessment is not None
            return report_bytes(
                data.assessment, previous=prev.assessment if prev else None,
                previous_label=previous.label if previous else None,
                actions=ctx.store.actions(ctx.partnership.id),
                comments=low_score_comments(data.figures_frame, q, ctx.partnership.threshold),
                fmt=fmt, round_label=r.label, date=r.closed_at or None)  # type: ignore[arg-type]
        return make

    name = f"report-{slug(ctx.partnership.name)}-{slug(r.label, 'round')}"
    left, right = st.columns(2)
    pid = ctx.partnership.id
    left.download_button("Download the report (PDF)", file_name=f"{name}.pdf",
                         data=recorded(build("pdf"), pid, "admin",
                                       f"the report of the round '{r.label}' (PDF)"),
                         mime="application/pdf", key="dash_report_pdf")
    right.download_button("Download the report (Markdown)", file_name=f"{name}.md",
                          data=recorded(build("md"), pid, "admin",
                                        f"the report of the round '{r.label}' (Markdown)"),
                          mime="text/markdown", key="dash_report_md")
