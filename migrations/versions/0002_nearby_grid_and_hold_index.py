"""Grid index for the nearby search; index for finding lapsed holds.

The (lat, lon) index only narrowed the nearby search by latitude, so it scanned a band as wide
as the whole data set; the grid index narrows both ways. Expiring holds looked at every unpaid
hold; (status, hold_expires_at) finds the lapsed ones directly.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_premises_lat_lon", table_name="premises")
    op.create_index(
        "ix_premises_cell_lon", "premises", [sa.text("CAST((lat + 90) * 50 AS INTEGER)"), "lon", "lat"]
    )
    op.create_index("ix_reservations_status_hold_expires_at", "reservations", ["status", "hold_expires_at"])


def downgrade() -> None:
    op.drop_index("ix_reservations_status_hold_expires_at", table_name="reservations")
    op.drop_index("ix_premises_cell_lon", table_name="premises")
    op.create_index("ix_premises_lat_lon", "premises", ["lat", "lon"])
