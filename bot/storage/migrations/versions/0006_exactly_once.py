"""exactly once: handled updates, wizard draft tokens, one active membership per role

Revision ID: 0006_exactly_once
Revises: 0005_reminders
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_exactly_once"
down_revision: str | None = "0005_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("until IS NULL")

# Duplicate active memberships (made by racing redemptions) would stop the unique index:
# keep the first of each.
DROP_DUPLICATE_MEMBERSHIPS = sa.text(
    """
    DELETE FROM memberships
    WHERE until IS NULL AND EXISTS (
        SELECT 1 FROM memberships AS first
        WHERE first.user_id = memberships.user_id
          AND first.unit_id = memberships.unit_id
          AND first.role = memberships.role
          AND first.until IS NULL
          AND first.id < memberships.id
    )
    """
)


def upgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id"),
    )
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.create_index("ix_processed_updates_handled_at", ["handled_at"], unique=False)

    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_token", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint("uq_broadcasts_draft_token", ["draft_token"])

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_token", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint("uq_reminders_draft_token", ["draft_token"])

    op.execute(DROP_DUPLICATE_MEMBERSHIPS)
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(
            "uq_memberships_active",
            ["user_id", "unit_id", "role"],
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index("uq_memberships_active")

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reminders_draft_token", type_="unique")
        batch_op.drop_column("draft_token")

    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_broadcasts_draft_token", type_="unique")
        batch_op.drop_column("draft_token")

    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_processed_updates_handled_at")
    op.drop_table("processed_updates")
