"""Round releases: the steps at which a round's figures moved.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "round_releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("round_id", "seq"),
    )
    op.create_index(op.f("ix_round_releases_round_id"), "round_releases", ["round_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_round_releases_round_id"), table_name="round_releases")
    op.drop_table("round_releases")
