"""The store's repository, `Store`: one object for every partnership, round, response and action.

Each aggregate keeps its methods in its own module (`partnerships`, `rounds`, `responses`,
`actions`); `Store` combines them over one `Database`. Every method runs in its own transaction
and returns plain frozen dataclasses (`healthcheck.store.records`) or plain dicts, never ORM
objects tied to a session. Funders and sharing, workshops and the wrong-code throttle are
module-level functions taking a `Store` (`sharing`, `workshops`, `throttle`).
"""

from __future__ import annotations

from healthcheck.store.actions import ActionRepository
from healthcheck.store.partnerships import PartnershipRepository
from healthcheck.store.responses import ResponseRepository
from healthcheck.store.rounds import RoundRepository

__all__ = ["Store"]


class Store(PartnershipRepository, RoundRepository, ResponseRepository, ActionRepository):
    """The repository. One instance per process is enough; it is safe to share between threads.

    `Store(url)` connects (default: `default_url()`) and upgrades the schema unless
    `migrate=False`."""
