"""A short numeric code per premise (4-6 digits, unique) that the SMS channel names a car park
by; existing premises get random unused 4-digit codes.

The column stays nullable in the schema: adding a NOT NULL column to `premises` on SQLite
means recreating the table, which would drop the R*Tree triggers of migration 0006. Every
insert gets a code (core/models.py's before_insert listener), and this backfill fills the rest.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

import random

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("premises", sa.Column("code", sa.String(length=6), nullable=True))
    op.create_index("ux_premises_code", "premises", ["code"], unique=True)
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM premises ORDER BY id"))]
    pool: list[int] = []
    for digits in (4, 5, 6):
        if len(pool) >= len(ids):
            break
        low = 10 ** (digits - 1)
        pool += random.sample(range(low, 10 * low), min(len(ids) - len(pool), 9 * low))
    update = sa.text("UPDATE premises SET code = :code WHERE id = :id")
    for premise_id, code in zip(ids, pool, strict=False):
        bind.execute(update, {"code": str(code), "id": premise_id})


def downgrade() -> None:
    op.drop_index("ux_premises_code", table_name="premises")
    # Not batch mode: recreating `premises` on SQLite would drop the R*Tree triggers (0006);
    # SQLite 3.35+ drops a column in place.
    op.execute("ALTER TABLE premises DROP COLUMN code")
