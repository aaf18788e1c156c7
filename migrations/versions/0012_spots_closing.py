"""Closing a spot from the operator console: the reason drivers are told and an optional time
it opens again by itself (a closed spot is `is_active` false, as before).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("spots") as batch:
        batch.add_column(sa.Column("closed_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("closed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("spots") as batch:
        batch.drop_column("closed_until")
        batch.drop_column("closed_reason")
