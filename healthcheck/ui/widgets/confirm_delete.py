"""Deleting for good, behind the name of what goes: the Delete button works only once the name
is typed exactly (`services.deletion.matches`). Used by the admin's Data page and the funder's
portfolio page."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from healthcheck.core.errors import InputError
from healthcheck.services.deletion import Deletion, matches
from healthcheck.ui.common import plain, show_problems

__all__ = ["FLASH", "confirm_delete", "show_flash"]

FLASH = "hc_deleted"  # the message of the last deletion, shown after the page reruns


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message)


def confirm_delete(name: str, key: str, what: str, delete: Callable[[str], Deletion]) -> Deletion | None:
    """A text box for `name` and a Delete button, enabled once they match. `what` says in a
    sentence what goes. Returns what was deleted (None until then)."""
    st.markdown(plain(what))
    st.caption("This cannot be undone: the data are deleted from the database, not hidden. Backups made "
               "earlier still hold them.")
    typed = st.text_input(f"Type {plain(name)} to confirm", key=f"{key}_confirm",
                          help="Type the name exactly as shown (capital letters count).")
    if st.button("Delete for good", key=f"{key}_delete", type="primary", disabled=not matches(typed, name)):
        try:
            return delete(typed)
        except InputError as exc:
            show_problems(exc)
    return None
