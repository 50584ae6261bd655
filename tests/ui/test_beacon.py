"""The waiting phone's beacon and the protocol client the capacity rig is built on, against a real
server: a phone (speaking Streamlit's websocket protocol) joins, answers and sends; the console
counts it; the reveal reaches the waiting phone through the beacon, with no page fragment ticking.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.store import Store
from healthcheck.store import workshops as ws
from healthcheck.ui.widgets.beacon import FOLLOW_SECONDS, version_path

from ..browser import streamlit_server
from ..stclient import Tab

ORGS = [("Harbour Music", "music"), ("City Children's Services", "childrens_services")]


async def _until(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode(), resp.headers.get("Cache-Control", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers.get("Cache-Control", "")


@pytest.fixture
def workshop(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{(tmp_path / 'beacon.db').as_posix()}"
    q = load_questionnaire(find_questionnaire("pulse"))
    with Store(url) as store:
        p, _ = store.create_partnership("Beacon", "pulse", 3, ORGS)
        w, token = ws.create_workshop(store, p.id, "Room", questionnaire=q)
    with streamlit_server(url, tmp_path / "server.log") as base:
        yield base, url, w, token


def test_version_endpoint(workshop) -> None:  # type: ignore[no-untyped-def]
    base, url, w, _ = workshop
    status, body, cache = _get(f"{base}/{version_path(w.id)}")
    assert (status, cache) == (200, "no-store")
    assert body == ws.drawn_version(w)  # says only open/revealed, in a few letters and digits
    assert body.isalnum() and len(body) < 10
    assert _get(f"{base}/{version_path(w.id + 999)}")[0] == 404
    with Store(url) as store:
        ws.reveal(store, w.id)

    def changed() -> bool:
        return _get(f"{base}/{version_path(w.id)}")[1] != body

    assert asyncio.run(_until(changed, timeout=5))


def test_phone_follows_the_reveal_through_the_beacon(workshop) -> None:  # type: ignore[no-untyped-def]
    base, url, w, token = workshop

    async def room() -> None:
        console = await Tab.open(base, f"facilitate={token}", auto_rerun=True)
        phones = []
        for n in range(3):  # the threshold, so the phones may see the whole partnership
            phone = await Tab.open(base, f"join={w.join_code}")
            org = phone.find("selectbox", "organisation")
            await phone.choose(org, org.options[n % 2])
            level = phone.find("radio", "Where do you work")
            await phone.choose(level, level.options[2])
            for radio in [x for x in phone.widgets if x.kind == "radio"][1:]:
                agree = radio.options[min(3, len(radio.options) - 1)]
                await phone.choose(phone.find("radio", radio.label), agree)
            await phone.click(phone.find("button", "Send"))
            assert not phone.exceptions
            assert any("Thank you" in t for t in phone.texts)
            phones.append(phone)
        # the console counts every answer on its own (its fragment), no reload
        assert await _until(lambda: console.metrics.get("Answers sent") == "3", timeout=15)
        waiting = phones[0]
        # waiting: a beacon on the page, and no page fragment ticking
        beacon = [e for e in waiting.elements.values() if e.WhichOneof("type") == "bidi_component"]
        assert len(beacon) == 1
        assert json.loads(beacon[0].bidi_component.json)["path"] == version_path(w.id)
        runs_before = waiting.fragment_runs
        assert await _until(lambda: waiting.beacon_checks >= 2, timeout=4 * FOLLOW_SECONDS + 5)
        assert waiting.fragment_runs == runs_before
        assert any("when the facilitator shows them" in t for t in waiting.texts)
        with Store(url) as store:
            ws.reveal(store, w.id)
        assert await _until(lambda: any("whole partnership" in t for t in waiting.texts),
                            timeout=2 * FOLLOW_SECONDS + 20)
        assert not waiting.exceptions
        for tab in [*phones, console]:
            await tab.close()

    asyncio.run(room())
