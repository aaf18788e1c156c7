"""Spatial index for the nearby search: SQLite R*Tree, PostgreSQL GiST on cube points.

The grid index narrowed the search to the bounding box, but the search still looked at every
premise in it: with a million premises in a metro region that is up to 25,000 rows to return
ten. A spatial index hands premises over nearest first, so the search stops once a page is
full.

- SQLite: an R*Tree virtual table `premises_rtree` (one degenerate box per premise), kept in
  step with `premises` by triggers on insert, on update of lat/lon and on delete. A later
  migration that rebuilds `premises` in batch mode (copy and move) drops these triggers: it
  must create them again (see `create_sqlite_triggers`).
- PostgreSQL: a GiST index on the premise's point on the unit sphere as a `cube` (contrib,
  a trusted extension), which supports k-nearest-neighbour ordering with `<->`: the chord
  between two points on the sphere grows with the great-circle distance, so the order is
  the one the search shows.

The grid index of 0002 is dropped: nothing reads it any more.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Must be the very text of core.models.UNIT_SPHERE_SQL (the planner matches it).
UNIT_SPHERE_SQL = (
    "cube(ARRAY[cos(radians(lat)) * cos(radians(lon)), cos(radians(lat)) * sin(radians(lon)), "
    "sin(radians(lat))])"
)

SQLITE_TRIGGERS = {
    "premises_rtree_insert": (
        "AFTER INSERT ON premises BEGIN "
        "INSERT INTO premises_rtree (id, min_lat, max_lat, min_lon, max_lon) "
        "VALUES (new.id, new.lat, new.lat, new.lon, new.lon); END"
    ),
    "premises_rtree_update": (
        "AFTER UPDATE OF id, lat, lon ON premises BEGIN "
        "DELETE FROM premises_rtree WHERE id = old.id; "
        "INSERT INTO premises_rtree (id, min_lat, max_lat, min_lon, max_lon) "
        "VALUES (new.id, new.lat, new.lat, new.lon, new.lon); END"
    ),
    "premises_rtree_delete": (
        "AFTER DELETE ON premises BEGIN DELETE FROM premises_rtree WHERE id = old.id; END"
    ),
}


def create_sqlite_triggers() -> None:
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    op.drop_index("ix_premises_cell_lon", table_name="premises")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE premises_rtree USING rtree(id, min_lat, max_lat, min_lon, max_lon)")
        op.execute(
            "INSERT INTO premises_rtree (id, min_lat, max_lat, min_lon, max_lon) "
            "SELECT id, lat, lat, lon, lon FROM premises"
        )
        create_sqlite_triggers()
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS cube")
        # Built from the existing rows by CREATE INDEX itself (the backfill).
        op.create_index(
            "ix_premises_unit_sphere", "premises", [sa.text(UNIT_SPHERE_SQL)], postgresql_using="gist"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE premises_rtree")
    else:
        op.drop_index("ix_premises_unit_sphere", table_name="premises")
        # The extension stays: other objects may have come to depend on it.
    op.create_index(
        "ix_premises_cell_lon", "premises", [sa.text("CAST((lat + 90) * 50 AS INTEGER)"), "lon", "lat"]
    )
