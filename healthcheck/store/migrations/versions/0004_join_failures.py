"""Wrong workshop join codes, kept in the store so the throttle holds across sessions and processes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "join_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("failed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_failures")),
    )
    op.create_index(op.f("ix_join_failures_failed_at"), "join_failures", ["failed_at"])
    op.create_index("ix_join_failures_client_key_failed_at", "join_failures", ["client_key", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_join_failures_client_key_failed_at", table_name="join_failures")
    op.drop_index(op.f("ix_join_failures_failed_at"), table_name="join_failures")
    op.drop_table("join_failures")
