"""SMS delivery on the notification (DESIGN.md §12): Twilio's message id and the last status its
callback reported (queued, sent, delivered, undelivered, failed), and the channel a notification
fell back from (a Telegram message that could not be delivered, re-sent by SMS once).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("provider_message_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("delivery_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("fallback_from", sa.String(length=16), nullable=True))
    op.create_index("ix_notifications_provider_message_id", "notifications", ["provider_message_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_provider_message_id", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("fallback_from")
        batch.drop_column("delivery_status")
        batch.drop_column("provider_message_id")
