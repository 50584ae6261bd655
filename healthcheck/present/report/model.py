"""The report's document model: a list of blocks holding plain, unescaped text.

Built once by `build`, drawn by each renderer (`markdown`, `pdf`), which escapes every piece of
text for its own markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Run = tuple[str, str]  # (text, style): style is "" (plain), "b" (bold) or "i" (italic)


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    runs: tuple[Run, ...]
    style: str = "body"  # body | small | lead


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[Run, ...], ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # a row of one cell is a section heading across the table
    widths: tuple[float, ...]  # relative widths
    numeric: frozenset[int] = frozenset()  # right-aligned columns


@dataclass(frozen=True)
class Chart:
    key: str  # "radar", "factors", "prerequisites"
    caption: str
    width_mm: float = 160.0


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass(frozen=True)
class Group:
    """Blocks kept on one page when they fit (a finding, a heading with its table)."""
    blocks: tuple[Any, ...]


Block = Heading | Para | Bullets | Table | Chart | PageBreak | Group


@dataclass
class Report:
    title: str
    partnership: str
    blocks: list[Block] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)  # key -> Altair chart

