"""Operator console foundation: staff per premise, one-time staff invites, the audit log, and
owners added from the command line (DESIGN.md §11).

- `premise_staff`: a user's role (manager, attendant) at one premise; at most one active row
  per user and premise (partial unique index), revoked rows stay as history.
- `staff_invites`: one-time invite links; only the token's SHA-256 is stored.
- `audit_log`: every console action and every refusal, with the state before and after.
- `users.admin_added_at`: set by `python main.py admin add`, so the owner flag survives the
  ADMIN_IDS sync (an owner is in ADMIN_IDS or has this set).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ROLES = "role IN ('manager', 'attendant')"
ACTIVE = "revoked_at IS NULL"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.add_column("users", sa.Column("admin_added_at", TS, nullable=True))
    op.create_table(
        "premise_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premise_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.CheckConstraint(ROLES, name=op.f("ck_premise_staff_staff_role")),
        _fk("premise_staff", "premise_id", "premises", "CASCADE"),
        _fk("premise_staff", "user_id", "users", "CASCADE"),
        _fk("premise_staff", "invited_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premise_staff")),
    )
    op.create_index(
        "uq_premise_staff_active",
        "premise_staff",
        ["premise_id", "user_id"],
        unique=True,
        postgresql_where=sa.text(ACTIVE),
        sqlite_where=sa.text(ACTIVE),
    )
    op.create_index("ix_premise_staff_user_id", "premise_staff", ["user_id"])
    op.create_table(
        "staff_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("premise_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(ROLES, name=op.f("ck_staff_invites_staff_role")),
        _fk("staff_invites", "premise_id", "premises", "CASCADE"),
        _fk("staff_invites", "created_by", "users", "SET NULL"),
        _fk("staff_invites", "used_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invites_token_hash")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("premise_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.CheckConstraint("outcome IN ('ok', 'refused')", name=op.f("ck_audit_log_audit_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_premise_id_id", "audit_log", ["premise_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_premise_id_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("staff_invites")
    op.drop_index("ix_premise_staff_user_id", table_name="premise_staff")
    op.drop_index("uq_premise_staff_active", table_name="premise_staff")
    op.drop_table("premise_staff")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("admin_added_at")
