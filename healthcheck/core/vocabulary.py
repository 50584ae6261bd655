"""The words the whole package shares, each decided once: what they are, their order, their labels."""

from __future__ import annotations

from typing import Literal, get_args

# Severities
Severity = Literal["high", "medium", "low", "info"]
SEVERITIES: tuple[str, ...] = get_args(Severity)  # most severe first: findings sort by this
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
SEVERITY_LABEL = {"high": "High", "medium": "Medium", "low": "Low", "info": "For information"}
