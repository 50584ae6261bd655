"""The facilitator's console for a live workshop (`?facilitate=TOKEN`), made for a projector.

Large type: the title, the join code in huge letters, its QR code and join link, the live counts.
Results stay hidden until the facilitator reveals them (no anchoring); then the live radar of the
asked areas, the findings and the spread of answers per question appear, all only once at least
`threshold` people have answered. Counts per organisation read "fewer than N" below the threshold.

The live part is an `st.fragment(run_every=...)` that reads the store on every run (nothing stale
is cached: the assessment is cached per number of responses, and responses are never edited).

Also here: `render_create`, the "Run a live workshop" panel of the Rounds page.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.core.frameworks import DIMENSION_BY_ID, FRAMEWORKS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.scoring import visible_counts
from healthcheck.core.workshop import answer_distribution, asked_dimensions, items_for
from healthcheck.present import charts, qr, summaries, views
from healthcheck.services.workshop import workshop_assessment
from healthcheck.store import workshops as ws
from healthcheck.ui.common import (
    AdminContext,
    RoundData,
    base_url,
    chart_spec,
    chart_with_table,
    count_text,
    get_questionnaire,
    get_rules,
    get_store,
    plain,
    round_data,
    show_failure,
    show_problems,
)
from healthcheck.ui.pages.dashboard import radar_table

log = logging.getLogger("healthcheck.ui")

REFRESH_SECONDS = 2
LIKERT_COLOURS = ["#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac", "#8c8c8c"]
SEVERITY_LABEL = {"high": "High", "medium": "Medium", "low": "Low", "info": "For information"}
BAD_TOKEN = ("This facilitator link does not work. It may have been mistyped, or replaced by a newer "
             "link. The partnership admin can make a new one on the Rounds page.")

# Static styling for the projector (no user text in it).
PROJECTOR_CSS = """
<style>
.hc-code {font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-weight: 800;
          font-size: clamp(4rem, 11vw, 10rem); letter-spacing: 0.12em; line-height: 1.05;
          margin: 0.1em 0 0.1em 0; color: #111;}
.hc-code-label {font-size: 1.6rem; color: #444; margin: 0;}
[data-testid="stMetricValue"] {font-size: 4.5rem; line-height: 1.1;}
[data-testid="stMetricLabel"] p {font-size: 1.4rem;}
</style>
"""


# --------------------------------------------------------------------------------------------
# Shared with the participant page


_BUILD_LOCKS: dict[tuple[Any, ...], threading.Lock] = {}
_BUILD_LOCKS_GUARD = threading.Lock()


def shared_spec(cache_key: tuple[Any, ...], build: Callable[[], Any]) -> dict[str, Any]:
    """`chart_spec`, built once even when many sessions ask at the same moment.

    When results are revealed, every phone in the room asks for the same chart within a second;
    without this each would build it (about 0.3 s of CPU each) before any could reuse it."""
    with _BUILD_LOCKS_GUARD:
        lock = _BUILD_LOCKS.setdefault(cache_key, threading.Lock())
        if len(_BUILD_LOCKS) > 256:
            _BUILD_LOCKS.clear()
            _BUILD_LOCKS[cache_key] = lock
    with lock:
        return chart_spec(cache_key, build)


def workshop_data(w: ws.WorkshopInfo) -> RoundData | None:
    """Records, table and assessment of the workshop's round (cached per number of responses)."""
    store = get_store()
    partnership = store.get_partnership(w.partnership_id)
    r = store.get_round(w.round_id)
    if partnership is None or r is None:
        return None
    return round_data(AdminContext(partnership, ""), r)


def asked(w: ws.WorkshopInfo) -> tuple[str, ...]:
    return asked_dimensions(w.dimensions, get_questionnaire(w.questionnaire_id))


def radars(data: RoundData, areas: tuple[str, ...], by: str | None, key: str, size: int = 420,
           side_by_side: bool = False) -> None:
    """One radar per framework with at least 3 asked areas; the rest as bars with bands.

    Side by side (the projector): the largest framework on the left, the others on the right."""
    assert data.assessment is not None
    scores = data.assessment.scores
    wanted = set(areas)
    drawn: list[tuple[str, int, Any]] = []  # (framework, number of areas, chart builder)
    for fw in FRAMEWORKS:
        n = sum(1 for d in areas if DIMENSION_BY_ID[d].framework == fw)
        if not n:
            continue
        if n >= 3:
            frame = views.radar_frame(scores, fw, by=by)
            frame = frame[frame["dimension"].isin(wanted)].reset_index(drop=True)
            if not (frame["status"] == views.SHOWN).any():
                continue  # nobody answered these areas (yet)
            drawn.append((fw, n, frame))
        else:
            table = views.dimension_table(scores, fw)
            table = table[table["dimension"].isin(wanted)].reset_index(drop=True)
            if table["score"].notna().any():
                drawn.append((fw, n, table))
    if not drawn:
        st.info("Nobody has answered these questions yet.")
        return
    drawn.sort(key=lambda entry: -entry[1])
    slots: list[Any] = []
    if side_by_side and len(drawn) > 1:
        left, right = st.columns([3, 2])
        slots = [left] + [right] * (len(drawn) - 1)
    else:
        slots = [st.container() for _ in drawn]
    for i, ((fw, n, table), slot) in enumerate(zip(drawn, slots, strict=True)):
        chart_size = size if i == 0 or not side_by_side else int(size * 0.7)
        with slot:
            if n >= 3:
                spec = shared_spec((*data.key, "ws-radar", fw, by, tuple(sorted(wanted)), chart_size),
                                  lambda t=table, f=fw, z=chart_size: charts.radar(t, FRAMEWORKS[f], size=z))
                chart_with_table(spec, radar_table(table, scores.threshold), key=f"{key}_{fw}",
                                 summary=summaries.radar_summary(table, scores.threshold))
            else:
                spec = shared_spec((*data.key, "ws-bars", fw, tuple(sorted(wanted))),
                                  lambda t=table, f=fw: charts.band_bars(t, FRAMEWORKS[f]))
                shown = table[["number", "label", "score", "band", "answered"]].round(1)
                chart_with_table(spec, shown, key=f"{key}_{fw}", summary=summaries.dimension_summary(table))


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
    dist = answer_distribution(data.records, items, q)
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


def findings(data: RoundData, q: Questionnaire) -> None:
    assert data.assessment is not None
    rows = views.finding_rows(data.assessment.findings, q)
    if not rows:
        st.success("No warning signs in these answers.")
        return
    for row in rows:
        with st.container(border=True):
            st.markdown(f"#### {plain(row['title'])}")
            st.caption(f"{SEVERITY_LABEL.get(row['severity'], row['severity'])} · "
                       + plain(", ".join(row["tasks"])))
            if row["why"]:
                st.markdown("**Why:** " + " ".join(plain(w) for w in row["why"]))
            if row["actions"]:
                actions = "\n".join(f"- {plain(a['text'])}" for a in row["actions"])
                st.markdown("**What to try:**\n\n" + actions)


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
            st.markdown(f"### {plain(url)}")
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
               "are part of the whole partnership.")
    st.header("Findings")
    findings(data, q)
    st.header("Answers per question")
    distribution_charts(data, w, q)


def guarded_fragment(body: Any) -> Any:
    """A fragment body inside the app's error boundary (a fragment rerun runs outside the page's)."""

    def run(*args: Any) -> None:
        try:
            body(*args)
        except InputError as exc:
            show_problems(exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback on a projector or a phone
            show_failure(exc, "live view failed", log)

    run.__name__ = getattr(body, "__name__", "fragment")
    run.__qualname__ = getattr(body, "__qualname__", "fragment")
    return run


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
    if st.session_state.get(_DRAWN) != _view_state(status):
        st.rerun(scope="app")


# Polls the store every REFRESH_SECONDS while the workshop is open.
_live = st.fragment(run_every=REFRESH_SECONDS)(guarded_fragment(_live_body))


def _exports(w: ws.WorkshopInfo) -> None:
    from healthcheck.ui.pages.exports import anonymised_csv

    store = get_store()
    q = get_questionnaire(w.questionnaire_id)
    name = re.sub(r"[^a-z0-9]+", "-", w.title.lower()).strip("-")[:60] or "workshop"

    def csv_bytes() -> bytes:
        _, frame, _ = workshop_assessment(store, w, q, None)
        return anonymised_csv(frame, q, w.threshold)[0].encode("utf-8")

    def json_bytes() -> bytes:
        from healthcheck.core.rules import load_rules

        _, _, assessment = workshop_assessment(store, w, q, load_rules())
        payload = assessment.as_dict() if assessment is not None else {}
        return json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")

    with st.expander("Export the results"):
        st.caption("The responses file has no names, and organisations with fewer than "
                   f"{w.threshold} answers are not named. The results also stay on the partnership's "
                   "dashboard as a round.")
        left, right = st.columns(2)
        left.download_button("Responses (CSV)", data=csv_bytes, file_name=f"{name}-responses.csv",
                             mime="text/csv", key="ws_export_csv", on_click="ignore")
        right.download_button("Assessment (JSON)", data=json_bytes, file_name=f"{name}-assessment.json",
                              mime="application/json", key="ws_export_json", on_click="ignore")


def _controls(w: ws.WorkshopInfo) -> None:
    store = get_store()
    cols = st.columns(3)
    if w.revealed:
        if cols[0].button("Hide results", key="ws_hide", width="stretch"):
            ws.reveal(store, w.id, False)
            st.rerun()
    elif cols[0].button("Reveal results", key="ws_reveal", type="primary", width="stretch"):
        ws.reveal(store, w.id, True)
        st.rerun()
    if w.is_open:
        confirm = cols[2].checkbox("Yes, stop taking answers", key="ws_confirm_close")
        if cols[1].button("Close workshop", key="ws_close", disabled=not confirm, width="stretch",
                          help="No more answers after this. The results stay."):
            ws.close(store, w.id)
            st.rerun()


def render(token: str) -> None:
    store = get_store()
    w = ws.workshop_by_facilitator_token(store, token)
    if w is None:
        st.title("Partnership Health Check")
        st.error(BAD_TOKEN)
        return
    _header(w)
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


# --------------------------------------------------------------------------------------------
# Creating a workshop (on the Rounds page)


_LINKS = "hc_workshop_links"


def facilitator_link(token: str) -> str:
    return f"{base_url()}/?facilitate={token}"


def _links() -> dict[int, str]:
    return st.session_state.setdefault(_LINKS, {})


def render_create(ctx: AdminContext) -> None:
    """The "Run a live workshop" panel: make a workshop round and get its facilitator link."""
    st.subheader("Run a live workshop")
    st.markdown("Everyone in the room answers a short questionnaire on their phone with a join code; "
                "you show the live count on a projector and reveal the results when you are ready. "
                "The workshop is kept as a round of this partnership.")
    q = get_questionnaire(ws.DEFAULT_QUESTIONNAIRE)
    with st.form("create_workshop", border=True):
        title = st.text_input("Title", value="Partnership workshop", key="ws_title", max_chars=200)
        chosen = st.multiselect(
            "Only these areas (optional)", list(q.dimensions), key="ws_dims",
            format_func=lambda d: f"{FRAMEWORKS[DIMENSION_BY_ID[d].framework]}: {DIMENSION_BY_ID[d].label}",
            placeholder="All areas of the pulse check",
            help="Leave empty to ask the whole pulse check (about 5 minutes).")
        made = st.form_submit_button("Run a live workshop", type="primary")
    if made:
        try:
            info, token = ws.create_workshop(ctx.store, ctx.partnership.id, title, q.id, chosen or None,
                                             questionnaire=q)
        except InputError as exc:
            show_problems(exc)
        else:
            _links()[info.id] = facilitator_link(token)
            st.success(f"Workshop '{plain(info.title)}' is ready. Its join code is "
                       f"{ws.format_join_code(info.join_code)}.")
    for w in ws.workshops_of(ctx.store, ctx.partnership.id):
        if not w.is_open:
            continue
        link = _links().get(w.id)
        with st.container(border=True):
            st.markdown(f"**{plain(w.title)}** · join code **{ws.format_join_code(w.join_code)}** · open")
            if link:
                st.caption("Facilitator link (it opens the console; keep it to yourself):")
                st.code(link, language=None, wrap_lines=True)
                st.link_button("Open the console", link, type="primary")
            elif st.button("Make a new facilitator link", key=f"ws_rotate_{w.id}",
                           help="For safety the link is shown only when it is made; the old one stops "
                                "working."):
                _links()[w.id] = facilitator_link(ws.rotate_facilitator_token(ctx.store, w.id))
                st.rerun()
