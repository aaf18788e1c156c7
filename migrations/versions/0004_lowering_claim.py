"""A lowering in flight claims its booking (reservations.lowering_until).

Two taps on "I've arrived" (a double tap, two devices, two processes) each sent the blocker a
command; the first to set this column sends it, the others see it set and wait for its outcome.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reservations", sa.Column("lowering_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("lowering_until")
