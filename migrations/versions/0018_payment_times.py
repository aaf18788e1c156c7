"""Indexes for the console's Revenue screen (core/usecases/revenue.py): it reads the payments
that succeeded, and those refunded, within a period, by `succeeded_at` and `refunded_at`; without
these it reads the whole table, which grows by every payment ever made.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_payments_succeeded_at", "payments", ["succeeded_at"])
    op.create_index("ix_payments_refunded_at", "payments", ["refunded_at"])


def downgrade() -> None:
    op.drop_index("ix_payments_refunded_at", table_name="payments")
    op.drop_index("ix_payments_succeeded_at", table_name="payments")
