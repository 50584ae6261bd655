"""The server's log: one line per event, with no token, code or answer in it.

`healthcheck serve` calls `configure()` once per process (from `healthcheck.ui.serving`). Every
record of the app's own loggers (`healthcheck.*`) and of the web server (`uvicorn.*`) is written
to standard error as one line:

    2026-11-30T22:41:07Z INFO healthcheck.events workshop answer stored (workshop 12)

A traceback is folded onto the same line (`| ` between its lines), so a log collector never
splits one failure into many events, and line breaks inside a message cannot forge a line.
What the app logs is chosen to hold no secret: ids and counts, never a link's token, a join or
share code, a name or an answer. As a second guard every line passes `redact`, which masks what
looks like a token (a long run of letters and digits) and the value of any link parameter that
carries one (`admin=`, `r=`, `funder=`, `facilitate=`, `join=`, `invite=`).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import IO

__all__ = ["LINE_FORMAT", "OneLineFormatter", "configure", "events", "redact"]

LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_LINK_PARAM = re.compile(r"\b(admin|r|funder|facilitate|join|invite|k|code)=[^&\s\"']+", re.IGNORECASE)
# 20 or more URL-safe characters with at least one digit: a token (192 random bits make 32), a
# hash, a session id; ordinary words and module paths have no digits or are shorter.
_TOKENISH = re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])")
_MASK = "[redacted]"
_CONFIGURED = "_healthcheck_one_line"


def redact(text: str) -> str:
    """`text` with link parameters' values and token-like runs masked."""
    text = _LINK_PARAM.sub(lambda m: f"{m.group(1)}={_MASK}", text)
    return _TOKENISH.sub(_MASK, text)


class OneLineFormatter(logging.Formatter):
    """UTC timestamps, the record on one line (traceback included), redacted."""

    converter = time.gmtime

    def __init__(self) -> None:
        super().__init__(LINE_FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return redact(" | ".join(part for part in line.splitlines() if part.strip()))


def events() -> logging.Logger:
    """The logger of things that happened (answers stored, a workshop revealed): INFO, one line each."""
    return logging.getLogger("healthcheck.events")


def configure(stream: IO[str] | None = None, level: int = logging.INFO) -> None:
    """Send `healthcheck.*` and `uvicorn.*` records through one handler in the one-line form.
    Safe to call again (a script rerun, a second import): the handler is added once."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(OneLineFormatter())
    setattr(handler, _CONFIGURED, True)
    for name in ("healthcheck", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if getattr(old, _CONFIGURED, False) or name.startswith("uvicorn"):
                logger.removeHandler(old)
        if name != "uvicorn.error":  # uvicorn.error passes its records up to "uvicorn"
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = name == "uvicorn.error"
