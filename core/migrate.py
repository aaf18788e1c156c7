"""Runs Alembic to head. Synchronous: Alembic's async env starts its own event loop."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent

# SQLite's R*Tree for the nearby search (migration 0006) is a virtual table with three shadow
# tables of its own; no model can describe them, so comparing the schema with the models (and
# autogenerate) leaves them out instead of proposing to drop them.
SQLITE_SPATIAL_TABLES = frozenset(
    {"premises_rtree", "premises_rtree_node", "premises_rtree_parent", "premises_rtree_rowid"}
)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name` hook: everything but the R*Tree tables."""
    return not (type_ == "table" and name in SQLITE_SPATIAL_TABLES)


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    # Escaped for configparser interpolation ('%' appears in URL-encoded passwords).
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")
