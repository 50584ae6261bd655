"""The facilitator's console for a live workshop (`?facilitate=TOKEN`), made for a projector.

Large type: the title, the join code in huge letters, its QR code and join link, the live counts.
Results stay hidden until the facilitator reveals them (no anchoring); then the live radar of the
asked areas, the findings and the spread of answers per question appear, all only once at least
`threshold` people have answered. Counts per organisation read "fewer than N" below the threshold.

The live part is an `st.fragment(run_every=...)` that reads the store on every run (nothing stale
is cached: the assessment is cached per number of responses, and responses are never edited).
"""

from __future__ import annotations

import html
import json
import logging
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from healthcheck.core.anonymity import rows_note, visible_counts
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.text import slug
from healthcheck.core.workshop import answer_distribution, items_for
from healthcheck.present import qr, summaries, views
from healthcheck.services.workshop import workshop_assessment, workshop_export_frame
from healthcheck.store import throttle as th
from healthcheck.store import workshops as ws
from healthcheck.ui.common import (
    RoundData,
    base_url,
    chart_with_table,
    count_text,
    get_questionnaire,
    get_rules,
    get_store,
    plain,
    recorded,
)
from healthcheck.ui.logsetup import events
from healthcheck.ui.widgets import paced_console
from healthcheck.ui.widgets.workshop_results import (
    asked,
    findings,
    guarded_fragment,
    radars,
    shared_spec,
    workshop_data,
)

log = logging.getLogger("healthcheck.ui")

REFRESH_SECONDS = 2
LIKERT_COLOURS = ["#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac", "#8c8c8c"]
BAD_TOKEN = ("This facilitator link does not work. It may have been mistyped, or replaced by a newer "
             "link. The partnership admin can make a new one on the Rounds page.")

# Static styling for the projector (no user text in it).
PROJECTOR_CSS = """
<style>
.hc-code {font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-weight: 800;
          font-size: clamp(4rem, 11vw, 10rem); letter-spacing: 0.12em; line-height: 1.05;
          margin: 0.1em 0 0.1em 0; color: #111;}
.hc-code-label {font-size: 1.6rem; color: #444; margin: 0;}
.hc-join-url {font-size: 1.9rem; font-weight: 700; margin: 0.2em 0; overflow-wrap: anywhere;}
[data-testid="stMetricValue"] {font-size: 4.5rem; line-height: 1.1;}
[data-testid="stMetricLabel"] p {font-size: 1.4rem;}
</style>
"""


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _likert_chart(likert: pd.DataFrame, q: Questionnaire) -> alt.Chart:
    options = list(q.scale.labels) + [q.scale.dont_know]
    order = list(dict.fromkeys(likert["name"]))
    return alt.Chart(likert).mark_bar().encode(
        x=alt.X("count:Q", title="Number of people", stack="zero", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=520, labelFontSize=13)),
        color=alt.Color("option:N", scale=alt.Scale(domain=options, range=LIKERT_COLOURS),
                        legend=alt.Legend(orient="bottom", title=None, labelFontSize=13, columns=6,
                                          labelLimit=260)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("question:N", title="Question"), alt.Tooltip("option:N", title="Answer"),
                 alt.Tooltip("count:Q", title="People")],
    ).properties(width=760, height=max(30 * len(order), 60))


def _choice_chart(part: pd.DataFrame) -> alt.Chart:
    return alt.Chart(part).mark_bar(color="#0072B2").encode(
        x=alt.X("count:Q", title="Number of people", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("option:N", sort=list(part["option"]), title=None,
                axis=alt.Axis(labelLimit=400, labelFontSize=13)),
        tooltip=[alt.Tooltip("option:N", title="Answer"), alt.Tooltip("count:Q", title="People")],
    ).properties(width=520, height=max(28 * len(part), 56))


def distribution_charts(data: RoundData, w: ws.WorkshopInfo, q: Questionnaire) -> None:
    """How many chose each answer, per question: one stacked bar per agreement question, and
    bars for each multiple-choice question that anyone answered."""
    items = items_for(w.dimensions, q)
    dist = answer_distribution(data.figures_records, items, q, w.threshold)  # the people in the figures
    if dist.empty:
        return
    dist["name"] = [f"Q{n} {_short(t)}" for n, t in zip(dist["number"], dist["question"], strict=True)]
    likert_ids = {i.id for i in items if i.type == "likert"}
    likert = dist[dist["item"].isin(likert_ids)]
    if not likert.empty:
        spec = shared_spec((*data.key, "ws-dist", w.dimensions), lambda: _likert_chart(likert, q))
        counts = likert.pivot(index="name", columns="option", values="count")
        counts = counts.reindex(index=list(dict.fromkeys(likert["name"])),
                                columns=list(dict.fromkeys(likert["option"])))
        chart_with_table(spec, counts.rename_axis(index="Question", columns=None).reset_index(),
                         key="ws_dist_likert", summary=summaries.likert_summary(likert))
    for item in items:
        if item.type != "choice":
            continue
        part = dist[dist["item"] == item.id]
        st.markdown(f"**Q{int(part['number'].iloc[0])} {plain(item.text)}**")
        if not part["count"].sum():
            st.caption("Nobody has answered this question.")
            continue
        spec = shared_spec((*data.key, "ws-dist", item.id), lambda part=part: _choice_chart(part))
        table = part[["option", "count"]].rename(columns={"option": "Answer", "count": "People"})
        chart_with_table(spec, table, key=f"ws_dist_{item.id}", summary=summaries.choice_summary(part))


# --------------------------------------------------------------------------------------------
# The console


def _header(w: ws.WorkshopInfo) -> None:
    st.html(PROJECTOR_CSS)
    st.title(plain(w.title))
    st.caption(f"{plain(w.partnership_name)} · live workshop")
    url = qr.join_url(base_url(), w.join_code)
    left, right = st.columns([3, 1], vertical_alignment="center")
    with left:
        if w.is_open:
            # The code only holds letters and digits from CODE_ALPHABET: safe as HTML.
            code = ws.format_join_code(w.join_code)
            st.html('<p class="hc-code-label">Join at the address below, or scan the code. Your code:</p>'
                    f'<div class="hc-code" data-testid="hc-join-code">{code}</div>')
            # Shown as HTML-escaped text, not Markdown: plain() would break the address with an
            # invisible joiner, and people copy it from the projector.
            st.html(f'<p class="hc-join-url">{html.escape(url)}</p>')
        else:
            st.markdown("## This workshop has ended: it takes no more answers.")
    if w.is_open:
        with right:
            st.image(qr.qr_svg(url, scale=10), width=300, caption="Scan to join",
                     alt=f"QR code that opens the join address {url}")


def _counts(status: ws.LiveStatus, threshold: int) -> None:
    a, b = st.columns(2)
    a.metric("Joined", status.participants)
    b.metric("Answers sent", status.submissions)
    visible = visible_counts(status.by_organisation, threshold)  # no count derivable by subtraction
    rows = [{"Organisation": org, "Answers": count_text(n, threshold) if visible[org] is not None
             or n < threshold else "hidden for anonymity"} for org, n in status.by_organisation.items()]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True)


def storm_notice() -> None:
    """Many wrong join codes app-wide just now: say so (a count only; nobody is locked out)."""
    wrong = th.recent_wrong_codes(get_store())
    if wrong >= th.STORM:
        minutes = int(th.WINDOW.total_seconds() // 60)
        st.warning(f"Guessing storm: {wrong} wrong workshop codes were tried on this app in the last "
                   f"{minutes} minutes. Nobody is locked out: your room joins with the code or the QR "
                   "code as usual, and a code cannot be guessed in a workshop's lifetime. Close the "
                   "workshop when you have finished.")


def _results(w: ws.WorkshopInfo, submissions: int) -> None:
    if submissions < w.threshold:
        st.info(f"Results appear once at least {w.threshold} people have answered, so nobody's answers "
                "can be picked out.")
        return
    data = workshop_data(w)
    if data is None or data.assessment is None:
        st.info("Nobody has answered yet.")
        return
    q = get_questionnaire(w.questionnaire_id)
    st.header("Results")
    radars(data, asked(w), "organisation", key="ws_console_radar", size=560, side_by_side=True)
    st.caption(f"Organisations with fewer than {w.threshold} answers are not drawn on their own; they "
               "are part of the whole partnership, pooled with others, or (where they cannot be) left out "
               "of the figures.")
    for line in views.anonymity_notes(data.assessment.scores):
        st.caption(plain(line))
    st.header("Findings")
    findings(data, q)
    st.header("Answers per question")
    distribution_charts(data, w, q)


_DRAWN = "ws_console_drawn"


def _view_state(status: ws.LiveStatus) -> tuple[Any, ...]:
    """What the results part of the console depends on; when it changes, the page is redrawn."""
    return (status.revealed, status.is_open, status.submissions if status.revealed else None)


def _live_body(workshop_id: int, threshold: int) -> None:
    """The counts, read fresh on every tick. Results are drawn by the full page run and only
    redrawn (a full rerun) when something they show has changed: a new answer after the reveal,
    the reveal itself, the close. So the projector's charts are not rebuilt every 2 seconds."""
    status = ws.live_status(get_store(), workshop_id)
    if status is None:
        st.error("This workshop no longer exists.")
        return
    _counts(status, threshold)
    storm_notice()
    if st.session_state.get(_DRAWN) != _view_state(status):
        st.rerun(scope="app")


# Polls the store every REFRESH_SECONDS while the workshop is open.
_live = st.fragment(run_every=REFRESH_SECONDS)(guarded_fragment(_live_body))


def _exports(w: ws.WorkshopInfo) -> None:
    from healthcheck.present.exports import anonymised_csv

    store = get_store()
    q = get_questionnaire(w.questionnaire_id)
    name = slug(w.title, "workshop")

    def csv_bytes() -> bytes:
        from healthcheck.core.rules import load_rules

        frame = workshop_export_frame(store, w, q, load_rules())
        return anonymised_csv(frame, q, w.threshold)[0].encode("utf-8")

    def json_bytes() -> bytes:
        from healthcheck.core.rules import load_rules

        _, _, assessment = workshop_assessment(store, w, q, load_rules())
        payload = assessment.as_dict() if assessment is not None else {}
        return json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")

    with st.expander("Export the results"):
        note = rows_note(w.paced)  # a paced workshop gives no file of rows (anonymity.room)
        if not note:
            st.caption("The responses file has no names, and organisations with fewer than "
                       f"{w.threshold} answers are not named.")
        st.caption("The results also stay on the partnership's dashboard as a round.")
        left, right = st.columns(2)
        if note:
            left.info(note)
        else:
            left.download_button("Responses (CSV)", file_name=f"{name}-responses.csv",
                                 data=recorded(csv_bytes, w.partnership_id, "facilitator",
                                               f"the anonymised responses of the workshop '{w.title}' (CSV)"),
                                 mime="text/csv", key="ws_export_csv", on_click="ignore")
        right.download_button("Assessment (JSON)", file_name=f"{name}-assessment.json",
                              data=recorded(json_bytes, w.partnership_id, "facilitator",
                                            f"the assessment of the workshop '{w.title}' (JSON)"),
                              mime="application/json", key="ws_export_json", on_click="ignore")


def _controls(w: ws.WorkshopInfo) -> None:
    store = get_store()
    cols = st.columns(3)
    if w.revealed:
        if cols[0].button("Hide results", key="ws_hide", width="stretch"):
            ws.reveal(store, w.id, False)
            events().info("workshop results hidden (workshop %d)", w.id)
            st.rerun()
    elif cols[0].button("Reveal results", key="ws_reveal", type="primary", width="stretch"):
        ws.reveal(store, w.id, True)
        events().info("workshop results revealed (workshop %d)", w.id)
        st.rerun()
    if w.is_open:
        confirm = cols[2].checkbox("Yes, stop taking answers", key="ws_confirm_close")
        if cols[1].button("Close workshop", key="ws_close", disabled=not confirm, width="stretch",
                          help="No more answers after this. The results stay."):
            ws.close(store, w.id)
            events().info("workshop closed (workshop %d)", w.id)
            st.rerun()


def render(token: str) -> None:
    store = get_store()
    w = ws.workshop_by_facilitator_token(store, token)
    if w is None:
        st.title("Partnership Health Check")
        st.error(BAD_TOKEN)
        return
    _header(w)
    if w.paced:  # the facilitator sets the pace: one question at a time
        paced_console.render(w)
        _exports(w)
        return
    _controls(w)
    if not w.revealed:  # load the rule engine now, so the reveal itself is quick
        from healthcheck.core.rules.engine import get_engine

        get_engine(get_rules())
    status = ws.live_status(store, w.id)
    if status is None:
        st.error("This workshop no longer exists.")
        return
    st.session_state[_DRAWN] = _view_state(status)
    if status.is_open:
        _live(w.id, w.threshold)
    else:
        _counts(status, w.threshold)
    if not status.revealed:
        st.info("Results are hidden until you reveal them, so nobody is swayed by the first answers.")
    else:
        guarded_fragment(_results)(w, status.submissions)
    _exports(w)
