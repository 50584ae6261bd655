"""Joining a live workshop on a phone: `?join=CODE`, or the public "Join a workshop" page.

No account and no name. One page: organisation and level, then the few questions with big
answer buttons and a progress bar, then "Send". The submission key is made once per page session
and kept only in the session, never in the address (a forwarded link always lets its holder
answer), so a double tap, or Send pressed again after a database outage, never stores answers twice.
After sending: "thank you" and, once the facilitator reveals the results, the whole
partnership's radar only (never anyone's answers; nothing below the anonymity threshold).

A QR scan or join link of an open workshop joins at once, never throttled. Wrong codes get a plain
message; after a few wrong codes in the same browser session each further try must wait. The count
is kept in the store under the session's own id, so a rerun does not start afresh; nobody else's
wrong codes ever make this session wait (see `healthcheck.store.throttle`). A join code never
opens the facilitator console.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.core.pagetext import PAGE_TEXT, PageText
from healthcheck.core.questionnaire import Item, Questionnaire
from healthcheck.core.workshop import items_for
from healthcheck.store import throttle as th
from healthcheck.store import workshops as ws
from healthcheck.ui.common import KEY_PATTERN, get_store, is_outage, plain, submission_key
from healthcheck.ui.logsetup import events
from healthcheck.ui.widgets import paced_phone
from healthcheck.ui.widgets.answer_fields import DONT_KNOW, level_question
from healthcheck.ui.widgets.beacon import follow
from healthcheck.ui.widgets.language import chosen_page_text, language_picker
from healthcheck.ui.widgets.privacy_notice import render as privacy_notice
from healthcheck.ui.widgets.workshop_results import asked, guarded_fragment, radars, workshop_data

BAD_CODE = ("This code does not work. Please check it: it has six letters and numbers, shown on the "
            "screen at the front of the room.")
ENDED = PAGE_TEXT["workshop.ended"]  # also said to a visitor typing the code, before any language
_JOINED = "ws_joined"  # {canonical code: workshop id} for this session
_SESSION = "ws_throttle_session"  # this browser session's random id, its key in the throttle
T = TypeVar("T")

# Bigger tap targets for the answer buttons on a phone (static; no user text).
PHONE_CSS = """
<style>
div[role="radiogroup"] label {padding: 0.45rem 0.2rem; font-size: 1.05rem;}
div[role="radiogroup"] label div:first-child {transform: scale(1.25);}
.st-key-ws_page_key {display: none !important;}
</style>
"""


def throttle() -> th.Throttle:
    """The store-backed throttle for this browser session (its own wrong codes only)."""
    session_id = st.session_state.get(_SESSION)
    if not isinstance(session_id, str):
        session_id = st.session_state[_SESSION] = secrets.token_hex(16)
    return th.Throttle(get_store(), th.session_key(session_id))


def try_code(code: str) -> ws.WorkshopInfo | None:
    """Check a typed code under this session's throttle; shows the plain message when it fails."""
    t = throttle()
    attempt = t.begin()
    if not attempt.allowed:
        events().info("wrong join codes: a session must wait %.0f s", attempt.wait)
        st.error(attempt.message())
        return None
    found = ws.lookup_join_code(get_store(), code)
    if found is None or not found.is_open:  # the attempt stays counted as a wrong code
        events().info("join code refused (%s)", "ended workshop" if found is not None else "no such workshop")
        st.error(ENDED if found is not None else BAD_CODE)
        return None
    t.succeeded(attempt)
    st.session_state.setdefault(_JOINED, {})[found.join_code] = found.id
    return found


def code_box(key: str = "ws_code_box") -> None:
    """A code box; a right code opens the workshop (`?join=CODE`)."""
    with st.form(key, border=False):
        code = st.text_input("Workshop code", max_chars=20, placeholder="e.g. ABC 234", key=f"{key}_text")
        go = st.form_submit_button("Join", type="primary")
    if go:
        found = try_code(code)
        if found is not None:
            st.query_params.clear()
            st.query_params["join"] = found.join_code
            st.rerun()


def render_public() -> None:
    """The public "Join a workshop" page."""
    st.title("Join a workshop")
    st.markdown("Type the code shown at the front of the room. You do not need an account, and we do "
                "not ask your name.")
    code_box()


# --------------------------------------------------------------------------------------------


class _Form:
    """The participant's answers in session state, scoped by workshop."""

    def __init__(self, workshop_id: int) -> None:
        self.p = f"ws{workshop_id}_"

    def key(self, name: str) -> str:
        return self.p + name

    @property
    def done(self) -> bool:
        return bool(st.session_state.get(self.p + "done"))

    def submission_key(self) -> str:
        return self.kept or submission_key(self.p + "key")

    kept: str | None = None  # the key as the page holds it (`_page_key`)


def _answer_widget(form: _Form, q: Questionnaire, item: Item, number: int) -> Any:
    label = f"**{number}.** {plain(item.text)}"
    if item.type == "likert":
        labels = list(q.scale.labels)
        return st.radio(label, [1, 2, 3, 4, 5, DONT_KNOW], index=None, key=form.key(f"a:{item.id}"),
                        format_func=lambda v: q.scale.dont_know if v == DONT_KNOW else labels[int(v) - 1])
    if item.type == "choice":
        names = {c.id: c.label for c in item.choices}
        return st.radio(label, list(names), index=None, key=form.key(f"a:{item.id}"),
                        format_func=names.__getitem__)
    return None  # free text is not asked in a live workshop


def _thank_you(w: ws.WorkshopInfo, form: _Form, tr: PageText) -> None:
    st.success(tr("thanks"))
    if st.session_state.get(form.p + "done") == "already":
        st.caption(tr("sent_before"))
    if w.is_open and not w.revealed:
        _waiting(w, tr)
    else:
        guarded_fragment(_after_body)(w.id, tr)


def _after_body(workshop_id: int, tr: PageText) -> None:
    w = ws.get_workshop(get_store(), workshop_id)
    if w is None:
        return
    if not w.revealed:
        st.info(tr("workshop.wait_for_reveal" if w.is_open else "workshop.ended_results_later"))
        return
    data = workshop_data(w)
    total = 0 if data is None else len(data.frame)
    if data is None or data.assessment is None or total < w.threshold:
        st.info(tr("workshop.too_few", threshold=w.threshold))
        return
    st.subheader(tr("workshop.results"))
    st.caption(tr("workshop.results_note", answered=total))
    radars(data, asked(w), None, key="ws_participant_radar", size=230)


def _waiting(w: ws.WorkshopInfo, tr: PageText) -> None:
    """While results are hidden. The browser checks the workshop's state every few seconds (the
    beacon: no page run per check); on the reveal or the close the page is drawn once again."""
    st.info(tr("workshop.wait_for_reveal"))
    follow(w.id, ws.drawn_version(w), key=f"ws{w.id}_beacon")


def _form_watch_body(workshop_id: int) -> None:
    """While the form is open: a cheap look every FORM_WATCH_SECONDS; when the facilitator closes
    the workshop the page says so. Being a timed fragment also makes the page run again at once
    when it reconnects to another app process (Streamlit reruns a page with timed fragments on
    reconnecting), so the new process knows the page's widgets and the next tap on Send counts."""
    try:
        w = ws.get_workshop(get_store(), workshop_id)
    except Exception as exc:
        if is_outage(exc):  # the page itself says so, once; the watch simply looks again later
            return
        raise
    if w is not None and not w.is_open:
        st.rerun(scope="app")


FORM_WATCH_SECONDS = 10
_form_watch = st.fragment(run_every=FORM_WATCH_SECONDS)(guarded_fragment(_form_watch_body))


def _send(form: _Form, w: ws.WorkshopInfo, q: Questionnaire, items: list[Item], tr: PageText) -> None:
    """The Send button's callback: runs before the page is drawn again, so the same run shows
    "thank you" (one server run per tap, not two). Problems are kept for that run to show."""
    ss = st.session_state
    org, level = ss.get(form.key("org")), ss.get(form.key("level"))
    if org is None or level is None:
        ss[form.p + "error"] = tr("workshop.choose_first")
        return
    answers = {i.id: ss[form.key(f"a:{i.id}")] for i in items if ss.get(form.key(f"a:{i.id}")) is not None}
    try:
        stored = ws.submit(get_store(), w, int(org), str(level), answers, form.submission_key(), q)
    except InputError as exc:
        ss[form.p + "error"] = "\n\n".join(p.message for p in exc.problems)
        return
    except Exception as exc:
        if not is_outage(exc):
            raise
        ss[form.p + "error"] = tr("outage")  # the answers stay on screen; the same key sends once later
        return
    ss[form.p + "done"] = "stored" if stored else "already"  # the key stays: it marks this page as sent
    events().info("workshop answers %s (workshop %d)",
                  "stored" if stored else "sent again, stored before", w.id)


def _workshop_for(code: str) -> ws.WorkshopInfo | None:
    """The workshop this session joined with `code`, checking the code once per session."""
    store = get_store()
    canonical = ws.normalise_join_code(code)
    joined = st.session_state.get(_JOINED, {})
    if canonical is not None and canonical in joined:
        return ws.get_workshop(store, joined[canonical])
    checked = st.session_state.get("ws_checked_param")
    if checked == code:  # this bad code was counted already; reruns do not count it again
        t = throttle()
        st.error(t.message() or BAD_CODE)
        return None
    st.session_state["ws_checked_param"] = code
    found = ws.lookup_join_code(store, code)
    if found is not None and found.is_open:
        # A QR scan or join link of an open workshop joins at once: no throttle to wait for
        st.session_state.setdefault(_JOINED, {})[found.join_code] = found.id
        return found
    return try_code(code)  # a wrong or ended code: counted against this session like a typed one


def _or_last(name: str, read: Callable[[], T]) -> T:
    """`read()` from the store, remembered in the session. While the database cannot be reached,
    the value last read stands in, so a participant half-way through keeps the form and their
    answers on screen and can send again later; without one, the outage goes to the boundary."""
    slot = f"ws_last:{name}"
    try:
        value = read()
    except Exception as exc:
        if is_outage(exc) and slot in st.session_state:
            return st.session_state[slot]  # type: ignore[no-any-return]
        raise
    st.session_state[slot] = value
    return value


def _page_key(form: _Form) -> str:
    """This page's submission key, held by the page itself as well as by the server's session.

    Behind a proxy with several app processes, a process can stop mid-workshop; the participant's
    page then reconnects to another process, which has none of the old session's state. What the
    page sends on reconnecting is its widgets' values, so the key also lives in a widget (an
    invisible text field): the new process reads it back, sees that this page has already sent
    (no second copy can be stored) or carries on with the same key. The key made for a new page
    reaches the field on the page's next run (a widget's value can only be set before it is drawn).
    """
    field, made = form.p + "page_key", form.p + "key"
    if isinstance(st.session_state.get(made), str) and not st.session_state.get(form.p + "synced"):
        st.session_state[field] = st.session_state[made]
        st.session_state[form.p + "synced"] = True
    with st.container(key="ws_page_key"):
        held = st.text_input("Answer form id", key=field, label_visibility="collapsed")
    if isinstance(held, str) and KEY_PATTERN.match(held):
        st.session_state[made] = held
        st.session_state[form.p + "synced"] = True
        return held
    return submission_key(made)  # a new page: made now, in the field from the next run


def render(code: str) -> None:
    st.html(PHONE_CSS)
    w = _or_last(f"workshop:{code}", lambda: _workshop_for(code))
    if w is None:
        st.markdown("Try the code again:")
        code_box("ws_retry")
        return
    store = get_store()
    form = _Form(w.id)
    key = form.kept = _page_key(form)
    before = chosen_page_text(w.questionnaire_id)  # the language picked so far, if any
    st.header(plain(w.title))
    st.caption(before("workshop.live", partnership=plain(w.partnership_name)))
    if w.paced:  # the facilitator sets the pace: only the current question
        if w.is_open:
            partnership = _or_last(f"partnership:{w.partnership_id}",
                                   lambda: store.get_partnership(w.partnership_id))
            if partnership is not None:
                privacy_notice(before, partnership)
            paced_phone.render(w, before)
        else:
            st.info(before("workshop.ended"))
        return
    if form.done or _or_last(f"sent:{key}", lambda: ws.has_submitted(store, w, key)):
        st.session_state.setdefault(form.p + "done", "stored")
        _thank_you(w, form, before)
        return
    if not w.is_open:
        st.info(before("workshop.ended"))
        return
    # the chosen language's text; answers and the level (its name is translated too) are kept
    q, tr = language_picker(w.questionnaire_id, keep=(form.key("a:"), form.key("level")))
    items = [i for i in items_for(w.dimensions, q) if i.type in ("likert", "choice")]
    orgs = _or_last(f"orgs:{w.id}", lambda: store.organisations(w.partnership_id))
    if not orgs:
        st.info(tr("workshop.not_ready"))
        return
    if not st.session_state.get(form.p + "registered"):
        try:
            ws.register_participant(store, w.id, key)
            st.session_state[form.p + "registered"] = True
        except Exception as exc:  # only counts who joined: tried again on the next run
            if not is_outage(exc):
                raise

    # only the items asked of the chosen organisation's kind (all of them until one is chosen)
    chosen = st.session_state.get(form.key("org"))
    kind = next((o.kind for o in orgs if o.id == chosen), None)
    items = [i for i in items if i.is_asked_of(kind)]
    st.caption(tr("workshop.anonymous", threshold=w.threshold))
    partnership = _or_last(f"partnership:{w.partnership_id}", lambda: store.get_partnership(w.partnership_id))
    if partnership is not None:
        privacy_notice(tr, partnership)
    answered = sum(1 for i in items if st.session_state.get(form.key(f"a:{i.id}")) is not None)
    st.progress(answered / max(len(items), 1), text=tr("workshop.progress", answered=answered,
                                                       questions=len(items)))
    names = {o.id: o.name for o in orgs}
    st.selectbox(tr("your_organisation"), list(names), index=None, key=form.key("org"),
                 format_func=lambda o: plain(names[o], markdown=False), placeholder=tr("choose_organisation"))
    level_question(tr, form.key("level"))
    st.divider()
    for n, item in enumerate(items, start=1):
        _answer_widget(form, q, item, n)
    st.divider()
    problem = st.session_state.pop(form.p + "error", None)
    if problem:
        st.error(plain(problem))
    st.button(tr("send"), type="primary", key=form.key("send"), width="stretch", on_click=_send,
              args=(form, w, q, items, tr))
    _form_watch(w.id)
