"""users.phone_skipped_at: when the user tapped "Skip" on the phone request.

A driver who skipped is not asked for the number again: /start greets them with the menu in
one message. The answer must survive restarts and be the same in every process, hence a column.

Revision ID: drvnoise_phone_skip
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "drvnoise_phone_skip"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone_skipped_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone_skipped_at")
