"""Initial schema: every table of DESIGN.md §5; on PostgreSQL btree_gist and the exclusion
constraint that keeps holding reservations of one spot from overlapping.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _status(column: str, table: str, name: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("telegram_id", sa.BigInteger, nullable=True),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("sms_opt_out", sa.Boolean, nullable=False),
        sa.Column("stripe_customer_id", sa.String(64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_users_telegram_id")),
        sa.UniqueConstraint("phone", name=op.f("uq_users_phone")),
        sa.UniqueConstraint("stripe_customer_id", name=op.f("uq_users_stripe_customer_id")),
    )
    op.create_table(
        "premises",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("price_per_hour", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("features", sa.JSON, nullable=False),
        sa.Column("photos", sa.JSON, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("opening_hours", sa.String(200), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premises")),
        sa.CheckConstraint("price_per_hour >= 0", name=op.f("ck_premises_price_not_negative")),
        sa.CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name=op.f("ck_premises_coords")
        ),
    )
    op.create_index("ix_premises_lat_lon", "premises", ["lat", "lon"])
    op.create_table(
        "spots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("premise_id", sa.Integer, nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spots")),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_spots_premise_id_premises"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("premise_id", "label", name=op.f("uq_spots_premise_id_label")),
    )
    op.create_table(
        "blockers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("spot_id", sa.Integer, nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("online", sa.Boolean, nullable=False),
        sa.Column("battery", sa.SmallInteger, nullable=True),
        sa.Column("car_present", sa.Boolean, nullable=True),
        sa.Column("last_seen", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blockers")),
        sa.ForeignKeyConstraint(
            ["spot_id"], ["spots.id"], name=op.f("fk_blockers_spot_id_spots"), ondelete="SET NULL"
        ),
        sa.UniqueConstraint("spot_id", name=op.f("uq_blockers_spot_id")),
        _status("state", "blockers", "blocker_state", ("unknown", "raised", "lowered", "moving", "fault")),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("spot_id", sa.Integer, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("price", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("hold_expires_at", TS, nullable=True),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("arrived_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("no_show", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reservations_user_id_users")),
        sa.ForeignKeyConstraint(["spot_id"], ["spots.id"], name=op.f("fk_reservations_spot_id_spots")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_reservations_interval")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_reservations_price_not_negative")),
        _status(
            "status",
            "reservations",
            "reservation_status",
            ("pending_payment", "confirmed", "active", "completed", "expired", "cancelled"),
        ),
    )
    op.create_index("ix_reservations_spot_interval", "reservations", ["spot_id", "starts_at", "ends_at"])
    op.create_index("ix_reservations_status_ends_at", "reservations", ["status", "ends_at"])
    op.create_index("ix_reservations_user_starts_at", "reservations", ["user_id", "starts_at"])
    if op.get_bind().dialect.name == "postgresql":
        # Autogenerate never emits this extension; the constraint below needs it for `spot_id =`.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE reservations ADD CONSTRAINT reservations_no_overlap "
            "EXCLUDE USING gist (spot_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
            "WHERE (status IN ('pending_payment', 'confirmed', 'active'))"
        )
    op.create_table(
        "reservation_extensions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reservation_id", sa.Integer, nullable=False),
        sa.Column("old_ends_at", TS, nullable=False),
        sa.Column("new_ends_at", TS, nullable=False),
        sa.Column("price", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_extensions")),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_extensions_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        _status(
            "status", "reservation_extensions", "extension_status", ("pending_payment", "applied", "failed")
        ),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("reservation_id", sa.Integer, nullable=True),
        sa.Column("extension_id", sa.Integer, nullable=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("refunded_amount", sa.Integer, nullable=False),
        sa.Column("stripe_checkout_session_id", sa.String(255), nullable=True),
        sa.Column("stripe_payment_intent_id", sa.String(255), nullable=True),
        sa.Column("stripe_refund_id", sa.String(255), nullable=True),
        sa.Column("failure_reason", sa.String(255), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("succeeded_at", TS, nullable=True),
        sa.Column("refunded_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payments_user_id_users")),
        sa.ForeignKeyConstraint(
            ["reservation_id"], ["reservations.id"], name=op.f("fk_payments_reservation_id_reservations")
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["reservation_extensions.id"],
            name=op.f("fk_payments_extension_id_reservation_extensions"),
        ),
        sa.UniqueConstraint(
            "stripe_checkout_session_id", name=op.f("uq_payments_stripe_checkout_session_id")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name=op.f("ck_payments_refund")
        ),
        _status("purpose", "payments", "payment_purpose", ("booking", "extension", "topup")),
        _status("method", "payments", "payment_method", ("card", "wallet")),
        _status(
            "status",
            "payments",
            "payment_status",
            ("pending", "succeeded", "failed", "cancelled", "refund_pending", "refunded", "refund_failed"),
        ),
    )
    op.create_index("ix_payments_reservation_id", "payments", ["reservation_id"])
    op.create_index("ix_payments_stripe_payment_intent_id", "payments", ["stripe_payment_intent_id"])
    op.create_table(
        "wallet_transactions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_transactions")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_wallet_transactions_user_id_users")),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_wallet_transactions_amount_not_zero")),
        _status(
            "kind", "wallet_transactions", "wallet_tx_kind", ("deposit", "payment", "refund", "adjustment")
        ),
    )
    op.create_index("ix_wallet_transactions_user_currency", "wallet_transactions", ["user_id", "currency"])
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("stripe_payment_method_id", sa.String(255), nullable=False),
        sa.Column("brand", sa.String(32), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("exp_month", sa.SmallInteger, nullable=False),
        sa.Column("exp_year", sa.SmallInteger, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payment_methods_user_id_users")),
        sa.UniqueConstraint(
            "stripe_payment_method_id", name=op.f("uq_payment_methods_stripe_payment_method_id")
        ),
    )
    op.create_index("ix_payment_methods_user_id", "payment_methods", ["user_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("dedupe_key", sa.String(128), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
        _status("channel", "notifications", "channel", ("telegram", "sms")),
        _status("status", "notifications", "notification_status", ("pending", "sending", "sent", "failed")),
    )
    op.create_index("ix_notifications_status_due_at", "notifications", ["status", "due_at"])
    op.create_index("ix_notifications_user_id", "notifications", ["user_id"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("premise_id", sa.Integer, nullable=False),
        sa.Column("reservation_id", sa.Integer, nullable=True),
        sa.Column("rating", sa.SmallInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("is_approved", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reviews_user_id_users")),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_reviews_premise_id_premises"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"], ["reservations.id"], name=op.f("fk_reviews_reservation_id_reservations")
        ),
        sa.UniqueConstraint("reservation_id", name=op.f("uq_reviews_reservation_id")),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_range")),
    )
    op.create_index("ix_reviews_premise_approved", "reviews", ["premise_id", "is_approved"])
    op.create_table(
        "processed_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("processed_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processed_events")),
        sa.UniqueConstraint("provider", "event_id", name=op.f("uq_processed_events_provider_event_id")),
    )


def downgrade() -> None:
    for table in (
        "processed_events",
        "reviews",
        "notifications",
        "payment_methods",
        "wallet_transactions",
        "payments",
        "reservation_extensions",
        "reservations",
        "blockers",
        "spots",
        "premises",
        "users",
    ):
        op.drop_table(table)
