"""Rate plans: versioned prices per premise (core/pricing.py), and the plan each booking and
extension was priced with.

Every existing premise gets version 1 of its plan: its `price_per_hour` as the only rate, in
force since the premise was created, so existing prices stay exactly what they were. A
reservation is linked to that version where its price is what the version gives for its stay
(ceil(price_per_hour × minutes / 60)); one priced at an earlier hourly price, or extended with
a rounding of its own, keeps no plan (its price stays as it was charged). Extensions made
before plans keep none either.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_MINUTES = {
    "sqlite": (
        "(CAST(strftime('%s', reservations.ends_at) AS INTEGER)"
        " - CAST(strftime('%s', reservations.starts_at) AS INTEGER)) / 60"
    ),
    "postgresql": "CAST(EXTRACT(EPOCH FROM (reservations.ends_at - reservations.starts_at)) AS INTEGER) / 60",
}


def _add_plan_column(table: str, dialect: str) -> None:
    if dialect == "sqlite":
        # SQLite adds a column with its foreign key in place; ALTER of constraints it lacks.
        op.execute(f"ALTER TABLE {table} ADD COLUMN rate_plan_id INTEGER REFERENCES rate_plans (id)")
    else:
        op.add_column(table, sa.Column("rate_plan_id", sa.Integer, nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_rate_plan_id_rate_plans"), table, "rate_plans", ["rate_plan_id"], ["id"]
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "rate_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "premise_id",
            sa.Integer,
            sa.ForeignKey("premises.id", ondelete="CASCADE", name=op.f("fk_rate_plans_premise_id_premises")),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("base_per_hour", sa.Integer, nullable=False),
        sa.Column("first_hour", sa.Integer, nullable=True),
        sa.Column("daily_cap", sa.Integer, nullable=True),
        sa.Column("periods", sa.JSON, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_plans")),
        sa.UniqueConstraint("premise_id", "version", name=op.f("uq_rate_plans_premise_id_version")),
        sa.CheckConstraint("base_per_hour >= 0", name=op.f("ck_rate_plans_base_not_negative")),
        sa.CheckConstraint(
            "first_hour IS NULL OR first_hour >= 0", name=op.f("ck_rate_plans_first_hour_not_negative")
        ),
        sa.CheckConstraint(
            "daily_cap IS NULL OR daily_cap >= 0", name=op.f("ck_rate_plans_cap_not_negative")
        ),
    )
    _add_plan_column("reservations", dialect)
    _add_plan_column("reservation_extensions", dialect)
    op.execute(
        "INSERT INTO rate_plans (premise_id, version, valid_from, base_per_hour, first_hour, daily_cap,"
        " periods, currency, created_at)"
        " SELECT id, 1, created_at, price_per_hour, NULL, NULL, '[]', currency, created_at FROM premises"
    )
    # The SQL is ours: only the dialect's minutes expression is put in.
    backfill = (
        "UPDATE reservations SET rate_plan_id = ("
        " SELECT rate_plans.id FROM spots"
        " JOIN premises ON premises.id = spots.premise_id"
        " JOIN rate_plans ON rate_plans.premise_id = premises.id AND rate_plans.version = 1"
        " WHERE spots.id = reservations.spot_id AND premises.currency = reservations.currency"
        " AND reservations.price = (premises.price_per_hour * MINUTES + 59) / 60)"
    )
    op.execute(backfill.replace("MINUTES", _MINUTES[dialect]))


def downgrade() -> None:
    with op.batch_alter_table("reservation_extensions") as batch:
        batch.drop_column("rate_plan_id")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("rate_plan_id")
    op.drop_table("rate_plans")
