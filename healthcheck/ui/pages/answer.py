"""Answer: a respondent fills in the questionnaire, section by section, and submits once.

Everything lives in st.session_state under keys scoped by the round, so a rerun (or moving
between sections) keeps a half-filled form. The submission key is made when the form starts and
kept only in the session (never in the address, so a forwarded link always lets its holder
answer): a double click, or Send pressed again after a database outage, cannot store the answers
twice (`Store.submit_response` is idempotent per key).
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.core.pagetext import PageText
from healthcheck.core.questionnaire import Item, Questionnaire, Section
from healthcheck.store import OrganisationInfo, PartnershipInfo, RoundInfo
from healthcheck.ui.common import (
    get_store,
    is_outage,
    new_submission_key,
    outage_summary,
    plain,
    show_problems,
    submission_key,
)
from healthcheck.ui.logsetup import events
from healthcheck.ui.widgets.answer_fields import DONT_KNOW, level_question
from healthcheck.ui.widgets.language import chosen_page_text, language_picker
from healthcheck.ui.widgets.privacy_notice import render as privacy_notice

log = logging.getLogger("healthcheck.ui")


class FormState:
    """The respondent's form in session state, scoped by round."""

    def __init__(self, round_id: int) -> None:
        self.p = f"ans{round_id}_"
        ss = st.session_state
        ss.setdefault(self.p + "answers", {})
        ss.setdefault(self.p + "comments", {})
        ss.setdefault(self.p + "about", {})
        ss.setdefault(self.p + "step", 0)

    def wkey(self, kind: str, name: str) -> str:
        return f"{self.p}{kind}:{name}"

    @property
    def answers(self) -> dict[str, Any]:
        return st.session_state[self.p + "answers"]

    @property
    def comments(self) -> dict[str, str]:
        return st.session_state[self.p + "comments"]

    @property
    def about(self) -> dict[str, Any]:
        return st.session_state[self.p + "about"]

    @property
    def step(self) -> int:
        return int(st.session_state[self.p + "step"])

    @step.setter
    def step(self, value: int) -> None:
        st.session_state[self.p + "step"] = value

    @property
    def done(self) -> bool:
        return bool(st.session_state.get(self.p + "done"))

    def submission_key(self) -> str:
        """The key of this respondent's submission, made once per page session when the form starts."""
        return submission_key(self.p + "key")

    def restore(self, wkey: str, store: dict[str, Any], name: str) -> None:
        """Give a widget its remembered value when it is drawn again (Streamlit forgets the
        state of widgets that were not on screen in the previous run)."""
        if wkey not in st.session_state and name in store:
            st.session_state[wkey] = store[name]

    def reset(self) -> None:
        for key in [k for k in st.session_state if str(k).startswith(self.p)]:
            del st.session_state[key]
        if "k" in st.query_params:
            del st.query_params["k"]


# --------------------------------------------------------------------------------------------


def needs_comment(item: Item, value: Any) -> bool:
    """True when a comment is invited: the keyed answer (6 - answer for reverse-keyed items)
    is below the item's comment_prompt_below."""
    if item.comment_prompt_below is None or not isinstance(value, int):
        return False
    keyed = 6 - value if item.reverse else value
    return keyed < item.comment_prompt_below


def _item_widget(form: FormState, q: Questionnaire, item: Item, tr: PageText) -> None:
    wkey = form.wkey("a", item.id)
    form.restore(wkey, form.answers, item.id)
    if item.type == "likert":
        labels = list(q.scale.labels)
        options: list[Any] = [1, 2, 3, 4, 5, DONT_KNOW]
        value = st.radio(item.text, options, index=None, horizontal=True, key=wkey, help=item.help,
                         format_func=lambda v: q.scale.dont_know if v == DONT_KNOW else labels[int(v) - 1])
    elif item.type == "choice":
        choice_labels = {c.id: c.label for c in item.choices}
        value = st.radio(item.text, list(choice_labels), index=None, key=wkey, help=item.help,
                         format_func=choice_labels.__getitem__)
    else:
        value = st.text_area(item.text, key=wkey, help=item.help, max_chars=2000, height=100)
        value = value.strip() or None
    if value is None:
        form.answers.pop(item.id, None)
    else:
        form.answers[item.id] = value
    if needs_comment(item, value):
        ckey = form.wkey("c", item.id)
        form.restore(ckey, form.comments, item.id)
        comment = st.text_area(tr("answer.comment"), key=ckey, max_chars=1000, height=80)
        if comment.strip():
            form.comments[item.id] = comment
        else:
            form.comments.pop(item.id, None)


def _about(form: FormState, partnership: PartnershipInfo, orgs: list[OrganisationInfo], tr: PageText) -> None:
    st.info(tr("answer.before_you_start", threshold=partnership.threshold))
    names = {o.id: o.name for o in orgs}
    okey = form.wkey("about", "organisation")
    form.restore(okey, form.about, "organisation")
    org = st.selectbox(tr("your_organisation"), list(names), index=None, key=okey,
                       format_func=lambda o: plain(names[o], markdown=False),
                       placeholder=tr("choose_organisation"))
    lkey = form.wkey("about", "level")
    form.restore(lkey, form.about, "level")
    level = level_question(tr, lkey)
    rkey = form.wkey("about", "role")
    form.restore(rkey, form.about, "role")
    role = st.text_input(tr("answer.role"), key=rkey, max_chars=100, placeholder=tr("answer.role_example"),
                         help=tr("answer.role_help"))
    for name, value in (("organisation", org), ("level", level), ("role", role)):
        if value in (None, ""):
            form.about.pop(name, None)
        else:
            form.about[name] = value


def _go(form: FormState, step: int, q: Questionnaire | None = None) -> None:
    """Move to another section (the Start, Back and Next buttons' callback).

    A callback runs before the page is drawn, and the section being left is not drawn again: an
    answer changed just before the button was pressed (a quick tap, or a keyboard user's arrow
    key then Enter, both arriving in one run) would never reach the form. So the form first takes
    every value its widgets hold now."""
    ss = st.session_state
    for name in ("organisation", "level", "role"):
        key = form.wkey("about", name)
        if key in ss:
            if ss[key] in (None, ""):
                form.about.pop(name, None)
            else:
                form.about[name] = ss[key]
    for item in q.items if q is not None else ():
        key = form.wkey("a", item.id)
        if key in ss:
            value = ss[key].strip() or None if isinstance(ss[key], str) and item.type == "text" else ss[key]
            if value is None:
                form.answers.pop(item.id, None)
            else:
                form.answers[item.id] = value
        ckey = form.wkey("c", item.id)
        if ckey in ss and isinstance(ss[ckey], str):
            if needs_comment(item, form.answers.get(item.id)) and ss[ckey].strip():
                form.comments[item.id] = ss[ckey]
            else:
                form.comments.pop(item.id, None)
    form.step = step


def _kind(form: FormState, orgs: list[OrganisationInfo]) -> str | None:
    """The kind of the organisation the respondent chose (None before they choose)."""
    chosen = form.about.get("organisation")
    return next((o.kind for o in orgs if o.id == chosen), None)


def _asked_sections(q: Questionnaire, kind: str | None) -> list[tuple[Section, list[Item]]]:
    """The sections with the items this respondent is asked (`Item.is_asked_of`); a section left
    with none is skipped."""
    out = []
    for section in q.sections:
        items = [i for i in section.items if i.is_asked_of(kind)]
        if items:
            out.append((section, items))
    return out


def _submit(form: FormState, q: Questionnaire, r: RoundInfo, kind: str | None) -> None:
    answers: dict[str, int | str] = {}
    for item in q.items_for(kind):
        value = form.answers.get(item.id)
        if value is None:
            continue
        if item.type == "text":
            value = str(value).strip()
            if not value:
                continue
        answers[item.id] = value
    comments = {k: v.strip() for k, v in form.comments.items()
                if k in q.item_by_id and needs_comment(q.item_by_id[k], answers.get(k)) and v.strip()}
    role = (form.about.get("role") or "").strip() or None
    stored = get_store().submit_response(
        r.id, int(form.about["organisation"]), str(form.about["level"]), role, answers, comments,
        form.submission_key())
    st.session_state[form.p + "done"] = "stored" if stored else "already"
    events().info("answers %s (round %d)", "stored" if stored else "sent again, stored before", r.id)
    new_submission_key(form.p + "key")  # sent: this key is spent


def _thank_you(form: FormState, tr: PageText) -> None:
    st.success(tr("thanks"))
    if st.session_state.get(form.p + "done") == "already":
        st.info(tr("sent_before"))
    st.markdown(tr("answer.after"))


_LOOKUP = "ans_lookup"


def _lookup(token: str) -> tuple[RoundInfo | None, PartnershipInfo | None, list[OrganisationInfo]]:
    """The round, partnership and organisations behind the link, read fresh from the store.

    While the database cannot be reached, the last answer read in this session stands in, so a
    respondent half-way through keeps the form (and what they chose) on screen and can press
    Send again later; without one, the outage goes to the error boundary."""
    try:
        store = get_store()
        r = store.round_by_respondent_token(token)
        partnership = store.get_partnership(r.partnership_id) if r is not None else None
        orgs = store.organisations(partnership.id) if partnership is not None else []
    except Exception as exc:
        cached = st.session_state.get(_LOOKUP)
        if cached is not None and cached[0] == token and is_outage(exc):
            return cached[1]
        raise
    st.session_state[_LOOKUP] = (token, (r, partnership, orgs))
    return r, partnership, orgs


def render(token: str) -> None:
    r, partnership, orgs = _lookup(token)
    st.title("Partnership Health Check")
    if r is None:
        st.error("This link does not work. It may have been mistyped or replaced by a newer one. "
                 "Please ask the person who sent it to you for the current link.")
        return
    if partnership is None:
        st.error("This health check no longer exists.")
        return
    form = FormState(r.id)
    before = chosen_page_text(r.questionnaire_id)  # the language picked so far, if any
    if form.done:
        _thank_you(form, before)
        return
    if not r.is_open:
        st.info(before("answer.closed"))
        return
    # the chosen language's text; answers and the level (its name is translated too) are kept
    q, tr = language_picker(r.questionnaire_id, keep=(form.p + "a:", form.p + "about:"))
    if not orgs:
        st.info(tr("answer.not_ready"))
        return
    form.submission_key()
    st.markdown(f"**{plain(partnership.name)}** · {plain(r.label)}")

    kind = _kind(form, orgs)
    sections = _asked_sections(q, kind)  # respondents see only the items asked of their organisation
    total = len(sections)
    step = min(max(form.step, 0), total)
    if step == 0:
        st.progress(0.0, text=tr("answer.about_then", sections=total))
        if q.description:
            st.caption(plain(q.description))
        privacy_notice(tr, partnership)
        _about(form, partnership, orgs, tr)
        ready = "organisation" in form.about and "level" in form.about
        if not ready:
            st.caption(tr("answer.choose_to_begin"))
        st.button(tr("answer.start"), type="primary", disabled=not ready, on_click=_go, args=(form, 1),
                  key=form.wkey("nav", "start"))
        return

    section, items = sections[step - 1]
    st.progress(step / total, text=tr("answer.section", number=step, sections=total, title=section.title))
    st.subheader(plain(section.title))
    if section.intro:
        st.caption(plain(section.intro))
    for item in items:
        _item_widget(form, q, item, tr)

    left, right = st.columns(2)
    left.button(tr("answer.back"), on_click=_go, args=(form, step - 1, q),
                key=form.wkey("nav", f"back{step}"))
    if step < total:
        right.button(tr("answer.next"), type="primary", on_click=_go, args=(form, step + 1, q),
                     key=form.wkey("nav", f"next{step}"))
        return
    asked = q.items_for(kind)
    answered = sum(1 for i in asked if form.answers.get(i.id) is not None)
    st.caption(tr("answer.answered", answered=answered, questions=len(asked)))
    if right.button(tr("send"), type="primary", key=form.wkey("nav", "send")):
        try:
            _submit(form, q, r, kind)
        except InputError as exc:
            show_problems(exc)
            return
        except Exception as exc:
            if not is_outage(exc):
                raise
            # Not sent; everything stays on the page and the same key is used when they try again.
            log.warning("answers not sent: database unreachable (%s)", outage_summary(exc))
            st.error(tr("outage"))
            return
        st.rerun()
