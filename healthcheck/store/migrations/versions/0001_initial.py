"""Initial schema: partnerships, organisations, rounds, responses, action items, team notes.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "partnerships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("questionnaire_id", sa.String(100), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("admin_token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("threshold >= 3", name=op.f("ck_partnerships_threshold_min")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnerships")),
        sa.UniqueConstraint("admin_token_hash", name=op.f("uq_partnerships_admin_token_hash")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnerships.id"], ondelete="CASCADE",
                                name=op.f("fk_organisations_partnership_id_partnerships")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("partnership_id", "name", name=op.f("uq_organisations_partnership_id")),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("questionnaire_id", sa.String(100), nullable=False),
        sa.Column("questionnaire_version", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("respondent_token_hash", sa.String(64), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnerships.id"], ondelete="CASCADE",
                                name=op.f("fk_rounds_partnership_id_partnerships")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("respondent_token_hash", name=op.f("uq_rounds_respondent_token_hash")),
    )
    op.create_index(op.f("ix_rounds_partnership_id"), "rounds", ["partnership_id"])
    op.create_table(
        "responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("comments", JSON, nullable=False),
        sa.Column("submission_key", sa.String(200), nullable=False),
        sa.Column("submitted_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE",
                                name=op.f("fk_responses_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_responses_round_id_rounds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint("round_id", "submission_key", name=op.f("uq_responses_round_id")),
    )
    op.create_index(op.f("ix_responses_organisation_id"), "responses", ["organisation_id"])
    op.create_index("ix_responses_round_id_id", "responses", ["round_id", "id"])
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(100), nullable=True),
        sa.Column("task", sa.String(100), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnerships.id"], ondelete="CASCADE",
                                name=op.f("fk_action_items_partnership_id_partnerships")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_action_items_round_id_rounds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    op.create_index(op.f("ix_action_items_partnership_id"), "action_items", ["partnership_id"])
    op.create_index(op.f("ix_action_items_round_id"), "action_items", ["round_id"])
    op.create_table(
        "partner_team_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE",
                                name=op.f("fk_partner_team_notes_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnerships.id"], ondelete="CASCADE",
                                name=op.f("fk_partner_team_notes_partnership_id_partnerships")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_team_notes")),
        sa.UniqueConstraint("organisation_id", "question",
                            name=op.f("uq_partner_team_notes_organisation_id")),
    )
    op.create_index(op.f("ix_partner_team_notes_partnership_id"), "partner_team_notes", ["partnership_id"])


def downgrade() -> None:
    op.drop_table("partner_team_notes")
    op.drop_table("action_items")
    op.drop_table("responses")
    op.drop_table("rounds")
    op.drop_table("organisations")
    op.drop_table("partnerships")
