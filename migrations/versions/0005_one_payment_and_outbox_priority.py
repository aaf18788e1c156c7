"""Money and outbox safety: payments gain the status `needs_review` and one-succeeded-payment
indexes; notifications gain a send priority.

A wallet payment raced on PostgreSQL could be taken ten times for one booking; the partial
unique indexes make the database refuse a second succeeded payment for one booking or one
extension. A Checkout payment of another amount than asked is `needs_review` (refunded, never
settled). Drivers' transactional messages are sent before reminders and operators' alerts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD = ("pending", "succeeded", "failed", "cancelled", "refund_pending", "refunded", "refund_failed")
_NEW = (*_OLD, "needs_review")
_BOOKING = "purpose = 'booking' AND status = 'succeeded'"
_EXTENSION = "purpose = 'extension' AND status = 'succeeded'"


def _status_check(values: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{v}'" for v in values))


def _replace_status_check(values: tuple[str, ...]) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint(op.f("ck_payments_payment_status"), type_="check")
        batch.create_check_constraint(op.f("ck_payments_payment_status"), _status_check(values))


def upgrade() -> None:
    _replace_status_check(_NEW)
    op.create_index(
        "uq_payments_one_succeeded_booking",
        "payments",
        ["reservation_id"],
        unique=True,
        postgresql_where=sa.text(_BOOKING),
        sqlite_where=sa.text(_BOOKING),
    )
    op.create_index(
        "uq_payments_one_succeeded_extension",
        "payments",
        ["extension_id"],
        unique=True,
        postgresql_where=sa.text(_EXTENSION),
        sqlite_where=sa.text(_EXTENSION),
    )
    op.add_column("notifications", sa.Column("priority", sa.SmallInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("notifications", "priority")
    op.drop_index("uq_payments_one_succeeded_extension", table_name="payments")
    op.drop_index("uq_payments_one_succeeded_booking", table_name="payments")
    op.execute("UPDATE payments SET status = 'failed' WHERE status = 'needs_review'")
    _replace_status_check(_OLD)
