"""The address people reach the app at, when the deployer states it.

`HEALTHCHECK_PUBLIC_URL` (for example `https://healthcheck.example.org/hc`) is the one setting:
behind a proxy the app cannot tell from a request whether the visitor used https or which path
prefix the proxy added, so every link the app prints or shows starts with it when it is set.
`HEALTHCHECK_BASE_URL` is its older name and still read. Unset, the browser's own address is
used (pages) or this machine's (the command line).
"""

from __future__ import annotations

import os

__all__ = ["PUBLIC_URL_ENV", "configured_public_url"]

PUBLIC_URL_ENV = "HEALTHCHECK_PUBLIC_URL"
_OLD_NAME = "HEALTHCHECK_BASE_URL"


def configured_public_url() -> str | None:
    """The stated public address without a trailing slash, or None when none is stated."""
    for name in (PUBLIC_URL_ENV, _OLD_NAME):
        value = os.environ.get(name, "").strip().rstrip("/")
        if value:
            return value
    return None
