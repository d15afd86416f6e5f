"""members' reminders remember the member's language: the DM is written in it

The language of the member's Discord when they set the reminder (`interaction.locale`, as "en", "fr" or "de"); NULL
for reminders set before this revision, which are sent in English as they were.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 17:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.drop_column("locale")
