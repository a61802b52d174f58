"""Alembic environment: runs on the connection that `bot.storage.migrate` hands over."""

from __future__ import annotations

import importlib
import pkgutil

from alembic import context
from sqlmodel import SQLModel

import bot.storage

# Every `bot/storage/models*.py` module registers its tables on the shared metadata.
for module in pkgutil.iter_modules(bot.storage.__path__):
    if module.name.startswith("models"):
        importlib.import_module(f"bot.storage.{module.name}")

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
