"""A refund receipt for each part of a payment given back.

- `receipts.refunded_through`: on a refund receipt, the payment's refunded total this
  receipt brings it to (a part of 1.00 EUR, then the rest of 4.00 EUR: 100, then 500); 0 on
  a payment's own receipt. Before, a payment had at most one refund receipt, issued only when
  it was refunded in full: unused time credited back or an operator's partial refund had none.
- The unique (payment_id, kind) becomes (payment_id, kind, refunded_through): two issuers of
  the same part collide, as two of the payment's own receipt did.
- Existing refund receipts were whole refunds: refunded_through = amount.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("refunded_through", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE receipts SET refunded_through = amount WHERE kind = 'refund'")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_constraint(op.f("uq_receipts_payment_id_kind"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_receipts_payment_id_kind_refunded_through"), ["payment_id", "kind", "refunded_through"]
        )


def downgrade() -> None:
    # Receipts are never deleted (their numbers would leave gaps): a database that issued
    # receipts for parts cannot go back to one refund receipt per payment.
    parts = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM receipts WHERE kind = 'refund' AND refunded_through <> amount")
    )
    if parts:
        raise RuntimeError(f"{parts} refund receipts of parts exist; receipts are never deleted")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_constraint(op.f("uq_receipts_payment_id_kind_refunded_through"), type_="unique")
        batch.create_unique_constraint(op.f("uq_receipts_payment_id_kind"), ["payment_id", "kind"])
        batch.drop_column("refunded_through")
