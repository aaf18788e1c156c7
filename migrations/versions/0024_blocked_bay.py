"""Blocked bay (issue 16 item 2): the driver's bay is taken or its blocker fails them at arrival.

- `reservations.bay_blocked_at` / `bay_blocked_spot_id` / `bay_blocked_reason`: when the
  driver was offered "Move me" / "Refund me", for which spot (a move changes `spot_id`, so a
  booking no longer on that spot has been moved already) and why (`obstacle`, `car_present`,
  `blocker_down`); `bay_offer_spot_id`: the free spot the offer named (tried first on "Move me").
- `premises.blocked_bay_credit`: the wallet credit for a driver moved off a blocked bay, in
  minor units; NULL (the default) means one hour of the booking's own rate plan from its start,
  0 turns the credit off.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("bay_blocked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("bay_blocked_spot_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("bay_blocked_reason", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("bay_offer_spot_id", sa.Integer(), nullable=True))
    # Not batch mode for premises: recreating it on SQLite would drop the R*Tree triggers (0006).
    op.add_column("premises", sa.Column("blocked_bay_credit", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE premises DROP COLUMN blocked_bay_credit")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("bay_offer_spot_id")
        batch.drop_column("bay_blocked_reason")
        batch.drop_column("bay_blocked_spot_id")
        batch.drop_column("bay_blocked_at")
