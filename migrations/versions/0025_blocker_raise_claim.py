"""A sweep's claim to raise a blocker (issue 17: sweeps safe in every process).

- `blockers.raise_claim_until`: set by the sweeps that raise blockers (guarding paid spots,
  after the end) in one conditional UPDATE right before their checks and the command, for
  ACK_TIMEOUT_SECONDS + 5 s; a second process running the same sweep finds it held and skips
  the blocker, so each raise is sent once. It lapses by itself (a crashed process blocks
  nothing for long). Commands of drivers and staff never look at it.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blockers") as batch:
        batch.add_column(sa.Column("raise_claim_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("blockers") as batch:
        batch.drop_column("raise_claim_until")
