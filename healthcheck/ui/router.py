"""Which pages a visitor gets, from the link they followed, and the error boundary around them.

- no token: the public pages (Start, Rules);
- `?admin=TOKEN`: the partnership's admin pages (Dashboard, Rounds, Partner teams, Action plan,
  Exports, Data, Privacy, Audit log, Rules);
- `?r=TOKEN`: the Answer page only;
- `?funder=TOKEN`: the funder's portfolio of partnerships that shared a round with it;
- `?facilitate=TOKEN`: a live workshop's facilitator console (projector view);
- `?join=CODE`: a live workshop's participant page (also reached from the public "Join a
  workshop" page);
- `?invite=TOKEN`: a funder's invitation to share, as a partnership sees it (it shares nothing).

Streamlit drops query parameters when the visitor moves to another page, so the admin token is
kept in the session and written back into the address bar on every run (the link stays
bookmarkable).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.services import retention
from healthcheck.ui.common import AdminContext, get_store, plain, show_failure, show_problems
from healthcheck.ui.pages import (
    actions,
    answer,
    audit,
    dashboard,
    data,
    exports,
    invitation,
    portfolio,
    privacy,
    rounds,
    rules,
    start,
    teams,
    workshop_console,
    workshop_join,
)

log = logging.getLogger("healthcheck.ui")

_ADMIN_KEY = "hc_admin_token"
_FUNDER_KEY = "hc_funder_token"


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _safely(render: Callable[[], None]) -> Callable[[], None]:
    """The page's render function inside the app's error boundary."""

    def run() -> None:
        try:
            render()
        except InputError as exc:
            show_problems(exc)
        except Exception as exc:  # noqa: BLE001 - the boundary: log it, show a plain message
            show_failure(exc, "page failed", log)

    run.__name__ = getattr(render, "__name__", "page")
    return run


def _page(render: Callable[[], None], title: str, url_path: str, icon: str, default: bool = False) -> st.Page:
    return st.Page(_safely(render), title=title, url_path=url_path, icon=icon, default=default)


def _respondent(token: str) -> None:
    st.set_page_config(page_title="Partnership Health Check", layout="centered",
                       initial_sidebar_state="collapsed")
    page = _page(lambda: answer.render(token), "Answer", "answer", ":material/edit_note:", default=True)
    st.navigation([page], position="hidden").run()


def _admin(token: str) -> None:
    st.set_page_config(page_title="Partnership Health Check", layout="wide")
    partnership = get_store().partnership_by_admin_token(token)
    if partnership is None:
        st.session_state.pop(_ADMIN_KEY, None)
        st.title("Partnership Health Check")
        st.error("This admin link does not work. It may have been mistyped, or replaced by a newer "
                 "link. Ask the person who set up the health check for the current link.")
        st.markdown("To set up a new health check instead, open the app's address without the "
                    "`?admin=...` part.")
        return
    st.session_state[_ADMIN_KEY] = token
    if st.query_params.get("admin") != token:
        st.query_params["admin"] = token
    ctx = AdminContext(partnership, token)
    pages = [
        _page(lambda: dashboard.render(ctx), "Dashboard", "dashboard", ":material/monitoring:", default=True),
        _page(lambda: rounds.render(ctx), "Rounds", "rounds", ":material/event:"),
        _page(lambda: teams.render(ctx), "Partner teams", "teams", ":material/groups:"),
        _page(lambda: actions.render(ctx), "Action plan", "actions", ":material/checklist:"),
        _page(lambda: exports.render(ctx), "Exports", "exports", ":material/download:"),
        _page(lambda: data.render(ctx), "Data", "data", ":material/delete:"),
        _page(lambda: privacy.render(ctx), "Privacy", "privacy", ":material/shield:"),
        _page(lambda: audit.render(ctx), "Audit log", "audit", ":material/history:"),
        _page(rules.render, "Rules", "rules", ":material/rule:"),
    ]
    with st.sidebar:
        st.caption("Partnership")
        st.markdown(f"**{plain(partnership.name)}**")
    st.navigation(pages).run()


def _funder(token: str) -> None:
    st.set_page_config(page_title="Partnership Health Check: portfolio", layout="wide")
    st.session_state[_FUNDER_KEY] = token
    if st.query_params.get("funder") != token:
        st.query_params["funder"] = token
    page = _page(lambda: portfolio.render(get_store(), token), "Portfolio", "portfolio",
                 ":material/table_chart:", default=True)
    st.navigation([page], position="hidden").run()


def _facilitator(token: str) -> None:
    st.set_page_config(page_title="Workshop console", layout="wide", initial_sidebar_state="collapsed")
    page = _page(lambda: workshop_console.render(token), "Workshop console", "console",
                 ":material/co_present:", default=True)
    st.navigation([page], position="hidden").run()


def _participant(code: str) -> None:
    st.set_page_config(page_title="Partnership workshop", layout="centered",
                       initial_sidebar_state="collapsed")
    page = _page(lambda: workshop_join.render(code), "Workshop", "join", ":material/groups:",
                 default=True)
    st.navigation([page], position="hidden").run()


def _invitation(token: str) -> None:
    st.set_page_config(page_title="Partnership Health Check: invitation", layout="centered")
    page = _page(lambda: invitation.render(token), "Invitation", "invitation", ":material/mail:",
                 default=True)
    st.navigation([page], position="hidden").run()


def _public() -> None:
    st.set_page_config(page_title="Partnership Health Check", layout="wide")
    pages = [
        _page(start.render, "Start", "start", ":material/flag:", default=True),
        _page(workshop_join.render_public, "Join a workshop", "join", ":material/qr_code_2:"),
        _page(rules.render, "Rules", "rules", ":material/rule:"),
    ]
    st.navigation(pages).run()


def main() -> None:
    """The whole app: route by the link's token, inside a last-resort error boundary."""
    try:
        retention.run_at_start(get_store())  # once per process: rounds past their retention period
        respondent = _param("r")
        if respondent:
            _respondent(respondent)
            return
        facilitate = _param("facilitate")
        if facilitate:
            _facilitator(facilitate)
            return
        join = _param("join")
        if join:
            _participant(join)
            return
        invite = _param("invite")
        if invite:
            _invitation(invite)
            return
        # A link's own token wins; the session remembers it across page switches.
        funder, admin = _param("funder"), _param("admin")
        if funder or (not admin and st.session_state.get(_FUNDER_KEY)):
            _funder(funder or st.session_state[_FUNDER_KEY])
            return
        admin = admin or st.session_state.get(_ADMIN_KEY)
        if admin:
            _admin(admin)
            return
        _public()
    except Exception as exc:  # noqa: BLE001 - never show a traceback to a visitor
        show_failure(exc, "app failed", log)
