"""What a zip-bomb upload costs the server (issue 14): a 0.2 MB workbook that unpacks to 200 MB.

- peak memory (tracemalloc) while the bomb is refused vs reading a small good workbook (200
  responses x 40 questions): the archive's directory is checked before anything is unpacked, so
  refusing the bomb should take no more memory than reading the small file;
- how long another session's page waits while the bomb is refused: the same page work (scoring
  one partnership, about what a dashboard rerun does) timed alone, then started at the moment
  another thread starts refusing the bomb, as two Streamlit sessions share one interpreter. Goal:
  under 1 s.
"""

from __future__ import annotations

import io
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

from healthcheck.core.assess import assess
from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses.forms import read_forms_file
from healthcheck.core.rules import load_rules
from healthcheck.services import demo_stories as demo

from .common import best_of, report

SHEET = "xl/worksheets/sheet1.xml"


def _workbook(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def zip_bomb(unpacked: int = 200_000_000) -> bytes:
    """A workbook whose one cell unpacks to `unpacked` bytes (about 1,000 times its packed size)."""
    src = zipfile.ZipFile(io.BytesIO(_workbook([["a", "b"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            if info.filename != SHEET:
                z.writestr(info, src.read(info.filename))
                continue
            with z.open(SHEET, "w", force_zip64=True) as f:
                f.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        b'<dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
                chunk = b"A" * 1_000_000
                for _ in range(unpacked // len(chunk)):
                    f.write(chunk)
                f.write(b"</t></is></c></row></sheetData></worksheet>")
    return out.getvalue()


def _refuse(data: bytes) -> None:
    try:
        read_forms_file(data, "bomb.xlsx")
    except InputError:
        return
    raise AssertionError("the zip bomb was accepted")


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def page_wait(page: Callable[[], Any], meanwhile: Callable[[], Any]) -> float:
    """Seconds `page` takes when `meanwhile` starts in another thread at the same moment."""
    started = threading.Event()

    def other() -> None:
        started.set()
        meanwhile()

    thread = threading.Thread(target=other)
    thread.start()
    started.wait()
    start = time.perf_counter()
    page()
    took = time.perf_counter() - start
    thread.join()
    return took


def main() -> bool:
    bomb = zip_bomb()
    good = _workbook([[f"Question {j}" for j in range(40)]]
                     + [["Agree"] * 40 for _ in range(200)])
    ok = True
    baseline = min(peak_mb(lambda: read_forms_file(good, "good.xlsx")) for _ in range(2))
    refused = min(peak_mb(lambda: _refuse(bomb)) for _ in range(2))
    print(f"(the bomb: {len(bomb) / 1e6:.2f} MB packed, "
          f"{sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) / 1e6:.0f} MB unpacked)")
    ok &= report("peak memory refusing a 200 MB zip bomb vs reading a 200-row workbook", refused, baseline,
                 target_ratio=1.0, unit="MB")

    q = load_questionnaire(find_questionnaire("core"))
    frame = demo.story_responses(q, demo.STORY_BY_KEY["money"])
    pack = load_rules()

    def page() -> None:
        assess(q, frame, pack)

    alone, _ = best_of(page)
    waits = [page_wait(page, lambda: _refuse(bomb)) for _ in range(3)]
    ok &= report("another session's page while a zip bomb is refused vs the page alone", max(waits), alone,
                 target_seconds=1.0)
    refuse_time, _ = best_of(lambda: _refuse(bomb))
    ok &= report("refuse the zip bomb vs the page alone", refuse_time, alone, target_seconds=1.0)
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
