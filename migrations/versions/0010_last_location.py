"""users.last_lat, last_lon, last_place, last_location_at: where the driver last searched.

`/find` offers "Same place as last time" so a regular driver does not share the location
again on every search (issue 11). The place is the label shown with it (a typed address, or
empty for a shared location, which is then shown as coordinates).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("last_lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("last_lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("last_place", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("last_location_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_location_at")
        batch.drop_column("last_place")
        batch.drop_column("last_lon")
        batch.drop_column("last_lat")
