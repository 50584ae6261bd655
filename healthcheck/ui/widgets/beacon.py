"""A waiting phone follows its workshop from the browser, not from a rerun of the page.

A Streamlit `st.fragment(run_every=...)` costs the server a script run per phone per tick (about
5 ms of CPU): a room of 60 waiting at a 3 s tick is a fifth of a core. This beacon is a tiny
browser-side component instead: every few seconds it fetches a short version text
(`/api/workshop/<id>/version`, see `healthcheck.ui.endpoints`), about 1 ms of server CPU, and
asks for a rerun only when the text changes (the reveal, the close). Nothing in it comes from
users: the path and version are built here from integers and fixed letters.
"""

from __future__ import annotations

import streamlit as st

FOLLOW_SECONDS = 2.0  # a phone sees the reveal within this (plus one page run)

_JS = """
export default function (component) {
  const { data, setTriggerValue } = component;
  let last = data.version;
  let busy = false;
  const url = new URL(data.path, document.baseURI);
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
      if (response.ok) {
        const now = (await response.text()).trim();
        if (now !== last) { last = now; setTriggerValue("changed", now); }
      }
    } catch (error) {
      /* offline for a moment: the next tick tries again */
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(tick, data.every_ms);
  return () => clearInterval(timer);
}
"""

_beacon = st.components.v2.component("healthcheck.workshop_beacon", js=_JS)


def version_path(workshop_id: int) -> str:
    """The version's address, relative to the page (so it works under a proxy's base path)."""
    return f"api/workshop/{int(workshop_id)}/version"


def follow(workshop_id: int, version: str, *, key: str, every: float = FOLLOW_SECONDS) -> None:
    """Rerun the page when the workshop's state version differs from `version` (the one this run
    drew). Invisible; costs the server nothing between changes but the version reads."""
    _beacon(data={"path": version_path(workshop_id), "version": version, "every_ms": int(every * 1000)},
            key=key, on_changed_change=lambda: None)
