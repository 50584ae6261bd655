"""The funder import's uploads: each file read once, and the column mapping shown a page at a time.

Streamlit reruns the page on every click, and an upload stays in the session until it is removed:
reading a big workbook again on each rerun would stall the page (and, through the shared
interpreter, other people's pages). So a file is read once per upload, keyed by the SHA-256 of
its bytes in this session's state, and what came of it (the rows, or the problems) is reused until
the file is removed. The column-mapping questions are drawn `PAGE_COLUMNS` at a time; the
choices made on other pages are kept in the session.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses.forms import (
    FormsFile,
    FormsMapping,
    propose_mapping,
    read_forms_file,
    target_label,
    targets_of,
)
from healthcheck.ui.common import plain

PARSED_KEY = "hc_pf_parsed"  # {(sha256, name): ReadUpload}
PAGE_COLUMNS = 25
SHOWN_HEADER = 200  # characters of a header shown in a label or the mapping table


@dataclass
class ReadUpload:
    """What came of reading one uploaded file: its rows, or the problems that refused it."""

    digest: str
    forms: FormsFile | None
    problems: list[Problem]
    mappings: dict[str, FormsMapping]  # the proposed mapping per questionnaire id


def read_upload(data: bytes, name: str) -> ReadUpload:
    """The file read once per upload: the same bytes under the same name are not read again."""
    digest = hashlib.sha256(data).hexdigest()
    cache: dict[tuple[str, str], ReadUpload] = st.session_state.setdefault(PARSED_KEY, {})
    hit = cache.get((digest, name))
    if hit is None:
        try:
            hit = ReadUpload(digest, read_forms_file(data, name), [], {})
        except InputError as exc:
            hit = ReadUpload(digest, None, exc.problems, {})
        cache[(digest, name)] = hit
    return hit


def forget_removed(kept: Sequence[tuple[bytes, str]]) -> None:
    """Drop what was read from files no longer uploaded (so memory follows the uploader)."""
    cache: dict[tuple[str, str], ReadUpload] = st.session_state.get(PARSED_KEY, {})
    wanted = {(hashlib.sha256(data).hexdigest(), name) for data, name in kept}
    for key in [k for k in cache if k not in wanted]:
        del cache[key]


def short(text: str, limit: int = SHOWN_HEADER) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def proposed(upload: ReadUpload, q: Questionnaire) -> FormsMapping:
    """The proposed mapping of the upload's headers to `q`, worked out once per questionnaire."""
    assert upload.forms is not None
    mapping = upload.mappings.get(q.id)
    if mapping is None:
        mapping = upload.mappings[q.id] = propose_mapping(upload.forms.header, q)
    return mapping


def confirm_mapping(k: int, name: str, upload: ReadUpload, q: Questionnaire) -> FormsMapping:
    """Show the proposed mapping; the user confirms closest matches and decides unmatched columns,
    `PAGE_COLUMNS` at a time."""
    mapping = proposed(upload, q)
    st.markdown(f"**{plain(name)}**: questions matched to the questionnaire")
    table = [{**row, "header": plain(short(row["header"]), markdown=False)} for row in mapping.describe(q)]
    st.dataframe(pd.DataFrame(table), hide_index=True, key=f"pf_map_{k}")
    if mapping.dropped:
        dropped = ", ".join(short(c.header, 60) for c in mapping.dropped)
        st.caption("Dropped and never stored: " + plain(dropped))
    pending = mapping.pending
    decisions: dict[int, str | None] = st.session_state.setdefault(
        f"pf_map_choices_{upload.digest}_{q.id}", {})
    shown = pending
    if len(pending) > PAGE_COLUMNS:
        pages = math.ceil(len(pending) / PAGE_COLUMNS)

        def page_label(p: int) -> str:
            last = min(len(pending), (p + 1) * PAGE_COLUMNS)
            return f"Columns to decide {p * PAGE_COLUMNS + 1}-{last} of {len(pending)}"

        page = st.selectbox("Columns to decide", range(pages), format_func=page_label, key=f"pf_map_page_{k}")
        shown = pending[page * PAGE_COLUMNS:(page + 1) * PAGE_COLUMNS]
        st.caption("Columns on the other pages are imported as their proposed choice unless you change it.")
    options: list[Any] = [None, *targets_of(q)]
    drawn = {c.position for c in shown}
    for c in pending:
        choice = decisions.get(c.position, c.target)
        if c.position in drawn:
            default = options.index(choice) if choice in options else 0
            choice = st.selectbox(plain(f"Column {c.letter}: '{short(c.header)}'"), options, index=default,
                                  format_func=lambda t: target_label(t, q), key=f"pf_map_{k}_{c.position}")
            decisions[c.position] = choice
        mapping = mapping.choose(c.position, choice)  # as before paging: what is shown is the choice
    return mapping
