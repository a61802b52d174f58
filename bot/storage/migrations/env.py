"""Alembic environment: runs on the connection that `bot.storage.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from bot.storage import load_all_models

load_all_models()

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
