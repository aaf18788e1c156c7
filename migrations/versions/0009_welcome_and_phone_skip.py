"""users.welcomed_at and users.phone_skipped_at: /start welcomes once, "Skip" is remembered.

`welcomed_at`: when the full welcome (who we are, the phone request) was sent; a returning
driver gets the menu with a one-line greeting instead. Users who exist already have been
welcomed: they get their creation time. `phone_skipped_at`: when the driver tapped "Skip" on
the phone request; they are not asked again. Both must survive restarts and be the same in
every process, hence columns.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("welcomed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("phone_skipped_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET welcomed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone_skipped_at")
        batch.drop_column("welcomed_at")
