"""Funders and sharing: funders, shares (round x funder), single-use share codes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "funders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funders")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_funders_token_hash")),
    )
    op.create_table(
        "shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("funder_id", sa.Integer(), nullable=False),
        sa.Column("include_comments", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["funder_id"], ["funders.id"], ondelete="CASCADE",
                                name=op.f("fk_shares_funder_id_funders")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_shares_round_id_rounds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("round_id", "funder_id", name=op.f("uq_shares_round_id")),
    )
    op.create_index(op.f("ix_shares_funder_id"), "shares", ["funder_id"])
    op.create_table(
        "share_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("include_comments", sa.Boolean(), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_share_codes_round_id_rounds")),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_share_codes")),
    )
    op.create_index(op.f("ix_share_codes_round_id"), "share_codes", ["round_id"])


def downgrade() -> None:
    op.drop_table("share_codes")
    op.drop_table("shares")
    op.drop_table("funders")
