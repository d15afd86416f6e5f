"""members' reminders: the reminders table, one-time notices to members, and the ledger's user_id for DMs

A reminder's ledger row has guild_id 0, the member's DM channel as channel_id, user_id set and the post key
"dm:{user}:{before}", so existing rows (user_id NULL) stay channel posts and the unique constraint is unchanged.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-26 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("release_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "release_id", name="uq_reminder_user_release"),
    )
    with op.batch_alter_table("reminders") as batch:
        batch.create_index(batch.f("ix_reminders_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_reminders_release_id"), ["release_id"], unique=False)
    op.create_table(
        "member_notices",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))
        batch.create_index(batch.f("ix_deliveries_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index(batch.f("ix_deliveries_user_id"))
        batch.drop_column("user_id")
    op.drop_table("member_notices")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_index(batch.f("ix_reminders_release_id"))
        batch.drop_index(batch.f("ix_reminders_user_id"))
    op.drop_table("reminders")
