"""Device ids heard on MQTT that are not registered, for the console's Blockers section to
bind to a spot (the link never creates `blockers` rows by itself).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unassigned_blockers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("heard_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unassigned_blockers")),
    )


def downgrade() -> None:
    op.drop_table("unassigned_blockers")
