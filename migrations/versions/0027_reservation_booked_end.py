"""The end a driver paid for, kept when a stay is cut short.

- `reservations.booked_ends_at`: set when a stay ends before its booked end (ended by the
  driver or staff, the car gone, a no-show released): `ends_at` becomes the real end (whole
  minutes) and this keeps the end that was bought, so a receipt issued afterwards still
  prints the window and price lines its payment paid for. Empty otherwise, and for stays cut
  short before this column (their receipts print the stay as one line, as before).

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("booked_ends_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("booked_ends_at")
