"""Receipts and vehicles (issue 15).

- `premises`: the operator's legal name, address and VAT number and the VAT rate (basis
  points) its prices include, printed on receipts.
- `receipt_counters` / `receipts`: one number sequence per operator, and each receipt issued
  with a snapshot of what it says.
- `payments.card_brand` / `card_last4`: the saved card a payment was charged to.
- `vehicles`: the number plates a driver saved, one the default; `reservations.plate`: the
  plate a booking was made with.

Columns are added in place (no batch mode: recreating `premises` on SQLite would drop the
R*Tree triggers of migration 0006).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("premises", sa.Column("operator_name", sa.String(200), nullable=False, server_default=""))
    op.add_column(
        "premises", sa.Column("operator_address", sa.String(300), nullable=False, server_default="")
    )
    op.add_column("premises", sa.Column("vat_number", sa.String(32), nullable=False, server_default=""))
    op.add_column("premises", sa.Column("vat_rate_bp", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("reservations", sa.Column("plate", sa.String(16), nullable=True))
    op.add_column("payments", sa.Column("card_brand", sa.String(32), nullable=True))
    op.add_column("payments", sa.Column("card_last4", sa.String(4), nullable=True))
    op.create_table(
        "vehicles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(16), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_vehicles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("user_id", "plate", name=op.f("uq_vehicles_user_id_plate")),
    )
    op.create_index(
        "uq_vehicles_one_default",
        "vehicles",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )
    op.create_table(
        "receipt_counters",
        sa.Column("operator_key", sa.String(64), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("operator_key", name=op.f("pk_receipt_counters")),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_key", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("vat_amount", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.CheckConstraint("kind IN ('payment', 'refund')", name=op.f("ck_receipts_receipt_kind")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_receipts_amount_positive")),
        sa.CheckConstraint("vat_amount >= 0 AND vat_amount <= amount", name=op.f("ck_receipts_vat")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_receipts_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_receipts_user_id_users")),
        sa.ForeignKeyConstraint(
            ["reservation_id"], ["reservations.id"], name=op.f("fk_receipts_reservation_id_reservations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("operator_key", "number", name=op.f("uq_receipts_operator_key_number")),
        sa.UniqueConstraint("payment_id", "kind", name=op.f("uq_receipts_payment_id_kind")),
    )
    op.create_index("ix_receipts_user_id", "receipts", ["user_id"])
    op.create_index("ix_receipts_reservation_id", "receipts", ["reservation_id"])


def downgrade() -> None:
    op.drop_index("ix_receipts_reservation_id", table_name="receipts")
    op.drop_index("ix_receipts_user_id", table_name="receipts")
    op.drop_table("receipts")
    op.drop_table("receipt_counters")
    op.drop_index("uq_vehicles_one_default", table_name="vehicles")
    op.drop_table("vehicles")
    # SQLite 3.35+ drops a column in place (batch mode would recreate `premises`, see above).
    for table, column in (
        ("payments", "card_last4"),
        ("payments", "card_brand"),
        ("reservations", "plate"),
        ("premises", "vat_rate_bp"),
        ("premises", "vat_number"),
        ("premises", "operator_address"),
        ("premises", "operator_name"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
