"""The persistent store: partnerships, rounds, responses, action plans, partner team notes,
funders and sharing, live workshops, and the wrong-code throttle.

One module per job (this package only re-exports them):

- `db`: where the database lives, engines, SQLite set-up, migrations, the unit of work;
- `models`: every table; `records`: the plain frozen results and their converters from rows;
- `tokens`: capability tokens (only their SHA-256 hashes are stored); `checks`: input checks;
- `partnerships`, `rounds`, `responses`, `actions`: the repository methods per aggregate,
  combined in `repository.Store`;
- `sharing`, `workshops`, `paced`, `throttle`: module-level functions taking a `Store`;
- `audit`: the audit log (what admin, funder and facilitator links did); `holdings`: every row
  tied to one partnership, for "download everything we hold";
- `deletion`: deleting for good (rows per table); `backup`: backup and restore of the whole store.

Privacy: nothing here holds a respondent's name or e-mail address. Access works by capability
links: the partnership lead gets an admin token, each round a respondent token.
"""

from __future__ import annotations

from healthcheck.core.vocabulary import (
    ACTION_STATUSES,
    MIN_THRESHOLD,
    OPEN_ACTION_STATUSES,
    ORGANISATION_KINDS,
    ROUND_KINDS,
    TEAM_QUESTIONS,
)
from healthcheck.store import audit, backup, deletion, holdings, paced, sharing, throttle, workshops
from healthcheck.store.db import (
    MIGRATIONS_DIR,
    Database,
    JSONType,
    UTCDateTime,
    alembic_config,
    data_dir,
    default_url,
    describe_location,
    normalise_url,
    now,
)
from healthcheck.store.models import (
    ActionItem,
    AuditEvent,
    Base,
    Funder,
    JoinFailure,
    Organisation,
    Partnership,
    PartnerTeamNote,
    Response,
    Round,
    RoundRelease,
    RoundSummary,
    Share,
    ShareCode,
    Workshop,
    WorkshopParticipant,
)
from healthcheck.store.records import (
    ActionInfo,
    AuditEntry,
    FunderInfo,
    LiveStatus,
    OrganisationInfo,
    PartnershipInfo,
    RoundInfo,
    SharedRound,
    WorkshopInfo,
)
from healthcheck.store.repository import Store
from healthcheck.store.tokens import hash_token, lookup_hash, new_token

__all__ = [
    "ACTION_STATUSES",
    "MIGRATIONS_DIR",
    "MIN_THRESHOLD",
    "OPEN_ACTION_STATUSES",
    "ORGANISATION_KINDS",
    "ROUND_KINDS",
    "TEAM_QUESTIONS",
    "ActionInfo",
    "ActionItem",
    "AuditEntry",
    "AuditEvent",
    "Base",
    "Database",
    "Funder",
    "FunderInfo",
    "JSONType",
    "JoinFailure",
    "LiveStatus",
    "Organisation",
    "OrganisationInfo",
    "PartnerTeamNote",
    "Partnership",
    "PartnershipInfo",
    "Response",
    "Round",
    "RoundInfo",
    "RoundRelease",
    "RoundSummary",
    "Share",
    "ShareCode",
    "SharedRound",
    "Store",
    "UTCDateTime",
    "Workshop",
    "WorkshopInfo",
    "WorkshopParticipant",
    "alembic_config",
    "audit",
    "data_dir",
    "default_url",
    "describe_location",
    "hash_token",
    "holdings",
    "lookup_hash",
    "new_token",
    "normalise_url",
    "now",
    "backup",
    "deletion",
    "paced",
    "sharing",
    "throttle",
    "workshops",
]
