"""`/healthz/ready`: may a load balancer send visitors to this process?

Streamlit's own `/_stcore/health` says only that the process runs. A process whose database is
out of reach can serve nothing useful (every page reads the store), so this check asks the
database a trivial question (`SELECT 1`) each time: 200 `ready` when it answers within
`TIMEOUT_SECONDS`, else 503 `database unreachable`. It answers under any base path
(`/healthcheck/healthz/ready` behind a proxy path too) and holds no secret: no token, no
address, no error text. `HEALTHCHECK_INSTANCE`, when set, names the process in the answer (for
telling processes apart behind a proxy). A plain ASGI middleware, added by
`healthcheck.ui.serving` in front of the app.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Callable

from healthcheck.store import default_url
from healthcheck.store.db import Database
from healthcheck.ui.frameguard import FRAME_HEADERS, ASGIApp, Receive, Scope, Send

__all__ = ["PATH", "TIMEOUT_SECONDS", "Readiness"]

PATH = "/healthz/ready"
TIMEOUT_SECONDS = 3.0
log = logging.getLogger("healthcheck.ready")


class Readiness:
    """ASGI middleware answering `PATH` itself; every other request goes on to the app."""

    def __init__(self, app: ASGIApp, url: Callable[[], str] = default_url) -> None:
        self.app = app
        self._url = url
        self._db: Database | None = None
        self._lock = threading.Lock()
        self._was_ready: bool | None = None

    def _database(self) -> Database:
        with self._lock:
            if self._db is None:
                self._db = Database(self._url(), migrate=False)  # the app's own store migrates
            return self._db

    def _check(self) -> None:
        self._database().ping()

    async def _ready(self) -> bool:
        try:
            await asyncio.wait_for(asyncio.to_thread(self._check), TIMEOUT_SECONDS)
            ready = True
        except Exception as exc:  # noqa: BLE001 - any failure means "do not send visitors here"
            ready = False
            if self._was_ready is not False:
                log.warning("not ready: database unreachable (%s)", type(exc).__name__)
        if ready and self._was_ready is False:
            log.info("ready again: database reachable")
        self._was_ready = ready
        return ready

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope.get("type") != "http" or not path.rstrip("/").endswith(PATH):
            await self.app(scope, receive, send)
            return
        ready = await self._ready()
        body: dict[str, str] = {"status": "ready" if ready else "database unreachable"}
        instance = os.environ.get("HEALTHCHECK_INSTANCE", "").strip()
        if instance:
            body["instance"] = instance[:64]
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                   (b"content-length", str(len(payload)).encode()), *FRAME_HEADERS]
        await send({"type": "http.response.start", "status": 200 if ready else 503, "headers": headers})
        await send({"type": "http.response.body", "body": payload if scope.get("method") != "HEAD" else b""})
