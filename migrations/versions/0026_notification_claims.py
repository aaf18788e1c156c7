"""Outbox take-over (issue 17): which holding of the channel's lease claimed a notification
and whether its send had left.

- `notifications.claimed_by`: the holding (jobs/lease.py: host, process id and a random part,
  new at each acquisition) whose dispatcher claimed the row last; NULL before its first claim
  and after a take-over handed it back.
- `notifications.send_started_at`: set right before the row's HTTP send leaves, cleared at
  each claim. A process taking the lease over hands back at once the rows another holding
  claimed and never started, and re-queues the started ones with no outcome (the only ones
  that may go twice).

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("send_started_at")
        batch.drop_column("claimed_by")
