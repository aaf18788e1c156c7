"""Short payment links (`GET /p/<token>`): an SMS has room for `PUBLIC_URL/p/<token>` beside the
price, not for a Checkout URL. `payment_links`: the random token, its payment (one link each)
and the provider's page it redirects to while the payment is open.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_links",
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_links_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_payment_links")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_links_payment_id")),
    )


def downgrade() -> None:
    op.drop_table("payment_links")
