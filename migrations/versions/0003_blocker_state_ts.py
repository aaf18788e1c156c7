"""blockers.state_ts: the device's `ts` of the last state applied.

A `state` stamped before the one already applied (a replay, a forged message, a retained
report from long ago) is dropped instead of overwriting newer news; the high-water mark must
survive restarts, hence a column.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blockers") as batch:
        batch.add_column(sa.Column("state_ts", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("blockers") as batch:
        batch.drop_column("state_ts")
