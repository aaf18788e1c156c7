"""Blocker incidents (alerts that act) and review moderation (DESIGN.md §5, issue 13).

`blocker_incidents`: one row per blocker out of order, at most one open per blocker and kind
(a partial unique index). `reviews` gains its moderation: status pending/approved/rejected
(existing approved reviews become approved, the others pending), who moderated it and when,
and why a review was rejected; `is_approved` stays the published flag.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_OPEN = sa.text("closed_at IS NULL")
KINDS = "kind IN ('offline', 'fault', 'low_battery', 'lower_failed')"
STATUSES = "status IN ('pending', 'approved', 'rejected')"


def upgrade() -> None:
    op.create_table(
        "blocker_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blocker_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("premise_id", sa.Integer(), nullable=True),
        sa.Column("spot_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_state_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["blockers.id"],
            name=op.f("fk_blocker_incidents_blocker_id_blockers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"],
            ["premises.id"],
            name=op.f("fk_blocker_incidents_premise_id_premises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["spot_id"], ["spots.id"], name=op.f("fk_blocker_incidents_spot_id_spots"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["users.id"],
            name=op.f("fk_blocker_incidents_acknowledged_by_users"),
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(KINDS, name=op.f("ck_blocker_incidents_incident_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocker_incidents")),
    )
    op.create_index(
        "uq_blocker_incidents_open",
        "blocker_incidents",
        ["blocker_id", "kind"],
        unique=True,
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )
    op.create_index("ix_blocker_incidents_premise_id", "blocker_incidents", ["premise_id"])

    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("status", sa.String(length=32), nullable=False, server_default="pending"))
        batch.create_check_constraint(op.f("ck_reviews_review_status"), sa.text(STATUSES))
        batch.add_column(sa.Column("moderated_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reject_reason", sa.String(length=200), nullable=True))
        batch.create_foreign_key(
            op.f("fk_reviews_moderated_by_users"), "users", ["moderated_by"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_reviews_status_premise", ["status", "premise_id"])
    # What Telegram made of a notification: an incident alert is edited to say who acknowledged it.
    op.add_column("notifications", sa.Column("telegram_message_id", sa.BigInteger(), nullable=True))
    # Reviews published before moderation existed stay published.
    op.execute(sa.text("UPDATE reviews SET status = 'approved' WHERE is_approved"))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("telegram_message_id")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_index("ix_reviews_status_premise")
        batch.drop_constraint(op.f("fk_reviews_moderated_by_users"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_reviews_review_status"), type_="check")
        batch.drop_column("reject_reason")
        batch.drop_column("moderated_at")
        batch.drop_column("moderated_by")
        batch.drop_column("status")
    op.drop_index("ix_blocker_incidents_premise_id", "blocker_incidents")
    op.drop_index("uq_blocker_incidents_open", "blocker_incidents")
    op.drop_table("blocker_incidents")
