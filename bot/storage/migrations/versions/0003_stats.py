"""participation rollups for unit reports

Revision ID: 0003_stats
Revises: 0002
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_stats"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = (
    "events",
    "lesson_reads",
    "quiz_started",
    "quiz_finished",
    "quiz_passed",
    "score_sum",
    "reminder_acks",
    "broadcast_acks",
)


def _counters() -> list[sa.Column]:
    return [
        sa.Column(name, sa.Float() if name == "score_sum" else sa.Integer(), nullable=False)
        for name in COUNTERS
    ]


def upgrade() -> None:
    op.create_table(
        "stats_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "stats_unit_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("units", sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("units"),
    )
    op.create_table(
        "stats_set_days",
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("set_id", sa.Integer(), autoincrement=False, nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("day", "set_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stats_user_days",
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("set_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("day", "set_id", "user_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stats_set_months",
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("set_id", sa.Integer(), autoincrement=False, nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("month", "set_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stats_user_months",
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("set_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("month", "set_id", "user_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stats_user_activity",
        sa.Column("set_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("active", sa.LargeBinary(), nullable=False),
        sa.Column("reminded", sa.LargeBinary(), nullable=False),
        sa.Column("core_passed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("set_id", "user_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_stats_user_activity_user", "stats_user_activity", ["user_id"])
    op.create_table(
        "stats_first_reads",
        sa.Column("explainer", sa.String(length=64), nullable=False),
        sa.Column("set_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("explainer", "set_id", "user_id"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("stats_first_reads")
    op.drop_index("ix_stats_user_activity_user", table_name="stats_user_activity")
    op.drop_table("stats_user_activity")
    op.drop_table("stats_user_months")
    op.drop_table("stats_set_months")
    op.drop_table("stats_user_days")
    op.drop_table("stats_set_days")
    op.drop_table("stats_unit_sets")
    op.drop_table("stats_state")
