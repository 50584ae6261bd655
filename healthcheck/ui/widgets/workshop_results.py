"""What the facilitator's console and the participants' phones both show of a live workshop:
its results read fresh from the store, the radars of the asked areas, and fragments that keep
the app's error boundary."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import streamlit as st

from healthcheck.core.anonymity import shown_scores
from healthcheck.core.errors import InputError
from healthcheck.core.frameworks import DIMENSION_BY_ID, FRAMEWORKS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.vocabulary import SEVERITY_LABEL
from healthcheck.core.workshop import asked_dimensions
from healthcheck.present import charts, summaries, views
from healthcheck.store import workshops as ws
from healthcheck.ui.common import (
    AdminContext,
    RoundData,
    chart_spec,
    chart_with_table,
    get_questionnaire,
    get_store,
    plain,
    round_data,
    show_failure,
    show_problems,
)

log = logging.getLogger("healthcheck.ui")


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
    bands = data.assessment.questionnaire.bands
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
                chart_with_table(spec, views.radar_table(table, scores.threshold), key=f"{key}_{fw}",
                                 summary=summaries.radar_summary(table, scores.threshold))
            else:
                spec = shared_spec((*data.key, "ws-bars", fw, tuple(sorted(wanted))),
                                  lambda t=table, f=fw: charts.band_bars(t, FRAMEWORKS[f],
                                                                        cuts=bands.cuts))
                shown = shown_scores(table[["number", "label", "score", "band", "answered"]], ["score"])
                chart_with_table(spec, shown, key=f"{key}_{fw}", summary=summaries.dimension_summary(table))


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
