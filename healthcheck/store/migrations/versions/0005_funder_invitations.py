"""Funders' invitation links: partnerships paste one to share a round with that funder.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("funders", sa.Column("invite_hash", sa.String(64), nullable=True))
    op.create_index(op.f("ix_funders_invite_hash"), "funders", ["invite_hash"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_funders_invite_hash"), table_name="funders")
    # In place (SQLite 3.35+ can): a batch rebuild would drop the table, and with foreign keys on,
    # that would cascade to every share.
    op.drop_column("funders", "invite_hash")
