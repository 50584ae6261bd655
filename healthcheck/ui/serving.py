"""What `healthcheck serve` runs: the app behind headers that refuse framing (`FrameGuard`).

`streamlit run` finds the `app` below (an `st.App`, Streamlit's ASGI entry) and serves it; the
Streamlit script itself is app.py beside the package (a source checkout), else `entry.py` here
(an installed wheel). Both only call `healthcheck.ui.router.main`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config

from healthcheck.ui import endpoints
from healthcheck.ui.frameguard import FrameGuard


def script_path() -> Path:
    here = Path(__file__).resolve().parent
    beside = here.parents[1] / "app.py"
    return beside if beside.exists() else here / "entry.py"


app = st.App(str(script_path()), middleware=[Middleware(FrameGuard)],
             routes=endpoints.routes(str(config.get_option("server.baseUrlPath") or "")))
