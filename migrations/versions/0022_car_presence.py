"""Billing that follows the car, and no-show release (issue 16 items 1 and 3).

- `blockers.car_gone_since`: the device's own `ts` of the first report saying the bay is empty
  after a car (cleared when a car is reported again); an early leave counts from it.
- `reservations.left_at`: when the car was first seen gone, for a booking completed early by
  that; `no_show_asked_at` / `kept_at`: the "still coming?" question sent, and the driver's
  "Yes, keep it" (the booking is then never released as a no-show).
- `premises.refund_unused` (on by default): unused 15-minute steps of an early leave go back
  to the wallet; `premises.refund_no_show` (off by default): a released no-show gets the
  released time back.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blockers") as batch:
        batch.add_column(sa.Column("car_gone_since", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("no_show_asked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("kept_at", sa.DateTime(timezone=True), nullable=True))
    # Not batch mode for premises: recreating it on SQLite would drop the R*Tree triggers (0006).
    op.add_column(
        "premises", sa.Column("refund_unused", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column(
        "premises", sa.Column("refund_no_show", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (batch mode would drop the R*Tree triggers).
    op.execute("ALTER TABLE premises DROP COLUMN refund_no_show")
    op.execute("ALTER TABLE premises DROP COLUMN refund_unused")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("kept_at")
        batch.drop_column("no_show_asked_at")
        batch.drop_column("left_at")
    with op.batch_alter_table("blockers") as batch:
        batch.drop_column("car_gone_since")
