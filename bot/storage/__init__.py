"""Storage: SQLModel tables, async engine and sessions, queries, Alembic migrations."""

from __future__ import annotations

import importlib
import pkgutil


def load_all_models() -> None:
    """Import every `bot/storage/models*.py`, so all tables are on the shared metadata."""
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("models"):
            importlib.import_module(f"{__name__}.{module.name}")
