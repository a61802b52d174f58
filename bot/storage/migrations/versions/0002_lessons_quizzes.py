"""lessons and quizzes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:19:05.213371
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "group_quiz_polls",
        sa.Column("poll_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("bank_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("correct", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("poll_id"),
    )
    with op.batch_alter_table("group_quiz_polls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_quiz_polls_chat_id"), ["chat_id"], unique=False)

    op.create_table(
        "lesson_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("explainer_id", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "explainer_id", name="uq_lesson_views_user"),
    )
    op.create_table(
        "quiz_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("bank_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("question_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correct", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quiz_attempts_user_bank", ["user_id", "bank_id", "started_at"], unique=False
        )

    op.create_table(
        "quiz_reviews",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("bank_id", sa.String(length=64), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "question_id"),
    )


def downgrade() -> None:
    op.drop_table("quiz_reviews")
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_quiz_attempts_user_bank")

    op.drop_table("quiz_attempts")
    op.drop_table("lesson_views")
    with op.batch_alter_table("group_quiz_polls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_quiz_polls_chat_id"))

    op.drop_table("group_quiz_polls")
