"""Response headers that stop other sites from framing the app.

A third-party page with hidden frames loading `?join=<random>` (or the answer form) could act for
the visitor without a click, and a framed page invites clickjacking. Every HTTP response gets
`X-Frame-Options: DENY` and `Content-Security-Policy: frame-ancestors 'none'`; the browser then
refuses to draw the app inside any frame, so a framed page runs nothing (no session, no join
attempt). The app draws no frames of its own (no custom components), so nothing of ours is
blocked. A plain ASGI middleware: Streamlit (>= 1.57) serves the app through Starlette, and
`healthcheck.ui.serving` adds this in front of it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FRAME_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)
_NAMES = {name for name, _ in FRAME_HEADERS}


class FrameGuard:
    """ASGI middleware: adds FRAME_HEADERS to every HTTP response (replacing any of the same name)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":  # the websocket is opened by the page itself, never framed
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message.get("type") == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                message = {**message, "headers": [*headers, *FRAME_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_guarded)
