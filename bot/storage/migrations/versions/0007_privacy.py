"""guardian consents of minors, and secrets the bot generates itself

Revision ID: 0007_privacy
Revises: 0006_exactly_once
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_privacy"
down_revision: str | None = "0006_exactly_once"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guardian_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minor_id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("guardian_id", sa.BigInteger(), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("guardian_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guardian_consents_minor_id"), ["minor_id"], unique=False
        )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("app_secrets")
    with op.batch_alter_table("guardian_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guardian_consents_minor_id"))
    op.drop_table("guardian_consents")
