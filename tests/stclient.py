"""A browser tab without a browser: a client that speaks Streamlit's own websocket protocol.

The Streamlit front end talks to the server over one websocket (`/_stcore/stream`) in protobuf
messages that ship with the package: it sends `BackMsg.rerun_script` (the address's query string
and every widget's current value) and receives `ForwardMsg`s (the page's elements as deltas, then
`script_finished`). A `st.fragment(run_every=...)` is driven by the client too: the server sends
`auto_rerun` with the interval and the fragment id, and the page asks for that fragment again on
its own clock. This client does the same, so one process can hold a room of phones for the
workshop capacity rig (`benchmarks/bench_capacity.py`) at a tiny fraction of a browser's cost,
while the server does exactly the work it does for real phones.

Custom components run JavaScript in a browser; this client plays the one the app has, the
workshop beacon (`healthcheck/ui/widgets/beacon.py`): it fetches the version address on the
beacon's own interval and sends the "changed" trigger when the text changes, as the JavaScript does.

It keeps only what a test needs: the widgets of the current page (id, kind, label, options), the
text of markdown, alerts, captions and metrics, and how long each run took.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

WIDGET_KINDS = ("button", "radio", "selectbox", "text_input", "checkbox", "number_input",
                "text_area", "multiselect", "button_group", "segmented_control")
TEXT_KINDS = ("markdown", "alert", "heading", "text", "html")
EARLY_FOR_RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN


@dataclass
class Widget:
    id: str
    kind: str
    label: str
    options: list[str] = field(default_factory=list)


class RunFailed(RuntimeError):
    """The server ended a run with an exception shown on the page, or closed the connection."""


class Tab:
    """One open page of the app. Use `await Tab.open(base_url, "join=ABC234")`, then `choose`,
    `click`, and read `widgets`, `texts` and `metrics`. Close it with `await tab.close()`."""

    def __init__(self, base_url: str, query: str) -> None:
        parts = urlsplit(base_url)
        self.ws_url = f"ws://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.query = query
        self.states: dict[str, WidgetState] = {}  # what the page would send: every value set so far
        self.elements: dict[tuple[int, ...], Any] = {}  # delta path -> Element of the current page
        self.page_hash = ""
        self.exceptions: list[str] = []
        self.fragment_runs = 0
        self._conn: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._ticker: dict[str, asyncio.Task[None]] = {}
        self._beacons: dict[str, asyncio.Task[None]] = {}
        self.host, _, port = parts.netloc.partition(":")
        self.port = int(port or 80)
        self.base_path = parts.path.rstrip("/") + "/"
        self.beacon_checks = 0
        self._http: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._finished: asyncio.Queue[int] = asyncio.Queue()
        self._lock = asyncio.Lock()  # one run at a time, as the front end queues them
        self.closed = False

    @classmethod
    async def open(cls, base_url: str, query: str = "", *, auto_rerun: bool = True) -> Tab:
        tab = cls(base_url, query)
        tab.auto_rerun = auto_rerun
        tab._conn = await websockets.connect(tab.ws_url, subprotocols=["streamlit"],  # type: ignore[list-item]
                                             origin=tab.origin, max_size=None)  # type: ignore[arg-type]
        tab._reader = asyncio.create_task(tab._read())
        await tab.run()
        return tab

    auto_rerun = True

    # ----------------------------------------------------------------------------------------
    # What the page shows

    def _leaves(self) -> list[Any]:
        return [self.elements[p] for p in sorted(self.elements)]

    @property
    def widgets(self) -> list[Widget]:
        out = []
        for el in self._leaves():
            kind = el.WhichOneof("type")
            if kind not in WIDGET_KINDS:
                continue
            proto = getattr(el, kind)
            options = [str(o) for o in getattr(proto, "options", [])]
            out.append(Widget(proto.id, kind, proto.label, options))
        return out

    @property
    def texts(self) -> list[str]:
        out = []
        for el in self._leaves():
            kind = el.WhichOneof("type")
            if kind in TEXT_KINDS:
                proto = getattr(el, kind)
                out.append(str(getattr(proto, "body", "")))
        return out

    @property
    def metrics(self) -> dict[str, str]:
        return {el.metric.label: el.metric.body for el in self._leaves() if el.WhichOneof("type") == "metric"}

    def find(self, kind: str, label: str = "") -> Widget:
        for w in self.widgets:
            if w.kind == kind and label in w.label:
                return w
        raise LookupError(f"no {kind} labelled {label!r} on the page: {[w.label for w in self.widgets]}")

    # ----------------------------------------------------------------------------------------
    # What a person does

    async def choose(self, widget: Widget, option: str) -> float:
        """Pick one option of a radio or a select box (by its shown text); returns the run's time."""
        state = WidgetState(id=widget.id)
        state.string_value = option
        self.states[widget.id] = state
        return await self.run()

    async def click(self, widget: Widget) -> float:
        """Press a button; its trigger is sent once (the front end resets triggers after a run)."""
        trigger = WidgetState(id=widget.id)
        trigger.trigger_value = True
        return await self.run(extra=[trigger])

    async def run(self, *, fragment_id: str = "", extra: list[WidgetState] | None = None) -> float:
        """One rerun of the page (or of one fragment), as the front end asks for it; returns the
        seconds from sending the request to the server's `script_finished`."""
        async with self._lock:
            if self.closed:
                raise RunFailed("the connection is closed")
            msg = BackMsg()
            cs = msg.rerun_script
            cs.query_string = self.query
            cs.page_script_hash = self.page_hash
            cs.widget_states.widgets.extend([*self.states.values(), *(extra or [])])
            if fragment_id:
                cs.fragment_id = fragment_id
                cs.is_auto_rerun = True
            while not self._finished.empty():
                self._finished.get_nowait()
            start = time.perf_counter()
            await self._conn.send(msg.SerializeToString())
            status = await self._finished.get()
            while status == EARLY_FOR_RERUN:  # the page asked for a full run: wait for that one
                status = await self._finished.get()
            if status < 0:
                raise RunFailed("the server closed the connection during a run")
            if fragment_id:
                self.fragment_runs += 1
            return time.perf_counter() - start

    async def close(self) -> None:
        self.closed = True
        for task in [*self._ticker.values(), *self._beacons.values()]:
            task.cancel()
        if self._http is not None:
            self._http[1].close()
        if self._conn is not None:
            await self._conn.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    # ----------------------------------------------------------------------------------------
    # The connection

    async def _read(self) -> None:
        try:
            async for raw in self._conn:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self._finished.put_nowait(-1)

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session" and not msg.metadata.run.fragment_ids:
            # a full run starts (not one fragment's): the page is drawn again from the top
            self.page_hash = msg.new_session.page_script_hash or self.page_hash
            self.elements.clear()
            for task in [*self._ticker.values(), *self._beacons.values()]:  # the run makes its own
                task.cancel()
            self._ticker.clear()
            self._beacons.clear()
        elif kind == "delta":
            path = tuple(msg.metadata.delta_path)
            delta = msg.delta
            if delta.WhichOneof("type") == "new_element":
                el = delta.new_element
                self.elements[path] = el
                if el.WhichOneof("type") == "bidi_component":
                    self._beacon(el.bidi_component)
                if el.WhichOneof("type") == "exception":
                    self.exceptions.append(f"{el.exception.type}: {el.exception.message}")
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            if self.auto_rerun:
                self._tick(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                task = self._ticker.pop(fid, None)
                if task is not None:
                    task.cancel()
        elif kind == "script_finished":
            self._finished.put_nowait(int(msg.script_finished))

    def _tick(self, fragment_id: str, interval: float) -> None:
        """Ask for a `run_every` fragment again every `interval` seconds, as the browser does."""
        if fragment_id in self._ticker and not self._ticker[fragment_id].done():
            return

        async def loop() -> None:
            while not self.closed:
                await asyncio.sleep(interval)  # the page's own clock, not a wait in a test
                with contextlib.suppress(RunFailed):
                    await self.run(fragment_id=fragment_id)

        self._ticker[fragment_id] = asyncio.create_task(loop())

    # ----------------------------------------------------------------------------------------
    # The beacon component, played as its JavaScript plays it

    def _beacon(self, component: Any) -> None:
        data = json.loads(component.json or "{}")
        if not {"path", "version", "every_ms"} <= set(data) or component.id in self._beacons:
            return
        trigger_id = f"$$STREAMLIT_INTERNAL_KEY_{component.id}__events"
        path = self.base_path + str(data["path"])

        async def loop() -> None:
            last = str(data["version"])
            while not self.closed:
                await asyncio.sleep(int(data["every_ms"]) / 1000)  # the component's own interval
                status, body = await self._get(path)
                self.beacon_checks += 1
                if status == 200 and body.strip() != last:
                    last = body.strip()
                    trigger = WidgetState(id=trigger_id)
                    trigger.json_trigger_value = json.dumps([{"event": "changed", "value": last}])
                    with contextlib.suppress(RunFailed):
                        await self.run(extra=[trigger])

        self._beacons[component.id] = asyncio.create_task(loop())

    async def _get(self, path: str) -> tuple[int, str]:
        """One HTTP GET on the tab's kept-alive connection, as a browser's fetch would reuse it."""
        for _ in range(2):  # a connection the server closed meanwhile is opened again once
            try:
                if self._http is None:
                    self._http = await asyncio.open_connection(self.host, self.port)
                reader, writer = self._http
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
                await writer.drain()
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                return int(head.split(" ", 2)[1]), body.decode(errors="replace")
            except (OSError, asyncio.IncompleteReadError, ValueError):
                if self._http is not None:
                    self._http[1].close()
                self._http = None
        return 0, ""
