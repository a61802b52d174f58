"""reminders and their fires

Revision ID: 0005_reminders
Revises: 0004_delivery
Create Date: 2026-11-25 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_reminders"
down_revision: str | None = "0004_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("audience_ref", sa.String(length=64), nullable=True),
        sa.Column("message_kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link_ref", sa.String(length=64), nullable=True),
        sa.Column("campaign", sa.String(length=64), nullable=True),
        sa.Column("schedule_kind", sa.String(length=16), nullable=False),
        sa.Column("once_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("at_time", sa.String(length=5), nullable=True),
        sa.Column("weekdays", sa.String(length=16), nullable=True),
        sa.Column("month_day", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(length=100), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("quiet_hours", sa.String(length=16), nullable=False),
        sa.Column("skip_holidays", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "campaign", name="uq_reminders_unit_campaign"),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index("ix_reminders_updated_at", ["updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminders_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "reminder_fires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("origin_id", sa.Integer(), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["reminder_id"], ["reminders.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_reminder_fires_key"),
    )
    with op.batch_alter_table("reminder_fires", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminder_fires_reminder_at", ["reminder_id", "fire_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder_fires", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_fires_reminder_at")
    op.drop_table("reminder_fires")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminders_unit_id"))
        batch_op.drop_index("ix_reminders_updated_at")
    op.drop_table("reminders")
