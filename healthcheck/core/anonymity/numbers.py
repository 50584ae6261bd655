"""Every number shown is rounded here, one way."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

# ----------------------------------------------------------------------------- numbers shown
#
# Every number a person or a file is given is rounded here, the same way everywhere (dashboard
# tables, change tables, the score JSON, CSV, exports, the report, the portfolio, the workshop):
# scores, spreads, gaps and changes to whole points, shares to 2 decimals of a fraction (a whole
# percent). Finer figures make every subtraction between two looks exact; a difference (a change
# or a gap) is taken between the shown numbers, so it tells no more than they do. Bands follow
# the shown score (`Bands.band` rounds the same way); rules still decide on the exact figures.

SHARE_DECIMALS = 2  # shares (0-1) keep 2 decimals: a whole percent


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def shown_score(value: Any) -> int | None:
    """A score, spread, gap or change (points) as it is shown: whole points; None when missing.

    Half-way values go to the even neighbour, as Python's round and ``f"{x:.0f}"`` do."""
    return None if _missing(value) else int(round(float(value)))


def shown_share(value: Any) -> float | None:
    """A share (0-1: "don't know", an answer's share) as it is shown: a whole percent."""
    return None if _missing(value) else round(float(value), SHARE_DECIMALS)


def shown_scores(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of `frame` with the given point columns rounded by `shown_score` (as whole
    numbers, blank where missing) for a table or a file."""
    out = frame.copy()
    for col in columns:
        if col in out:
            out[col] = pd.array([shown_score(v) for v in out[col]], dtype="Int64")
    return out
