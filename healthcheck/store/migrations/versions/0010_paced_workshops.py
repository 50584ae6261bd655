"""Facilitator-paced workshops: the facilitator's place, answers per question, votes on actions.

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("paced", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("closed_items", JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("workshop_participants") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("level", sa.String(20), nullable=True))
        batch.create_foreign_key(op.f("fk_workshop_participants_organisation_id_organisations"),
                                 "organisations", ["organisation_id"], ["id"], ondelete="CASCADE")
    with op.batch_alter_table("action_items") as batch:
        batch.add_column(sa.Column("votes", sa.Integer(), nullable=True))
    op.create_table(
        "workshop_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("participant_key", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(100), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("released_step", sa.Integer(), nullable=True),
        sa.Column("answered_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE",
                                name=op.f("fk_workshop_answers_workshop_id_workshops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_answers")),
        sa.UniqueConstraint("workshop_id", "participant_key", "item_id",
                            name=op.f("uq_workshop_answers_workshop_id")),
    )
    op.create_index(op.f("ix_workshop_answers_workshop_id"), "workshop_answers", ["workshop_id"])
    op.create_table(
        "workshop_votes",
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("participant_key", sa.String(64), nullable=False),
        sa.Column("action_key", sa.String(64), nullable=False),
        sa.Column("voted_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE",
                                name=op.f("fk_workshop_votes_workshop_id_workshops")),
        sa.PrimaryKeyConstraint("workshop_id", "participant_key", "action_key",
                                name=op.f("pk_workshop_votes")),
    )


def downgrade() -> None:
    op.drop_table("workshop_votes")
    op.drop_index(op.f("ix_workshop_answers_workshop_id"), table_name="workshop_answers")
    op.drop_table("workshop_answers")
    with op.batch_alter_table("action_items") as batch:
        batch.drop_column("votes")
    with op.batch_alter_table("workshop_participants") as batch:
        batch.drop_constraint(op.f("fk_workshop_participants_organisation_id_organisations"),
                              type_="foreignkey")
        batch.drop_column("level")
        batch.drop_column("organisation_id")
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("version")
        batch.drop_column("closed_items")
        batch.drop_column("position")
        batch.drop_column("paced")
