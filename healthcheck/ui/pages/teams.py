"""Partner teams: the five questions per organisation, and the priorities partners share."""

from __future__ import annotations

import re
from collections import defaultdict

import streamlit as st

from healthcheck.core.anonymity import written_answers
from healthcheck.core.errors import InputError
from healthcheck.store import ORGANISATION_KINDS, TEAM_QUESTIONS
from healthcheck.ui.common import AdminContext, plain, round_data

# Common English words that say nothing about a team's priorities.
_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each every few for from further
get gets got had has have having he her here hers him his how i if in into is it its itself just
least less let like lot lots made make many may me more most much must my no nor not now of off
often on once one only or other our ours out over own per quite rather really same she should so
some such than that the their theirs them then there these they this those through to too two under
until up upon us very was we well were what when where which while who whom why will with within
without would yet you your yours week weeks year years time times day days new way ways
team teams work working works need needs want wants able thing things use used using still
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def keywords(text: str) -> set[str]:
    words = re.findall(r"[a-z][a-z'-]+", text.lower())
    return {_stem(w.strip("'-")) for w in words if len(w) >= 4 and w not in STOPWORDS}


def shared_priorities(notes: dict[str, dict[str, str]]) -> list[tuple[str, list[str]]]:
    """Words (or themes) that occur in the notes of two or more organisations, most shared first."""
    where: dict[str, set[str]] = defaultdict(set)
    for org, answers in notes.items():
        for word in keywords(" ".join(answers.values())):
            where[word].add(org)
    shared = [(w, sorted(orgs)) for w, orgs in where.items() if len(orgs) >= 2]
    shared.sort(key=lambda item: (-len(item[1]), item[0]))
    return shared


def _respondent_notes(ctx: AdminContext) -> dict[str, dict[str, list[str]]]:
    """What respondents wrote to the team questions in the latest round with (released) answers,
    per organisation, as the anonymity module allows: only organisations whose figures show,
    each question's answers sorted by their words, nothing counted."""
    for r in reversed(ctx.store.rounds(ctx.partnership.id)):
        data = round_data(ctx, r)
        if data.records:
            return written_answers(data.records, TEAM_QUESTIONS, ctx.partnership.threshold)
    return {}


def _save(ctx: AdminContext, org_id: int, org_name: str) -> None:
    try:
        for question in TEAM_QUESTIONS:
            text = st.session_state.get(f"team_{org_id}_{question}", "")
            ctx.store.set_team_note(ctx.partnership.id, org_id, question, text or "")
    except InputError as exc:
        st.session_state["hc_team_error"] = "; ".join(p.message for p in exc.problems)
        return
    st.session_state["hc_team_saved"] = org_name


def render(ctx: AdminContext) -> None:
    st.title("Partner teams")
    st.markdown("Before offering anything, ask each partner team five questions. Keep their answers here, "
                "then look for what you share: experiences, priorities and ways of working.")
    saved = st.session_state.pop("hc_team_saved", None)
    if saved:
        st.success(f"Saved the notes for {plain(saved)}.")
    error = st.session_state.pop("hc_team_error", None)
    if error:
        st.error(plain(error))
    orgs = ctx.store.organisations(ctx.partnership.id)
    if not orgs:
        st.info("This partnership has no organisations yet.")
        return
    notes = ctx.store.team_notes(ctx.partnership.id)
    from_respondents = _respondent_notes(ctx)
    tabs = st.tabs([plain(o.name) for o in orgs])  # tab labels render Markdown
    for tab, org in zip(tabs, orgs, strict=True):
        with tab:
            st.caption(ORGANISATION_KINDS.get(org.kind, org.kind))
            current = notes.get(org.name, {})
            with st.form(f"team_form_{org.id}", border=False):
                for question, text in TEAM_QUESTIONS.items():
                    st.text_area(text, value=current.get(question, ""), key=f"team_{org.id}_{question}",
                                 max_chars=4000, height=90)
                st.form_submit_button("Save notes", on_click=_save, args=(ctx, org.id, org.name),
                                      type="primary")
            written = from_respondents.get(org.name)
            if written:
                with st.expander("What this organisation's respondents wrote in the questionnaire"):
                    for question, texts in written.items():
                        st.markdown(f"**{plain(TEAM_QUESTIONS[question])}**")
                        for text in texts:
                            st.text(plain(text, markdown=False))

    st.subheader("Shared priorities")
    combined: dict[str, dict[str, str]] = {}
    for org in orgs:
        parts = dict(notes.get(org.name, {}))
        for question, texts in from_respondents.get(org.name, {}).items():
            parts[question] = " ".join([parts.get(question, ""), *texts])
        if parts:
            combined[org.name] = parts
    shared = shared_priorities(combined)
    if len(combined) < 2:
        st.info("Add notes for at least two organisations to see what they share.")
    elif not shared:
        st.info("No words in common yet between the organisations' notes.")
    else:
        st.caption("Words that appear in the notes of two or more organisations: a starting point for "
                   "finding shared priorities, not a verdict.")
        st.dataframe([{"theme": word, "organisations": ", ".join(who), "how many": len(who)}
                      for word, who in shared[:30]], hide_index=True)
