"""Retention: how long a partnership keeps individual answers, and what is kept of a round after.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("partnerships", sa.Column("retention_months", sa.Integer(), nullable=False,
                                            server_default="24"))
    op.create_table(
        "round_summaries",
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("snapshot", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("purged_responses", sa.Integer(), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("round_summaries")
    # In place (SQLite 3.35+): a batch rebuild of partnerships would cascade deletes.
    op.drop_column("partnerships", "retention_months")
