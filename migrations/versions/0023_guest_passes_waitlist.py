"""Guest passes and the waitlist (issue 16, DESIGN.md §5). `guest_passes`: a booking shared
with a guest (the link's token as its SHA-256 only, or a phone number), revocable, bound to the
guest who first opened it. `waitlist`: a driver's wish for a spot at a full car park, offered
first-come first-served when one frees.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

STATUSES = "status IN ('waiting', 'offered', 'taken', 'expired', 'cancelled')"


def upgrade() -> None:
    op.create_table(
        "guest_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_guest_passes_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_guest_passes_created_by_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["used_by"], ["users.id"], name=op.f("fk_guest_passes_used_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_passes")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_guest_passes_token_hash")),
    )
    op.create_index("ix_guest_passes_reservation_id", "guest_passes", ["reservation_id"])
    op.create_index("ix_guest_passes_used_by", "guest_passes", ["used_by"])

    op.create_table(
        "waitlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("premise_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_waitlist_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_waitlist_premise_id_premises"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_waitlist_reservation_id_reservations"),
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_waitlist_interval")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_waitlist_waitlist_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist")),
    )
    op.create_index(
        "ix_waitlist_premise_status_created_at", "waitlist", ["premise_id", "status", "created_at"]
    )
    op.create_index("ix_waitlist_user_id_status", "waitlist", ["user_id", "status"])


def downgrade() -> None:
    op.drop_table("waitlist")
    op.drop_table("guest_passes")
