"""The audit log, and the partnership's privacy contact and notice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("partnerships", sa.Column("privacy_contact", sa.String(300), nullable=True))
    op.add_column("partnerships", sa.Column("privacy_notice", sa.Text(), nullable=True))
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partnership_id", sa.Integer(),
                  sa.ForeignKey("partnerships.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
    )
    op.create_index("ix_audit_events_partnership_id_at", "audit_events", ["partnership_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_partnership_id_at", table_name="audit_events")
    op.drop_table("audit_events")
    # In place (SQLite 3.35+ can): a batch rebuild would drop the table, and with foreign keys on,
    # that would cascade to everything the partnerships hold.
    op.drop_column("partnerships", "privacy_notice")
    op.drop_column("partnerships", "privacy_contact")
