"""The report as Markdown: every piece of text escaped, so free text never becomes markup."""

from __future__ import annotations

import re
from collections.abc import Iterable

from healthcheck.present.report.model import (
    Block,
    Bullets,
    Chart,
    Group,
    Heading,
    PageBreak,
    Para,
    Report,
    Run,
    Table,
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$=])")


def md_escape(text: object) -> str:
    """`text` as literal Markdown text on one line: no markup, links, HTML, tables or headings."""
    s = "" if text is None else str(text)
    s = " ".join(s.split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def _md_runs(runs: Iterable[Run]) -> str:
    out = []
    for text, style in runs:
        body = md_escape(text)
        lead, core, trail = _split_space(body)
        if style == "b" and core:
            out.append(f"{lead}**{core}**{trail}")
        elif style == "i" and core:
            out.append(f"{lead}*{core}*{trail}")
        else:
            out.append(body)
    return "".join(out)


def _split_space(s: str) -> tuple[str, str, str]:
    core = s.strip(" ")
    if not core:
        return s, "", ""
    start = s.index(core)
    return s[:start], core, s[start + len(core):]


def _md_blocks(blocks: Iterable[Block], out: list[str]) -> None:
    for block in blocks:
        if isinstance(block, Group):
            _md_blocks(block.blocks, out)
        elif isinstance(block, Heading):
            out.append("#" * block.level + " " + md_escape(block.text))
        elif isinstance(block, Para):
            out.append(_md_runs(block.runs))
        elif isinstance(block, Bullets):
            out.append("\n".join("- " + _md_runs(item) for item in block.items))
        elif isinstance(block, Table):
            header = block.columns if any(block.columns) else ("", "")
            lines = ["| " + " | ".join(md_escape(c) for c in header) + " |",
                     "| " + " | ".join("---:" if i in block.numeric else "---" for i in range(len(header)))
                     + " |"]
            for row in block.rows:
                cells = [md_escape(c) for c in row]
                if len(row) == 1 and len(header) > 1:  # a section row
                    cells = [f"**{cells[0]}**"] + [""] * (len(header) - 1)
                lines.append("| " + " | ".join(cells) + " |")
            out.append("\n".join(lines))
        elif isinstance(block, Chart):
            out.append(f"*Chart: {md_escape(block.caption)} (in the PDF version of this report; the same "
                       "numbers are in the tables below).*")
        elif isinstance(block, PageBreak):
            out.append("---")


def to_markdown(report: Report) -> str:
    out: list[str] = []
    _md_blocks(report.blocks, out)
    return "\n\n".join(out) + "\n"
