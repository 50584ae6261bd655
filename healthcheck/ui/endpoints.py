"""Small HTTP endpoints served beside the app (added to Streamlit's `st.App` in `serving.py`).

- `GET /api/workshop/<id>/version`: the workshop's state version for the phones' beacon
  (`ui.widgets.beacon`): a few letters and digits, never anything about an answer or a person;
  404 for no such workshop. A room of phones asks for the same workshop every couple of
  seconds, so each process keeps the answer for a quarter of a second (`FRESH_SECONDS`): the database is
  read at most four times a second per workshop and process, and every process behind a proxy still
  follows the one database within that quarter second.
"""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from healthcheck.store import workshops as ws
from healthcheck.ui.common import get_store

NO_STORE = {"Cache-Control": "no-store"}
FRESH_SECONDS = 0.25
_MAX_KEPT = 10_000  # workshops remembered at once (a few bytes each); beyond, start afresh
_versions: dict[int, tuple[float, str | None]] = {}


async def workshop_version(request: Request) -> Response:
    workshop_id = int(request.path_params["workshop_id"])
    now = time.monotonic()
    kept = _versions.get(workshop_id)
    if kept is not None and now - kept[0] <= FRESH_SECONDS:
        version = kept[1]
    else:
        # The read runs in the thread pool: the event loop carries every page's websocket.
        version = await run_in_threadpool(ws.state_version, get_store(), workshop_id)
        if len(_versions) >= _MAX_KEPT:
            _versions.clear()
        _versions[workshop_id] = (now, version)
    if version is None:
        return PlainTextResponse("no such workshop", status_code=404, headers=NO_STORE)
    return PlainTextResponse(version, headers=NO_STORE)


def routes(base_path: str = "") -> list[Route]:
    """The routes, under Streamlit's `server.baseUrlPath` when the app is served below a path."""
    prefix = f"/{base_path.strip('/')}" if base_path.strip("/") else ""
    return [Route(f"{prefix}/api/workshop/{{workshop_id:int}}/version", workshop_version, methods=["GET"])]
