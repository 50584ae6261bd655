"""What `healthcheck serve` runs: the app behind its ASGI middleware.

- `FrameGuard` (healthcheck.ui.frameguard): headers that refuse framing;
- `Readiness` (healthcheck.ui.readiness): `/healthz/ready` for a load balancer, 200 only while the
  database answers;
- the routes of `healthcheck.ui.endpoints` (the waiting phones' workshop version), under the
  base path when one is set.

The log is set up here too (healthcheck.ui.logsetup: one line per event, no tokens), once per
process. `streamlit run` finds the `app` below (an `st.App`, Streamlit's ASGI entry) and serves
it; the Streamlit script itself is app.py beside the package (a source checkout), else `entry.py`
here (an installed wheel). Both only call `healthcheck.ui.router.main`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config

from healthcheck.ui import endpoints
from healthcheck.ui.frameguard import FrameGuard
from healthcheck.ui.logsetup import configure
from healthcheck.ui.readiness import Readiness


def script_path() -> Path:
    here = Path(__file__).resolve().parent
    beside = here.parents[1] / "app.py"
    return beside if beside.exists() else here / "entry.py"


configure()
app = st.App(str(script_path()), middleware=[Middleware(Readiness), Middleware(FrameGuard)],
             routes=endpoints.routes(str(config.get_option("server.baseUrlPath") or "")))
