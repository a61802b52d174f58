"""Migration stairway: every revision upgrades, downgrades and upgrades again, on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.storage import load_all_models, migrate

load_all_models()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_stairway(engine: AsyncEngine) -> None:
    await migrate.downgrade(engine, "base")
    assert await _tables(engine) <= {"alembic_version"}
    revisions = migrate.revisions()
    assert revisions, "no migrations found"
    previous = "base"
    for revision in revisions:
        await migrate.upgrade(engine, revision)
        await migrate.downgrade(engine, previous)
        await migrate.upgrade(engine, revision)
        previous = revision
    assert set(SQLModel.metadata.tables) <= await _tables(engine)


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    """Autogenerate finds nothing to do: the tables and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, SQLModel.metadata)

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == [], differences


@pytest.mark.parametrize("url", ["sqlite:///x.db", "postgresql://u@h/db", "postgres://u@h/db"])
def test_plain_urls_get_async_drivers(url: str) -> None:
    from bot.storage.database import normalise_url

    assert "+aiosqlite" in normalise_url(url) or "+asyncpg" in normalise_url(url)
