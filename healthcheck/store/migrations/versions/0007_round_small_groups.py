"""Rounds choose how groups too small to show are treated: pooled or left out, or hidden.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Rounds that already exist were shown hiding small groups, so they keep "hide" (showing their
answers another way now would let the two be compared); new rounds are given "pool" by the
application.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite 3.35+ drops columns itself): a batch copy of `rounds` would cascade
# the deletion of its old rows to every table that refers to rounds.
def upgrade() -> None:
    op.add_column("rounds", sa.Column("small_groups", sa.String(10), nullable=False, server_default="hide"))


def downgrade() -> None:
    op.drop_column("rounds", "small_groups")
