"""Live workshops: workshops (one per workshop round) and the participants who opened them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("join_code", sa.String(6), nullable=False),
        sa.Column("facilitator_token_hash", sa.String(64), nullable=False),
        sa.Column("questionnaire_id", sa.String(100), nullable=False),
        sa.Column("dimensions", JSON, nullable=True),
        sa.Column("revealed", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_workshops_round_id_rounds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops")),
        sa.UniqueConstraint("round_id", name=op.f("uq_workshops_round_id")),
        sa.UniqueConstraint("join_code", name=op.f("uq_workshops_join_code")),
        sa.UniqueConstraint("facilitator_token_hash", name=op.f("uq_workshops_facilitator_token_hash")),
    )
    op.create_table(
        "workshop_participants",
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("participant_key", sa.String(64), nullable=False),
        sa.Column("joined_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE",
                                name=op.f("fk_workshop_participants_workshop_id_workshops")),
        sa.PrimaryKeyConstraint("workshop_id", "participant_key", name=op.f("pk_workshop_participants")),
    )


def downgrade() -> None:
    op.drop_table("workshop_participants")
    op.drop_table("workshops")
